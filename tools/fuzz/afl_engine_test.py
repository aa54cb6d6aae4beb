#!/usr/bin/env python3
"""Tests for the AFL++ engine: AFL's counters become the samples the report
charts (StatsD datagrams and fuzzer_stats), seeds afl-fuzz skips for
crashing are read from its log, afl-fuzz gets the target's
engine options, targets are found in build.sh's layout, and an AFL campaign
renders on the same report page with its engine named."""

import pathlib
import sys
import tempfile
import types
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import afl_engine  # noqa: E402
import campaign  # noqa: E402
import report  # noqa: E402

DATAGRAM = b"""\
fuzzing.cycle_done:0|g
fuzzing.execs_done:50017|g
fuzzing.execs_per_sec:inf|g
fuzzing.corpus_count:196|g
fuzzing.edges_found:228|g
"""

FUZZER_STATS = """\
start_time        : 1795814071
run_time          : 15
execs_done        : 501935
execs_per_sec     : 33442.27
corpus_count      : 198
bitmap_cvg        : 60.16%
edges_found       : 228
afl_version       : ++4.04c
"""


class SampleTest(unittest.TestCase):
    def test_statsd_datagram_is_a_sample_without_an_infinite_rate(self):
        self.assertEqual(afl_engine.parse_statsd(DATAGRAM), {
            "execs": 50017, "event": "STATS", "cov": 228, "ft": None, "corp": 196,
            "exec_per_sec": None, "rss_mb": None})

    def test_other_datagrams_are_no_sample(self):
        self.assertIsNone(afl_engine.parse_statsd(b"something.else:1|c\n"))

    def test_fuzzer_stats_give_the_final_totals(self):
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "fuzzer_stats"
            path.write_text(FUZZER_STATS)
            sample = afl_engine.read_fuzzer_stats(path)
        self.assertEqual((sample["execs"], sample["cov"], sample["corp"], sample["exec_per_sec"]),
                         (501935, 228, 198, 33442))


class LogTest(unittest.TestCase):
    def test_follower_returns_each_complete_line_once(self):
        with tempfile.TemporaryDirectory() as folder:
            path = pathlib.Path(folder) / "log"
            with open(path, "w") as log, open(path) as reader:
                follow = afl_engine.LogFollower(reader)
                log.write("one\ntw")
                log.flush()
                self.assertEqual(follow(), ["one"])
                log.write("o\n")
                log.flush()
                self.assertEqual(follow(), ["two"])
                self.assertEqual(follow(), [])

    def test_crashing_seed_is_named_by_its_warning(self):
        line = ("\x1b[1;93m[!] \x1b[0mWARNING: Test case 'id:000002,time:0,execs:0,"
                "orig:connection-seed_partial_writes' results in a crash, skipping")
        self.assertEqual(afl_engine._CRASHING_SEED.search(line).group(1),
                         "connection-seed_partial_writes")


class TargetTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.TemporaryDirectory()
        self.bin_dir = pathlib.Path(self.folder.name)
        (self.bin_dir / "flags.options").write_text("[libfuzzer]\nmax_len = 256\ndict = flags.dict\n")
        self.target = campaign.Target("flags", self.bin_dir, pathlib.Path("/src"), afl_engine.AFL)

    def tearDown(self):
        self.folder.cleanup()

    def test_binary_and_options_in_build_sh_layout(self):
        self.assertEqual(self.target.binary, self.bin_dir / "flags")
        self.assertEqual(self.target.dict, pathlib.Path("/src/fuzz/flags.dict"))

    def command(self, jobs, worker):
        state = types.SimpleNamespace(
            target=self.target, args=types.SimpleNamespace(jobs=jobs),
            seeds=pathlib.Path("/w/seeds"), work=pathlib.Path("/w"), remaining=lambda: 30.4)
        return afl_engine.fuzz_command(state, worker)

    def test_one_worker_gets_the_targets_options(self):
        command = self.command(jobs=1, worker=0)
        self.assertEqual(command[:5], ["afl-fuzz", "-i", "/w/seeds", "-o", "/w/afl"])
        for flag, value in (("-V", "30"), ("-G", "256"), ("-x", "/src/fuzz/flags.dict")):
            self.assertEqual(command[command.index(flag) + 1], value)
        self.assertNotIn("-M", command)
        self.assertEqual(command[-2:], ["--", str(self.bin_dir / "flags")])

    def test_workers_form_one_group(self):
        first, second = self.command(jobs=2, worker=0), self.command(jobs=2, worker=1)
        self.assertEqual(first[first.index("-M") + 1], "w0")
        self.assertEqual(second[second.index("-S") + 1], "w1")


class ReportTest(unittest.TestCase):
    def test_afl_campaign_renders_with_its_engine_and_no_features(self):
        samples = [dict(afl_engine.parse_statsd(DATAGRAM), t=t, worker=0, execs=1000 * t)
                   for t in range(1, 4)]
        result = {"target": "flags", "engine": "afl", "seconds": 3, "jobs": 1, "execs": 3000,
                  "exec_per_sec": 1000, "exec_per_sec_per_job": 1000, "coverage": 228,
                  "features": None, "corpus": 196, "merged_into_corpus": 0, "findings": [],
                  "samples": samples, "work_dir": "/tmp/x"}
        page = report.render_html({"generated": "now", "targets": [result]})
        self.assertEqual(page.count("<svg"), 2)
        self.assertIn("<td>afl</td>", page)
        self.assertNotIn("features", page)


if __name__ == "__main__":
    unittest.main()
