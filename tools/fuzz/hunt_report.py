"""Hunt reports: the verdict per defect class, as JSON, markdown and HTML.

summarize() turns raw outcomes ({variant: {detector: [outcome per trial]}},
each outcome {"trial", "seed", "secs" or None, "kind", "label", "signature",
"error", "log"}) into rows: per class and detector the median and worst
time-to-detection over trials and what fired; per class the same over "the
first detector to fire" in each trial, against the class's budget. A trial in
which nothing fires counts as infinitely slow, so one miss makes "worst"
"not found", and misses in half the trials or more make the median "not
found" too. The HTML page adds a log-scale chart of median and worst times.
"""

import collections
import html
import math
import statistics

import report

CLEAN = "clean"


def _median_and_worst(times):
    """times: seconds or None (not found) per trial."""
    values = [math.inf if t is None else t for t in times]
    return statistics.median(values), max(values)


def _finite(value):
    """JSON has no infinity: None stands for "not found"."""
    return None if value is None or math.isinf(value) else round(value, 3)


def _detector_cell(outcomes):
    median, worst = _median_and_worst([o["secs"] for o in outcomes])
    labels = collections.Counter(o["label"] for o in outcomes if o["label"])
    return {
        "found": sum(o["secs"] is not None for o in outcomes),
        "stopped": sum(bool(o.get("stopped")) for o in outcomes),
        "trials": len(outcomes),
        "median_secs": _finite(median),
        "worst_secs": _finite(worst),
        "fired": [{"label": label, "trials": n} for label, n in labels.most_common()],
        "errors": [o["error"] for o in outcomes if o["error"]],
    }


def _row(variant, by_detector, bug, trials):
    cells = {d: _detector_cell(outcomes) for d, outcomes in by_detector.items()}
    # Per trial, the time of the first detector to fire (None if none).
    times = [min((outcomes[i]["secs"] for outcomes in by_detector.values()
                  if outcomes[i]["secs"] is not None), default=None) for i in range(trials)]
    median, worst = _median_and_worst(times)
    detected = sum(t is not None for t in times)
    row = {
        "variant": variant, "number": bug.number if bug else None,
        "title": bug.title if bug else "no defect injected",
        "memory_safety": bool(bug and bug.memory_safety),
        "budget_secs": bug.budget_secs if bug else None, "detectors": cells,
        "detected_trials": detected, "trials": trials,
        "median_secs": _finite(median), "worst_secs": _finite(worst),
    }
    if any(cell["errors"] for cell in cells.values()):
        row["passed"], row["verdict"] = False, "detector error"
    elif bug is None:
        row["passed"] = detected == 0
        row["verdict"] = "no finding" if detected == 0 else "FALSE ALARM in %d trial(s)" % detected
    elif detected < trials:
        row["passed"], row["verdict"] = False, "MISSED in %d trial(s)" % (trials - detected)
    elif median > bug.budget_secs:
        row["passed"], row["verdict"] = False, "too slow (budget %g s)" % bug.budget_secs
    else:
        row["passed"], row["verdict"] = True, "detected (budget %g s)" % bug.budget_secs
    return row


def summarize(results, catalog, args):
    """The report document; `catalog` maps class names to bug_catalog.Bug."""
    order = sorted(results, key=lambda v: (v == CLEAN, catalog[v].number if v in catalog else 0))
    return {
        "generated": report.now(), "command": args.command, "trials": args.trials,
        "time_limit_secs": args.time, "start": args.start, "detectors": list(args.detector),
        "rows": [_row(v, results[v], catalog.get(v), args.trials) for v in order],
        "outcomes": results,
    }


def write(summary, folder):
    return report.write_files(folder, "hunt", summary, md=lambda s: markdown(s) + "\n",
                              html=render_html)


def _secs(value):
    if value is None:
        return "not found"
    return "%.2f s" % value if value < 10 else "%.1f s" % value


def _span(median, worst):
    if median is None:
        return "not found"
    return _secs(median) if worst == median else "%s / %s" % (_secs(median), _secs(worst))


def _cell_text(cell):
    """A detector's times and what fired; runs it did not finish because
    another detector of the same trial fired first are "stopped", not "not
    found"."""
    stopped = cell.get("stopped", 0)
    if stopped and not cell["found"]:
        return "stopped: another target fired first" + (
            "" if stopped == cell["trials"] else " (%d/%d)" % (stopped, cell["trials"]))
    text = _span(cell["median_secs"], cell["worst_secs"])
    if cell["found"] and cell["found"] < cell["trials"]:
        text = ("found in %d/%d only" if cell["median_secs"] is None else
                text + " (found in %d/%d)") % (cell["found"], cell["trials"])
        if stopped:
            text += ", stopped in %d" % stopped
    return text + (": " + _fired(cell) if cell["fired"] else "")


def _fired(cell):
    return "; ".join(f["label"] + ("" if f["trials"] == cell["trials"] else
                                   " (%d/%d)" % (f["trials"], cell["trials"]))
                     for f in cell["fired"])


_NOTHING = "nothing fired"


def _table(summary):
    """The header and rows (as text) of the result table, per class: each
    detector's times, the first detector's, and the verdict."""
    header = (["class"] + ["%s target" % d for d in summary["detectors"]] +
              ["first detector", "result"])
    rows = []
    for row in summary["rows"]:
        clean = row["number"] is None  # The clean build: "not found" is the point.
        cells = [_NOTHING if clean and not row["detectors"][d]["found"]
                 else _cell_text(row["detectors"][d]) for d in summary["detectors"]]
        first = (_NOTHING if clean and not row["detected_trials"]
                 else _span(row["median_secs"], row["worst_secs"]))
        name = row["variant"] if clean else "%d. %s" % (row["number"], row["variant"])
        rows.append([name] + cells + [first, row["verdict"]])
    return header, rows


def _intro(summary):
    return ("%d trial(s), %d s per trial, starting from %s; the detectors of a trial run at "
            "once and the first report stops the others; times are median / worst from "
            "launch to the first report." % (
                summary["trials"], summary["time_limit_secs"],
                "the in-tree corpus" if summary["start"] == "corpus" else "an empty corpus"))


def markdown(summary):
    header, rows = _table(summary)
    table = ["| %s |" % " | ".join(cells) for cells in [header] + rows]
    table.insert(1, "|---" * len(header) + "|")
    return "\n".join(["Hunt: " + _intro(summary), ""] + table +
                     ["", "Command: `%s`" % summary["command"]])


# Chart geometry: one band per class, one bar per detector, log-scale time.
_LEFT, _RIGHT, _BAR, _GAP, _TOP = 190, 40, 12, 10, 40
_WIDTH = 860
_COLORS = ("#2a6fdb", "#e07b00", "#2a9d5b", "#9b3fb5")


def _chart(summary):
    detectors, rows = summary["detectors"], summary["rows"]
    limit = float(summary["time_limit_secs"])
    low, high = 0.01, max([1.0, limit] + [row["budget_secs"] for row in rows if row["budget_secs"]])
    span = math.log10(high) - math.log10(low)
    x = lambda secs: _LEFT + (_WIDTH - _LEFT - _RIGHT) * (
        math.log10(min(max(secs, low), high)) - math.log10(low)) / span
    band = len(detectors) * _BAR + _GAP
    height = _TOP + band * len(rows) + 30
    parts = ['<svg class=chart viewBox="0 0 %d %d" role=img '
             'aria-label="time to detection per class and detector">' % (_WIDTH, height)]
    ticks = [10.0 ** e for e in range(-2, int(math.log10(high)) + 1)]
    # The axis ends at the time limit or the largest budget; a "not found"
    # bar ends at the time limit.
    for extra in sorted({limit, high}):
        if all(abs(extra - t) > 0.5 * t for t in ticks):
            ticks.append(extra)
    for tick in ticks:
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class=grid />'
                     '<text x="%.1f" y="%d" class=tick text-anchor=middle>%g s</text>' % (
                         x(tick), _TOP - 6, x(tick), height - 24, x(tick), height - 8, tick))
    for i, d in enumerate(detectors):
        parts.append('<rect x="%d" y="8" width="10" height="10" fill="%s" />'
                     '<text x="%d" y="17" class=tick>%s target</text>' % (
                         _LEFT + 150 * i, _COLORS[i % len(_COLORS)], _LEFT + 150 * i + 14,
                         html.escape(d)))
    for r, row in enumerate(rows):
        top = _TOP + r * band
        parts.append('<text x="%d" y="%d" class=label text-anchor=end>%s</text>' % (
            _LEFT - 8, top + len(detectors) * _BAR / 2 + 4, html.escape(row["variant"])))
        if row["budget_secs"]:
            parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class=budget>'
                         '<title>budget %g s</title></line>' % (
                             x(row["budget_secs"]), top - 2, x(row["budget_secs"]),
                             top + len(detectors) * _BAR + 2, row["budget_secs"]))
        for i, d in enumerate(detectors):
            cell = row["detectors"][d]
            y = top + i * _BAR
            tip = html.escape("%s / %s: %s; %s" % (
                row["variant"], d, _span(cell["median_secs"], cell["worst_secs"]), _fired(cell)))
            found = cell["median_secs"] is not None
            parts.append('<rect x="%d" y="%d" width="%.1f" height="%d" %s><title>%s</title></rect>' % (
                _LEFT, y + 1, max(1.0, x(cell["median_secs"]) - _LEFT) if found else x(limit) - _LEFT,
                _BAR - 2, 'fill="%s"' % _COLORS[i % len(_COLORS)] if found else "class=missed", tip))
            if found:
                worst = cell["worst_secs"] if cell["worst_secs"] is not None else limit
                parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" class=worst />' % (
                    x(worst), y + 1, x(worst), y + _BAR - 1))
    parts.append("</svg>")
    return "".join(parts)


_STYLE = """
.chart{width:860px;border:1px solid #ddd}.grid{stroke:#ddd}
.label{font-size:12px}.budget{stroke:#b00020;stroke-dasharray:3 2}.worst{stroke:#222;stroke-width:2}
.missed{fill:none;stroke:#b00020;stroke-dasharray:4 3}
"""


def render_html(summary):
    failed = sum(not row["passed"] for row in summary["rows"])
    header, rows = _table(summary)
    cells = [["<b>%s</b><br><small>%s</small>" % (html.escape(row["variant"]),
                                                  html.escape(row["title"]))] +
             [html.escape(c) for c in text[1:-1]] +
             ["<td class=%s>%s</td>" % ("ok" if row["passed"] else "bad", html.escape(text[-1]))]
             for row, text in zip(summary["rows"], rows)]
    return report.page("echo-lab bug hunt", _STYLE, (
        "<p>Generated %s by <code>%s</code>: %s <strong class=%s>%s</strong></p>"
        "<p>Bars: median time from launch to the first report (log scale); black tick: "
        "worst trial; dashed red: the class's budget; dashed outline: not found.</p>%s%s" % (
            html.escape(summary["generated"]), html.escape(summary["command"]),
            _intro(summary), "bad" if failed else "ok",
            "%d row(s) failed" % failed if failed else "every row passed",
            _chart(summary), report.table(map(html.escape, header), cells))))
