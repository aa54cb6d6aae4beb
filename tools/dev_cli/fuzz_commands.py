"""tools/dev fuzz, repro and cfl: campaigns, one-input replays, and the
ClusterFuzzLite build check."""

import os
import pathlib
import re
import subprocess
import sys
import tempfile

import common

TARGETS = ("connection", "write_queue", "server", "flags")
REPORT_DIR = pathlib.Path(os.environ.get("ECHO_LAB_REPORT_DIR", common.ROOT / ".fuzz-report"))

# The sanitizers of --config=asan (.bazelrc) for the AFL++ build.
AFL_SANITIZER_FLAGS = "-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
# libstdc++'s older std::string ABI: AFL++ 4.04c leaves uninstrumented every
# function whose mangled name contains "__cxx", i.e. every function taking a
# std::string under the C++11 ABI (AFLplusplus issue #1927). Measured on
# the flags target: 1 edge found without this flag, 148 with it.
AFL_CXX_ABI_FLAG = "-D_GLIBCXX_USE_CXX11_ABI=0"


def build_fuzzers(targets):
    """The libFuzzer binaries and .options of targets; their bazel-bin."""
    labels = [label for t in targets for label in ("//fuzz:%s_bin" % t, "//fuzz:%s_options" % t)]
    return common.build("clang", ["--config=fuzz"], labels, "the fuzz binaries")


def build_afl_fuzzers(folder):
    """Every target for AFL++ into folder/out: .clusterfuzzlite/build.sh with
    afl-clang-fast and AFL++'s libFuzzer-compatible driver, the checkout as
    $SRC/echo-lab."""
    for sub in ("source", "out", "work"):
        (folder / sub).mkdir()
    (folder / "source" / "echo-lab").symlink_to(common.ROOT)
    env = dict(os.environ, CC="afl-clang-fast", CXX="afl-clang-fast++", CFLAGS=AFL_SANITIZER_FLAGS,
               CXXFLAGS=AFL_SANITIZER_FLAGS + " " + AFL_CXX_ABI_FLAG,
               LIB_FUZZING_ENGINE="-fsanitize=fuzzer", SANITIZER="address", FUZZING_ENGINE="afl",
               AFL_QUIET="1", SRC=str(folder / "source"), OUT=str(folder / "out"),
               WORK=str(folder / "work"))
    script = common.ROOT / ".clusterfuzzlite" / "build.sh"
    if subprocess.run(["bash", "-eu", script], env=env, stdout=sys.stderr).returncode != 0:
        raise common.Failure("the AFL++ binaries did not build")
    return folder / "out"


def fuzz(args):
    targets = list(dict.fromkeys(TARGETS if "all" in args.target or not args.target
                                 else args.target))
    with tempfile.TemporaryDirectory(prefix="echo_afl_build.") as scratch:
        if args.engine == "afl":
            bin_dir, runner = build_afl_fuzzers(pathlib.Path(scratch)), "tools/fuzz/afl_engine.py"
        else:
            bin_dir, runner = build_fuzzers(targets), "tools/fuzz/campaign.py"
        flags = ["--bin-dir", bin_dir, "--source-dir", common.ROOT, "--time", args.time,
                 "--jobs", args.jobs, "--report-dir", REPORT_DIR]
        flags += [flag for flag, on in (("--no-merge", args.no_merge), ("--no-save", args.no_save)) if on]
        flags += [part for target in targets for part in ("--target", target)]
        return common.python_tool(runner, *flags, env=common.sanitizer_env())


def target_of(path):
    """The target a finding belongs to, from its own name: campaigns name
    them <target>-crash-..., OSS-Fuzz clusterfuzz-testcase[-minimized]-
    <target>-...; else from its folder (fuzz/corpus/<target>/...)."""
    names = "|".join(TARGETS)
    match = re.match(r"(?:clusterfuzz-testcase(?:-minimized)?-)?(%s)-" % names, path.name)
    if match:
        return match.group(1)
    folder = path.resolve().parent.name
    return folder if folder in TARGETS else None


def repro(args):
    path = pathlib.Path(args.file)
    if not path.is_file():
        raise common.Failure("repro: no such file: %s" % path)
    target = args.target or target_of(path)
    if not target:
        raise common.Failure("repro: cannot tell the target from %s; pass --target (%s)"
                             % (path.name, " ".join(TARGETS)))
    bin_dir = build_fuzzers([target])
    env = common.sanitizer_env()
    if args.explain:
        if target != "connection":
            common.log("repro: --explain decodes connection inputs only; running %s plainly" % target)
        env["ECHO_FUZZ_EXPLAIN"] = "1"
    common.log("repro: %s < %s" % (target, path))
    return subprocess.run([bin_dir / "fuzz" / (target + "_bin"), path.resolve()], env=env).returncode


def cfl(args):
    return common.python_tool("tools/cfl/check_build.py")


def add_parsers(subparsers):
    parser = common.subcommand(subparsers, fuzz, "fuzz campaigns with a JSON + HTML report",
                               "Fuzz campaigns with a JSON + HTML report in %s. AFL++ fuzzes "
                               "what .clusterfuzzlite/build.sh builds." % REPORT_DIR)
    parser.add_argument("--target", action="append", default=[], choices=TARGETS + ("all",),
                        help="a target to fuzz, again for more (default: all)")
    parser.add_argument("--time", type=common.positive, default=60, help="seconds per target")
    parser.add_argument("--jobs", type=common.positive, default=1, help="parallel fuzzing processes")
    parser.add_argument("--engine", choices=("libfuzzer", "afl"), default="libfuzzer")
    parser.add_argument("--no-merge", action="store_true", help="add nothing to the in-tree corpus")
    parser.add_argument("--no-save", action="store_true", help="keep crashes out of fuzz/regressions")
    parser = common.subcommand(
        subparsers, repro, "replay one input under ASan/UBSan, symbolized",
        "Replay one input under ASan/UBSan with a symbolized trace. The target comes from "
        "the input's name (<target>-crash-..., clusterfuzz-testcase-<target>-...) or folder "
        "unless given.")
    parser.add_argument("file", help="the input")
    parser.add_argument("--target", choices=TARGETS)
    parser.add_argument("--explain", action="store_true", help="decode a connection input's actions")
    common.subcommand(subparsers, cfl,
                      "run .clusterfuzzlite/build.sh as ClusterFuzzLite would; check every fuzzer")
