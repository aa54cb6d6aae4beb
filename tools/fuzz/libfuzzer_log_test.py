#!/usr/bin/env python3
"""Tests for libfuzzer_log and report: status parsing, crash signatures that
ignore addresses and machinery frames, and a report that renders."""

import pathlib
import sys
import tempfile
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import libfuzzer_log  # noqa: E402
import report  # noqa: E402

UAF_LOG = """\
==41==ERROR: AddressSanitizer: heap-use-after-free on address 0x619000000e67 at pc 0x55bed958edeb bp 0x7ffd sp 0x7ffd
READ of size 1 at 0x619000000e67 thread T0
    #0 0x55bed958edea in echo::ConnectionDriver::WriteQueued(long) /proc/self/cwd/src/core/connection_driver.cc:88:35
    #1 0x55bed958f31d in echo::ConnectionDriver::OnWritable(long) /proc/self/cwd/src/core/connection_driver.cc:35:3
    #2 0x55bed9587c61 in echo::(anonymous namespace)::ConnectionHarness::Apply(echo::Action const&) /proc/self/cwd/fuzz/connection_fuzzer.cc:137:47
    #3 0x55bed94ad223 in fuzzer::Fuzzer::ExecuteCallback(unsigned char const*, unsigned long) crtstuff.c
"""


class ParseStatusTest(unittest.TestCase):
    def test_reads_every_field(self):
        sample = libfuzzer_log.parse_status(
            "#2078569\tDONE   cov: 372 ft: 1765 corp: 312/10935b lim: 259 exec/s: 34074 rss: 465Mb")
        self.assertEqual(sample, {"execs": 2078569, "event": "DONE", "cov": 372, "ft": 1765,
                                  "corp": 312, "exec_per_sec": 34074, "rss_mb": 465})

    def test_ignores_other_lines(self):
        self.assertIsNone(libfuzzer_log.parse_status("INFO: Seed: 1234"))


class CrashSignatureTest(unittest.TestCase):
    def test_kind_and_own_frames(self):
        kind, frames, _ = libfuzzer_log.crash_signature(UAF_LOG)
        self.assertEqual(kind, "heap-use-after-free")
        self.assertEqual(frames, ["echo::ConnectionDriver::WriteQueued",
                                  "echo::ConnectionDriver::OnWritable"])

    def test_harness_frames_count_only_without_code_under_test(self):
        log = UAF_LOG.replace("/src/core/", "/fuzz/")
        self.assertEqual(libfuzzer_log.crash_signature(log)[1][2],
                         "echo::(anonymous namespace)::ConnectionHarness::Apply")

    def test_same_bug_reached_from_another_harness_path_is_one_signature(self):
        other = UAF_LOG.replace("ConnectionHarness::Apply(echo::Action const&)",
                                "ConnectionHarness::DrainAndCheckEcho()")
        self.assertEqual(libfuzzer_log.crash_signature(UAF_LOG)[2],
                         libfuzzer_log.crash_signature(other)[2])

    def test_same_bug_at_other_addresses_has_same_signature(self):
        moved = UAF_LOG.replace("0x619000000e67", "0x6020000000f1").replace("0x55bed9", "0x5612aa")
        self.assertEqual(libfuzzer_log.crash_signature(UAF_LOG)[2],
                         libfuzzer_log.crash_signature(moved)[2])

    def test_different_place_has_different_signature(self):
        other = UAF_LOG.replace("WriteQueued", "ReadAvailable")
        self.assertNotEqual(libfuzzer_log.crash_signature(UAF_LOG)[2],
                            libfuzzer_log.crash_signature(other)[2])

    def test_oracle_failure_is_named_by_its_check(self):
        log = ("ORACLE FAILED (fuzz/connection_fuzzer.cc:214): a == b: queue holds 9 bytes\n"
               "==7== ERROR: libFuzzer: deadly signal\n")
        self.assertEqual(libfuzzer_log.crash_signature(log)[0],
                         "oracle: fuzz/connection_fuzzer.cc:214")

    def test_deadly_signal_counts_only_when_nothing_else_is_reported(self):
        deadly = "==7== ERROR: libFuzzer: deadly signal\n"
        later = deadly + "ORACLE FAILED (fuzz/a.cc:3): x: queue holds 9 bytes\n"
        self.assertEqual(libfuzzer_log.crash_signature(deadly)[0], "deadly signal")
        self.assertEqual(libfuzzer_log.finding_label(deadly), "libFuzzer: deadly signal")
        self.assertEqual(libfuzzer_log.crash_signature(later)[0], "oracle: fuzz/a.cc:3")
        self.assertEqual(libfuzzer_log.finding_label(later), "oracle: queue holds _ bytes [a.cc:3]")

    def test_ubsan_message_without_values(self):
        log = "src/core/x.cc:3:9: runtime error: signed integer overflow: 7 + 9 cannot be represented in type 'int'\n"
        self.assertEqual(libfuzzer_log.crash_signature(log)[0],
                         "ubsan: signed integer overflow: _ + _ cannot be represented in type _")

    def test_slug_is_file_name_safe(self):
        self.assertEqual(libfuzzer_log.slug("oracle: fuzz/a.cc:12"), "oracle-fuzz-a-cc-12")


class ReportTest(unittest.TestCase):
    def test_writes_json_and_html_with_charts(self):
        samples = [{"t": t, "worker": 0, "execs": 1000 * t, "cov": 10 + t, "ft": 20, "corp": 3}
                   for t in range(1, 6)]
        result = {"target": "connection", "seconds": 5, "jobs": 1, "execs": 5000,
                  "exec_per_sec": 1000, "exec_per_sec_per_job": 1000, "coverage": 15,
                  "features": 20, "corpus": 3, "merged_into_corpus": 0, "findings": [],
                  "samples": samples, "work_dir": "/tmp/x"}
        with tempfile.TemporaryDirectory() as folder:
            paths = report.write([result], folder)
            page = pathlib.Path(paths["html"]).read_text()
            self.assertTrue(pathlib.Path(paths["json"]).is_file())
        self.assertEqual(page.count("<svg"), 2)
        self.assertNotIn("<script", page)
        self.assertNotIn("http", page)

    def test_exec_rate_comes_from_execution_counts(self):
        samples = [{"t": 1, "worker": 0, "execs": 100}, {"t": 2, "worker": 0, "execs": 300},
                   {"t": 2, "worker": 1, "execs": 50}, {"t": 3, "worker": 1, "execs": 150}]
        self.assertEqual(report.series(samples, "exec_per_sec"), [(2, 200), (3, 300)])

    def test_exec_rate_waits_for_a_full_second_and_survives_restarts(self):
        samples = [{"t": 0.0, "worker": 0, "execs": 0}, {"t": 0.2, "worker": 0, "execs": 900},
                   {"t": 1.0, "worker": 0, "execs": 1000}, {"t": 1.5, "worker": 0, "execs": 10},
                   {"t": 2.5, "worker": 0, "execs": 510}]
        self.assertEqual(report.series(samples, "exec_per_sec"), [(1.0, 1000), (2.5, 500)])


if __name__ == "__main__":
    unittest.main()
