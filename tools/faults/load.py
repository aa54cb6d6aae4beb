"""echo_load as the traffic of a fault run, and what its reports mean there.

Every mode used verifies every byte it gets back. Under injected faults the
server may rightly close a connection (echo_load's `closed` errors); it may
never send a wrong byte (`wrong_data`) nor leave a connection without
progress for --timeout (`stalled`); `other` (a refused connect: no listener)
is never right either. echo_load reports each kind in --json.
"""

import collections
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
    if duration is not None:
        args += ["--duration", "%.3f" % duration]
    return args


def parse_report(stdout):
    """The summary ("end") of echo_load's --json object (its last line), or None."""
    lines = stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    report = report.get("end") if isinstance(report, dict) else None
    if not isinstance(report, dict) or not isinstance(report.get("errors_by_kind"), dict):
        return None
    return report


def errors_of(run, kind):
    return run.report["errors_by_kind"].get(kind, 0) if run.report else 0


def finish(process, mode, seed):
    """The Run of an echo_load process that has exited."""
    out, err = process.communicate()
    report = parse_report(out)
    problem = None
    if report is None:
        problem = "echo_load %s exited %s without a report: %s" % (
            mode, process.returncode, (err.strip().splitlines() or [""])[-1])
    return Run(mode, seed, report, problem)


class LoadMix:
    """The MIX against one server until `window_end`; every finished (or
    killed) run goes to `on_run` at once. echo_load seeds count up from
    `first_seed`."""

    def __init__(self, children, load_bin, port, first_seed, window_end, on_run):
        self._children, self._load_bin, self._port = children, load_bin, port
        self._window_end, self._on_run = window_end, on_run
        self._seeds = itertools.count(first_seed)
        self._slots = [None] * len(MIX)  # (process, seed, kill_at) per slot
        for index in range(len(MIX)):
            self._launch(index)

    def _launch(self, index):
        remaining = self._window_end - time.monotonic()
        if remaining <= 0:
            self._slots[index] = None
            return
        mode, flags, longest = MIX[index]
        duration = max(0.1, min(longest, remaining)) if longest else None
        seed = next(self._seeds)
        process = self._children.spawn(
            command(self._load_bin, self._port, mode, flags, seed, STALL_TIMEOUT_SECS, duration),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        kill_at = time.monotonic() + (duration or 0) + PROCESS_GRACE_SECS
        self._slots[index] = (process, seed, kill_at)

    def poll(self):
        """Collects finished runs, kills hung ones, starts the next ones."""
        for index, slot in enumerate(self._slots):
            if slot is None:
                continue
            process, seed, kill_at = slot
            mode = MIX[index][0]
            if process.poll() is not None:
                self._children.forget(process)
                self._on_run(finish(process, mode, seed))
            elif time.monotonic() > kill_at:
                self._children.kill(process)
                self._on_run(Run(mode, seed, None, "echo_load %s (seed %d) still running %.0f s "
                                 "past its bound: killed" % (mode, seed, PROCESS_GRACE_SECS)))
            else:
                continue
            self._launch(index)

    def running(self):
        return any(slot is not None for slot in self._slots)

    def stop(self):
        for slot in self._slots:
            if slot is not None:
                self._children.kill(slot[0])
        self._slots = [None] * len(MIX)


def probe_once(children, load_bin, port, seed):
    """One new client, verified: a Run (report None if echo_load failed)."""
    process = children.spawn(
        command(load_bin, port, "integrity", PROBE_FLAGS, seed, PROBE_TIMEOUT_SECS),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        process.wait(timeout=PROBE_TIMEOUT_SECS + PROCESS_GRACE_SECS)
    except subprocess.TimeoutExpired:
        children.kill(process)
        return Run("integrity", seed, None, "the new-client probe did not finish")
    children.forget(process)
    return finish(process, "integrity", seed)


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
        if run.report:
            samples.extend(run.report.get("error_samples", []))
        if run.problem:
            samples.append(run.problem)
    total["by_mode"] = by_mode
    total["error_samples"] = samples[:8]
    return total
