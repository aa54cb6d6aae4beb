#!/usr/bin/env python3
"""echo_load against the real echo_server binary: each mode runs for about a
second with small sizes and must exit 0 with a JSON report of 0 errors,
plus what that mode must have shown (the echo of every byte, EOF after a
half-close, backpressure on slow readers, resets in churn, every idle
connection alive). SIGINT and SIGTERM end a run early with its report.
"""

import json
import re
import subprocess

from server_process import RUNFILES, ServerTest

LOAD = str(RUNFILES / "tools/load/echo_load")
# Generous: sanitizer builds start and run several times slower.
RUN_SECONDS = 60


class LoadTestCase(ServerTest):
    """An echo_server per test (with SERVER_FLAGS) and echo_load runs against it."""

    SERVER_FLAGS = ()

    def setUp(self):
        self.start(*self.SERVER_FLAGS)

    def run_load(self, *args, timeout=None):
        command = [LOAD, "--port", str(self.port), *args]
        if timeout:  # coreutils' timeout sends the signal, then kills 30 s later.
            command = ["timeout", "--preserve-status", "--kill-after=30", "--signal=" + timeout,
                       "2", *command, "--duration", "10m"]
        return subprocess.run(command, capture_output=True, text=True, timeout=RUN_SECONDS)

    def run_clean(self, mode, *args):
        """echo_load --json `mode` `args`: exit 0, a well-formed report of
        `mode` with 0 errors; returns its `end`."""
        run = self.run_load("--mode", mode, "--json", "--timeout", "10", *args)
        context = "echo_load %s: exit %d\nstdout: %s\nstderr: %s\nserver: %s" % (
            mode, run.returncode, run.stdout, run.stderr, self.server.log())
        self.assertEqual(run.returncode, 0, context)
        end = self.report_of_this_run(run.stdout)
        self.assertEqual(end["mode"], mode)
        self.assertEqual(end["errors"], 0, context)
        self.assertIsNone(self.server.process.poll(), context)
        return end

    def report_of_this_run(self, out):
        """Checks the report's frame (version, target, start_time, a timeline
        that adds up to the totals) and returns its `end`."""
        report = json.loads(out)
        self.assertTrue(report["version"].startswith("echo_load "), out)
        self.assertEqual(report["target"], {"host": "127.0.0.1", "port": self.port})
        self.assertRegex(report["start_time"], r"\A20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
        self.assertTrue(report["intervals"], out)
        for total in ("bytes_sent", "bytes_verified", "errors"):
            self.assertEqual(sum(interval[total] for interval in report["intervals"]),
                             report["end"][total], total)
        return report["end"]

class EchoLoadSmokeTest(LoadTestCase):
    def test_bulk_echoes_every_message(self):
        end = self.run_clean("bulk", "--connections", "4", "--message-size", "1k",
                             "--in-flight", "4", "--duration", "1")
        self.assertGreater(end["messages"], 0)
        self.assertGreater(end["mb_per_s"], 0)
        self.assertGreater(end["msgs_per_s"], 0)
        # The wind-down waits for every echo: nothing sent is left unverified.
        self.assertEqual(end["bytes_verified"], end["bytes_sent"])
        self.assertGreaterEqual(end["seconds"], 1.0)

    def test_ping_pong_reports_ordered_latencies(self):
        end = self.run_clean("ping-pong", "--connections", "2", "--message-size", "64",
                             "--duration", "1")
        latency = end["latency_us"]
        # One sample per echo: those of the measured phase, plus at most one
        # per connection that completes during the wind-down.
        self.assertGreater(end["messages"], 0)
        self.assertTrue(end["messages"] <= latency["samples"] <= end["messages"] + 2, end)
        self.assertTrue(0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"],
                        latency)
        self.assertEqual(end["bytes_verified"], end["bytes_sent"])

    def test_integrity_gets_every_byte_back(self):
        end = self.run_clean("integrity", "--connections", "4", "--bytes", "2m")
        self.assertEqual((end["bytes_sent"], end["bytes_verified"]), (4 << 21, 4 << 21))

    def test_half_close_gets_every_byte_then_eof(self):
        end = self.run_clean("half-close", "--connections", "4", "--bytes", "1m")
        self.assertEqual((end["bytes_verified"], end["eof_after_full_echo"]), (4 << 20, 4))

    def test_slow_readers_are_held_back_then_read_back_completely(self):
        # 64 MiB is far more than the server's queue (64 KiB) and the kernel's
        # socket buffers hold: a bounded server must stall every connection.
        end = self.run_clean("slow-readers", "--connections", "3", "--bytes", "64m",
                             "--duration", "1")
        self.assertEqual(end["stalled"], 3)
        accepted = end["accepted_per_connection"]
        self.assertTrue(0 < accepted["min"] and accepted["max"] < 64 << 20, accepted)
        # Once the clients read, the server drains: every accepted byte returns.
        self.assertEqual(end["fully_read_back"], 3)
        self.assertEqual(end["bytes_verified"], end["bytes_sent"])

    def test_churn_resets_half_and_verifies_half(self):
        end = self.run_clean("churn", "--connections", "8", "--message-size", "512",
                             "--duration", "1")
        resets, verified = end["closed_by_rst"], end["verified_connections"]
        self.assertTrue(resets > 0 and verified > 0, end)
        # Every connection opened was either reset or verified (no errors).
        self.assertEqual(end["opened"], resets + verified)
        # Alternating streams: the halves differ by at most one per slot.
        self.assertLessEqual(abs(resets - verified), 8)

    def test_idle_connections_stay_open_and_alive(self):
        end = self.run_clean("idle", "--connections", "200", "--message-size", "16",
                             "--duration", "1")
        self.assertEqual((end["open_at_end"], end["alive"]), (200, 200))
        self.assertGreaterEqual(end["fd_limit"], 200)

    def test_human_summary_is_one_line_on_stdout(self):
        run = self.run_load("--mode", "bulk", "--connections", "2", "--message-size", "512",
                            "--in-flight", "2", "--duration", "0.5")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"\Aecho_load bulk: 2 conns, 512 B x 2 in flight, 0\."
                                     r"[^\n]* MB/s, [^\n]* msgs/s, 0 errors\n\Z")
        self.assertEqual(run.stderr, "")  # Not a terminal: no progress line.


class EchoLoadInterruptedTest(LoadTestCase):
    """Runs of ten minutes that SIGINT or SIGTERM end after 2 s. The server
    keeps the kernel's auto-tuned socket buffers: with its 64k default, a
    busy loopback connection can stall for tens of seconds in TCP
    retransmission backoff (a receive buffer the server has stopped reading
    drops a 64 KiB segment its window allowed), and the wind-down would
    report that stall instead of what these tests check."""

    SERVER_FLAGS = ("--socket-buffer", "0")

    def test_sigint_ends_the_run_early_and_it_still_reports(self):
        run = self.run_load("--mode", "bulk", "--connections", "2", "--json", timeout="INT")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        end = self.report_of_this_run(run.stdout)
        self.assertIs(end.get("interrupted"), True, run.stdout)
        self.assertEqual(end["errors"], 0)
        self.assertGreater(end["messages"], 0)
        self.assertLess(end["seconds"], 60)
        # Stopping early still winds down: every echo came back.
        self.assertEqual(end["bytes_verified"], end["bytes_sent"])

    def test_sigterm_ends_a_transfer_early_with_its_summary_line(self):
        # 1 TiB per connection: far more than two seconds can move.
        run = self.run_load("--mode", "integrity", "--bytes", "1024g", timeout="TERM")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertTrue(re.match(r"echo_load integrity: 1 conns, .* B verified \(.*, 0 errors "
                                 r"\(interrupted\)\n\Z", run.stdout), run.stdout)


if __name__ == "__main__":
    ServerTest.main()
