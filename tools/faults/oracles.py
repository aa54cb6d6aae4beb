"""The oracles of a fault run, their verdicts, the alarm, and the report.

The first failure of the run is announced on stderr at once, flushed, as a
line starting with "ORACLE FAILED", so that a caller (the bug hunt) can time
detection from launch. Later failures are reported, not announced again.
The report, per build, is <name>.json (everything) and <name>.md (tables):
the faults injected per system call and errno, each oracle's verdict over
all cases, and per case its injections, what landed, the echo_load totals
and the verdicts.
"""

import collections
import json
import sys
import time

import schedule

ORACLES = collections.OrderedDict([
    ("startup", "a failed startup call ends in exit status 1 with one line on stderr, "
                "or the server serves as usual"),
    ("wrong_byte", "no client ever receives a wrong byte"),
    ("no_hang", "every connection completes or is closed: none stalls, no connect is refused"),
    ("no_drop", "with no fault, or only faults that delay a call (EINTR, EAGAIN), the "
                "server closes no connection"),
    ("alive", "the server stays alive while faults are injected"),
    ("new_client", "a new client is answered after the traffic"),
    ("descriptors", "the server's descriptors return exactly to the baseline once clients leave"),
    ("sigterm", "SIGTERM still ends the server with exit status 0"),
])

PASS, FAIL, NOT_CHECKED = "pass", "FAIL", "not checked"


class Judge:
    """Counts the failures of a run's cases; announces the first."""

    def __init__(self, started, stream=None):
        self.started, self.stream = started, stream or sys.stderr
        self._failures = 0

    def begin(self, case_name):
        return CaseVerdicts(self, case_name)

    def announce(self, case_name, oracle, detail):
        prefix = "faults: also failed" if self._failures else "ORACLE FAILED (faults)"
        self._failures += 1
        self.stream.write("%s: %s: %s [%s, %.1f s after launch]\n" % (
            prefix, oracle, detail, case_name, time.monotonic() - self.started))
        self.stream.flush()

    def failures(self):
        return self._failures


class CaseVerdicts:
    """One case's verdict per oracle: the first failure's detail is kept."""

    def __init__(self, judge, case_name):
        self.judge, self.case_name = judge, case_name
        self.verdicts = collections.OrderedDict(
            (oracle, {"verdict": NOT_CHECKED, "detail": ""}) for oracle in ORACLES)

    def passed(self, oracle, detail=""):
        if self.verdicts[oracle]["verdict"] == NOT_CHECKED:
            self.verdicts[oracle] = {"verdict": PASS, "detail": detail}

    def failed(self, oracle, detail):
        """Records a failure (the first per oracle) and announces it."""
        if self.verdicts[oracle]["verdict"] != FAIL:
            self.verdicts[oracle] = {"verdict": FAIL, "detail": detail}
            self.judge.announce(self.case_name, oracle, detail)

    def check(self, oracle, failure, detail=""):
        """Fails `oracle` with `failure` if there is one, else passes it."""
        if failure:
            self.failed(oracle, failure)
        else:
            self.passed(oracle, detail)

    def any_failed(self):
        return any(v["verdict"] == FAIL for v in self.verdicts.values())


def totals(cases):
    """Injected faults per syscall and errno over every case."""
    injected = collections.OrderedDict()
    for case in cases:
        for syscall, errnos in case["injected"].items():
            row = injected.setdefault(syscall, collections.Counter())
            row.update(errnos)
    return injected


def oracle_summary(cases):
    """Per oracle: the worst verdict over cases (FAIL, then pass) and the
    cases that failed it."""
    rank = [NOT_CHECKED, PASS, FAIL].index
    summary = collections.OrderedDict()
    for oracle in ORACLES:
        verdicts = [(case["name"], case["oracles"][oracle]) for case in cases]
        summary[oracle] = {
            "verdict": max((v["verdict"] for _, v in verdicts), key=rank,
                           default=NOT_CHECKED),
            "checked_in": sum(v["verdict"] != NOT_CHECKED for _, v in verdicts),
            "not_passed": [{"case": name, "verdict": v["verdict"], "detail": v["detail"]}
                           for name, v in verdicts if v["verdict"] == FAIL],
        }
    return summary


def build_report(meta, probe_calls, cases):
    return dict(meta, serving_syscalls=[
        {"syscall": name, "calls_in_probe": count,
         "injected": name in schedule.SERVING or name in schedule.STARTUP,
         "why_not": schedule.NOT_INJECTED.get(name, "")}
        for name, count in sorted(probe_calls.items())],
        injected=totals(cases), oracles=oracle_summary(cases), cases=cases)


def _case_row(case):
    injected = sum(sum(e.values()) for e in case["injected"].values())
    kinds = case["load"]["errors_by_kind"]
    return "| %s | %s | %d | %d, %d B, %d / %d / %d / %d | %s |" % (
        case["name"], " ".join("%s=%s@%s" % (i["syscall"], i["errno"], i["when"])
                               for i in case["injections"]) or "none",
        injected, case["load"]["runs"], case["load"]["bytes_verified"], kinds["closed"],
        kinds["wrong_data"], kinds["stalled"], kinds["other"],
        ", ".join("%s %s" % (o, v["verdict"]) for o, v in case["oracles"].items()
                  if v["verdict"] != NOT_CHECKED))


def markdown(report):
    lines = ["# Fault injection: %s" % report["name"], "",
             "`%s`: seed %d, %d s asked, %.1f s taken: **%s**" % (
                 report["command"], report["seed"], report["time"], report["wall_seconds"],
                 "PASSED" if report["passed"] else "FAILED"), "",
             "| system call | faults injected |", "| --- | --- |"]
    lines += ["| %s | %s |" % (syscall, ", ".join("%s %d" % item for item in errnos.items()))
              for syscall, errnos in report["injected"].items()]
    lines += ["", "| oracle | verdict | checked in | not passed in |", "| --- | --- | ---: | --- |"]
    lines += ["| %s | %s | %d cases | %s |" % (oracle, row["verdict"], row["checked_in"],
                                               ", ".join(n["case"] for n in row["not_passed"]))
              for oracle, row in report["oracles"].items()]
    lines += ["", "| case | injections (when=first+step) | injected | echo_load runs, "
              "bytes verified, errors closed / wrong / stalled / other | verdicts |",
              "| --- | --- | --- | --- | --- |"]
    return "\n".join(lines + [_case_row(case) for case in report["cases"]]) + "\n"


def write(report_dir, report):
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / (report["name"] + ".json")).write_text(json.dumps(report, indent=1) + "\n")
    (report_dir / (report["name"] + ".md")).write_text(markdown(report))
