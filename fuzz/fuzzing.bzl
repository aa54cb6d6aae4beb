"""echo_fuzz_test: one fuzz target, in the shape of rules_fuzzing's cc_fuzz_test.

For `name` it declares:
  name            a cc_test replaying corpus/<name>/ and regressions/<name>/
                  through a plain main() (no engine), so `bazel test //...`
                  runs every seed and every past crash, with any --config;
                  tagged fuzz-test, as rules_fuzzing tags its regression
                  tests (`bazel test --test_tag_filters=fuzz-test //...`).
  name_bin        the libFuzzer binary; build it with --config=fuzz (tagged
                  manual: it only links with clang's -fsanitize=fuzzer).
  name_run        a launcher: bazel run --config=fuzz //fuzz:name_run --
                  [--timeout_secs N] [--regression] [--clean] [--jobs N]
                  [--fuzzing_output_root DIR] [-- libFuzzer flags...]
                  (rules_fuzzing's flags, see run_fuzzer.py)
  name_options    bazel-bin/fuzz/<name>.options, a copy of the target's
                  engine options (read by the launcher and by tools/dev fuzz).

Engine options (max_len, dictionary, use_value_profile...) belong to the
target, not only to someone's command line. They live in one checked-in
libFuzzer .options file per target, options/<name>.options, which
.clusterfuzzlite/build.sh ships unchanged to ClusterFuzzLite; its `dict`
line names <name>.dict in this folder. (Not <name>.options beside the
BUILD file: the copy above, which tools expect in bazel-bin/fuzz/, would
clash with a source file of that name.)
"""

# Copts for test scaffolding (harnesses, oracles, fake sockets, decoders):
# no coverage instrumentation under --config=asan/fuzz. libFuzzer's feedback
# then comes only from the code under test; scaffolding branches (an oracle
# that always passes, a fake's bookkeeping, inlined std::vector code) would
# add features that mean nothing and, measured on the connection target, cost
# over a third of its executions per second. ASan and UBSan still apply.
NO_FUZZ_COVERAGE = select({
    "//fuzz:coverage_instrumented": [
        "-fno-sanitize-coverage=inline-8bit-counters,pc-table,trace-cmp,indirect-calls",
    ],
    "//conditions:default": [],
})

def echo_fuzz_test(name, srcs, deps = [], **kwargs):
    corpus = native.glob(["corpus/%s/**" % name])
    regressions = native.glob(["regressions/%s/**" % name], allow_empty = True)
    if not corpus:
        fail("%s: corpus/%s/ must hold at least one seed" % (name, name))
    options = "options/%s.options" % name
    if not native.glob([options], allow_empty = True):
        fail("%s: %s must hold the target's engine options" % (name, options))
    dicts = native.glob([name + ".dict"], allow_empty = True)

    native.cc_library(
        name = name + "_harness",
        testonly = True,
        srcs = srcs,
        copts = NO_FUZZ_COVERAGE,
        deps = deps + ["//fuzz:harness_support"],
        alwayslink = True,
    )

    replay_args = ["fuzz/corpus/" + name]
    if regressions:
        replay_args.append("fuzz/regressions/" + name)
    native.cc_test(
        name = name,
        size = kwargs.pop("size", "small"),
        tags = ["fuzz-test"] + kwargs.pop("tags", []),
        args = replay_args,
        data = corpus + regressions,
        deps = [name + "_harness", "//fuzz:replay_main"],
        **kwargs
    )

    native.cc_binary(
        name = name + "_bin",
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        deps = [name + "_harness"],
        tags = ["manual"],
    )

    _engine_launcher(name, options, dicts)

def _engine_launcher(name, options, dicts):
    """Declares name_options (a copy of `options`) and name_run, the launcher."""
    native.genrule(
        name = name + "_options",
        srcs = [options],
        outs = [name + ".options"],
        cmd = "cp $< $@",
    )

    launcher_data = [":" + name + "_bin", ":" + name + "_options"]
    launcher_args = [
        "--binary=$(location :%s_bin)" % name,
        "--options=$(location :%s_options)" % name,
        "--corpus=fuzz/corpus/" + name,
        "--regressions=fuzz/regressions/" + name,
    ]
    if dicts:
        launcher_data += dicts
        launcher_args.append("--dict=$(location %s)" % dicts[0])
    native.sh_binary(
        name = name + "_run",
        testonly = True,
        srcs = ["//fuzz:run_fuzzer.py"],
        args = launcher_args,
        data = launcher_data,
        tags = ["manual"],
    )
