"""Campaign reports: report.json for tools, report.html for people.

The HTML page is self-contained (inline CSS and SVG, no script, nothing
fetched), so it opens offline from a CI artifact: a table row per target, two
charts over time (coverage, executions per second summed over its workers)
and its findings. page(), table() and write_files() serve hunt_report too.
"""

import datetime
import html
import json
import pathlib

_WIDTH, _HEIGHT, _PAD = 560, 180, 48
_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
.tick{font-size:11px;fill:#555}.ok{color:#176f2c}.bad{color:#b00020}
"""
_CAMPAIGN_STYLE = """
.charts{display:flex;flex-wrap:wrap;gap:1em}.chart{width:560px;height:180px;border:1px solid #ddd}
.axis{stroke:#888}.line{fill:none;stroke:#2a6fdb;stroke-width:2}.title{font-weight:bold;font-size:13px}
section{margin-bottom:2em}
"""


def page(title, style, body):
    return ("<!doctype html><html lang=en><meta charset=utf-8><title>%s</title>"
            "<style>%s%s</style><h1>%s</h1>%s</html>\n" % (title, _STYLE, style, title, body))


def table(header, rows):
    """An HTML table of cells that are HTML already; a cell may be a whole
    <td ...> element."""
    cell = lambda c: c if c.startswith("<td") else "<td>%s</td>" % c
    return "<table><tr>%s</tr>%s</table>" % ("".join("<th>%s</th>" % h for h in header), "".join(
        "<tr>%s</tr>" % "".join(map(cell, row)) for row in rows))


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def write_files(folder, stem, document, **renderers):
    """Writes folder/<stem>.json, and folder/<stem>.<ext> for each renderer
    ext=function(document); returns the paths by extension."""
    paths = {ext: pathlib.Path(folder) / ("%s.%s" % (stem, ext)) for ext in ["json", *renderers]}
    paths["json"].write_text(json.dumps(document, indent=2) + "\n")
    for ext, render in renderers.items():
        paths[ext].write_text(render(document))
    return paths


def write(results, folder):
    return write_files(folder, "report", {"generated": now(), "targets": results}, html=render_html)


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
        elif s["t"] - start[0] >= 1.0:
            rates[s["worker"]] = (s["execs"] - start[1]) / (s["t"] - start[0])
            anchor[s["worker"]] = (s["t"], s["execs"])
            points.append((s["t"], round(sum(rates.values()))))
    return points


def svg_chart(points, title, unit):
    if not points:
        return "<p class=empty>%s: no samples</p>" % html.escape(title)
    max_t = max(t for t, _ in points) or 1
    max_v = max(v for _, v in points) or 1
    left, right, top, base = _PAD, _WIDTH - _PAD, _PAD - 10, _HEIGHT - _PAD + 10
    x = lambda t: left + (_WIDTH - 2 * _PAD) * t / max_t
    y = lambda v: base - (_HEIGHT - 2 * _PAD) * v / max_v
    path = " ".join("%s%.1f,%.1f" % ("L" if i else "M", x(t), y(v)) for i, (t, v) in enumerate(points))
    title, unit = html.escape(title), html.escape(unit)
    return (
        f'<svg class=chart viewBox="0 0 {_WIDTH} {_HEIGHT}" role=img aria-label="{title}">'
        f'<text x="{left}" y="16" class=title>{title}</text>'
        f'<line x1="{left}" y1="{base}" x2="{right}" y2="{base}" class=axis />'
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base}" class=axis />'
        f'<text x="{left}" y="{base + 16}" class=tick>0 s</text>'
        f'<text x="{right}" y="{base + 16}" class=tick text-anchor=end>{max_t:.0f} s</text>'
        f'<text x="{left - 4}" y="{top}" class=tick text-anchor=end>{max_v}</text>'
        f'<text x="{left - 4}" y="{base}" class=tick text-anchor=end>0</text>'
        f'<text x="{right}" y="{top}" class=tick text-anchor=end>{unit}</text>'
        f'<path d="{path}" class=line /></svg>')


def _findings(r):
    rows = [["<code>%s</code>" % html.escape(f["signature"]), html.escape(f["kind"]),
             html.escape(" \u2190 ".join(f["frames"]) or "-"), "%s s" % f["found_after_secs"],
             str(f["count"]), "<code>%s</code>" % html.escape(str(f["input"]))]
            for f in r["findings"]]
    found = table(["signature", "kind", "innermost frames", "found after", "hits", "reproducer"],
                  rows) if rows else "<p class=ok>No findings.</p>"
    return found + "".join("<p class=bad>Campaign error: %s</p>" % html.escape(e)
                           for e in r.get("errors", []))


def _engine(r):
    return r.get("engine", "libfuzzer")  # Reports from before engines were recorded.


def _target_section(r):
    ft = "" if r["features"] is None else ", %s features" % r["features"]
    charts = (svg_chart(series(r["samples"], "cov"), "coverage (edges)", "edges") +
              svg_chart(series(r["samples"], "exec_per_sec"), "executions per second", "exec/s"))
    return (
        f'<section><h2>{html.escape(r["target"])}</h2>'
        f'<p>{html.escape(_engine(r))}, {r["seconds"]} s, {r["jobs"]} job(s): {r["execs"]:,} '
        f'executions, {r["exec_per_sec"]:,} exec/s ({r["exec_per_sec_per_job"]:,} per job), '
        f'coverage {r["coverage"]} edges{ft}, {r["merged_into_corpus"]} new input(s) merged '
        f'into the corpus.</p><div class=charts>{charts}</div>{_findings(r)}</section>')


def render_html(document):
    targets = document["targets"]
    findings = sum(len(t["findings"]) for t in targets)
    rows = [[html.escape(t["target"]), html.escape(_engine(t))] +
            [str(t[k]) for k in ("execs", "exec_per_sec", "coverage", "merged_into_corpus")] +
            ["<td class=%s>%d</td>" % ("bad" if t["findings"] else "ok", len(t["findings"]))]
            for t in targets]
    return page("echo-lab fuzz campaign", _CAMPAIGN_STYLE, (
        "<p>Generated %s. <strong class=%s>%d finding(s)</strong>.</p>%s%s" % (
            html.escape(document["generated"]), "bad" if findings else "ok", findings,
            table(["target", "engine", "executions", "exec/s", "coverage", "merged", "findings"],
                  rows), "".join(_target_section(t) for t in targets))))
