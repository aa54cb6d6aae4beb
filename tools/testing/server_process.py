"""The echo_server binary as the hostile suites see it: from outside.

Each suite spawns the real binary (port 0, loopback only) and watches it
through /proc and its exit status, never through its code. Bounds are
generous on purpose: the suites run on two busy cores and under the
sanitizers, and assert outcomes, never how fast something happened. The
process handling is tools/testing/echo_process.py's; what is here is about
this binary's start-up and signals.
"""

import os
import pathlib
import signal
import subprocess
import sys

# The runfiles tree under Bazel; the checkout when run by hand (signal_race.py).
RUNFILES = (pathlib.Path(os.environ["TEST_SRCDIR"]) / "echo_lab" if "TEST_SRCDIR" in os.environ
            else pathlib.Path(__file__).resolve().parents[2])
sys.path.insert(0, str(RUNFILES / "tools" / "testing"))
from echo_process import EchoProcess, describe_exit, status_field, wait_until  # noqa: E402,F401

SERVER = str(RUNFILES / "src/server/echo_server")
# Start-up includes the sanitizer runtime's under --config=asan.
START_SECONDS = 10
# A stop signal must end the process well within this (drain included).
EXIT_SECONDS = 10


def spawn(flags=(), launcher=(), **popen_args):
    """Starts `[launcher...] echo_server --port 0 flags...`. With a launcher
    that execs (prlimit), the returned process is the server itself."""
    return subprocess.Popen([*launcher, SERVER, "--port", "0", *flags], **popen_args)


class Server(EchoProcess):
    """`[launcher...] echo_server --port 0 flags...`, with this suite's bounds."""

    def __init__(self, flags=(), launcher=(), env=None):
        super().__init__([*launcher, SERVER, "--port", "0", *flags], env=env)

    def await_line(self, prefix, seconds=START_SECONDS):
        return super().await_line(prefix, seconds)

    def wait_exit(self, seconds=EXIT_SECONDS):
        return super().wait_exit(seconds)


def signal_set(pid, field):
    """The signal set `field` (SigBlk, SigIgn, SigCgt...) of /proc/PID/status
    as a bit mask (bit N-1 for signal N); 0 if the process is gone."""
    return int(status_field(pid, field) or "0", 16)


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
