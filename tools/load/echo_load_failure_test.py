#!/usr/bin/env python3
"""echo_load must fail when the server does: against in-test servers that
flip a byte, close early or stall, a port where nothing listens, and bad
flags, it must exit non-zero and say what went wrong. (A verifier that
cannot fail proves nothing.)
"""

import json
import socket
import socketserver
import subprocess
import threading
import unittest

from server_process import RUNFILES

LOAD = str(RUNFILES / "tools/load/echo_load")
RUN_SECONDS = 60
KINDS = ("wrong_data", "closed", "stalled", "other")


class FaultyEcho(socketserver.BaseRequestHandler):
    """Echoes faithfully but for the server's fault at byte `at` of each
    connection: "flip" flips that byte's low bit; "close" sends FIN once `at`
    bytes are echoed; "stall" echoes nothing more and stays open. Input past
    a close or stall is still read and dropped: a close with unread input
    would send a reset, and the client must see exactly `at` bytes."""

    def handle(self):
        fault, at = self.server.fault, self.server.at
        received = 0
        while chunk := bytearray(self.request.recv(1 << 16)):
            end = received + len(chunk)
            if fault == "flip":
                if received <= at < end:
                    chunk[at - received] ^= 1
            else:
                chunk = chunk[:max(0, at - received)]
            self.request.sendall(chunk)
            if fault == "close" and received <= at <= end:
                self.request.shutdown(socket.SHUT_WR)
            received = end


class FaultyEchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self, fault, at):
        super().__init__(("127.0.0.1", 0), FaultyEcho)
        self.fault, self.at = fault, at
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def __exit__(self, *exc):
        self.shutdown()
        super().__exit__(*exc)


def run_load(*args):
    return subprocess.run([LOAD, *args], capture_output=True, text=True, timeout=RUN_SECONDS)


class EchoLoadFailureTest(unittest.TestCase):
    def assert_errors(self, port, mode, args, kind, text):
        """echo_load --json exits 1 with errors > 0, all of them of `kind`
        (errors_by_kind), the first error sample containing `text`."""
        run = run_load("--port", str(port), "--mode", mode, "--json", "--timeout", "5", *args)
        context = "exit %d\nstdout: %s\nstderr: %s" % (run.returncode, run.stdout, run.stderr)
        self.assertEqual(run.returncode, 1, context)
        end = json.loads(run.stdout)["end"]
        self.assertGreater(end["errors"], 0, context)
        self.assertEqual(end["errors_by_kind"],
                         {k: end["errors"] if k == kind else 0 for k in KINDS}, context)
        self.assertIn(text, end["error_samples"][0], context)

    def test_every_fault_is_caught_as_its_kind_of_error(self):
        for fault, at, mode, args, kind, text in [
                ("flip", 1000, "integrity", ["--connections", "2", "--bytes", "64k"],
                 "wrong_data", "wrong byte at stream offset 1000"),
                ("flip", 5000, "bulk",
                 ["--message-size", "1k", "--in-flight", "2", "--duration", "500ms"],
                 "wrong_data", "wrong byte at stream offset 5000"),
                ("close", 3000, "half-close", ["--connections", "2", "--bytes", "10000"],
                 "closed", "3000 B echoed): unexpected EOF"),
                ("close", 640, "ping-pong", ["--message-size", "64", "--duration", "0.5"],
                 "closed", "unexpected EOF"),
                # A repeated flag keeps its last value: --timeout 0.5, as the
                # stall is certain and waiting longer proves nothing more.
                ("stall", 2000, "integrity",
                 ["--connections", "2", "--bytes", "10000", "--timeout", "0.5"],
                 "stalled", "2000 B echoed): timed out")]:
            with self.subTest(fault=fault, mode=mode), FaultyEchoServer(fault, at) as server:
                self.assert_errors(server.server_address[1], mode, args, kind, text)

    def test_refused_connect_is_an_error(self):
        # A socket bound but not listening: connecting to its port is refused,
        # and no other test or process can take the port while it is held.
        with socket.socket() as bound:
            bound.bind(("127.0.0.1", 0))
            port = bound.getsockname()[1]
            self.assert_errors(port, "bulk", ["--connections", "3", "--duration", "0.2"], "other",
                               "connect to 127.0.0.1:%d: Connection refused" % port)

    def test_bad_flag_is_one_line_and_usage_with_exit_2(self):
        run = run_load("--mode", "bulk", "--port", "http")
        self.assertEqual((run.returncode, run.stdout), (2, ""))
        lines = run.stderr.splitlines()
        self.assertEqual(len(lines), 2, run.stderr)
        self.assertEqual(lines[0], "echo_load: --port: 'http' is not a port number (1-65535)")
        self.assertTrue(lines[1].startswith("usage: echo_load [--port N]"), run.stderr)

    def test_help_and_version_go_to_stdout_with_exit_0(self):
        for flag, pattern in (("--help", r"\Ausage: echo_load"),
                              ("--version", r"\Aecho_load [^\n]+\n\Z")):
            run = run_load(flag)
            self.assertEqual((run.returncode, run.stderr), (0, ""), flag)
            self.assertRegex(run.stdout, pattern)


if __name__ == "__main__":
    unittest.main(verbosity=2)
