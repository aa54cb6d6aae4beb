"""One case of a fault run: a server under strace, traffic, then the oracles.

A serving case (and the probe, which injects nothing) starts the server,
takes its descriptor baseline, drives the load mix for the case's window
while checking that the server lives, then checks in turn: a new client is
answered, descriptors are back to the baseline, SIGTERM exits 0. A startup
case checks how the server starts; if it serves, the same checks follow.
Every check that fails is reported at once (oracles.Judge).
"""

import collections
import os
import re
import shutil
import time

import load
import schedule
import strace_log
from traced_server import TracedServer

START_TIMEOUT_SECS = 10
# The server closes a finished connection at once, or after lingering up to
# 1 s (ConnectionDriver::kLingerTimeout): descriptors have this long.
SETTLE_SECS = 2.5
DRAIN_TIMEOUT_SECS = 1
SIGTERM_TIMEOUT_SECS = DRAIN_TIMEOUT_SECS + 3
NEW_CLIENT_ATTEMPTS = 5
POLL_SECS = 0.05

Context = collections.namedtuple(
    "Context", "children judge strace server_bin load_bin env work_dir report_dir seed")


def server_command(server_bin):
    return [server_bin, "--port", "0", "--drain-timeout", str(DRAIN_TIMEOUT_SECS)]


def describe_fd(fd, baseline):
    """What an epoll_ctl call acted on: "client" for a descriptor opened
    after startup, "listener" for the socket of the baseline, else the
    baseline's /proc link (e.g. "anon_inode:[eventfd]")."""
    link = baseline.get(fd)
    if link is None:
        return "client"
    return "listener" if link.startswith("socket:") else link


class CaseRun:
    """The state of one case while it runs (see module docstring)."""

    def __init__(self, ctx, case, index):
        self.ctx, self.case, self.index = ctx, case, index
        self.verdicts = ctx.judge.begin(case.name)
        self.log_path = ctx.work_dir / ("case%02d.strace" % index)
        self.baseline = {}
        self.runs = []
        self.server = None
        self.started = time.monotonic()

    # -- what the injected calls acted on, read from strace's log as it grows

    def log_lines(self):
        try:
            return self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return []

    def targets(self):
        return [("epoll_ctl", describe_fd(fd, self.baseline))
                for fd in strace_log.injected_epoll_ctl_fds(self.log_lines())]

    def fail(self, oracle, detail):
        self.verdicts.failed(oracle, detail)

    # -- the steps

    def start(self, full_trace=False):
        command = server_command(self.ctx.server_bin)
        if full_trace:
            command = strace_log.probe_command(self.ctx.strace, self.log_path, command)
        else:
            command = strace_log.inject_command(self.ctx.strace, self.case.injections,
                                                self.log_path, command)
        self.server = TracedServer(self.ctx.children, command, self.ctx.env)
        state, value = self.server.wait_for_start(START_TIMEOUT_SECS)
        if state == "listening":
            self.baseline = self.server.descriptors()
        return state, value

    def on_run(self, run):
        self.runs.append(run)
        wrong = load.errors_of(run, "wrong_data")
        stalled = load.errors_of(run, "stalled") + load.errors_of(run, "other")
        if wrong:
            self.fail("wrong_byte", "%d wrong-data error(s) in echo_load %s (seed %d): %s" % (
                wrong, run.mode, run.seed, _first_sample(run, "wrong byte", "beyond")))
        if stalled:
            self.fail("no_hang", "%d stalled or refused connection(s) in echo_load %s (seed %d): %s"
                      % (stalled, run.mode, run.seed, _first_sample(run, "timed out", "within")))
        if run.problem:
            self.fail("no_hang", run.problem)
        closed = load.errors_of(run, "closed")
        if closed and not schedule.closes_allowed(self.case):
            self.fail("no_drop", "%d connection(s) closed by the server in echo_load %s (seed %d) "
                      "with no fault that ends one: %s" % (closed, run.mode, run.seed,
                                                           _first_sample(run, "")))

    def drive_load(self, port, seconds):
        """The load mix for `seconds`; False if the server died meanwhile."""
        mix = load.LoadMix(self.ctx.children, self.ctx.load_bin, port,
                           self.ctx.seed * 1000000 + self.index * 10000,
                           time.monotonic() + seconds, self.on_run)
        try:
            while mix.running():
                # A sanitizer's report comes first: symbolizing it takes
                # long enough for the clients to stall before the exit.
                if self.server.sanitizer_report or not self.server.running():
                    self.fail("alive", self.death())
                    return False
                mix.poll()
                time.sleep(POLL_SECS)
        finally:
            mix.stop()
        if not self.server.running():
            self.fail("alive", self.death())
            return False
        self.verdicts.passed("alive")
        totals = load.summarize(self.runs)
        self.verdicts.passed("wrong_byte", "%d B verified in %d echo_load runs" % (
            totals["bytes_verified"], totals["runs"]))
        self.verdicts.passed("no_hang", "%d connections closed by the server, none stalled" %
                             totals["errors_by_kind"]["closed"])
        if not schedule.closes_allowed(self.case):
            self.verdicts.passed("no_drop")
        return True

    def death(self):
        status = self.server.exit_status()
        if status is None:
            how = "still exiting"
        else:
            how = "killed by signal %d" % -status if status < 0 else "exit status %d" % status
        return "the server died (%s): %s" % (how, self.sanitizer_line() or self.stderr_tail())

    def sanitizer_line(self):
        return self.server.sanitizer_report

    def stderr_tail(self):
        return " | ".join(self.server.stderr_lines[-3:])

    def check_new_client(self, port):
        """A fresh client must be echoed; one the server closes (a fault hit
        it) is retried, one left without an answer fails at once."""
        for attempt in range(NEW_CLIENT_ATTEMPTS):
            run = load.probe_once(self.ctx.children, self.ctx.load_bin, port,
                                  self.ctx.seed * 1000000 + self.index * 10000 + 9000 + attempt)
            if run.report and run.report.get("errors") == 0:
                self.verdicts.passed("new_client", "answered at attempt %d" % (attempt + 1))
                return
            never_right = ("wrong_data", "stalled", "other")
            if run.problem or any(load.errors_of(run, kind) for kind in never_right):
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
        end = time.monotonic() + SETTLE_SECS
        while True:
            difference = descriptor_difference(self.baseline, self.server.descriptors())
            if difference is None or time.monotonic() > end:
                break
            time.sleep(POLL_SECS)
        if difference is None:
            self.verdicts.passed("descriptors", "%d, as at startup" % len(self.baseline))
            return
        self.fail("descriptors", "%s %.1f s after the clients left" % (difference, SETTLE_SECS))

    def check_sigterm(self):
        status = self.server.terminate(SIGTERM_TIMEOUT_SECS)
        if status == 0:
            self.verdicts.passed("sigterm")
        elif status is None:
            self.fail("sigterm", "still running %d s after SIGTERM (drain timeout %d s)"
                      % (SIGTERM_TIMEOUT_SECS, DRAIN_TIMEOUT_SECS))
        else:
            self.fail("sigterm", "exit status %d after SIGTERM: %s" % (
                status, self.sanitizer_line() or self.stderr_tail()))

    def check_after_load(self, port):
        """The checks once traffic is over: each needs the server alive."""
        self.check_new_client(port)
        if self.server.running():
            self.check_descriptors()
        self.check_sigterm()

    def finish(self):
        """Stops whatever is left; the case's record for the report."""
        if self.server:
            self.server.kill()
        failures = strace_log.failures(self.log_lines())
        if self.verdicts.count("FAIL") and self.log_path.exists():
            kept = self.ctx.report_dir / ("%s.strace" % _file_name(self.case.name))
            shutil.copy(self.log_path, kept)
        return case_record(self, failures)


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
        kinds = collections.Counter()
        for link, count in counter.items():
            kinds[re.sub(r":\[\d+\]$", "", link)] += count
        return ", ".join(("%d %s" % (n, kind) if n > 1 else kind)
                         for kind, n in sorted(kinds.items())) or "none"
    return "%d descriptors, baseline %d (extra: %s; missing: %s)" % (
        len(now), len(baseline), links(found - wanted), links(wanted - found))


def _file_name(case_name):
    return "".join(c if c.isalnum() else "_" for c in case_name)


def _per_syscall(failures, injected):
    table = collections.OrderedDict()
    for failure, count in sorted(failures.items()):
        if failure.injected == injected:
            table.setdefault(failure.syscall, collections.OrderedDict())[failure.errno] = count
    return table


def case_record(run, failures):
    return {
        "name": run.case.name,
        "phase": run.case.phase,
        "injections": [{"syscall": i.syscall, "errno": i.errno,
                        "when": strace_log.injection_rule(i).rsplit("when=", 1)[1]}
                       for i in run.case.injections],
        "injected": _per_syscall(failures, True),
        "real_failures": _per_syscall(failures, False),
        "injected_targets": sorted(set(target for _, target in run.targets())),
        "load": load.summarize(run.runs),
        "oracles": run.verdicts.verdicts,
        "seconds": round(time.monotonic() - run.started, 2),
        "server_stderr_tail": run.server.stderr_lines[-5:] if run.server else [],
    }


def asan_env():
    """The environment of a traced server: LeakSanitizer cannot run under
    ptrace (it stops the world with ptrace itself), so it is off; every
    other sanitizer check stays on."""
    env = dict(os.environ)
    options = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (options + ":" if options else "") + "detect_leaks=0"
    return env
