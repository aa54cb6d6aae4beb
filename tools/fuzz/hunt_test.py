#!/usr/bin/env python3
"""Tests for the hunt: the class catalog, its checks, and that every patch
of tools/bugs/ applies to the tree (so a change that breaks one fails
`bazel test`, before any hunt runs); the
outcome of one detector run (oracle, sanitizer, signal death, clean finish,
harness error) against stand-in fuzz binaries, and the verdicts of the
summary, which must fail on a miss, a slow class, a false alarm or an error."""

import argparse
import os
import pathlib
import shutil
import stat
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bug_catalog  # noqa: E402
import campaign  # noqa: E402
import hunt  # noqa: E402
import hunt_report  # noqa: E402

PATCH = """\
{title}

--- a/src/a.cc
+++ b/src/a.cc
@@ -1,3 +1,3 @@
 int a() {{
-  return 1;
+  return 2;
 }}
"""


def write_patches(root, patches):
    (root / "tools" / "bugs").mkdir(parents=True, exist_ok=True)
    for name, title in patches.items():
        (root / "tools" / "bugs" / name).write_text(PATCH.format(title=title))


class CatalogTest(unittest.TestCase):
    def setUp(self):
        self.root = pathlib.Path(tempfile.mkdtemp())

    def test_reads_classes_in_order_with_budgets(self):
        write_patches(self.root, {
            "02_eof_drops_queue.patch": "Peer EOF closes at once, dropping the output still queued.",
            "01_use_after_free.patch": "The connection is destroyed, then touched."})
        bugs = bug_catalog.load(self.root)
        self.assertEqual([(b.number, b.name) for b in bugs],
                         [(1, "use_after_free"), (2, "eof_drops_queue")])
        self.assertEqual(bugs[1].title, "Peer EOF closes at once, dropping the output still queued")
        self.assertTrue(bugs[0].memory_safety)
        self.assertEqual(bugs[0].budget_secs, 5.0)
        self.assertEqual(bugs[1].budget_secs, 60.0)

    def test_a_patch_without_title_or_number_is_an_error(self):
        write_patches(self.root, {"01_a.patch": "--- a/src/a.cc"})
        with self.assertRaisesRegex(bug_catalog.CatalogError, "title"):
            bug_catalog.load(self.root)
        (self.root / "tools" / "bugs" / "01_a.patch").rename(self.root / "tools" / "bugs" / "a.patch")
        with self.assertRaisesRegex(bug_catalog.CatalogError, "NN_<name>"):
            bug_catalog.load(self.root)

    def test_a_repeated_number_is_an_error(self):
        write_patches(self.root, {"01_a.patch": "A.", "01_b.patch": "B."})
        with self.assertRaisesRegex(bug_catalog.CatalogError, "number 1"):
            bug_catalog.load(self.root)

    def test_a_patch_whose_context_changed_no_longer_applies(self):
        write_patches(self.root, {"01_a.patch": "A."})
        (bug,) = bug_catalog.load(self.root)
        (self.root / "src").mkdir()
        (self.root / "src" / "a.cc").write_text("// moved down\nint a() {\n  return 1;\n}\n")
        self.assertIsNone(bug_catalog.applies(bug, self.root))
        (self.root / "src" / "a.cc").write_text("int a() {\n  return 3;\n}\n")
        self.assertRegex(bug_catalog.applies(bug, self.root), "01_a.patch no longer applies")

    def test_every_real_patch_applies_to_the_tree(self):
        root = pathlib.Path(os.environ.get("TEST_SRCDIR", ""), os.environ.get("TEST_WORKSPACE", ""))
        if not (root / "tools" / "bugs").is_dir():
            root = pathlib.Path(__file__).resolve().parents[2]
        bugs = bug_catalog.load(root)
        self.assertIn("use_after_free", [b.name for b in bugs])
        # A copy: patch(1) will not touch the symbolic links of runfiles.
        shutil.copytree(root / "src", self.root / "src")
        for bug in bugs:
            self.assertIsNone(bug_catalog.applies(bug, self.root), bug.name)


# A stand-in fuzz binary: behaves as $BEHAVIOUR says, whatever its flags.
FAKE_FUZZER = """\
#!/bin/sh
case "$BEHAVIOUR" in
  oracle) echo 'ORACLE FAILED (fuzz/server_fuzzer.cc:139): c.received == c.sent: client 3: sent 12, echoed 7' >&2; exit 1 ;;
  asan) echo '==9==ERROR: AddressSanitizer: heap-use-after-free on address 0x6190' >&2
        echo '    #0 0x55 in echo::EchoServer::OnClientEvent(int) /x/src/server/echo_server.cc:256:5' >&2; exit 1 ;;
  sigpipe) kill -PIPE $$ ;;
  sigkill) kill -KILL $$ ;;
  clean) echo 'Done 1000 runs in 1 second(s)' >&2; exit 0 ;;
  slow) sleep 30; exit 0 ;;
  tidy) trap 'touch "$TIDIED"; exit 0' TERM; sleep 30 & wait ;;
  broken) echo 'unknown flag' >&2; exit 1 ;;
esac
"""


class RunDetectorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp())
        (self.tmp / "fuzz" / "corpus" / "server").mkdir(parents=True)
        (self.tmp / "fuzz" / "corpus" / "server" / "seed").write_bytes(b"x")
        binary = self.tmp / "fuzz" / "server_bin"
        binary.write_text(FAKE_FUZZER)
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
        (self.tmp / "fuzz" / "server.options").write_text("[libfuzzer]\nmax_len = 130\n")
        self.target = campaign.Target("server", self.tmp, self.tmp)
        self.runs = 0

    def run_as(self, behaviour):
        os.environ["BEHAVIOUR"] = behaviour
        self.runs += 1
        return hunt.run_detector(self.target, 1, 5, False, self.tmp / "work" / str(self.runs))

    def test_oracle_failure_is_a_finding_named_by_its_message(self):
        outcome = self.run_as("oracle")
        self.assertIsNotNone(outcome["secs"])
        self.assertEqual(outcome["kind"], "oracle: fuzz/server_fuzzer.cc:139")
        self.assertEqual(outcome["label"], "oracle: client _: sent _, echoed _ [server_fuzzer.cc:139]")
        self.assertIsNone(outcome["error"])

    def test_sanitizer_report_is_a_finding_of_its_kind(self):
        outcome = self.run_as("asan")
        self.assertEqual(outcome["kind"], "heap-use-after-free")
        self.assertEqual(outcome["label"], "AddressSanitizer: heap-use-after-free")

    def test_death_by_an_unhandled_signal_is_a_finding(self):
        outcome = self.run_as("sigpipe")
        self.assertIsNotNone(outcome["secs"])
        self.assertEqual(outcome["label"], "killed by SIGPIPE")

    def test_death_by_a_signal_from_outside_is_an_error_not_a_finding(self):
        outcome = self.run_as("sigkill")
        self.assertIsNone(outcome["secs"])
        self.assertIn("killed by SIGKILL from outside", outcome["error"])

    def test_clean_finish_is_no_finding(self):
        outcome = self.run_as("clean")
        self.assertIsNone(outcome["secs"])
        self.assertIsNone(outcome["error"])

    def test_failure_without_a_report_is_an_error_not_a_finding(self):
        outcome = self.run_as("broken")
        self.assertIsNone(outcome["secs"])
        self.assertIn("exited 1 without a report", outcome["error"])

    def test_a_detector_stopped_by_another_is_neither_finding_nor_error(self):
        os.environ["BEHAVIOUR"] = "slow"
        stop = threading.Event()
        threading.Timer(0.2, stop.set).start()
        started = time.monotonic()
        outcome = hunt.run_detector(self.target, 1, 5, False, self.tmp / "work" / "s", stop)
        self.assertLess(time.monotonic() - started, 10)
        self.assertTrue(outcome["stopped"])
        self.assertIsNone(outcome["secs"])
        self.assertIsNone(outcome["error"])

    def test_a_stopped_detector_gets_to_end_its_own_children(self):
        # The fault detector's strace and server run in sessions of their
        # own: only the detector's own clean-up, on SIGTERM, ends them.
        os.environ["BEHAVIOUR"] = "tidy"
        os.environ["TIDIED"] = str(self.tmp / "tidied")
        stop = threading.Event()
        threading.Timer(0.2, stop.set).start()
        outcome = hunt.run_detector(self.target, 1, 5, False, self.tmp / "work" / "t", stop)
        self.assertTrue(outcome["stopped"])
        self.assertTrue((self.tmp / "tidied").exists(), "stopped without a chance to clean up")

    def test_the_first_report_of_a_trial_stops_the_other_detectors(self):
        class Scripted:  # A detector whose command is a shell line.
            def __init__(self, name, line):
                self.name, self.line = name, line

            def command(self, seed, seconds, start_empty, work):
                return ["sh", "-c", self.line]

        args = argparse.Namespace(time=5, start="corpus")
        outcomes = hunt.run_trial(
            [Scripted("finder", "sleep 0.2; echo 'ORACLE FAILED (f.cc:1): x: y' >&2; exit 1"),
             Scripted("slow", "sleep 30")], 1, args, self.tmp / "race")
        self.assertIsNotNone(outcomes["finder"]["secs"])
        self.assertTrue(outcomes["slow"]["stopped"])


def outcome(secs, label="oracle: x [f.cc:1]", error=None):
    return {"trial": 1, "seed": 1, "secs": secs, "kind": label, "label": label if secs else None,
            "signature": "s", "error": error, "log": "log"}


class SummaryTest(unittest.TestCase):
    catalog = {name: bug_catalog.Bug(name, number, name, name == "use_after_free",
                                     5.0 if name == "use_after_free" else 60.0, None)
               for number, name in ((1, "use_after_free"), (2, "eof_drops_queue"))}
    args = argparse.Namespace(command="tools/dev hunt", trials=3, time=60, start="corpus",
                              detector=["connection", "server"])

    def row(self, variant, connection, server):
        results = {variant: {"connection": [outcome(s) for s in connection],
                             "server": [outcome(s) for s in server]}}
        return hunt_report.summarize(results, self.catalog, self.args)["rows"][0]

    def test_class_time_is_the_first_detector_per_trial(self):
        row = self.row("eof_drops_queue", [0.5, None, 30.0], [2.0, 3.0, None])
        self.assertTrue(row["passed"], row["verdict"])
        self.assertEqual(row["detected_trials"], 3)
        self.assertEqual((row["median_secs"], row["worst_secs"]), (3.0, 30.0))
        server = row["detectors"]["server"]
        self.assertEqual((server["found"], server["median_secs"], server["worst_secs"]),
                         (2, 3.0, None))

    def test_a_trial_missed_by_every_detector_fails_the_class(self):
        row = self.row("eof_drops_queue", [0.5, None, 0.5], [0.5, None, 0.5])
        self.assertFalse(row["passed"])
        self.assertEqual(row["verdict"], "MISSED in 1 trial(s)")

    def test_median_over_budget_fails_the_class(self):
        row = self.row("use_after_free", [None] * 3, [4.0, 6.0, 7.0])
        self.assertFalse(row["passed"])
        self.assertIn("too slow", row["verdict"])

    def test_any_finding_on_the_clean_build_is_a_false_alarm(self):
        row = self.row("clean", [None, None, None], [None, 12.0, None])
        self.assertFalse(row["passed"])
        self.assertEqual(row["verdict"], "FALSE ALARM in 1 trial(s)")
        self.assertTrue(self.row("clean", [None] * 3, [None] * 3)["passed"])

    def test_a_false_alarm_shows_in_the_table(self):
        results = {"clean": {"connection": [outcome(None)] * 3,
                             "server": [outcome(None), outcome(12.0, "oracle: y [g.cc:2]"),
                                        outcome(None)]}}
        text = hunt_report.markdown(hunt_report.summarize(results, self.catalog, self.args))
        self.assertIn("| clean | nothing fired | found in 1/3 only: oracle: y [g.cc:2] (1/3) | "
                      "not found | FALSE ALARM in 1 trial(s) |", text)

    def test_detector_error_fails_even_a_detected_class(self):
        results = {"eof_drops_queue": {
            "connection": [outcome(0.1)] * 3,
            "server": [outcome(None, error="libFuzzer exited 1 without a report")] * 3}}
        row = hunt_report.summarize(results, self.catalog, self.args)["rows"][0]
        self.assertFalse(row["passed"])

    def test_reports_render_every_row(self):
        results = {"clean": {"connection": [outcome(None)] * 3, "server": [outcome(None)] * 3},
                   "use_after_free": {"connection": [outcome(None)] * 3,
                                      "server": [outcome(0.2, "AddressSanitizer: x")] * 3}}
        summary = hunt_report.summarize(results, self.catalog, self.args)
        self.assertEqual([r["variant"] for r in summary["rows"]], ["use_after_free", "clean"])
        text = hunt_report.markdown(summary)
        self.assertIn("| 1. use_after_free | not found | 0.20 s: AddressSanitizer: x |", text)
        page = hunt_report.render_html(summary)
        self.assertIn("<svg", page)
        # Self-contained: nothing to fetch, no script.
        for fetch in ("://", "src=", "href=", "<script", "url("):
            self.assertNotIn(fetch, page)
        paths = hunt_report.write(summary, tempfile.mkdtemp())
        self.assertTrue(all(p.stat().st_size > 0 for p in paths.values()))


if __name__ == "__main__":
    unittest.main()
