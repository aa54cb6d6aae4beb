#!/usr/bin/env python3
"""Tests for the fault run's own logic: the seeded plan (deterministic, every
requested fault covered, strace's limits respected, startup calls spared),
strace's command lines and logs (INJECTED lines counted per call and errno,
resumed lines included), the oracles (the alarm line) and echo_load's
reports."""

import collections
import io
import pathlib
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import case_runner  # noqa: E402
import load  # noqa: E402
import oracles  # noqa: E402
import schedule  # noqa: E402
import strace_log  # noqa: E402

STARTUP_CALLS = {"setsockopt": 1, "epoll_ctl": 2}
STRACE_LIMIT = 65535  # strace's largest `first` and `step`.


def injections(cases):
    return [i for case in cases for i in case.injections]


class ScheduleTest(unittest.TestCase):
    def test_same_seed_same_plan(self):
        self.assertEqual(schedule.plan(7, 6, STARTUP_CALLS), schedule.plan(7, 6, STARTUP_CALLS))

    def test_other_seed_other_plan(self):
        self.assertNotEqual(schedule.plan(7, 6, STARTUP_CALLS), schedule.plan(8, 6, STARTUP_CALLS))

    def test_minimum_rounds_meet_every_serving_errno(self):
        for seed in range(20):
            met = {(i.syscall, i.errno)
                   for i in injections(schedule.serving_rounds(seed, schedule.MIN_SERVING_ROUNDS))}
            wanted = {(s, e) for s, errnos in schedule.SERVING.items() for e in errnos}
            self.assertEqual(met, wanted, "seed %d" % seed)

    def test_every_round_injects_into_every_serving_call_once(self):
        for case in schedule.serving_rounds(3, 9):
            self.assertEqual([i.syscall for i in case.injections], list(schedule.SERVING))

    def test_when_is_within_strace_limits_and_transients_are_frequent(self):
        for i in injections(schedule.plan(5, 12, STARTUP_CALLS)):
            self.assertGreaterEqual(i.first, 1)
            self.assertLessEqual(i.first, STRACE_LIMIT)
            if i.step is not None:
                self.assertLessEqual(i.first, i.step + STARTUP_CALLS["epoll_ctl"])
                self.assertLessEqual(i.step, STRACE_LIMIT)
                if i.errno in schedule.TRANSIENT:
                    low, high = schedule.STEP_RANGE["transient"]
                    self.assertTrue(low <= i.step <= high, i)

    def test_epoll_ctl_rounds_spare_the_startup_calls_and_cover_every_errno(self):
        cases = schedule.epoll_ctl_rounds(11, startup_calls=2)
        self.assertEqual([c.injections[0].errno for c in cases], list(schedule.EPOLL_CTL))
        for case in cases:
            (only,) = case.injections
            self.assertEqual(only.syscall, "epoll_ctl")
            self.assertGreater(only.first, 2)

    def test_plan_runs_serving_rounds_first_and_startup_cases_last(self):
        cases = schedule.plan(2, 6, STARTUP_CALLS)
        self.assertEqual([case.phase for case in cases], ["serving"] * 10 + ["startup"] * 3)
        self.assertEqual([cases[0].name, cases[7].name], ["transient 1", "transient 2"])

    def test_transient_rounds_only_delay_and_meet_both_eintr_and_eagain(self):
        for seed in range(10):
            cases = schedule.transient_rounds(seed)
            met = collections.defaultdict(set)
            for case in cases:
                self.assertFalse(schedule.closes_allowed(case), case)
                for i in case.injections:
                    self.assertIn(i.errno, schedule.TRANSIENT)
                    met[i.syscall].add(i.errno)
            for syscall, errnos in schedule.SERVING.items():
                self.assertEqual(met[syscall], set(errnos) & schedule.TRANSIENT, syscall)

    def test_closes_are_allowed_only_with_a_fault_that_ends_connections(self):
        self.assertFalse(schedule.closes_allowed(schedule.Case("probe", "probe", ())))
        self.assertTrue(schedule.closes_allowed(schedule.Case("x", "serving", (
            schedule.Injection("recvfrom", "EINTR", 1, 2),
            schedule.Injection("sendto", "ECONNRESET", 1, 50)))))

    def test_one_startup_case_per_counted_call(self):
        cases = schedule.startup_cases(1, STARTUP_CALLS)
        self.assertEqual([(c.injections[0].syscall, c.injections[0].first, c.injections[0].step)
                          for c in cases],
                         [("setsockopt", 1, None), ("epoll_ctl", 1, None), ("epoll_ctl", 2, None)])

    def test_rounds_grow_with_time_but_never_below_the_minimum(self):
        self.assertEqual(schedule.rounds_for(10, 6.0), schedule.MIN_SERVING_ROUNDS)
        self.assertEqual(schedule.rounds_for(120, 6.0), 20)


LOG = """\
4242 accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EMFILE (Too many open files) (INJECTED)
4242 accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = -1 EAGAIN (Resource temporarily unavailable)
4242 recvfrom(7, 0x5555, 65536, 0, NULL, NULL) = -1 ECONNRESET (Connection reset by peer) (INJECTED)
4242 recvfrom(8, 0x5555, 65536, 0, NULL, NULL) = -1 ECONNRESET (Connection reset by peer) (INJECTED)
4242 epoll_wait(4,  <unfinished ...>
4243 close(9)                          = 0
4242 <... epoll_wait resumed>0x5555, 64, 59743) = -1 EINTR (Interrupted system call) (INJECTED)
4242 epoll_ctl(4, EPOLL_CTL_ADD, 12, {events=EPOLLIN, data={u32=12, u64=12}}) = -1 ENOMEM (Cannot allocate memory) (INJECTED)
4242 sendto(7, "abc", 3, MSG_NOSIGNAL, NULL, 0) = 3
"""


class StraceLogTest(unittest.TestCase):
    def test_counts_injected_and_real_failures_apart(self):
        counts = strace_log.failures(LOG.splitlines())
        F = strace_log.Failure
        self.assertEqual(counts, collections.Counter({
            F("accept4", "EMFILE", True): 1, F("accept4", "EAGAIN", False): 1,
            F("recvfrom", "ECONNRESET", True): 2, F("epoll_wait", "EINTR", True): 1,
            F("epoll_ctl", "ENOMEM", True): 1}))

    def test_finds_the_descriptor_of_each_injected_epoll_ctl(self):
        self.assertEqual(strace_log.injected_epoll_ctl_fds(LOG.splitlines()), [12])

    def test_probe_splits_startup_from_serving_at_the_first_epoll_wait(self):
        lines = """\
1 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
1 epoll_ctl(4, EPOLL_CTL_ADD, 5, {events=EPOLLIN, data={u32=5, u64=5}}) = 0
1 epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN, data={u32=3, u64=3}}) = 0
1 epoll_wait(4, [{events=EPOLLIN, data={u32=3, u64=3}}], 64, 59743) = 1
1 accept4(3, NULL, NULL, SOCK_CLOEXEC|SOCK_NONBLOCK) = 7
1 epoll_ctl(4, EPOLL_CTL_ADD, 7, {events=EPOLLIN, data={u32=7, u64=7}}) = 0
1 epoll_wait(4,  <unfinished ...>
1 <... epoll_wait resumed>[], 64, 100) = 0
""".splitlines()
        probe = strace_log.probe(lines)
        self.assertEqual(probe.startup_calls, collections.Counter(setsockopt=1, epoll_ctl=2))
        self.assertEqual(probe.serving_calls,
                         collections.Counter(epoll_wait=2, accept4=1, epoll_ctl=1))

    def test_commands(self):
        inj = [schedule.Injection("recvfrom", "EINTR", 3, 5),
               schedule.Injection("setsockopt", "ENOMEM", 1, None)]
        self.assertEqual(strace_log.injection_rule(inj[0]), "inject=recvfrom:error=EINTR:when=3+5")
        self.assertEqual(strace_log.injection_rule(inj[1]), "inject=setsockopt:error=ENOMEM:when=1")
        command = strace_log.command("strace", "/tmp/log", ["server", "--port", "0"], inj)
        self.assertEqual(command[-4:], ["--", "server", "--port", "0"])
        for flag in ("-f", "--seccomp-bpf", "-Z", "trace=recvfrom,setsockopt",
                     "inject=recvfrom:error=EINTR:when=3+5"):
            self.assertIn(flag, command)


class OracleTest(unittest.TestCase):
    def judge(self):
        self.stream = io.StringIO()
        return oracles.Judge(0.0, self.stream)

    def test_first_real_failure_is_announced_once(self):
        judge = self.judge()
        case = judge.begin("serving 1")
        case.passed("alive")
        case.failed("descriptors", "12 descriptors, baseline 13")
        case.failed("sigterm", "exit status 1")
        lines = self.stream.getvalue().splitlines()
        self.assertTrue(lines[0].startswith(
            "ORACLE FAILED (faults): descriptors: 12 descriptors, baseline 13 [serving 1, "), lines)
        self.assertFalse(lines[1].startswith("ORACLE FAILED"))
        self.assertEqual(judge.failures(), 2)
        self.assertEqual(case.verdicts["alive"]["verdict"], oracles.PASS)

    def test_descriptors_compare_what_is_open_not_just_how_many(self):
        baseline = {3: "socket:[77]", 5: "anon_inode:[eventfd]", 6: "/dev/null"}
        self.assertIsNone(case_runner.descriptor_difference(baseline, dict(baseline)))
        # The reserve reopened under another number is still the baseline.
        moved = {3: "socket:[77]", 5: "anon_inode:[eventfd]", 9: "/dev/null"}
        self.assertIsNone(case_runner.descriptor_difference(baseline, moved))
        self.assertEqual(case_runner.descriptor_difference(baseline, {3: "socket:[77]",
                                                                      5: "anon_inode:[eventfd]"}),
                         "2 descriptors, baseline 3 (extra: none; missing: /dev/null)")
        # As many as at startup, yet the reserve is lost and a client is open.
        swapped = {3: "socket:[77]", 5: "anon_inode:[eventfd]", 6: "socket:[91]"}
        self.assertEqual(case_runner.descriptor_difference(baseline, swapped),
                         "3 descriptors, baseline 3 (extra: socket; missing: /dev/null)")
        many = dict(baseline)
        many.update({fd: "socket:[%d]" % (100 + fd) for fd in range(10, 13)})
        self.assertEqual(case_runner.descriptor_difference(baseline, many),
                         "6 descriptors, baseline 3 (extra: 3 socket; missing: none)")

    def test_describe_fd(self):
        baseline = {3: "socket:[77]", 5: "anon_inode:[eventfd]", 6: "/dev/null"}
        self.assertEqual(case_runner.describe_fd(3, baseline), "listener")
        self.assertEqual(case_runner.describe_fd(5, baseline), "anon_inode:[eventfd]")
        self.assertEqual(case_runner.describe_fd(9, baseline), "client")


def run_of(mode, **kinds):
    by_kind = dict.fromkeys(load.KINDS, 0)
    by_kind.update(kinds)
    return load.Run(mode, 1, {"bytes_verified": 100, "errors": sum(kinds.values()),
                              "errors_by_kind": by_kind, "error_samples": ["x"] if kinds else []},
                    None)


class LoadTest(unittest.TestCase):
    def test_parses_the_last_json_line_and_rejects_reports_without_kinds(self):
        report = '{"intervals": [], "end": {"errors_by_kind": {"closed": 2}}}'
        self.assertEqual(load.parse_report("noise\n%s\n" % report),
                         {"errors_by_kind": {"closed": 2}})
        self.assertIsNone(load.parse_report('{"end": {"errors": 0}}'))
        # The summary at the top level, as echo_load printed it before "end".
        self.assertIsNone(load.parse_report('{"errors_by_kind": {"closed": 2}}'))
        self.assertIsNone(load.parse_report('[1]'))
        self.assertIsNone(load.parse_report("not json"))
        self.assertIsNone(load.parse_report(""))

    def test_summarize_adds_up_per_mode(self):
        total = load.summarize([run_of("bulk", closed=2), run_of("bulk", wrong_data=1),
                                run_of("churn"), load.Run("churn", 2, None, "hung: killed")])
        self.assertEqual(total["runs"], 4)
        self.assertEqual(total["bytes_verified"], 300)
        self.assertEqual(total["errors_by_kind"], {"wrong_data": 1, "closed": 2, "stalled": 0,
                                                   "other": 0})
        self.assertEqual(total["by_mode"]["bulk"]["runs"], 2)
        self.assertIn("hung: killed", total["error_samples"])

    def test_command_passes_flags_through(self):
        self.assertEqual(load.command("echo_load", 99, "bulk", {"in-flight": 8}, 5, 2, 1.5),
                         ["echo_load", "--port", "99", "--mode", "bulk", "--json", "--seed", "5",
                          "--timeout", "2", "--in-flight", "8", "--duration", "1.500"])


class ReportTest(unittest.TestCase):
    def case(self, name, verdict, injected):
        verdicts = {o: {"verdict": oracles.PASS, "detail": ""} for o in oracles.ORACLES}
        verdicts["descriptors"] = {"verdict": verdict, "detail": "d"}
        return {"name": name, "phase": "serving", "injections": [], "injected": injected,
                "real_failures": {}, "load": load.summarize([run_of("bulk")]),
                "oracles": verdicts}

    def test_worst_verdict_wins_and_injections_add_up(self):
        cases = [self.case("a", oracles.PASS, {"accept4": {"EMFILE": 2}}),
                 self.case("b", oracles.FAIL, {"accept4": {"EMFILE": 3, "EINTR": 1}})]
        summary = oracles.oracle_summary(cases)
        self.assertEqual(summary["descriptors"]["verdict"], oracles.FAIL)
        self.assertEqual([n["case"] for n in summary["descriptors"]["not_passed"]], ["b"])
        self.assertEqual(oracles.totals(cases), {"accept4": {"EMFILE": 5, "EINTR": 1}})
        meta = {"name": "opt", "command": "c", "seed": 1, "time": 5, "wall_seconds": 5.5,
                "passed": False}
        text = oracles.markdown(oracles.build_report(meta, {"close": 3}, cases))
        self.assertIn("| accept4 | EMFILE 5, EINTR 1 |", text)
        self.assertIn("| descriptors | FAIL | 2 cases | b |", text)


if __name__ == "__main__":
    unittest.main()
