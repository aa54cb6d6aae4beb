#!/usr/bin/env python3
"""Tests for the benchmark's own instruments: what it reads from /proc and
strace, its self-checks and table, and the minimal server and the yardstick
it measures against (a speed limit that loses bytes would prove nothing).
"""

import os
import pathlib
import sys
import unittest

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", ".")) / "echo_lab"
sys.path.insert(0, str(RUNFILES / "tools" / "testing"))
sys.path.insert(0, str(RUNFILES / "tools" / "bench"))
import bench_report  # noqa: E402
import echo_process  # noqa: E402
import process_cost  # noqa: E402
import scenarios  # noqa: E402

MINIMAL = RUNFILES / "tools/bench/minimal_echo_server"
YARDSTICK = RUNFILES / "tools/bench/blocking_ping_client"
LOAD = RUNFILES / "tools/load/echo_load"

# `strace -c -f` as strace 6.1 writes it, with and without errors.
STRACE_TABLE = """\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 42.92    0.082936          35      2356           sendto
 29.69    0.057368          24      2359           epoll_wait
 27.40    0.052951          22      2357           recvfrom
  0.00    0.000000           0         1           epoll_ctl
  0.00    0.000000           0         2         1 accept4
------ ----------- ----------- --------- --------- ----------------
100.00    0.193255          27      7075         1 total
"""


class ProcessCostTest(unittest.TestCase):
    def test_cpu_time_is_fields_14_and_15_counted_after_the_command_name(self):
        # A command name may hold spaces and parentheses.
        stat = "42 (a b) c) S 1 1 1 0 -1 4194304 10 0 0 0 300 200 7 9 20 0 1 0 100"
        self.assertAlmostEqual(echo_process.stat_cpu_seconds(echo_process.stat_fields(stat)),
                               500 / echo_process.CLOCK_TICKS_PER_SECOND)

    def test_cpu_time_of_this_process_is_read(self):
        self.assertGreaterEqual(echo_process.cpu_seconds(os.getpid()), 0)

    def test_strace_table_gives_calls_per_syscall_without_the_total(self):
        self.assertEqual(process_cost.parse_strace_summary(STRACE_TABLE), {
            "sendto": 2356, "epoll_wait": 2359, "recvfrom": 2357, "epoll_ctl": 1, "accept4": 2})

    def test_child_run_reports_output_status_and_the_cpu_it_burned(self):
        busy = "import time\nwhile time.process_time() < 0.3: pass\nprint('done')\nexit(3)"
        run = process_cost.run_child([sys.executable, "-c", busy], timeout=60)
        self.assertEqual((run.stdout, run.exit_code), ("done\n", 3))
        self.assertGreaterEqual(run.cpu_seconds, 0.3)


def figures(**changes):
    """Figures of one server as scenarios.py makes them."""
    server = {key: 1.0 for _, key, _ in bench_report.ROWS}
    server.update(bulk_client_cpu_share=0.5, answered_during_slow_readers=True)
    server.update(changes)
    return server


def client(msgs_ratio, p50_ratio):
    return {"echo_load_msgs_per_s": 1000 * msgs_ratio, "yardstick_msgs_per_s": 1000,
            "echo_load_p50_us": 100 * p50_ratio, "yardstick_p50_us": 100,
            "echo_load_cpu_us_per_msg": 30, "yardstick_cpu_us_per_msg": 30,
            "msgs_ratio": msgs_ratio, "p50_ratio": p50_ratio}


class SelfCheckTest(unittest.TestCase):
    def test_client_below_seven_tenths_of_the_yardstick_fails(self):
        self.assertFalse(bench_report.checks(client(0.69, 1.0))[0].passed)
        self.assertTrue(bench_report.checks(client(0.70, 1.0))[0].passed)

    def test_p50_over_one_and_a_half_yardsticks_is_named_in_the_verdict(self):
        self.assertIn("echo_load adds latency", bench_report.checks(client(0.9, 1.6))[0].detail)
        self.assertNotIn("echo_load adds latency", bench_report.checks(client(0.9, 1.5))[0].detail)

    def test_saturated_bulk_client_is_flagged_and_warned_about(self):
        servers = {"echo_server": figures(bulk_client_cpu_share=0.95),
                   "reference": figures(bulk_client_cpu_share=0.94), "minimal": figures()}
        warnings = bench_report.warnings(servers)
        self.assertEqual(len(warnings), 1)
        self.assertIn("0.95 of its core in bulk against echo_server", warnings[0])
        self.assertIn("| 0.95 (saturated) | 0.94 | 0.50 |", bench_report.server_table(servers))

    def test_ratio_against_a_figure_shown_as_zero_is_a_dash(self):
        servers = {"echo_server": figures(epoll_ctl_per_msg=0.0004),
                   "reference": figures(epoll_ctl_per_msg=1.0),
                   "minimal": figures(epoll_ctl_per_msg=0.0003)}
        self.assertIn("| ping-pong: epoll_ctl per message | 0.000 | 1.000 | 0.000 | 0.00 | - |",
                      bench_report.server_table(servers))


class MinimalServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = scenarios.Server([str(MINIMAL), "0"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_every_byte_comes_back_in_random_sized_reads_and_writes(self):
        report = scenarios.load(LOAD, self.server.port, "integrity", connections=8,
                                bytes="8m")
        self.assertEqual((report["exit_code"], report["errors"]), (0, 0))
        self.assertEqual(report["bytes_verified"], 8 * 8 * 1024 * 1024)

    def test_yardstick_times_its_round_trips(self):
        report = scenarios.yardstick(YARDSTICK, self.server.port, 1)
        self.assertEqual(report["exit_code"], 0)
        self.assertGreater(report["messages"], 0)
        self.assertLessEqual(report["p50_us"], report["p99_us"])

    def test_strace_counts_one_read_one_write_one_wait_per_message(self):
        counts = scenarios.count_syscalls(self.server, LOAD, 1)
        for key in ("reads_per_msg", "writes_per_msg", "epoll_wait_per_msg"):
            self.assertAlmostEqual(counts[key], 1.0, delta=0.05, msg=key)
        self.assertLess(counts["epoll_ctl_per_msg"], 0.05)


if __name__ == "__main__":
    unittest.main()
