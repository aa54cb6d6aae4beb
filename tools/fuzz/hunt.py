#!/usr/bin/env python3
"""Measures how fast the testbed catches each re-injected defect (tools/dev hunt).

Input: one folder of fuzz binaries per build variant: "clean", and one per
defect class of tools/bugs/ (built with that class's patch applied). For every
variant and trial, every detector (fuzz target, fault run) runs at once, from
the in-tree corpus (or none, --start empty) with seed = trial number, until
the first of them reports (the others are then stopped) or --time runs out;
the times are measured under that contention, so they are conservative.
A finding is whatever the harness's oracles, the sanitizers or a fault signal
report: nothing here knows which defect a variant carries.

A class passes when every trial detects it and its median time-to-detection
is within its budget (bug_catalog); the clean build passes when nothing
reports. Exits 1 unless everything passes.
"""

import argparse
import contextlib
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bug_catalog  # noqa: E402
import campaign  # noqa: E402
import hunt_report  # noqa: E402
import libfuzzer_log  # noqa: E402

CLEAN = hunt_report.CLEAN
FUZZ_DETECTORS = ("connection", "server", "flags")
DETECTORS = FUZZ_DETECTORS + ("faults",)
# How long a stopped detector gets to end its own children (_stop_group).
_STOP_GRACE_SECS = 5
# Slack over --time before a detector that ignores max_total_time is killed.
_WATCHDOG_GRACE_SECS = 60
# Deaths by these signals are faults of the code under test that libFuzzer
# does not catch (SIGPIPE: a write to a vanished peer, no handler installed).
# Any other signal (the watchdog's SIGKILL, the OOM killer, a CI runner's
# SIGTERM) says nothing about the code: it is an error, never a detection.
_FAULT_SIGNALS = frozenset({signal.SIGPIPE, signal.SIGSEGV, signal.SIGBUS, signal.SIGILL,
                            signal.SIGFPE, signal.SIGABRT})


def _kill_group(process):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _stop_group(process):
    """Stops a detector another one beat: SIGTERM first, SIGKILL after
    _STOP_GRACE_SECS. The fault detector's children run in sessions of their
    own, out of this group's reach; on SIGTERM its `finally` kills strace
    and the server together (one process group), whereas after a SIGKILL only
    parent-death signals end them, and a server forked just as strace died
    never gets one (it was left running once, orphaned)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=_STOP_GRACE_SECS)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        _kill_group(process)


def _watch(process, deadline, stop, hung, stopped):
    """Kills `process` and its children past `deadline` (sets `hung`) or once
    `stop` is set (sets `stopped`)."""
    while process.poll() is None:
        if stop.wait(0.05):
            stopped.set()
            return _stop_group(process)
        if time.monotonic() > deadline:
            hung.set()
            return _kill_group(process)


def run_detector(target, seed, seconds, start_empty, work, stop=None):
    """One trial: the detector's outcome as a dict (see hunt_report).

    `target` is a campaign.Target, or any object with a `command(seed,
    seconds, start_empty, work)` method. Setting `stop` ends the run early
    (another detector has fired): that is neither a finding nor an error.
    """
    work.mkdir(parents=True)
    if isinstance(target, campaign.Target):
        (work / "corpus").mkdir()  # New inputs go there: the corpus stays put.
        folders = [work / "corpus"] + ([] if start_empty else target.seed_dirs())
        command = target.fuzz_command(seconds, work, folders, "-seed=%d" % seed)
    else:
        command = target.command(seed, seconds, start_empty, work)
    log_path = work / "fuzz.log"
    started = time.monotonic()
    first_report = None
    hung, stopped = threading.Event(), threading.Event()
    with open(log_path, "w") as log, subprocess.Popen(
            command, stdout=log, stderr=subprocess.PIPE, text=True, errors="replace",
            start_new_session=True) as process:
        watcher = threading.Thread(target=_watch, args=(
            process, started + seconds + _WATCHDOG_GRACE_SECS, stop or threading.Event(),
            hung, stopped))
        watcher.start()
        for line in process.stderr:
            if first_report is None and libfuzzer_log.REPORT_START.search(line):
                first_report = time.monotonic() - started
            log.write(line)
    watcher.join()  # Popen's `with` has waited for the process.
    ended = time.monotonic() - started
    outcome = {"seed": seed, "secs": None, "kind": None, "label": None,
               "signature": None, "error": None, "log": str(log_path), "stopped": False}
    text = log_path.read_text(errors="replace")
    if stopped.is_set() and first_report is None:
        outcome["stopped"] = True
    elif hung.is_set():
        outcome["error"] = "still running %d s past --time; killed; see %s" % (
            _WATCHDOG_GRACE_SECS, log_path)
    elif process.returncode < 0 and first_report is None:
        dead_by = signal.Signals(-process.returncode)
        if dead_by in _FAULT_SIGNALS:
            # Killed by a fault signal nobody handles: the death is the report.
            death = "killed by " + dead_by.name
            outcome.update(secs=ended, kind=death, label=death,
                           signature=libfuzzer_log.slug(dead_by.name))
        else:
            outcome["error"] = "killed by %s from outside; see %s" % (dead_by.name, log_path)
    elif first_report is not None:
        kind, _, signature = libfuzzer_log.crash_signature(text)
        outcome.update(secs=first_report, kind=kind, label=libfuzzer_log.finding_label(text),
                       signature=signature)
    elif process.returncode != 0:
        outcome["error"] = "libFuzzer exited %d without a report; see %s" % (
            process.returncode, log_path)
    return outcome


def describe(outcome):
    if outcome.get("stopped"):
        return "stopped: another detector fired first"
    if outcome["error"]:
        return "ERROR: " + outcome["error"]
    if outcome["secs"] is None:
        return "nothing found"
    return "found after %.2f s: %s" % (outcome["secs"], outcome["label"])


class FaultRun:
    """tools/faults as a hunt detector: the variant's own echo_server under
    injected system-call failures while echo_load drives verified traffic.
    It finds what the fuzzers' fakes cannot show (a real listener, real
    descriptors); its "ORACLE FAILED" line is its report."""

    name = "faults"

    def __init__(self, bin_dir, source_dir, load):
        self.server, self.script = bin_dir / "echo_server", source_dir / "tools/faults/faults.py"
        self.load = load

    def command(self, seed, seconds, start_empty, work):
        del start_empty  # It has no corpus.
        return [sys.executable, str(self.script), "--server", str(self.server),
                "--load", str(self.load), "--time", str(seconds), "--seed", str(seed),
                "--report-dir", str(work), "--name", "hunt"]


def run_trial(detectors, trial, args, work):
    """Every detector at once, on its own copy of the input folders; the
    first to report stops the others, so a trial lasts as long as the fastest
    detection (or --time). Returns {detector name: outcome}."""
    stop, outcomes = threading.Event(), {}

    def one(detector):
        outcome = run_detector(detector, trial, args.time, args.start == "empty",
                               work / detector.name, stop)
        outcome["trial"] = trial
        outcomes[detector.name] = outcome
        if outcome["secs"] is not None:
            stop.set()

    campaign.in_parallel(one, detectors)
    return outcomes


def hunt(args, variants):
    """{variant: {detector: [outcome per trial]}}, running everything."""
    work_root = pathlib.Path(tempfile.mkdtemp(prefix="echo_hunt_"))
    interactive = sys.stderr.isatty()
    results = {}
    for v, (name, bin_dir) in enumerate(variants):
        detectors = [FaultRun(bin_dir, args.source_dir, args.load) if d == FaultRun.name
                     else campaign.Target(d, bin_dir, args.source_dir) for d in args.detector]
        results[name] = {d: [] for d in args.detector}
        for trial in range(1, args.trials + 1):
            where = "hunt: [%d/%d] %s, trial %d" % (
                v * args.trials + trial, len(variants) * args.trials, name, trial)
            if interactive:
                campaign.progress(where + " ...", True)
            outcomes = run_trial(detectors, trial, args, work_root / name / str(trial))
            for d in args.detector:
                results[name][d].append(outcomes[d])
                campaign.progress("%s / %s: %s" % (where, d, describe(outcomes[d])),
                                  interactive, final=True)
    return results, work_root


def parse_variant(text):
    name, sep, folder = text.partition("=")
    if not sep or not name or not folder:
        raise argparse.ArgumentTypeError("expected NAME=BIN_DIR, got %r" % text)
    return name, pathlib.Path(folder)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/dev hunt", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", type=parse_variant, action="append", required=True,
                        help="NAME=BIN_DIR: 'clean' or a class of tools/bugs/, and the "
                             "bazel-bin folder of its --config=fuzz build")
    parser.add_argument("--source-dir", type=pathlib.Path, required=True)
    parser.add_argument("--load", type=pathlib.Path,
                        help="echo_load binary, for the faults detector")
    parser.add_argument("--detector", action="append", choices=DETECTORS,
                        help="fuzz targets to hunt with (default: all)")
    parser.add_argument("--trials", type=int, default=3)
    parser.add_argument("--time", type=int, default=60,
                        help="seconds per trial before giving up")
    parser.add_argument("--start", choices=("corpus", "empty"), default="corpus",
                        help="start from the in-tree corpus, or from an empty one")
    parser.add_argument("--report-dir", type=pathlib.Path, required=True)
    parser.add_argument("--command", default="tools/dev hunt",
                        help="the command line to print in the report")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.time < 1:
        parser.error("--trials and --time must be positive")
    args.detector = args.detector or list(DETECTORS)
    if FaultRun.name in args.detector and args.load is None:
        parser.error("the faults detector needs --load")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        catalog = {bug.name: bug for bug in bug_catalog.load(args.source_dir)}
    except (bug_catalog.CatalogError, OSError) as error:
        sys.exit("hunt: %s" % error)
    for name, bin_dir in args.variant:
        if name != CLEAN and name not in catalog:
            sys.exit("hunt: unknown variant %r (classes: %s)" % (name, " ".join(catalog)))
        if not bin_dir.is_dir():
            sys.exit("hunt: no such folder for %s: %s" % (name, bin_dir))
    results, work_root = hunt(args, args.variant)
    summary = hunt_report.summarize(results, catalog, args)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    paths = hunt_report.write(summary, args.report_dir)
    print(hunt_report.markdown(summary))
    print("hunt: report %s, %s and %s" % (paths["md"], paths["html"], paths["json"]))
    for row in summary["rows"]:
        print("hunt: %-26s %s: %s" % (row["variant"], "PASSED" if row["passed"] else "FAILED",
                                       row["verdict"]))
    if all(row["passed"] for row in summary["rows"]):
        shutil.rmtree(work_root, ignore_errors=True)
        return 0
    print("hunt: detector logs kept in %s" % work_root)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
