"""echo_server as a child process, for the Python tests and tools.

One home for what each of them needs: spawn the server on port 0, learn
its port from its startup line (warnings may come first), collect its
stderr as it comes so that it never blocks on a full pipe, stop it, and
look at it from outside through /proc. Every wait is bounded.
"""

import os
import queue
import re
import signal
import subprocess
import threading
import time

# "echo_server: listening on 127.0.0.1:41234", "... on [::1]:41234"; the
# benchmark's reference server says the same under its own name.
LISTENING = re.compile(r"^\S+: listening on (?P<host>\S+):(?P<port>\d+)$")


def listening_port(line):
    """The port of a startup line, or None if `line` is not one."""
    found = LISTENING.match(line.strip())
    return int(found.group("port")) if found else None


class EchoProcess:
    """A running process whose stderr a thread collects line by line.
    Used as a context manager, it is killed on the way out if still running."""

    def __init__(self, command, popen=subprocess.Popen, **popen_args):
        """`popen`: subprocess.Popen, or a function that calls it (e.g. to
        keep track of the process)."""
        self.process = popen(command, stderr=subprocess.PIPE, text=True, errors="replace",
                             **popen_args)
        self.pid = self.process.pid
        self._lines = queue.Queue()
        self._log = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop(seconds=0)

    def _collect(self):
        for line in self.process.stderr:
            self._log.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def signal(self, signum):
        self.process.send_signal(signum)

    def await_line(self, prefix, seconds):
        """The next stderr line starting with `prefix`; None if stderr closed
        (the process exited) or `seconds` passed first."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                line = self._lines.get(timeout=max(0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if line is None:
                self._lines.put(None)
                return None
            if line.startswith(prefix):
                return line

    def await_port(self, seconds):
        """The port of the startup line (warnings may come first); None if
        none came within `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            line = self.await_line("", max(0, deadline - time.monotonic()))
            if line is None or listening_port(line):
                return line and listening_port(line)

    def wait_exit(self, seconds):
        """The exit status (negative: killed by that signal); None if still
        running after `seconds`."""
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, seconds=10):
        """SIGTERM, then SIGKILL after `seconds` (at once for 0); reaps it."""
        if self.process.poll() is None and seconds:
            self.process.terminate()
            self.wait_exit(seconds)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(timeout=10)
        self.process.stderr.close()

    def log(self):
        """Everything written to stderr so far (all of it once exited)."""
        if self.process.poll() is not None:
            self._reader.join(timeout=10)
        return "".join(self._log)


def describe_exit(code):
    """'exit 0', 'killed by SIGTERM' or 'still running'."""
    if code is None:
        return "still running"
    if code < 0:
        return "killed by " + signal.Signals(-code).name
    return "exit %d" % code


def wait_until(predicate, seconds, interval=0.01):
    """Polls `predicate` every `interval` seconds (0: busily, to race a
    process's start-up) until it holds or `seconds` pass; returns its last
    value."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        if interval:
            time.sleep(interval)
    return predicate()


def status_field(pid, field):
    """The first word of `field` ("VmRSS", "SigBlk"...) in /proc/PID/status;
    None if the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return line.split()[1]
    except OSError:
        pass
    return None


def rss_kib(pid):
    return int(status_field(pid, "VmRSS") or 0)


def open_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def stat_fields(text):
    """The fields of a /proc/PID/stat text from field 3 (the state) on.
    Field 2, the command name, is in parentheses and may hold spaces and
    parentheses of its own, so the split starts after the last ")"."""
    return text[text.rindex(")") + 1:].split()


def proc_stat(pid):
    """stat_fields() of process `pid`; [] if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat_fields(stat.read())
    except (OSError, ValueError):
        return []


CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def stat_cpu_seconds(fields):
    """utime + stime, fields 14 and 15 of stat_fields(), in seconds."""
    return (int(fields[14 - 3]) + int(fields[15 - 3])) / CLOCK_TICKS_PER_SECOND


def cpu_seconds(pid):
    """User plus system CPU time of process `pid` (all its threads) so far."""
    return stat_cpu_seconds(proc_stat(pid))
