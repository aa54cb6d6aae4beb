"""One case of a fault run: a server under strace, traffic, then the oracles.

The server is strace's child (the tracee); strace exits with its exit
status, or dies of the signal that killed it. A serving case (and the
probe, which injects nothing) takes the server's descriptor baseline,
drives the load mix for the case's window while checking that the server
lives, then checks in turn: a new client is answered, descriptors are back
to the baseline, SIGTERM exits 0. A startup case checks how the server
starts; if it serves, the same checks follow.
"""

import collections
import contextlib
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import load
import schedule
import strace_log

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testing"))
import echo_process  # noqa: E402

START_TIMEOUT_SECS = 10
# The server closes a finished connection at once, or after lingering up to
# 1 s (ConnectionDriver::kLingerTimeout): descriptors have this long.
SETTLE_SECS = 2.5
DRAIN_TIMEOUT_SECS = 1
SIGTERM_TIMEOUT_SECS = DRAIN_TIMEOUT_SECS + 3
NEW_CLIENT_ATTEMPTS = 5
POLL_SECS = 0.05
# The line that starts a sanitizer's report (ASan, UBSan).
_SANITIZER = re.compile(r"^.*(?:ERROR: \w+Sanitizer|runtime error:).*$", re.MULTILINE)

Context = collections.namedtuple(
    "Context", "children judge strace server_bin load_bin env work_dir report_dir seed")


def descriptors(pid):
    """{fd: what /proc says it is} of a process; {} once it is gone."""
    table = {}
    with contextlib.suppress(OSError):
        for entry in os.scandir("/proc/%s/fd" % pid):
            with contextlib.suppress(OSError):  # Closed meanwhile.
                table[int(entry.name)] = os.readlink(entry.path)
    return table


def tracee(strace_pid):
    """The pid of strace's child, or None while there is none."""
    try:
        with open("/proc/%d/task/%d/children" % (strace_pid, strace_pid)) as found:
            return int(found.read().split()[0])
    except (OSError, IndexError):
        return None


class CaseRun:
    """The state of one case while it runs (see module docstring)."""

    def __init__(self, ctx, case, index):
        self.ctx, self.case, self.index = ctx, case, index
        self.verdicts = verdicts = ctx.judge.begin(case.name)
        self.passed, self.fail, self.check = verdicts.passed, verdicts.failed, verdicts.check
        self.log_path = ctx.work_dir / ("case%02d.strace" % index)
        self.baseline, self.runs, self.server, self.pid = {}, [], None, None
        self.seeds = ctx.seed * 1000000 + index * 10000  # Of echo_load.
        self.started = time.monotonic()

    def log_lines(self):
        """strace's log so far."""
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace").splitlines()
        return []

    def stderr_tail(self, lines=3):
        return self.server.log().splitlines()[-lines:] if self.server else []

    def sanitizer_line(self):
        found = _SANITIZER.search(self.server.log())
        return found.group(0) if found else " | ".join(self.stderr_tail())

    def start(self):
        """("listening", port), ("exited", status) or ("timeout", None)."""
        injections = None if self.case.phase == "probe" else self.case.injections
        command = strace_log.command(self.ctx.strace, self.log_path, [
            self.ctx.server_bin, "--port", "0", "--drain-timeout", str(DRAIN_TIMEOUT_SECS)],
            injections)
        self.server = echo_process.EchoProcess(command, popen=self.ctx.children.spawn,
                                               stdout=subprocess.DEVNULL, env=self.ctx.env)
        port = self.server.await_port(START_TIMEOUT_SECS)
        if port:
            self.pid = tracee(self.server.pid)
            self.baseline = descriptors(self.pid)
            return "listening", port
        status = self.server.wait_exit(1)  # Its stderr closed as it exited.
        return ("timeout", None) if status is None else ("exited", status)

    def check_startup(self, state, value):
        syscall = self.case.injections[0].syscall
        if state == "exited":
            lines = [line for line in self.server.log().splitlines() if line.strip()]
            self.check("startup", (value, len(lines)) != (1, 1) and (
                "exit status %s with %d line(s) on stderr: %s" % (
                    value, len(lines), " | ".join(lines[-3:]))), "exit status 1: " + "".join(lines))
        elif state == "timeout":
            self.fail("startup", "neither served nor exited within %d s" % START_TIMEOUT_SECS)
        else:
            self.check("startup", schedule.STARTUP_EXPECT[syscall] == "exit" and (
                "served although %s failed at startup" % syscall), "served")

    def on_run(self, run):
        self.runs.append(run)
        closes = () if schedule.closes_allowed(self.case) else ("closed",)
        for oracle, kinds, what, words in (
                ("wrong_byte", ("wrong_data",), "wrong-data error(s)", ("wrong byte", "beyond")),
                ("no_hang", ("stalled", "other"), "stalled or refused connection(s)",
                 ("timed out", "within")),
                ("no_drop", closes, "connection(s) closed with no fault that ends one", ("",))):
            count = sum(load.errors_of(run, kind) for kind in kinds)
            if count:
                self.fail(oracle, "%d %s in echo_load %s (seed %d): %s" % (
                    count, what, run.mode, run.seed, _first_sample(run, *words)))
        if run.problem:
            self.fail("no_hang", run.problem)

    def alive(self):
        """Whether the server runs, its sanitizers silent; fails `alive` if not."""
        # A sanitizer's report comes first: symbolizing it takes long enough
        # for the clients to stall before the exit.
        status = self.server.process.poll()
        if status is None and not _SANITIZER.search(self.server.log()):
            return True
        self.fail("alive", "the server died (%s): %s" % (
            "still exiting" if status is None else echo_process.describe_exit(status),
            self.sanitizer_line()))
        return False

    def drive_load(self, port, seconds):
        """The load mix for `seconds`; False if the server died meanwhile."""
        mix = load.LoadMix(self.ctx.children, self.ctx.load_bin, port, self.seeds,
                           time.monotonic() + seconds, self.on_run)
        try:
            while mix.running() and self.alive():
                mix.poll()
                time.sleep(POLL_SECS)
        finally:
            mix.stop()
        if not self.alive():
            return False
        self.passed("alive")
        totals = load.summarize(self.runs)
        self.passed("wrong_byte", "%d B verified in %d echo_load runs" % (
            totals["bytes_verified"], totals["runs"]))
        self.passed("no_hang", "%d connections closed by the server, none stalled" %
                    totals["errors_by_kind"]["closed"])
        if not schedule.closes_allowed(self.case):
            self.passed("no_drop")
        return True

    def check_new_client(self, port):
        """A fresh client must be echoed; one the server closes (a fault hit
        it) is retried, one left without an answer fails at once."""
        for attempt in range(NEW_CLIENT_ATTEMPTS):
            run = load.probe_once(self.ctx.children, self.ctx.load_bin, port,
                                  self.seeds + 9000 + attempt)
            if run.report and run.report.get("errors") == 0:
                self.passed("new_client", "answered at attempt %d" % (attempt + 1))
                return
            if run.problem or any(load.errors_of(run, kind) for kind in ("wrong_data", "stalled",
                                                                         "other")):
                self.fail("new_client", "a new client got no echo: %s" % (
                    run.problem or _first_sample(run, "")))
                return
        self.fail("new_client", "%d new clients in a row were closed before their echo"
                  % NEW_CLIENT_ATTEMPTS)

    def check_descriptors(self):
        """Back to the baseline: as many descriptors, and the same things
        open (compared by what /proc says, not by number, since the reserve
        may come back under another number). Counting alone would let a
        lost reserve hide behind a connection still closing."""
        def now():
            return descriptor_difference(self.baseline, descriptors(self.pid))
        echo_process.wait_until(lambda: now() is None, SETTLE_SECS, POLL_SECS)
        difference = now()
        self.check("descriptors", difference and "%s %.1f s after the clients left" % (
            difference, SETTLE_SECS), "%d, as at startup" % len(self.baseline))

    def check_sigterm(self):
        if self.pid and self.server.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        status = self.server.wait_exit(SIGTERM_TIMEOUT_SECS)
        if status is None:
            failure = "still running %d s after SIGTERM (drain timeout %d s)" % (
                SIGTERM_TIMEOUT_SECS, DRAIN_TIMEOUT_SECS)
        else:
            failure = status and "exit status %d after SIGTERM: %s" % (status, self.sanitizer_line())
        self.check("sigterm", failure)

    def check_after_load(self, port):
        """The checks once traffic is over: each needs the server alive."""
        self.check_new_client(port)
        if self.server.process.poll() is None:
            self.check_descriptors()
        self.check_sigterm()

    def finish(self):
        """Stops whatever is left; the case's record for the report."""
        if self.server:
            self.ctx.children.kill(self.server.process)
        lines = self.log_lines()
        if self.verdicts.any_failed() and self.log_path.exists():
            name = "".join(c if c.isalnum() else "_" for c in self.case.name)
            shutil.copy(self.log_path, self.ctx.report_dir / (name + ".strace"))
        failures = strace_log.failures(lines)
        return {
            "name": self.case.name,
            "phase": self.case.phase,
            "injections": [{"syscall": i.syscall, "errno": i.errno,
                            "when": strace_log.injection_rule(i).rsplit("when=", 1)[1]}
                           for i in self.case.injections],
            "injected": _per_syscall(failures, True),
            "real_failures": _per_syscall(failures, False),
            "injected_targets": sorted({describe_fd(fd, self.baseline)
                                        for fd in strace_log.injected_epoll_ctl_fds(lines)}),
            "load": load.summarize(self.runs),
            "oracles": self.verdicts.verdicts,
            "seconds": round(time.monotonic() - self.started, 2),
            "server_stderr_tail": self.stderr_tail(5),
        }


def describe_fd(fd, baseline):
    """What an epoll_ctl call acted on: "client" for a descriptor opened
    after startup, "listener" for the socket of the baseline, else the
    baseline's /proc link (e.g. "anon_inode:[eventfd]")."""
    link = baseline.get(fd)
    if link is None:
        return "client"
    return "listener" if link.startswith("socket:") else link


def _first_sample(run, *words):
    samples = run.report.get("error_samples", []) if run.report else []
    for sample in samples:
        if any(word in sample for word in words):
            return sample
    return samples[0] if samples else (run.problem or "")


def descriptor_difference(baseline, now):
    """None if `now` holds the same things open as `baseline` ({fd: /proc
    link}), whatever their numbers; else what differs, in words."""
    wanted, found = collections.Counter(baseline.values()), collections.Counter(now.values())
    if wanted == found:
        return None

    def links(counter):
        """"3 socket, /dev/null": kinds counted, inode numbers left out."""
        kinds = collections.Counter(re.sub(r":\[\d+\]$", "", link) for link in counter.elements())
        return ", ".join(("%d %s" % (n, kind) if n > 1 else kind)
                         for kind, n in sorted(kinds.items())) or "none"
    return "%d descriptors, baseline %d (extra: %s; missing: %s)" % (
        len(now), len(baseline), links(found - wanted), links(wanted - found))


def _per_syscall(failures, injected):
    table = collections.OrderedDict()
    for failure, count in sorted(failures.items()):
        if failure.injected == injected:
            table.setdefault(failure.syscall, collections.OrderedDict())[failure.errno] = count
    return table
