"""tools/dev hunt and faults: re-injected defects against the fuzzers and
the fault run, and the real server under injected syscall failures."""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import common

HUNT_REPORT_DIR = pathlib.Path(os.environ.get("ECHO_LAB_HUNT_REPORT_DIR", common.ROOT / ".hunt-report"))
FAULTS_REPORT_DIR = pathlib.Path(os.environ.get("ECHO_LAB_FAULTS_REPORT_DIR",
                                                common.ROOT / ".faults-report"))
HUNT_FUZZ_DETECTORS = ("connection", "server", "flags")
CLEAN = "clean"


def bug_classes():
    """The classes of src/core/bug_injection.h, as tools/fuzz/bug_catalog.py lists them."""
    out = subprocess.run([sys.executable, common.ROOT / "tools/fuzz/bug_catalog.py", common.ROOT],
                         stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise common.Failure("src/core/bug_injection.h does not match .bazelrc (see above)")
    return out.stdout.split()


def build_hunt_variant(variant, into):
    """The detectors of one variant (the fuzz binaries and the server the
    fault detector runs) copied into into/<variant>/, since every variant
    builds to the same bazel-bin path."""
    configs = ["--config=fuzz"] + ([] if variant == CLEAN else ["--config=bug_" + variant])
    labels = ["//src/server:echo_server"] + [
        label for t in HUNT_FUZZ_DETECTORS for label in ("//fuzz:%s_bin" % t, "//fuzz:%s_options" % t)]
    # One load client for every variant, built clean: a variant's defect must
    # not be in the client that judges it.
    if variant == CLEAN:
        labels.append("//tools/load:echo_load")
    common.log("hunt: building the %s variant" % variant)
    bin_dir = common.build("hunt", configs, labels, "the %s variant" % variant)
    (into / variant / "fuzz").mkdir(parents=True)
    for target in HUNT_FUZZ_DETECTORS:
        for name in (target + "_bin", target + ".options"):
            shutil.copy(bin_dir / "fuzz" / name, into / variant / "fuzz")
    shutil.copy(bin_dir / "src/server/echo_server", into / variant)
    if variant == CLEAN:
        shutil.copy(bin_dir / "tools/load/echo_load", into)


def hunt(args):
    classes = bug_classes()
    asked = args.bug or ["all"]
    unknown = [bug for bug in asked if bug not in classes + [CLEAN, "all"]]
    if unknown:
        raise common.Failure("hunt: unknown bug %s (classes: %s clean all)"
                             % (unknown[0], " ".join(classes)))
    # Each variant once, in the order first asked for (--bug all --bug clean).
    variants = list(dict.fromkeys(v for bug in asked
                                  for v in (classes + [CLEAN] if bug == "all" else [bug])))
    with tempfile.TemporaryDirectory(prefix="echo_hunt_bins.") as scratch:
        work = pathlib.Path(scratch)
        build_hunt_variant(CLEAN, work)  # Hunted or not: it makes the load client too.
        flags = []
        for variant in variants:
            if variant != CLEAN:
                build_hunt_variant(variant, work)
            flags += ["--variant", "%s=%s" % (variant, work / variant)]
        return common.python_tool(
            "tools/fuzz/hunt.py", *flags, "--source-dir", common.ROOT, "--load", work / "echo_load",
            "--trials", args.trials, "--time", args.time, "--start", args.start,
            "--report-dir", HUNT_REPORT_DIR, "--command", args.command_line, env=common.sanitizer_env())


def faults(args):
    """The optimized server (gcc) and the ASan one (clang), each under
    tools/faults/faults.py, driven by the optimized echo_load. With --bug,
    only the ASan build, carrying that defect."""
    if args.bug and args.bug not in bug_classes():
        raise common.Failure("faults: --bug needs a class of src/core/bug_injection.h")
    asan_configs = ["--config=bug_" + args.bug] if args.bug else ["--config=asan"]
    opt_bin = common.build("gcc", ["-c", "opt"], ["//src/server:echo_server", "//tools/load:echo_load"],
                           "faults: the optimized build")
    asan_bin = common.build("clang", asan_configs, ["//src/server:echo_server"], "faults: the ASan build")
    builds = [("asan", asan_bin)] if args.bug else [("opt", opt_bin), ("asan", asan_bin)]
    status = 0
    for name, bin_dir in builds:
        status |= common.python_tool(
            "tools/faults/faults.py", "--server", bin_dir / "src/server/echo_server",
            "--load", opt_bin / "tools/load/echo_load", "--time", args.time, "--seed", args.seed,
            "--report-dir", FAULTS_REPORT_DIR, "--name", args.bug or name,
            "--command", args.command_line, env=common.sanitizer_env())
    return 1 if status else 0


def add_parsers(subparsers):
    parser = subparsers.add_parser(
        "hunt", help="re-inject each defect class; time how fast the detectors catch it",
        description="Re-inject each defect class of src/core/bug_injection.h and time how fast "
                    "the fuzzers and the fault run catch it; report in %s." % HUNT_REPORT_DIR)
    parser.add_argument("--bug", action="append", default=[],
                        help="a class, clean or all (default: all), again for more")
    parser.add_argument("--trials", type=common.positive, default=3)
    parser.add_argument("--time", type=common.positive, default=60, help="seconds per detector and trial")
    parser.add_argument("--start", choices=("corpus", "empty"), default="corpus")
    parser.set_defaults(handler=hunt)

    parser = subparsers.add_parser(
        "faults", help="the real server under strace-injected syscall failures",
        description="The real server (optimized and ASan builds) under strace-injected syscall "
                    "failures while echo_load verifies every byte; report in %s." % FAULTS_REPORT_DIR)
    parser.add_argument("--time", type=common.positive, default=60, help="seconds per build")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bug", help="the ASan build with this defect class re-injected")
    parser.set_defaults(handler=faults)
