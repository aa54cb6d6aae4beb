"""echo_fuzz_test: one fuzz target, in the shape of rules_fuzzing's cc_fuzz_test.

For `name` it declares:
  name            a cc_test replaying corpus/<name>/ and regressions/<name>/
                  through a plain main() (no engine), so `bazel test //...`
                  runs every seed and every past crash, with any --config.
  name_bin        the libFuzzer binary; build it with --config=fuzz (tagged
                  manual: it only links with clang's -fsanitize=fuzzer).
  name_run        a launcher: bazel run --config=fuzz //fuzz:name_run --
                  [--timeout_secs=N] [--regression] [--clean] [--jobs=N]
                  [-- libFuzzer flags...]
  name_options    the target's engine options as a libFuzzer .options file
                  (also read by the launcher and by tools/dev fuzz).

Engine options (max_len, dictionary, use_value_profile...) belong to the
target, declared here, not only on someone's command line.
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

def _options_file_content(name, engine_options, dict_label):
    lines = ["[libfuzzer]"]
    for key in sorted(engine_options.keys()):
        lines.append("%s = %s" % (key, engine_options[key]))
    if dict_label:
        lines.append("dict = %s.dict" % name)
    return "\\n".join(lines) + "\\n"

def echo_fuzz_test(name, srcs, deps = [], dict = None, engine_options = {}, **kwargs):
    corpus = native.glob(["corpus/%s/**" % name])
    regressions = native.glob(["regressions/%s/**" % name], allow_empty = True)
    if not corpus:
        fail("%s: corpus/%s/ must hold at least one seed" % (name, name))

    native.cc_library(
        name = name + "_harness",
        testonly = True,
        srcs = srcs,
        copts = NO_FUZZ_COVERAGE,
        deps = deps + ["//fuzz:fuzz_check", "//fuzz:fuzz_input"],
        alwayslink = True,
    )

    replay_args = ["fuzz/corpus/" + name]
    if regressions:
        replay_args.append("fuzz/regressions/" + name)
    native.cc_test(
        name = name,
        size = kwargs.pop("size", "small"),
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

    native.genrule(
        name = name + "_options",
        outs = [name + ".options"],
        cmd = "printf '%s' > $@" % _options_file_content(name, engine_options, dict),
    )

    launcher_data = [":" + name + "_bin", ":" + name + "_options"]
    launcher_args = [
        "--binary=$(location :%s_bin)" % name,
        "--options=$(location :%s_options)" % name,
        "--corpus=fuzz/corpus/" + name,
        "--regressions=fuzz/regressions/" + name,
    ]
    if dict:
        launcher_data.append(dict)
        launcher_args.append("--dict=$(location %s)" % dict)
    native.sh_binary(
        name = name + "_run",
        testonly = True,
        srcs = ["//fuzz:run_fuzzer.sh"],
        args = launcher_args,
        data = launcher_data,
        tags = ["manual"],
    )
