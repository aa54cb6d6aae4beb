"""The echo_server binary as the Python suites see it: from outside.

Each suite (tests/hostile, tests/integration, tools/load) spawns the real
binary (port 0, loopback only) and watches it through /proc, its log and
its exit status, never through its code; ServerTest frames most of them.
Bounds are generous on purpose: the suites run on two busy cores and under
the sanitizers, and assert outcomes, never how fast something happened. The
process handling is tools/testing/echo_process.py's; what is here is about
this binary: start-up, signals, counters.
"""

import os
import pathlib
import random
import signal
import subprocess
import tempfile
import unittest

import loopback

from echo_process import EchoProcess, describe_exit, proc_stat, status_field, wait_until  # noqa: F401

# The runfiles tree under Bazel; the checkout when run by hand (signal_race.py).
RUNFILES = (pathlib.Path(os.environ["TEST_SRCDIR"]) / "echo_lab" if "TEST_SRCDIR" in os.environ
            else pathlib.Path(__file__).resolve().parents[2])
SERVER = str(RUNFILES / "src/server/echo_server")
# Start-up includes the sanitizer runtime's under --config=asan.
START_SECONDS = 10
# A stop signal must end the process well within this (drain included).
EXIT_SECONDS = 10


def spawn(flags=(), launcher=(), **popen_args):
    """Starts `[launcher...] echo_server --port 0 flags...`. With a launcher
    that execs (prlimit), the returned process is the server itself."""
    return subprocess.Popen([*launcher, SERVER, "--port", "0", *flags], **popen_args)


def run_to_exit(flags=(), launcher=(), env=None):
    """Runs `[launcher...] echo_server --port 0 flags...` to its end: a
    CompletedProcess with stdout and stderr as text. One still running after
    EXIT_SECONDS is killed and raises subprocess.TimeoutExpired."""
    return subprocess.run([*launcher, SERVER, "--port", "0", *flags], capture_output=True,
                          text=True, env=env, timeout=EXIT_SECONDS)


class Server(EchoProcess):
    """`[launcher...] echo_server --port 0 flags...`, with this suite's bounds."""

    def __init__(self, flags=(), launcher=(), **popen_args):
        super().__init__([*launcher, SERVER, "--port", "0", *flags], **popen_args)

    def await_line(self, prefix, seconds=START_SECONDS):
        return super().await_line(prefix, seconds)

    def wait_exit(self, seconds=EXIT_SECONDS):
        return super().wait_exit(seconds)


class ServerTest(unittest.TestCase):
    """A test case with one echo_server per test: start() it on a loopback
    address, connect clients, read its counters and stop it. Payloads come
    from RNG, seeded from $ECHO_TEST_SEED when set (main() prints the seed)."""

    SEED = int(os.environ.get("ECHO_TEST_SEED") or random.randrange(1 << 63))
    RNG = random.Random(SEED)

    def start(self, *flags, host="127.0.0.1", shown_host=None, launcher=()):
        """Runs `[launcher...] echo_server --port 0 --bind host flags...` and
        reads its port from the startup line, which must name `shown_host`
        (IPv6 in brackets); warnings may come first."""
        self.host = host
        self.stdout = tempfile.TemporaryFile()
        self.addCleanup(self.stdout.close)
        self.server = Server(["--bind", host, *flags], launcher, stdout=self.stdout)
        self.addCleanup(self.server.stop, 0)
        self.listening = (self.server.await_line("echo_server: listening on ") or "").strip()
        self.assertEqual(self.listening.rpartition(":")[0],
                         "echo_server: listening on " + (shown_host or host), self.server.log())
        self.port = int(self.listening.rpartition(":")[2])

    def client(self, host=None, **options):
        """A connected client (loopback.connect options), closed after the test."""
        client = loopback.connect(host or self.host, self.port, **options)
        self.addCleanup(client.close)
        return client

    def stats(self):
        """The counters SIGUSR1 makes the server log ("open 1, total 2, ...");
        "" once it has exited."""
        if self.server.process.poll() is not None:
            return ""
        self.server.signal(signal.SIGUSR1)
        return (self.server.await_line("echo_server: stats: ") or "").strip()

    def assert_stats(self, counters):
        """Waits until the counters include `counters` ("open 0, total 3,")."""
        last = []
        self.assertTrue(wait_until(lambda: last.append(self.stats()) or counters in last[-1],
                                   START_SECONDS), "expected '%s', last %s" % (counters, last[-1:]))

    def assert_exits_zero(self, signum=None):
        """Sends `signum`, if any, then expects exit 0 in EXIT_SECONDS."""
        if signum:
            self.server.signal(signum)
        code = self.server.wait_exit()
        self.assertEqual(code, 0, describe_exit(code) + "\n" + self.server.log())

    def stderr_after_start(self):
        """The lines the server logged after its startup line (all of them once
        it has exited)."""
        log = self.server.log().splitlines()
        return log[log.index(self.listening) + 1:]

    @classmethod
    def main(cls):
        print("seed=%d (replay: --test_env=ECHO_TEST_SEED=%d)" % (cls.SEED, cls.SEED), flush=True)
        unittest.main(verbosity=2)


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
    return (proc_stat(pid) or [""])[0]


def watches_signals(pid):
    """True once the server reads its lifecycle signals: once it holds the
    signalfd its loop watches (src/server/lifecycle_signals.h)."""
    try:
        return any(os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:[signalfd]"
                   for fd in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return False
