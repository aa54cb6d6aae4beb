"""tools/dev hunt and faults: re-injected defects (tools/bugs/) against the
fuzzers and the fault run, and the real server under injected syscall
failures."""

import contextlib
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import common

sys.path[:0] = [str(common.ROOT / "tools" / "fuzz"), str(common.ROOT / "tools" / "cfl")]
import bug_catalog  # noqa: E402
import check_build  # noqa: E402
from hunt import FUZZ_DETECTORS  # noqa: E402

HUNT_REPORT_DIR = pathlib.Path(os.environ.get("ECHO_LAB_HUNT_REPORT_DIR", common.ROOT / ".hunt-report"))
FAULTS_REPORT_DIR = pathlib.Path(os.environ.get("ECHO_LAB_FAULTS_REPORT_DIR",
                                                common.ROOT / ".faults-report"))
# Where patches are applied: one copy per checkout, at a fixed path, so that
# its output base keeps what the previous variant built and each variant
# recompiles only the files its patch touches.
SCRATCH_TREE = pathlib.Path(common.cache_dir("echo_lab_hunt_tree", "ECHO_LAB_HUNT_TREE"))
CLEAN = "clean"


def catalog():
    try:
        return {bug.name: bug for bug in bug_catalog.load(common.ROOT)}
    except bug_catalog.CatalogError as error:
        raise common.Failure(str(error))


def copy_checkout():
    """The scratch tree becomes a copy of the working tree (uncommitted
    changes included)."""
    shutil.rmtree(SCRATCH_TREE, ignore_errors=True)
    check_build.copy_checkout(SCRATCH_TREE)


@contextlib.contextmanager
def variant_tree(bug):
    """The scratch tree with bug's patch applied (none for the clean
    variant), taken out again afterwards."""
    if bug is not None:
        why = bug_catalog.applies(bug, SCRATCH_TREE)
        if why:
            raise common.Failure(why)
        subprocess.run(bug_catalog.patch_command(bug, SCRATCH_TREE), check=True)
    try:
        yield SCRATCH_TREE
    finally:
        if bug is not None:
            subprocess.run(bug_catalog.patch_command(bug, SCRATCH_TREE, "--reverse"), check=True)


def build_hunt_variant(variant, bug, into):
    """The detectors of one variant (the fuzz binaries and the server the
    fault detector runs) copied into into/<variant>/, since every variant
    builds to the same bazel-bin path."""
    labels = ["//src/server:echo_server"] + [
        label for t in FUZZ_DETECTORS for label in ("//fuzz:%s_bin" % t, "//fuzz:%s_options" % t)]
    # One load client for every variant, built clean: a variant's defect must
    # not be in the client that judges it.
    if variant == CLEAN:
        labels.append("//tools/load:echo_load")
    common.log("hunt: building the %s variant" % variant)
    with variant_tree(bug) as tree:
        bin_dir = common.build("hunt", ["--config=fuzz"], labels, "the %s variant" % variant, tree)
    (into / variant / "fuzz").mkdir(parents=True)
    for target in FUZZ_DETECTORS:
        for name in (target + "_bin", target + ".options"):
            shutil.copy(bin_dir / "fuzz" / name, into / variant / "fuzz")
    shutil.copy(bin_dir / "src/server/echo_server", into / variant)
    if variant == CLEAN:
        shutil.copy(bin_dir / "tools/load/echo_load", into)


def hunt(args):
    bugs = catalog()
    asked = args.bug or ["all"]
    unknown = [name for name in asked if name not in list(bugs) + [CLEAN, "all"]]
    if unknown:
        raise common.Failure("hunt: unknown bug %s (classes: %s clean all)"
                             % (unknown[0], " ".join(bugs)))
    # Each variant once, in the order first asked for (--bug all --bug clean).
    variants = list(dict.fromkeys(v for name in asked
                                  for v in (list(bugs) + [CLEAN] if name == "all" else [name])))
    copy_checkout()
    with tempfile.TemporaryDirectory(prefix="echo_hunt_bins.") as scratch:
        work = pathlib.Path(scratch)
        build_hunt_variant(CLEAN, None, work)  # Hunted or not: it makes the load client too.
        flags = []
        for variant in variants:
            if variant != CLEAN:
                build_hunt_variant(variant, bugs[variant], work)
            flags += ["--variant", "%s=%s" % (variant, work / variant)]
        return common.python_tool(
            "tools/fuzz/hunt.py", *flags, "--source-dir", common.ROOT, "--load", work / "echo_load",
            "--trials", args.trials, "--time", args.time, "--start", args.start,
            "--report-dir", HUNT_REPORT_DIR, "--command", args.command_line, env=common.sanitizer_env())


def asan_server(bug_name):
    """The bazel-bin holding the ASan echo_server: of the checkout, or of
    the scratch tree with that class's patch applied."""
    labels = ["//src/server:echo_server"]
    if not bug_name:
        return common.build("clang", ["--config=asan"], labels, "faults: the ASan build")
    bugs = catalog()
    if bug_name not in bugs:
        raise common.Failure("faults: --bug needs a class of tools/bugs/ (%s)" % " ".join(bugs))
    copy_checkout()
    with variant_tree(bugs[bug_name]) as tree:
        return common.build("hunt", ["--config=asan"], labels, "faults: the %s build" % bug_name, tree)


def faults(args):
    """The optimized server (gcc) and the ASan one (clang), each under
    tools/faults/faults.py, driven by the optimized echo_load. With --bug,
    only the ASan build, carrying that defect."""
    asan_bin = asan_server(args.bug)
    opt_bin = common.build("gcc", ["-c", "opt"], ["//src/server:echo_server", "//tools/load:echo_load"],
                           "faults: the optimized build")
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
    parser = common.subcommand(
        subparsers, hunt, "re-inject each defect class; time how fast the detectors catch it",
        "Re-inject each defect class of tools/bugs/ (a patch applied to a copy of the tree) and "
        "time how fast the fuzzers and the fault run catch it; report in %s." % HUNT_REPORT_DIR)
    parser.add_argument("--bug", action="append", default=[],
                        help="a class, clean or all (default: all), again for more")
    parser.add_argument("--trials", type=common.positive, default=3)
    parser.add_argument("--time", type=common.positive, default=60, help="seconds per detector and trial")
    parser.add_argument("--start", choices=("corpus", "empty"), default="corpus")
    parser = common.subcommand(
        subparsers, faults, "the real server under strace-injected syscall failures",
        "The real server (optimized and ASan builds) under strace-injected syscall failures "
        "while echo_load verifies every byte; report in %s." % FAULTS_REPORT_DIR)
    parser.add_argument("--time", type=common.positive, default=60, help="seconds per build")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--bug", help="the ASan build with this class of tools/bugs/ re-injected")
