#!/usr/bin/env python3
"""Robustness suite: every echo_load mode against one real echo_server.

The server binary runs on port 0 (loopback only) for the whole suite; each
test drives one client mode and then checks the server from outside: zero
byte errors, still alive and answering, descriptors back to their baseline
after churn, memory bounded under slow readers. Sizes are small so the suite
takes seconds; ECHO_LAB_ROBUSTNESS_SCALE multiplies them.
"""

import json
import os
import re
import subprocess
import threading
import time
import unittest

from echo_process import EchoProcess, open_fds, rss_kib, wait_until
from server_process import RUNFILES, SERVER

LOAD = RUNFILES / "tools/load/echo_load"
SCALE = max(1, int(os.environ.get("ECHO_LAB_ROBUSTNESS_SCALE", "1")))
QUEUE_LIMIT = 64 * 1024
SOCKET_BUFFER = 64 * 1024
# Kernel memory a connection may hold (README, "Memory"): the kernel doubles
# SO_SNDBUF and SO_RCVBUF for its bookkeeping, and may queue one packet past
# a full buffer.
SOCKET_MEMORY_PER_CONNECTION = 4 * SOCKET_BUFFER + 16 * 1024
# Per slow reader: well over what loopback's socket buffers absorb.
SLOW_READER_BYTES = 32 * 1000 * 1000


def socket_memory(port):
    """Bytes the kernel holds for the server's TCP sockets (local port
    `port`): received but unread (skmem r) plus queued to send (skmem w)."""
    out = subprocess.run(["ss", "-Htmn", "state", "all", "( sport = :%d )" % port],
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return sum(int(r) + int(w) for r, w in
               re.findall(r"skmem:\(r(\d+),rb\d+,t\d+,tb\d+,f\d+,w(\d+)", out))


class PeakSampler:
    """While in a `with` block, samples the peak RSS (KiB) of process `pid`
    and the peak kernel memory (bytes) of its sockets on `port`, every 20 ms
    on a thread of its own."""

    def __init__(self, pid, port):
        self.pid, self.port = pid, port
        self.rss_kib = rss_kib(pid)
        self.socket_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *unused):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.is_set():
            self.rss_kib = max(self.rss_kib, rss_kib(self.pid))
            self.socket_bytes = max(self.socket_bytes, socket_memory(self.port))
            time.sleep(0.02)


class RobustnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = EchoProcess(
            [str(SERVER), "--port", "0", "--queue-limit", str(QUEUE_LIMIT),
             "--socket-buffer", str(SOCKET_BUFFER)])
        cls.port = cls.server.await_port(10)
        assert cls.port, "no startup line: %r" % cls.server.log()
        time.sleep(0.1)
        cls.baseline_fds = open_fds(cls.server.pid)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def load(self, mode, **flags):
        command = [str(LOAD), "--port", str(self.port), "--mode", mode, "--json"]
        for key, value in flags.items():
            command += ["--" + key.replace("_", "-"), str(value)]
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, timeout=120)
        # The summary is the report's "end"; its timeline is not needed here.
        report = json.loads(done.stdout.strip().splitlines()[-1])["end"]
        self.assertEqual(report["errors"], 0, "%s: %s" % (mode, report.get("error_samples")))
        self.assertEqual(done.returncode, 0, done.stderr[-400:])
        return report

    def assert_alive_and_serving(self):
        self.assertIsNone(self.server.process.poll(), "server exited: %s" % self.server.log())
        self.load("ping-pong", connections=1, message_size=64, duration=0.3)

    def assert_fds_back_to_baseline(self):
        self.assertTrue(wait_until(lambda: open_fds(self.server.pid) == self.baseline_fds, 5),
                        "server holds %d descriptors, baseline %d" % (
                            open_fds(self.server.pid), self.baseline_fds))

    def test_bulk(self):
        report = self.load("bulk", connections=8, message_size=4096, in_flight=4,
                           duration=1 * SCALE)
        self.assertGreater(report["bytes_verified"], 0)
        self.assert_alive_and_serving()

    def test_ping_pong(self):
        report = self.load("ping-pong", connections=2, message_size=64, duration=1 * SCALE)
        self.assertGreater(report["msgs_per_s"], 0)
        self.assert_alive_and_serving()

    def test_integrity(self):
        report = self.load("integrity", connections=16, bytes=256 * 1024 * SCALE)
        self.assertEqual(report["bytes_verified"], 16 * 256 * 1024 * SCALE)
        self.assert_alive_and_serving()

    def test_half_close(self):
        report = self.load("half-close", connections=16, bytes=128 * 1024 * SCALE)
        self.assertEqual(report["bytes_verified"], 16 * 128 * 1024 * SCALE)
        self.assert_alive_and_serving()

    def test_churn_returns_descriptors_to_baseline(self):
        self.load("churn", connections=32, message_size=16 * 1024, duration=1 * SCALE)
        self.assert_fds_back_to_baseline()
        self.assert_alive_and_serving()

    def test_idle(self):
        self.load("idle", connections=500 * SCALE, duration=1, message_size=16)
        self.assert_fds_back_to_baseline()
        self.assert_alive_and_serving()

    def test_slow_readers_memory_stays_bounded(self):
        # Each client offers far more than loopback's socket buffers hold
        # (autotuned to several MB a connection): a server without
        # backpressure takes it all, one with it stalls the clients at the
        # kernel's buffers plus its queue limit. At 4 MB a client the kernel
        # alone absorbed everything and the check could not fail.
        connections = 16 * SCALE
        result = {}
        with PeakSampler(self.server.pid, self.port) as peak:
            readers = threading.Thread(target=lambda: result.update(report=self.load(
                "slow-readers", connections=connections, bytes=SLOW_READER_BYTES, duration=2)))
            readers.start()
            time.sleep(1.0)
            # Meanwhile a new client is served.
            self.load("ping-pong", connections=1, message_size=64, duration=0.3)
            readers.join()
        self.assert_slow_readers_stalled(result["report"], connections)
        # Kernel memory is bounded by --socket-buffer: without it the kernel
        # auto-tunes each buffer to several MB.
        self.assertLessEqual(
            peak.socket_bytes, (connections + 1) * SOCKET_MEMORY_PER_CONNECTION,
            "the kernel held %d bytes for %d connections' sockets" % (
                peak.socket_bytes, connections))
        bound_kib = (connections * QUEUE_LIMIT + 16 * 1024 * 1024) // 1024
        # Under AddressSanitizer memory is not the server's own: the allocator
        # quarantines freed blocks (up to 256 MiB) and keeps shadow memory.
        if os.environ.get("ECHO_LAB_SANITIZED") != "1":
            self.assertLessEqual(
                peak.rss_kib, bound_kib,
                "peak RSS %d KiB over %d connections x queue limit + 16 MiB"
                % (peak.rss_kib, connections))
        self.assert_fds_back_to_baseline()
        self.assert_alive_and_serving()

    def assert_slow_readers_stalled(self, report, connections):
        """The slow-readers `report` shows backpressure. Both checks, since
        "stalled" only means "not all sent": a server without backpressure
        on a slow machine may not have swallowed 32 MB in two seconds, but it
        has taken far more than kernel buffers plus queue. Most clients, not
        all: one the scheduler starves may not reach its stall in time. It
        holds under sanitizers too: stalling is the server's behaviour, not
        its memory."""
        self.assertLess(
            report["accepted_per_connection"]["median"], SLOW_READER_BYTES // 2,
            "clients that never read got %d of %d bytes through (median): no "
            "backpressure?" % (report["accepted_per_connection"]["median"],
                               SLOW_READER_BYTES))
        self.assertGreaterEqual(
            report["stalled"], connections // 2,
            "only %d of %d clients that never read were stalled (accepted per "
            "connection: median %d B of %d): no backpressure?" % (
                report["stalled"], connections,
                report["accepted_per_connection"]["median"], SLOW_READER_BYTES))

if __name__ == "__main__":
    unittest.main(verbosity=2)
