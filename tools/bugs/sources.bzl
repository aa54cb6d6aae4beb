"""package_sources(): a package's .cc and .h files as :sources.

For the tests that read sources rather than build them: every patch of
tools/bugs/ must still apply to them (//tools/fuzz:hunt_test), and
//tests:core_has_no_io_test scans the core's includes.
"""

def package_sources():
    native.filegroup(
        name = "sources",
        srcs = native.glob([
            "*.cc",
            "*.h",
        ]),
        visibility = ["//tests:__pkg__", "//tools/fuzz:__pkg__"],
    )
