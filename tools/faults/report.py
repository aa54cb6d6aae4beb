"""The report of a fault run: <name>.json (everything) and <name>.md (tables).

Per build: the faults injected per system call and errno, each oracle's
verdict over all cases, and per case its injections, what landed, the
echo_load totals and the verdicts.
"""

import collections
import json

import catalog
import oracles


def totals(cases):
    """Injected faults per syscall and errno over every case."""
    injected = collections.OrderedDict()
    for case in cases:
        for syscall, errnos in case["injected"].items():
            for errno, count in errnos.items():
                row = injected.setdefault(syscall, collections.OrderedDict())
                row[errno] = row.get(errno, 0) + count
    return injected


def oracle_summary(cases):
    """Per oracle: the worst verdict over cases (FAIL, then pass) and the
    cases that did not pass."""
    rank = {oracles.FAIL: 2, oracles.PASS: 1, oracles.NOT_CHECKED: 0}
    summary = collections.OrderedDict()
    for oracle in oracles.ORACLES:
        verdicts = [(case["name"], case["oracles"][oracle]) for case in cases]
        worst = max((v["verdict"] for _, v in verdicts), key=rank.get, default=oracles.NOT_CHECKED)
        summary[oracle] = {
            "verdict": worst,
            "checked_in": sum(v["verdict"] != oracles.NOT_CHECKED for _, v in verdicts),
            "not_passed": [{"case": name, "verdict": v["verdict"], "detail": v["detail"]}
                           for name, v in verdicts
                           if v["verdict"] == oracles.FAIL],
        }
    return summary


def build_report(meta, probe_calls, cases):
    return dict(meta, **{
        "serving_syscalls": [
            {"syscall": name, "calls_in_probe": count,
             "injected": name in catalog.SERVING or name in catalog.STARTUP,
             "why_not": catalog.NOT_INJECTED.get(name, "")}
            for name, count in sorted(probe_calls.items())],
        "injected": totals(cases),
        "oracles": oracle_summary(cases),
        "cases": cases,
    })


def _kinds(summary):
    k = summary["errors_by_kind"]
    return "%d / %d / %d / %d" % (k["closed"], k["wrong_data"], k["stalled"], k["other"])


def markdown(report):
    lines = ["# Fault injection: %s" % report["name"], "",
             "`%s`: seed %d, %d s asked, %.1f s taken: **%s**" % (
                 report["command"], report["seed"], report["time"], report["wall_seconds"],
                 "PASSED" if report["passed"] else "FAILED"), "",
             "| system call | faults injected |", "| --- | --- |"]
    for syscall, errnos in report["injected"].items():
        lines.append("| %s | %s |" % (syscall, ", ".join(
            "%s %d" % item for item in errnos.items())))
    lines += ["", "| oracle | verdict | checked in | not passed in |", "| --- | --- | ---: | --- |"]
    for oracle, row in report["oracles"].items():
        not_passed = ", ".join(n["case"] for n in row["not_passed"])
        lines.append("| %s | %s | %d cases | %s |" % (oracle, row["verdict"], row["checked_in"],
                                                       not_passed))
    lines += ["", "| case | injections (when=first+step) | injected | echo_load runs, "
              "bytes verified, errors closed / wrong / stalled / other | verdicts |",
              "| --- | --- | --- | --- | --- |"]
    for case in report["cases"]:
        injected = sum(sum(e.values()) for e in case["injected"].values())
        verdicts = ", ".join("%s %s" % (o, v["verdict"]) for o, v in case["oracles"].items()
                             if v["verdict"] != oracles.NOT_CHECKED)
        lines.append("| %s | %s | %d | %d, %d B, %s | %s |" % (
            case["name"], " ".join("%s=%s@%s" % (i["syscall"], i["errno"], i["when"])
                                   for i in case["injections"]) or "none",
            injected, case["load"]["runs"], case["load"]["bytes_verified"],
            _kinds(case["load"]), verdicts))
    return "\n".join(lines) + "\n"


def write(report_dir, report):
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / (report["name"] + ".json")).write_text(json.dumps(report, indent=1) + "\n")
    (report_dir / (report["name"] + ".md")).write_text(markdown(report))
