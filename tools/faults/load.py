"""echo_load as the traffic of a fault run, and what its reports mean there.

Every mode used verifies every byte it gets back. Under injected faults the
server may rightly close a connection (echo_load's `closed` errors); it may
never send a wrong byte (`wrong_data`) nor leave a connection without
progress for --timeout (`stalled`); `other` (a refused connect: no listener)
is never right either.
"""

import collections
import contextlib
import itertools
import json
import subprocess
import time

# (mode, flags, longest --duration or None): the traffic of a serving round,
# each slot run again and again until the round's load window closes. Timed
# modes run briefly, so that what they find is seen early.
MIX = (
    # Random send and read sizes: short reads and writes everywhere.
    ("integrity", {"connections": 8, "bytes": "256k"}, None),
    # Every byte then EOF: the server's shutdown() path.
    ("half-close", {"connections": 8, "bytes": "1m"}, None),
    # Large pipelined messages: the bulk of the bytes.
    ("bulk", {"connections": 4, "message-size": "64k", "in-flight": 8}, 2.0),
    # Connections opened and closed (half by reset): accept-heavy.
    ("churn", {"connections": 8, "message-size": "1k"}, 2.0),
    # Clients that stop reading until their sockets fill, then read back:
    # the server's writes end short (partial writes) and it must queue.
    ("slow-readers", {"connections": 4, "bytes": "8m"}, 0.5),
)
# echo_load --timeout: a connection with no progress for this long stalled.
STALL_TIMEOUT_SECS = 2
# Past its duration plus this, an echo_load process itself hangs: killed.
PROCESS_GRACE_SECS = 3 * STALL_TIMEOUT_SECS + 5
# The "new client" probe: one connection, a few KiB, verified.
PROBE_FLAGS = {"connections": 1, "bytes": "4k"}
PROBE_TIMEOUT_SECS = 1

KINDS = ("wrong_data", "closed", "stalled", "other")

Run = collections.namedtuple("Run", "mode seed report problem")


def command(load_bin, port, mode, flags, seed, timeout_secs, duration=None):
    args = [load_bin, "--port", str(port), "--mode", mode, "--json", "--seed", str(seed),
            "--timeout", str(timeout_secs)]
    for name, value in flags.items():
        args += ["--" + name, str(value)]
    return args + (["--duration", "%.3f" % duration] if duration is not None else [])


def parse_report(stdout):
    """The summary ("end") of echo_load's --json object (its last line), or None."""
    try:
        report = json.loads((stdout.strip().splitlines() or ["null"])[-1])["end"]
        return report if isinstance(report["errors_by_kind"], dict) else None
    except (ValueError, TypeError, KeyError):
        return None


def errors_of(run, kind):
    return run.report["errors_by_kind"].get(kind, 0) if run.report else 0


class Launch:
    """One echo_load process, killed if still running `bound` seconds on."""

    def __init__(self, children, load_bin, port, mode, flags, seed, timeout_secs, duration, bound):
        self.children, self.mode, self.seed = children, mode, seed
        self.process = children.spawn(
            command(load_bin, port, mode, flags, seed, timeout_secs, duration),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.bound, self.kill_at = bound, time.monotonic() + bound

    def result(self):
        """Its Run once it has exited or been killed; None meanwhile."""
        if self.process.poll() is not None:
            self.children.forget(self.process)
            out, err = self.process.communicate()
            report = parse_report(out)
            problem = None if report else "echo_load %s exited %s without a report: %s" % (
                self.mode, self.process.returncode, (err.strip().splitlines() or [""])[-1])
            return Run(self.mode, self.seed, report, problem)
        if time.monotonic() <= self.kill_at:
            return None
        self.children.kill(self.process)
        return Run(self.mode, self.seed, None, "echo_load %s (seed %d) still running %.0f s "
                   "on: killed" % (self.mode, self.seed, self.bound))


class LoadMix:
    """The MIX against one server until `window_end`; every finished (or
    killed) run goes to `on_run` at once. echo_load seeds count up from
    `first_seed`."""

    def __init__(self, children, load_bin, port, first_seed, window_end, on_run):
        self._start = (children, load_bin, port)
        self._window_end, self._on_run = window_end, on_run
        self._seeds = itertools.count(first_seed)
        self._slots = [self._launch(slot) for slot in MIX]

    def _launch(self, slot):
        remaining = self._window_end - time.monotonic()
        if remaining <= 0:
            return None
        mode, flags, longest = slot
        duration = max(0.1, min(longest, remaining)) if longest else None
        return Launch(*self._start, mode, flags, next(self._seeds), STALL_TIMEOUT_SECS,
                      duration, (duration or 0) + PROCESS_GRACE_SECS)

    def poll(self):
        """Collects finished runs, kills hung ones, starts the next ones."""
        for index, launch in enumerate(self._slots):
            run = launch and launch.result()
            if run:
                self._on_run(run)
                self._slots[index] = self._launch(MIX[index])

    def running(self):
        return any(self._slots)

    def stop(self):
        for launch in filter(None, self._slots):
            launch.children.kill(launch.process)
        self._slots = []


def probe_once(children, load_bin, port, seed):
    """One new client, verified: a Run (report None if echo_load failed)."""
    launch = Launch(children, load_bin, port, "integrity", PROBE_FLAGS, seed, PROBE_TIMEOUT_SECS,
                    None, PROBE_TIMEOUT_SECS + PROCESS_GRACE_SECS)
    with contextlib.suppress(subprocess.TimeoutExpired):
        launch.process.wait(timeout=launch.bound)
    return launch.result()  # Past its bound now if still running: killed.


def summarize(runs):
    """Totals over runs, overall and per mode, and the first error samples."""
    def empty():
        return {"runs": 0, "bytes_verified": 0, "errors_by_kind": dict.fromkeys(KINDS, 0)}
    total, by_mode, samples = empty(), collections.OrderedDict(), []
    for run in runs:
        for bucket in (total, by_mode.setdefault(run.mode, empty())):
            bucket["runs"] += 1
            if run.report:
                bucket["bytes_verified"] += run.report.get("bytes_verified", 0)
                for kind in KINDS:
                    bucket["errors_by_kind"][kind] += errors_of(run, kind)
        samples += (run.report or {}).get("error_samples", [])
        if run.problem:
            samples.append(run.problem)
    total["by_mode"] = by_mode
    total["error_samples"] = samples[:8]
    return total
