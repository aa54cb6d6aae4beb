#!/usr/bin/env python3
"""Descriptor limits and event-loop set-up failures, against the real binary.

A limit too small for the server's own descriptors (the listener, epoll and
libev's pipe, the signalfd of its signals) or a LIBEV_FLAGS naming no
backend this system has must end in one error line and exit 1, not an
abort. A hard limit below
what --max-connections needs is worth a warning even when the soft limit
already equals it and cannot be raised. (With 3 the dynamic loader itself
cannot open libev, before the server runs: nothing to test there.)
"""

import os
import signal
import unittest

from server_process import Server, describe_exit, run_to_exit

PRLIMIT = "/usr/bin/prlimit"
# The error line of each descriptor the server needs for itself, in order.
NEEDS = ("cannot listen", "event loop failed", "cannot watch signals")


class DescriptorLimitTest(unittest.TestCase):
    def assert_one_error_line(self, code, log, reason):
        lines = log.splitlines()
        self.assertEqual(code, 1, "%s\n%s" % (describe_exit(code), log))
        self.assertTrue(lines, "nothing on stderr")
        self.assertTrue(lines[-1].startswith("echo_server: error: "), log)
        self.assertIn(reason, lines[-1])
        errors = [line for line in lines if line.startswith("echo_server: error: ")]
        others = [line for line in lines if not line.startswith("echo_server: warning: ")]
        self.assertEqual(others, errors, "only warnings may precede the error:\n" + log)
        self.assertEqual(len(errors), 1, log)

    def test_every_limit_too_small_to_serve_is_one_error_line_and_exit_1(self):
        # From 4 up, each limit leaves the server too few descriptors of its
        # own (the listener, epoll and libev's pipe, the signalfd), each must
        # end in one error line, until all three have failed once or it
        # serves. The exact limits differ between builds, so they are searched
        # for. The search stops there because just above, the sanitizers'
        # own checks run out of descriptors: UBSan's vptr check tests memory
        # through a pipe, and reports a failed pipe() as a bad object.
        # LeakSanitizer's check at exit needs descriptors of its own (it reads
        # /proc/PID/task), which these limits leave none of: under ASan it
        # would report its own failure after the server's line.
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") +
                   ":detect_leaks=0")
        reasons = []
        for limit in range(4, 32):
            first, code, log = self.start_under_limit(limit, env)
            if "listening on" in first:
                break
            with self.subTest(limit=limit):
                self.assert_one_error_line(code, log, "Too many open files")
            reasons.append(first)
            if all(any(need in r for r in reasons) for need in NEEDS):
                break
        for need in NEEDS:
            self.assertTrue(any(need in r for r in reasons), "%s: %s" % (need, reasons))
        # One descriptor more than the signalfd needed is enough to serve:
        # the reserve descriptor, which the server can do without, comes
        # last. (Not under the sanitizers, whose checks need descriptors.)
        if not os.environ.get("ECHO_LAB_SANITIZED"):
            first, _, log = self.start_under_limit(limit + 1, env)
            self.assertIn("listening on", first, log)

    def start_under_limit(self, limit, env):
        """The server's first line that is not a warning under a descriptor
        limit of `limit`, its exit status (None if it serves: it is then
        stopped) and its stderr."""
        launcher = [PRLIMIT, "--nofile=%d:%d" % (limit, limit), "--"]
        with Server(launcher=launcher, env=env) as server:
            first = server.await_line("echo_server: ") or ""
            while first.startswith("echo_server: warning: "):
                first = server.await_line("echo_server: ") or ""
            code = None if "listening on" in first else server.wait_exit()
            return first, code, server.log()

    def test_no_usable_backend_is_one_error_line_and_exit_1(self):
        # 8 is kqueue, which Linux lacks; libev reads LIBEV_FLAGS itself.
        run = run_to_exit(env=dict(os.environ, LIBEV_FLAGS="8"))
        self.assert_one_error_line(run.returncode, run.stderr, "cannot create the event loop")

    def test_low_limit_is_warned_even_when_soft_already_equals_hard(self):
        with Server(["--max-connections", "100"],
                    launcher=[PRLIMIT, "--nofile=64:64", "--"]) as server:
            warning = server.await_line("echo_server: warning: ")
            listening = server.await_line("echo_server: listening on ")
            server.signal(signal.SIGTERM)
            code = server.wait_exit()
            self.assertEqual(warning, "echo_server: warning: descriptor limit 64 is below "
                             "--max-connections 100; extra clients will be refused\n",
                             server.log())
            self.assertIsNotNone(listening, server.log())
            self.assertEqual(code, 0, describe_exit(code))


if __name__ == "__main__":
    unittest.main(verbosity=2)
