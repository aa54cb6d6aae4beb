#!/usr/bin/env python3
"""Fault injection into the real echo_server: failed system calls under load.

Runs the server under strace, which makes chosen system calls fail, while
echo_load drives byte-verified traffic; then checks the oracles of
oracles.py. First a probe, with no fault and every call traced: it must
pass every oracle, and it counts the calls made at startup. Then the seed's
plan (schedule.py): the serving rounds share what is left of --time once
the startup cases have their estimated share.

The first oracle failure is announced on stderr as "ORACLE FAILED ...";
a caller may then stop the tool with SIGTERM: every process it started is
killed. The run takes about --time seconds, never more than --time plus
GRACE_SECS: then the case under way is abandoned, the others skipped, and
the run fails (the report still covers the cases done).
Writes DIR/NAME.json and DIR/NAME.md; the last line on stdout is
"faults: NAME PASSED: ..." or "faults: NAME FAILED: ...". Exit status 0 when
every oracle holds, 1 otherwise, 2 for a usage error.
"""

import argparse
import collections
import os
import pathlib
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import case_runner  # noqa: E402
import children as children_module  # noqa: E402
import oracles  # noqa: E402
import schedule  # noqa: E402
import strace_log  # noqa: E402

GRACE_SECS = 20
PROBE_LOAD_SECS = 1.0
# What a serving round costs beyond its load window (start, checks, stop),
# and the window it gets at the least; what a startup case costs.
ROUND_OVERHEAD_SECS = 1.0
MIN_WINDOW_SECS = 0.5
STARTUP_CASE_SECS = 2.0
# Serving rounds are added beyond schedule.MIN_SERVING_ROUNDS at one per
# this many seconds of --time.
SECONDS_PER_ROUND = 6.0


def run_case(ctx, case, index, seconds):
    """The case's record, and its CaseRun."""
    run = case_runner.CaseRun(ctx, case, index)
    state, value = run.start()
    if case.phase == "startup":
        run.check_startup(state, value)
        if state == "listening":
            run.passed("alive")
            run.check_after_load(value)
    elif state != "listening":
        run.fail("alive", "the server did not start (%s %s): %s" % (
            state, value, " | ".join(run.stderr_tail())))
    elif run.drive_load(value, seconds):
        run.check_after_load(value)
    record = run.finish()
    injected = sum(sum(errnos.values()) for errnos in record["injected"].values())
    bad = [o for o, v in record["oracles"].items() if v["verdict"] == oracles.FAIL]
    print("faults: case %-22s %5d faults, %3d echo_load runs, %s" % (
        record["name"], injected, record["load"]["runs"],
        "FAILED: " + ", ".join(bad) if bad else "ok"), file=sys.stderr, flush=True)
    return record, run


def run_cases(ctx, args, started, done):
    """Every case; `done` holds at any time the records of the cases over,
    the probe's count of serving calls, and the cases not run yet."""
    soft_end = started + args.time
    record, probe = run_case(ctx, schedule.Case("no faults (probe)", "probe", ()), 0,
                             PROBE_LOAD_SECS)
    done["records"].append(record)
    if probe.pid is None:
        done["skipped"] = ["every case (the server did not start)"]
        return
    probe = strace_log.probe(probe.log_lines())
    startup_calls = {s: probe.startup_calls.get(s, 0) for s in schedule.STARTUP}
    plan = schedule.plan(args.seed, schedule.rounds_for(args.time, SECONDS_PER_ROUND),
                         startup_calls)
    done.update(serving_calls=probe.serving_calls, skipped=[case.name for case in plan])
    for index, case in enumerate(plan, start=1):
        left = [c.phase for c in plan[index - 1:]]
        serving_end = soft_end - left.count("startup") * STARTUP_CASE_SECS
        window = max(MIN_WINDOW_SECS, (serving_end - time.monotonic()) /
                     max(1, left.count("serving")) - ROUND_OVERHEAD_SECS)
        done["records"].append(run_case(ctx, case, index, window)[0])
        done["skipped"].pop(0)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", required=True, type=pathlib.Path, help="echo_server binary")
    parser.add_argument("--load", required=True, type=pathlib.Path, help="echo_load binary")
    parser.add_argument("--time", type=int, default=60, help="seconds the run should take")
    parser.add_argument("--seed", type=int, default=1, help="seed of the fault plan")
    parser.add_argument("--report-dir", type=pathlib.Path, default=pathlib.Path(".faults-report"))
    parser.add_argument("--name", default="faults", help="report name (e.g. the build)")
    parser.add_argument("--strace", default=shutil.which("strace"), help="strace binary")
    parser.add_argument("--command", default=None, help="the command line, for the report")
    args = parser.parse_args(argv)
    for what in (args.server, args.load):
        if not what.is_file():
            parser.error("no such binary: %s" % what)
    if not args.strace:
        parser.error("strace not found (Debian package strace)")
    if args.time < 1 or args.seed < 0:
        parser.error("--time must be at least 1 and --seed not negative")
    return args


def main(argv):
    args = parse_args(argv)
    started = time.monotonic()
    judge = oracles.Judge(started)
    processes = children_module.Children()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    # LeakSanitizer cannot run under ptrace (it stops the world with ptrace
    # itself): off for the traced server; every other check stays on.
    env = dict(os.environ, ASAN_OPTIONS=":".join(
        filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"])))
    done = {"records": [], "serving_calls": {}, "skipped": ["every case"]}
    try:
        children_module.raise_on_signals(args.time + GRACE_SECS)
        with tempfile.TemporaryDirectory(prefix="echo_faults.") as work:
            ctx = case_runner.Context(processes, judge, args.strace, str(args.server.resolve()),
                                      str(args.load.resolve()), env,
                                      pathlib.Path(work), args.report_dir, args.seed)
            run_cases(ctx, args, started, done)
    except children_module.OutOfTime as late:
        print("faults: %s: cases left undone" % late, file=sys.stderr, flush=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        processes.kill_all()
    records, skipped, failures = done["records"], done["skipped"], judge.failures()
    passed = failures == 0 and not skipped
    meta = collections.OrderedDict([
        ("name", args.name), ("server", str(args.server)), ("seed", args.seed),
        ("time", args.time), ("wall_seconds", round(time.monotonic() - started, 1)),
        ("command", args.command or " ".join(["faults.py"] + argv)), ("passed", passed),
        ("oracle_failures", failures), ("skipped_cases", skipped)])
    result = oracles.build_report(meta, done["serving_calls"], records)
    oracles.write(args.report_dir, result)
    injected = sum(sum(e.values()) for e in result["injected"].values())
    print("faults: %s %s: %d cases, %d faults injected, %d oracle failure(s)%s; report %s" % (
              args.name, "PASSED" if passed else "FAILED", len(records), injected, failures,
              ", %d case(s) skipped: out of time" % len(skipped) if skipped else "",
              args.report_dir / (args.name + ".md")), flush=True)
    return 0 if passed else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except children_module.Interrupted as stop:
        sys.exit("faults: %s" % stop)
