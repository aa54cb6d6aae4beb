#!/usr/bin/env python3
"""Fault injection into the real echo_server: failed system calls under load.

  faults.py --server BIN --load BIN [--time S] [--seed N] [--report-dir DIR]
            [--name NAME] [--strace PATH]

Runs the server under strace, which makes chosen system calls fail (see
catalog.py for what, and strace_log.py for why strace), while echo_load
drives byte-verified traffic; then checks the oracles of oracles.py. The
seed decides the plan (schedule.py). In order:

  1. a probe: no fault, every call traced; it must pass every oracle, and
     it counts the calls made at startup and while serving
  2. serving rounds, then epoll_ctl rounds, sharing what is left of --time
     once the startup cases have their estimated share
  3. startup cases: each startup call of setsockopt and epoll_ctl fails once

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
import pathlib
import shutil
import signal
import sys
import tempfile
import time
import types

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import case_runner  # noqa: E402
import catalog  # noqa: E402
import children as children_module  # noqa: E402
import oracles  # noqa: E402
import report as report_module  # noqa: E402
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


def run_probe(ctx):
    """The fault-free case; its record and the strace_log.Probe (None if
    the server did not start)."""
    run = case_runner.CaseRun(ctx, schedule.Case("no faults (probe)", "probe", ()), 0)
    state, port = run.start(full_trace=True)
    if state != "listening":
        run.fail("alive", "the server did not start without any fault: %s" % run.stderr_tail())
    elif run.drive_load(port, PROBE_LOAD_SECS):
        run.check_after_load(port)
    lines = run.log_lines()
    record = run.finish()
    return record, (strace_log.probe(lines) if state == "listening" else None)


def run_startup_case(ctx, case, index):
    run = case_runner.CaseRun(ctx, case, index)
    state, value = run.start()
    syscall = case.injections[0].syscall
    if state == "exited":
        lines = [line for line in run.server.stderr_lines if line.strip()]
        if value == 1 and len(lines) == 1:
            run.verdicts.passed("startup", "exit status 1: " + lines[0])
        else:
            run.fail("startup", "exit status %s with %d line(s) on stderr: %s" % (
                value, len(lines), " | ".join(lines[-3:])))
    elif state == "timeout":
        run.fail("startup", "neither served nor exited within %d s"
                 % case_runner.START_TIMEOUT_SECS)
    elif catalog.STARTUP_EXPECT[syscall] == "exit":
        run.fail("startup", "served although %s failed at startup" % syscall)
    else:
        run.verdicts.passed("startup", "served")
    if state == "listening":
        run.verdicts.passed("alive")
        run.check_after_load(value)
    return run.finish()


def run_serving_case(ctx, case, index, seconds):
    run = case_runner.CaseRun(ctx, case, index)
    state, port = run.start()
    if state != "listening":
        run.fail("alive", "the server did not start (%s %s): %s" % (state, port, run.stderr_tail()))
    elif run.drive_load(port, seconds):
        run.check_after_load(port)
    return run.finish()


def progress(record):
    injected = sum(sum(errnos.values()) for errnos in record["injected"].values())
    bad = [o for o, v in record["oracles"].items() if v["verdict"] == oracles.FAIL]
    print("faults: case %-22s %5d faults, %3d echo_load runs, %s" % (
        record["name"], injected, record["load"]["runs"],
        "FAILED: " + ", ".join(bad) if bad else "ok"), file=sys.stderr, flush=True)


def run_cases(ctx, args, started, done):
    """Every case, each recorded in `done` (records, serving_calls, plan,
    the count of cases finished) as soon as it is over."""
    soft_end = started + args.time
    probe_record, probe = run_probe(ctx)
    progress(probe_record)
    done.records.append(probe_record)
    if probe is None:
        return
    done.serving_calls = probe.serving_calls
    startup_calls = {s: probe.startup_calls.get(s, 0) for s in catalog.STARTUP}
    rounds = schedule.rounds_for(args.time, SECONDS_PER_ROUND)
    plan = done.plan = schedule.plan(args.seed, rounds, startup_calls)
    for index, case in enumerate(plan, start=1):
        now = time.monotonic()
        if case.phase == "startup":
            record = run_startup_case(ctx, case, index)
        else:
            left = [c.phase for c in plan[index - 1:]]
            serving_end = soft_end - left.count("startup") * STARTUP_CASE_SECS
            window = max(MIN_WINDOW_SECS, (serving_end - now) / left.count("serving") -
                         ROUND_OVERHEAD_SECS)
            record = run_serving_case(ctx, case, index, window)
        progress(record)
        done.records.append(record)


def not_run(done):
    """Names of the cases planned but not finished."""
    if not done.records:
        return ["every case"]
    if done.plan is None:
        return [] if done.serving_calls else ["every case (the server did not start)"]
    return [case.name for case in done.plan[len(done.records) - 1:]]


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
    children_module.raise_on_stop_signals()
    args.report_dir.mkdir(parents=True, exist_ok=True)
    done = types.SimpleNamespace(records=[], serving_calls={}, plan=None)
    try:
        with tempfile.TemporaryDirectory(prefix="echo_faults.") as work:
            ctx = case_runner.Context(processes, judge, args.strace, str(args.server.resolve()),
                                      str(args.load.resolve()), case_runner.asan_env(),
                                      pathlib.Path(work), args.report_dir, args.seed)
            children_module.arm_deadline(args.time + GRACE_SECS)
            run_cases(ctx, args, started, done)
    except children_module.OutOfTime as late:
        print("faults: %s: cases left undone" % late, file=sys.stderr, flush=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        processes.kill_all()
    records, probe_calls, skipped = done.records, done.serving_calls, not_run(done)
    failures = judge.failures()
    passed = failures == 0 and not skipped
    meta = collections.OrderedDict([
        ("name", args.name), ("server", str(args.server)), ("seed", args.seed),
        ("time", args.time), ("wall_seconds", round(time.monotonic() - started, 1)),
        ("command", args.command or " ".join(["faults.py"] + argv)), ("passed", passed),
        ("oracle_failures", failures), ("skipped_cases", skipped)])
    result = report_module.build_report(meta, probe_calls, records)
    report_module.write(args.report_dir, result)
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
