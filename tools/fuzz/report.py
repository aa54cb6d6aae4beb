"""Campaign reports: report.json for tools, report.html for people.

The HTML page is self-contained (inline CSS and SVG, no script, nothing
fetched), so it opens offline from a CI artifact. Each target gets a table
row, two charts over time (coverage, and executions per second summed over
its workers) and the list of its findings. Both engines (libFuzzer, AFL++)
report in this one format; each target records which engine ran it.
"""

import datetime
import html
import json
import pathlib

_WIDTH, _HEIGHT, _PAD = 560, 180, 48


def write(results, folder):
    """Writes report.json and report.html into `folder`; returns their paths."""
    folder = pathlib.Path(folder)
    json_path = folder / "report.json"
    html_path = folder / "report.html"
    document = {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "targets": results,
    }
    json_path.write_text(json.dumps(document, indent=2) + "\n")
    html_path.write_text(render_html(document))
    return {"json": json_path, "html": html_path}


def series(samples, key):
    """(t, value) points of one metric; for "exec_per_sec" the rate summed over
    workers, each worker's rate measured over windows of at least a second
    (libFuzzer's own lines come in bursts, too close together to divide by)."""
    if key != "exec_per_sec":
        return [(s["t"], s[key]) for s in samples if s.get(key) is not None]
    anchor = {}  # worker -> (t, execs) where its current window began
    rates = {}  # worker -> rate over its last full window
    points = []
    for s in sorted(samples, key=lambda s: s["t"]):
        start = anchor.get(s["worker"])
        if start is None or s["execs"] < start[1]:  # first sample, or a restart
            anchor[s["worker"]] = (s["t"], s["execs"])
            continue
        if s["t"] - start[0] >= 1.0:
            rates[s["worker"]] = (s["execs"] - start[1]) / (s["t"] - start[0])
            anchor[s["worker"]] = (s["t"], s["execs"])
            points.append((s["t"], round(sum(rates.values()))))
    return points


def svg_chart(points, title, unit):
    """An inline SVG line chart with labelled axes."""
    if not points:
        return "<p class=empty>%s: no samples</p>" % html.escape(title)
    max_t = max(t for t, _ in points) or 1
    max_v = max(v for _, v in points) or 1
    x = lambda t: _PAD + (_WIDTH - 2 * _PAD) * t / max_t
    y = lambda v: _HEIGHT - _PAD + 10 - (_HEIGHT - 2 * _PAD) * v / max_v
    path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", x(t), y(v))
                    for i, (t, v) in enumerate(points))
    return (
        '<svg class=chart viewBox="0 0 {w} {h}" role=img aria-label="{title}">'
        '<text x="{pad}" y="16" class=title>{title}</text>'
        '<line x1="{pad}" y1="{base}" x2="{right}" y2="{base}" class=axis />'
        '<line x1="{pad}" y1="{top}" x2="{pad}" y2="{base}" class=axis />'
        '<text x="{pad}" y="{below}" class=tick>0 s</text>'
        '<text x="{right}" y="{below}" class=tick text-anchor=end>{max_t:.0f} s</text>'
        '<text x="{tickx}" y="{top}" class=tick text-anchor=end>{max_v}</text>'
        '<text x="{tickx}" y="{base}" class=tick text-anchor=end>0</text>'
        '<text x="{right}" y="{top}" class=tick text-anchor=end>{unit}</text>'
        '<path d="{path}" class=line /></svg>'
    ).format(w=_WIDTH, h=_HEIGHT, pad=_PAD, right=_WIDTH - _PAD, top=_PAD - 10,
             base=_HEIGHT - _PAD + 10, below=_HEIGHT - _PAD + 26, tickx=_PAD - 4,
             title=html.escape(title), unit=html.escape(unit), max_t=max_t,
             max_v=max_v, path=path)


def _finding_rows(findings):
    if not findings:
        return "<p class=ok>No findings.</p>"
    rows = "".join(
        "<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s s</td><td>%d</td>"
        "<td><code>%s</code></td></tr>" % (
            html.escape(f["signature"]), html.escape(f["kind"]),
            html.escape(" \u2190 ".join(f["frames"]) or "-"), f["found_after_secs"],
            f["count"], html.escape(str(f["input"])))
        for f in findings)
    return ("<table><tr><th>signature</th><th>kind</th><th>innermost frames</th>"
            "<th>found after</th><th>hits</th><th>reproducer</th></tr>%s</table>" % rows)


def _engine(r):
    return r.get("engine", "libfuzzer")  # Reports from before engines were recorded.


def _target_section(r):
    return (
        "<section><h2>{name}</h2>"
        "<p>{engine}, {seconds} s, {jobs} job(s): {execs:,} executions, {eps:,} exec/s "
        "({eps_job:,} per job), coverage {cov} edges{ft}, "
        "{merged} new input(s) merged into the corpus.</p>"
        "<div class=charts>{cov_chart}{eps_chart}</div>{findings}</section>"
    ).format(
        name=html.escape(r["target"]), engine=html.escape(_engine(r)), seconds=r["seconds"],
        jobs=r["jobs"], execs=r["execs"], eps=r["exec_per_sec"],
        eps_job=r["exec_per_sec_per_job"], cov=r["coverage"],
        ft="" if r["features"] is None else ", %s features" % r["features"],
        merged=r["merged_into_corpus"],
        cov_chart=svg_chart(series(r["samples"], "cov"), "coverage (edges)", "edges"),
        eps_chart=svg_chart(series(r["samples"], "exec_per_sec"), "executions per second",
                            "exec/s"),
        findings=_finding_rows(r["findings"]) + "".join(
            "<p class=bad>Campaign error: %s</p>" % html.escape(e) for e in r.get("errors", [])))


_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{width:560px;height:180px;border:1px solid #ddd}
.axis{stroke:#888}.line{fill:none;stroke:#2a6fdb;stroke-width:2}.title{font-weight:bold;font-size:13px}
.tick{font-size:11px;fill:#555}.ok{color:#176f2c}.bad{color:#b00020}section{margin-bottom:2em}
"""


def render_html(document):
    targets = document["targets"]
    findings = sum(len(t["findings"]) for t in targets)
    summary_rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td>"
        "<td class=%s>%d</td></tr>" % (
            html.escape(t["target"]), html.escape(_engine(t)), t["execs"], t["exec_per_sec"],
            t["coverage"], t["merged_into_corpus"], "bad" if t["findings"] else "ok",
            len(t["findings"]))
        for t in targets)
    return (
        "<!doctype html><html lang=en><meta charset=utf-8>"
        "<title>echo-lab fuzz campaign</title><style>%s</style>"
        "<h1>echo-lab fuzz campaign</h1><p>Generated %s. <strong class=%s>%d finding(s)</strong>.</p>"
        "<table><tr><th>target</th><th>engine</th><th>executions</th><th>exec/s</th><th>coverage</th>"
        "<th>merged</th><th>findings</th></tr>%s</table>%s</html>\n" % (
            _STYLE, html.escape(document["generated"]), "bad" if findings else "ok",
            findings, summary_rows, "".join(_target_section(t) for t in targets)))
