#!/usr/bin/env python3
"""Tests for report.py over a sample of `llvm-cov export -summary-only`.

testdata/export_summary.json has the shape llvm-cov 14 writes, with counts
chosen for the cases: a core file at exactly its 95 % target, an adapter
below 85 %, a header with no code, a test double, and files outside src/.
"""

import json
import pathlib
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import report  # noqa: E402

SAMPLE = HERE / "testdata" / "export_summary.json"


def run(*args):
    return subprocess.run([sys.executable, str(HERE / "report.py"), *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class SummarizeTest(unittest.TestCase):
    def setUp(self):
        self.files, self.groups, self.total = report.summarize(json.loads(SAMPLE.read_text()))

    def test_keeps_only_files_of_src_with_code(self):
        self.assertEqual([row.name for row in self.files], [
            "src/core/echo_connection.cc", "src/core/io_result.cc", "src/posix/listener.cc",
            "src/server/echo_server.cc", "src/testing/fake_peer.cc"])

    def test_target_is_met_at_exactly_the_percentage(self):
        io_result = self.files[1]
        self.assertEqual((io_result.lines_covered, io_result.lines), (19, 20))
        self.assertTrue(io_result.meets_target)

    def test_only_the_file_below_its_target_is_reported(self):
        self.assertEqual([row.name for row in report.below_target(self.files)],
                         ["src/posix/listener.cc"])
        self.assertIsNone(self.files[-1].meets_target, "test doubles have no target")

    def test_groups_add_up_their_files(self):
        self.assertEqual([(g.group, g.lines_covered, g.lines, g.branches_covered, g.branches)
                          for g in self.groups],
                         [("core", 112, 113, 71, 78), ("adapters", 238, 266, 86, 112),
                          ("test doubles", 118, 122, 37, 46)])
        self.assertEqual((self.total.lines_covered, self.total.lines), (468, 501))


class NeverBuiltTest(unittest.TestCase):
    def test_names_sources_with_a_target_missing_from_the_export(self):
        files, _, _ = report.summarize(json.loads(SAMPLE.read_text()))
        root = pathlib.Path(tempfile.mkdtemp())
        for name in ("src/core/echo_connection.cc", "src/core/write_queue.cc",
                     "src/server/main.cc", "src/testing/other_double.cc", "src/core/millis.h"):
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("")
        # Test doubles have no target; headers may hold no code at all.
        self.assertEqual(report.never_built(files, root),
                         ["src/core/write_queue.cc", "src/server/main.cc"])


class CommandLineTest(unittest.TestCase):
    def test_table_shows_each_file_against_its_target(self):
        done = run(str(SAMPLE))
        self.assertEqual(done.returncode, 0, done.stderr)
        row = next(line for line in done.stdout.splitlines() if "listener.cc" in line)
        self.assertEqual(row.split(), ["src/posix/listener.cc", "60/72", "83.3%", "33/50",
                                       "66.0%", "85%", "BELOW"])
        self.assertIn("all of src/", done.stdout)
        self.assertNotIn("tests/", done.stdout)

    def test_check_fails_in_one_line_naming_the_file(self):
        done = run("--check", str(SAMPLE))
        self.assertEqual(done.returncode, 1)
        self.assertEqual(done.stderr.strip(), "coverage: error: 1 file(s) below their line "
                         "target: src/posix/listener.cc 83.3% < 85%")

    def test_markdown_has_a_row_per_file_and_group(self):
        done = run("--markdown", str(SAMPLE))
        rows = [line for line in done.stdout.splitlines() if not line.startswith("| ---")]
        self.assertEqual(len(rows), 1 + 5 + 3 + 1)  # header, files, groups, total
        self.assertIn("| `src/core/io_result.cc` | 19/20 | 95.0% | 10/12 | 83.3% | 95% | ok |",
                      rows)

    def test_unreadable_export_is_a_one_line_error(self):
        done = run(str(HERE / "testdata" / "missing.json"))
        self.assertEqual(done.returncode, 1)
        self.assertEqual(len(done.stderr.strip().splitlines()), 1)
        self.assertTrue(done.stderr.startswith("coverage: error: cannot read "))


if __name__ == "__main__":
    unittest.main()
