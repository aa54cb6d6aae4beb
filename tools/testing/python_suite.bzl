"""py_suite_test: a Python unittest suite against the real binaries."""

def py_suite_test(name, data = [], **kwargs):
    """Runs <name>.py, an executable script, as a test that finds the helpers
    of tools/testing/ on its PYTHONPATH and the echo_server binary in its
    runfiles. sh_test, not py_test: Bazel 4.2's py_test launcher needs a
    `python` command, which Debian does not have."""
    native.sh_test(
        name = name,
        srcs = [name + ".py"],
        data = data + [
            "//src/server:echo_server",
            "//tools/testing:helpers",
        ],
        env = {"PYTHONPATH": "tools/testing"},
        **kwargs
    )
