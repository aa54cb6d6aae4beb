"""tools/dev bench and coverage: the server against a reference and a
speed limit, and every test and corpus under clang source-based coverage."""

import os
import pathlib
import shutil
import subprocess
import sys

import common

COVERAGE_DIR = pathlib.Path(os.environ.get("ECHO_LAB_COVERAGE_DIR", common.ROOT / ".coverage"))
# Everything is built instrumented, but only src/ is measured.
COVERAGE_IGNORE = "^(tests|fuzz|tools|third_party|external)/|^/"


def bench(args):
    binaries = {"ours": "src/server/echo_server", "reference": "tools/bench/uv_echo_server",
                "minimal": "tools/bench/minimal_echo_server",
                "yardstick": "tools/bench/blocking_ping_client", "load": "tools/load/echo_load"}
    # Optimized builds: a benchmark of a debug build measures the compiler.
    bin_dir = common.build("gcc", ["-c", "opt"], ["//%s:%s" % tuple(path.rsplit("/", 1))
                                                  for path in binaries.values()],
                           "bench: the servers and clients")
    flags = [part for name, path in binaries.items() for part in ("--" + name, bin_dir / path)]
    return common.python_tool("tools/bench/bench.py", "--duration", args.duration, *flags,
                              "--out", common.ROOT / ".bench")


def llvm_cov(*args):
    """llvm-cov, minus one benign warning: an inline function a binary never
    emits is mapped there with hash 0, and its counts come from the binaries
    that do emit it; llvm-cov calls each such placeholder "mismatched data"."""
    done = subprocess.run(["llvm-cov-14"] + [str(a) for a in args], stderr=subprocess.PIPE, text=True)
    sys.stderr.write("".join(line for line in done.stderr.splitlines(True)
                             if not line.rstrip().endswith("functions have mismatched data")))
    if done.returncode != 0:
        raise common.Failure("coverage: llvm-cov-14 %s failed" % args[0])


def instrumented_binaries():
    """Every test and binary that `bazel test //...` builds, as -object flags."""
    bin_dir = common.bazel_bin("coverage", ["--config=llvm_cov"])
    query = ('kind("cc_(test|binary) rule", //...) except attr(tags, "\\bmanual\\b", //...)')
    labels = common.bazel_output("coverage", "query", "--noshow_progress", query).split()
    paths = [bin_dir / label.lstrip("/").replace(":", "/") for label in labels]
    return [flag for path in paths if os.access(path, os.X_OK) for flag in ("-object", path)]


def coverage(args):
    profraw = COVERAGE_DIR / "profraw"
    shutil.rmtree(COVERAGE_DIR, ignore_errors=True)
    profraw.mkdir(parents=True)
    common.log("coverage: every test under --config=llvm_cov (unit, integration, robustness, corpora)")
    # One profile per process, spawned servers included (%p); counters kept in
    # the file as they change (%c), so a process killed by a test still counts;
    # a pid that comes round again merges into its file (%m).
    tests_failed = common.bazel("coverage", "test", "--config=llvm_cov", "--nocache_test_results",
                                "--test_env=LLVM_PROFILE_FILE=%s/%%c%%p-%%m.profraw" % profraw, "//...")
    objects = instrumented_binaries()
    profiles = sorted(profraw.glob("*.profraw"))
    if not objects or not profiles:
        raise common.Failure("coverage: no instrumented binary, or no profile in %s" % profraw)
    profdata = COVERAGE_DIR / "coverage.profdata"
    if subprocess.run(["llvm-profdata-14", "merge", "-o", profdata] + profiles).returncode != 0:
        raise common.Failure("coverage: llvm-profdata-14 merge failed")
    inputs = ["-instr-profile", profdata] + objects + ["-ignore-filename-regex=" + COVERAGE_IGNORE]
    with open(COVERAGE_DIR / "coverage.json", "w") as summary:
        done = subprocess.run(["llvm-cov-14", "export", "-summary-only"] + inputs, stdout=summary)
    if done.returncode != 0:
        raise common.Failure("coverage: llvm-cov-14 export failed")
    llvm_cov("show", "-format=html", "-show-branches=count", "-project-title=echo-lab",
             "-output-dir=%s" % (COVERAGE_DIR / "html"), *inputs)
    common.log("coverage: %d profiles from %d binaries; report: %s"
               % (len(profiles), len(objects) // 2, COVERAGE_DIR / "html" / "index.html"))
    status = common.python_tool("tools/coverage/report.py", *(["--check"] if args.check else []),
                                "--root", common.ROOT, COVERAGE_DIR / "coverage.json")
    if tests_failed:
        raise common.Failure("coverage: some tests failed; the figures above miss what they did not run")
    return status


def add_parsers(subparsers):
    common.subcommand(
        subparsers, bench, "echo_server against a libuv-style reference and a minimal epoll server",
    ).add_argument("--duration", type=common.positive, default=10, help="seconds per round")
    common.subcommand(
        subparsers, coverage, "every test and corpus under clang source-based coverage",
        "Every test and corpus under clang source-based coverage: a per-file table and "
        "%s/html/." % COVERAGE_DIR,
    ).add_argument("--check", action="store_true", help="fail below the README's targets")
