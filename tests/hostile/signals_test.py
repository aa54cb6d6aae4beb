#!/usr/bin/env python3
"""Signals at every moment of the server's life, against the real binary.

The promise (README, "Signals"): from the moment main() begins, a stop
signal (SIGTERM, SIGINT) ends the process with exit 0, after a drain if it
was serving, and SIGUSR1 never kills. Before main() the process is in exec or
the dynamic loader, where the kernel applies a signal's default action to
any program; a parent that must signal at once spawns the server with the
signals blocked, which the last-but-one test checks the server copes with.

Each attack is one moment: at once when main() begins (repeated, since the
start-up it races is short), while start-up is stopped before the signal
watchers exist, inherited blocked from the parent, and in storms that
outlast the loop.
"""

import signal
import subprocess
import sys
import tempfile
import threading
import unittest

from server_process import (EXIT_SECONDS, START_SECONDS, Server,
                            describe_exit, has_entered_main, run_state, spawn, wait_until,
                            watches_signals)

# Races against start-up per test: each run hits it at a random point.
RUNS = 30
STORM_RUNS = 5
# Start-ups to stop before the watchers exist, and spawns allowed for that
# (about nine in ten are stopped in time, under ASan or not).
# Start-up lasts about a millisecond: a SIGSTOP lands in it in a few percent
# of spawns, fewer on a fast idle machine. Every hold is checked; three
# suffice, and a machine where none lands skips (saying so) rather than fail.
HOLDS = 3
HOLD_ATTEMPTS = 200
STORM_SECONDS = 0.2
LIFECYCLE_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}

# Sends the given signals to a process, round after round, until it is gone
# (reaped). Through a pidfd, so a recycled pid is never hit; bounded in time
# in case the test dies first.
STORM = """
import os, signal, sys, time
pidfd = os.pidfd_open(int(sys.argv[1]))
signums = [int(s) for s in sys.argv[2:]]
deadline = time.monotonic() + 60
try:
    while time.monotonic() < deadline:
        for signum in signums:
            signal.pidfd_send_signal(pidfd, signum)
except ProcessLookupError:
    pass
"""


class SignalsTest(unittest.TestCase):
    def assert_exit_zero(self, server, what):
        code = server.wait_exit()
        self.assertEqual(code, 0, "%s: %s (waited up to %d s)\n%s" % (
            what, describe_exit(code), EXIT_SECONDS, server.log()))

    def start_and_await_main(self, flags=()):
        server = Server(flags)
        self.assertTrue(wait_until(lambda: has_entered_main(server.pid), START_SECONDS,
                                   interval=0), "main() never began\n" + server.log())
        return server

    def test_stop_signal_as_soon_as_main_begins_exits_zero(self):
        for run in range(RUNS):
            signum = (signal.SIGTERM, signal.SIGINT)[run % 2]
            with self.start_and_await_main() as server:
                server.signal(signum)
                self.assert_exit_zero(server, "run %d, %s at once" % (run, signum.name))

    def test_sigusr1_as_soon_as_main_begins_is_logged_and_never_kills(self):
        for run in range(RUNS):
            with self.start_and_await_main() as server:
                server.signal(signal.SIGUSR1)
                what = "run %d, SIGUSR1 at once" % run
                self.assertIsNotNone(server.await_line("echo_server: stats: "),
                                     "%s: no stats line (%s)\n%s" % (
                                         what, describe_exit(server.process.poll()),
                                         server.log()))
                server.signal(signal.SIGTERM)
                self.assert_exit_zero(server, what)

    def test_signals_while_start_up_is_stopped_wait_for_serving(self):
        # The server is stopped (SIGSTOP) in start-up, before its signal
        # watchers exist; a stats and a stop signal sent meanwhile arrive in
        # start-up once it continues. Start-up is short, so not every spawn
        # is stopped in time: one stopped later only gets SIGTERM, and the
        # next spawn tries again.
        held = 0
        for _ in range(HOLD_ATTEMPTS):
            with self.start_and_await_main() as server:
                server.signal(signal.SIGSTOP)
                self.assertTrue(wait_until(lambda: run_state(server.pid) == "T", START_SECONDS))
                in_start_up = not watches_signals(server.pid)
                if in_start_up:
                    server.signal(signal.SIGUSR1)
                server.signal(signal.SIGTERM)
                server.signal(signal.SIGCONT)
                what = "stopped in start-up" if in_start_up else "stopped while serving"
                self.assert_exit_zero(server, what)
                if in_start_up:
                    held += 1
                    log = server.log()
                    for line in ("stats: ", "signal %d: draining 0 connections" % signal.SIGTERM):
                        self.assertIn("echo_server: " + line, log)
            if held == HOLDS:
                return
        if held == 0:
            self.skipTest("no spawn of %d was stopped inside start-up" % HOLD_ATTEMPTS)

    def test_signals_blocked_by_the_parent_are_handled_once_serving(self):
        # A parent that must signal at once blocks the signals across exec;
        # the server reads the pending ones once it can handle them.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, LIFECYCLE_SIGNALS)
        try:
            process = spawn(stderr=subprocess.PIPE, text=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        process.send_signal(signal.SIGUSR1)
        process.send_signal(signal.SIGTERM)
        try:
            _, log = process.communicate(timeout=EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            _, log = process.communicate()
            self.fail("SIGTERM not handled within %d s\n%s" % (EXIT_SECONDS, log))
        self.assertEqual(process.returncode, 0, "%s\n%s" % (
            describe_exit(process.returncode), log))
        self.assertIn("echo_server: stats: ", log)

    def test_sigusr1_storm_then_sigterm_exits_zero(self):
        self.storm([signal.SIGUSR1], then=signal.SIGTERM)

    def test_stop_signal_storm_exits_zero(self):
        # The first drains, the second stops at once, the rest arrive while
        # the loop is over and the process exits.
        self.storm([signal.SIGTERM, signal.SIGINT])

    def storm(self, signums, then=None):
        for run in range(STORM_RUNS):
            # Warnings only: a stats line per SIGUSR1 would be a flood.
            with tempfile.TemporaryFile() as log_file:
                server = spawn(["--log-level", "warn"], stderr=log_file)
                try:
                    code = self.storm_one(server, log_file, signums, then)
                finally:
                    if server.poll() is None:
                        server.kill()
                        server.wait()
                log_file.seek(0)
                log = log_file.read().decode(errors="replace")
            self.assertEqual(code, 0, "run %d: %s\n%s" % (run, describe_exit(code), log[-2000:]))

    def storm_one(self, server, log_file, signums, then):
        def listening():
            log_file.seek(0)
            return b"listening on" in log_file.read()

        self.assertTrue(wait_until(listening, START_SECONDS), "no startup line")
        storm = subprocess.Popen([sys.executable, "-c", STORM, str(server.pid),
                                  *[str(int(s)) for s in signums]])
        try:
            if then is not None:
                threading.Event().wait(STORM_SECONDS)
                server.send_signal(then)
            return server.wait(timeout=EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            return None
        finally:
            storm.kill()
            storm.wait()


if __name__ == "__main__":
    unittest.main(verbosity=2)
