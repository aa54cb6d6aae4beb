"""The echo_server binary as the hostile suites see it: from outside.

Each suite spawns the real binary (port 0, loopback only) and watches it
through /proc and its exit status, never through its code. Bounds are
generous on purpose: the suites run on two busy cores and under the
sanitizers, and assert outcomes, never how fast something happened.
"""

import os
import pathlib
import queue
import signal
import subprocess
import threading
import time

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "echo_lab"
SERVER = str(RUNFILES / "src/server/echo_server")
# Start-up includes the sanitizer runtime's under --config=asan.
START_SECONDS = 10
# A stop signal must end the process well within this (drain included).
EXIT_SECONDS = 10


def spawn(flags=(), launcher=(), **popen_args):
    """Starts `[launcher...] echo_server --port 0 flags...`. With a launcher
    that execs (prlimit), the returned process is the server itself."""
    return subprocess.Popen([*launcher, SERVER, "--port", "0", *flags], **popen_args)


class Server:
    """A running echo_server whose stderr a thread collects line by line.
    Used as a context manager, it is killed on the way out if still running."""

    def __init__(self, flags=(), launcher=()):
        self.process = spawn(flags, launcher, stderr=subprocess.PIPE, text=True)
        self.pid = self.process.pid
        self._lines = queue.Queue()
        self._log = []
        self._reader = threading.Thread(target=self._collect, daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(timeout=EXIT_SECONDS)
        self.process.stderr.close()

    def _collect(self):
        for line in self.process.stderr:
            self._log.append(line)
            self._lines.put(line)
        self._lines.put(None)

    def signal(self, signum):
        self.process.send_signal(signum)

    def await_line(self, prefix, seconds=START_SECONDS):
        """The next stderr line starting with `prefix`; None if the server
        closed stderr (exited) or `seconds` passed first."""
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

    def wait_exit(self, seconds=EXIT_SECONDS):
        """The exit status (negative: killed by that signal); None if still
        running after `seconds`."""
        try:
            return self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return None

    def log(self):
        """Everything written to stderr so far (all of it once exited)."""
        if self.process.poll() is not None:
            self._reader.join(timeout=EXIT_SECONDS)
        return "".join(self._log)


def describe_exit(code):
    """'exit 0', 'killed by SIGTERM' or 'still running'."""
    if code is None:
        return "still running"
    if code < 0:
        return "killed by " + signal.Signals(-code).name
    return "exit %d" % code


def signal_set(pid, field):
    """The signal set `field` (SigBlk, SigIgn, SigCgt...) of /proc/PID/status
    as a bit mask (bit N-1 for signal N); 0 if the process is gone."""
    try:
        with open("/proc/%d/status" % pid) as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def has_entered_main(pid):
    """True once the server's main() has begun: its first acts block the
    lifecycle signals and ignore SIGPIPE, which no exec'd process inherits
    here (Popen restores SIGPIPE's default action). Before that the process
    is still in exec or the dynamic loader, where no program can catch a
    signal."""
    return bool(signal_set(pid, "SigIgn") & (1 << (signal.SIGPIPE - 1)))


def run_state(pid):
    """The state letter of /proc/PID/stat ('R', 'S', 'Z'...), '' if gone."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return ""


def watches_signals(pid):
    """True once the server reads its lifecycle signals: once it holds the
    signalfd its loop watches (src/server/lifecycle_signals.h)."""
    try:
        return any(os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[signalfd]"
                   for fd in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return False


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
