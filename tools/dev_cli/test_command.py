"""tools/dev test: everything CI runs, and one summary line of it.

Bazel tests are counted from Bazel's build event protocol (one testSummary
per target), the other steps from their tools' verdict lines (common.py);
a step that fails without a verdict (a build error) counts as one failure.
"""

import argparse
import json
import sys
import tempfile

import common
import fuzz_commands
import hunt_faults_commands

CI_FAULTS_SECONDS = common.env_seconds("ECHO_LAB_CI_FAULTS_SECONDS", 15)
CI_FUZZ_SECONDS = common.env_seconds("ECHO_LAB_CI_FUZZ_SECONDS", 15)
CI_HUNT_SECONDS = common.env_seconds("ECHO_LAB_CI_HUNT_SECONDS", 20)


def bazel_tests(base, *configs):
    """bazel test //... in an output base; each target's status becomes a verdict."""
    with tempfile.NamedTemporaryFile(prefix="echo_bep.", suffix=".json") as events:
        status = common.bazel(base, "test", *configs, "--build_event_json_file=" + events.name, "//...")
        for line in open(events.name):
            event = json.loads(line)
            if "testSummary" in event:
                label = event["id"]["testSummary"]["label"]
                outcome = event["testSummary"].get("overallStatus", "NO_STATUS")
                common.verdicts.append(("bazel: %s %s" % (label, outcome), outcome == "PASSED"))
    return status


def steps(command_line):
    def options(**values):
        return argparse.Namespace(command_line=command_line, **values)
    return [
        ("default toolchain", lambda: bazel_tests("gcc")),
        ("clang + ASan/LSan/UBSan", lambda: bazel_tests("clang", "--config=asan")),
        ("fault injection, %ds per build (ECHO_LAB_CI_FAULTS_SECONDS)" % CI_FAULTS_SECONDS,
         lambda: hunt_faults_commands.faults(options(time=CI_FAULTS_SECONDS, seed=1, bug=None))),
        ("fuzz campaign, %ds per target (ECHO_LAB_CI_FUZZ_SECONDS)" % CI_FUZZ_SECONDS,
         lambda: fuzz_commands.fuzz(options(target=["all"], time=CI_FUZZ_SECONDS, jobs=1,
                                            engine="libfuzzer", no_merge=True, no_save=True))),
        ("ClusterFuzzLite build.sh in an OSS-Fuzz-like environment",
         lambda: fuzz_commands.cfl(options())),
        ("bug hunt, %ds per detector (ECHO_LAB_CI_HUNT_SECONDS)" % CI_HUNT_SECONDS,
         lambda: hunt_faults_commands.hunt(options(bug=["all"], trials=1, time=CI_HUNT_SECONDS,
                                                   start="corpus"))),
    ]


def test(args):
    unexplained_failures = 0
    for label, step in steps(args.command_line):
        common.log("test: " + label)
        before = len(common.verdicts)
        try:
            status = step()
        except common.Failure as failure:
            common.log("error: %s" % failure)
            status = 1
        sys.stdout.flush()
        if status != 0 and all(passed for _, passed in common.verdicts[before:]):
            unexplained_failures += 1
    failed = [line for line, passed in common.verdicts if not passed]
    for line in failed:
        print("failed: " + line)
    print("summary: %d passed, %d failed" % (len(common.verdicts) - len(failed),
                                             len(failed) + unexplained_failures))
    return 1 if failed or unexplained_failures else 0


def add_parsers(subparsers):
    common.subcommand(
        subparsers, test, "everything CI runs: both builds' tests, faults, fuzzing, cfl, hunt",
        "bazel test //... with gcc, then with clang + ASan/LSan/UBSan (--config=asan); then a "
        "short fault-injection run per build, a short fuzz campaign per target, the "
        "ClusterFuzzLite build check and a short bug hunt. Step lengths: "
        "ECHO_LAB_CI_{FAULTS,FUZZ,HUNT}_SECONDS.")
