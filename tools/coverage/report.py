#!/usr/bin/env python3
"""The coverage table of `tools/dev coverage`, from `llvm-cov export -summary-only`:
line and branch coverage per file of src/ (nothing outside it), grouped by
layer, with each group's totals and whether every file meets its layer's line
target; per file, so that a well-covered large file cannot hide a poorly
covered small one.

  report.py EXPORT_JSON             text table on stdout
  report.py --markdown EXPORT_JSON  the same as a Markdown table (README)
  report.py --check EXPORT_JSON     also exit 1 when a file is below target
"""

import argparse
import json
import pathlib
import sys

# (group, folders, line target in percent or None): the first match wins.
GROUPS = [
    ("core", ("src/core/",), 95.0),
    ("adapters", ("src/posix/", "src/server/", "src/cli/"), 85.0),
    ("test doubles", ("src/testing/",), None),
]


def group_of(path):
    """The (name, target) of the group `path` belongs to, or None outside src/."""
    for name, folders, target in GROUPS:
        if path.startswith(folders):
            return name, target
    return None


def percent(covered, count):
    return 100.0 * covered / count if count else None


class Row:
    """Line and branch counts (lines covered, lines, branches covered,
    branches) of one file or group, against a line target in percent."""

    def __init__(self, name, group, target, counts):
        self.name, self.group, self.target, self.counts = name, group, target, tuple(counts)
        self.lines_covered, self.lines, self.branches_covered, self.branches = self.counts
        self.line_percent = percent(self.lines_covered, self.lines)
        self.branch_percent = percent(self.branches_covered, self.branches)
        # None without a target. Integer arithmetic: 95 % of the lines must be
        # covered, not 94.999.
        self.meets_target = None if target is None else self.lines_covered * 100 >= target * self.lines


def _sum(name, group, target, rows):
    return Row(name, group, target, [sum(c) for c in zip((0, 0, 0, 0), *(r.counts for r in rows))])


def summarize(export):
    """(file rows, group rows, total row) from a parsed llvm-cov export.

    Files without a single countable line (a header of macros) are skipped:
    there is nothing there to cover."""
    files = []
    for entry in export["data"][0]["files"]:
        found = group_of(entry["filename"])
        lines, branches = entry["summary"]["lines"], entry["summary"]["branches"]
        if found and lines["count"]:
            files.append(Row(entry["filename"], *found, (lines["covered"], lines["count"],
                                                         branches["covered"], branches["count"])))
    names = [name for name, _, _ in GROUPS]
    files.sort(key=lambda row: (names.index(row.group), row.name))
    groups = [_sum("%s (%s)" % (name, ", ".join(f.rstrip("/") for f in folders)), name, target,
                   [row for row in files if row.group == name]) for name, folders, target in GROUPS]
    groups = [group for group in groups if group.lines]
    return files, groups, _sum("all of src/", None, None, groups)


def below_target(files):
    return [row for row in files if row.meets_target is False]


def never_built(files, root):
    """The .cc files under root/src/ with a target that the export lacks: no
    test or program linked them, so the table would otherwise skip them."""
    exported = {row.name for row in files}
    sources = sorted(str(p.relative_to(root)) for p in (root / "src").rglob("*.cc"))
    return [s for s in sources if s not in exported and (group_of(s) or (None, None))[1]]


def _cells(row):
    ratio = lambda covered, count, pct: ["%d/%d" % (covered, count),
                                         "-" if pct is None else "%.1f%%" % pct]
    target = (["-", ""] if row.target is None else
              ["%g%%" % row.target, "ok" if row.meets_target else "BELOW"])
    return ([row.name] + ratio(row.lines_covered, row.lines, row.line_percent) +
            ratio(row.branches_covered, row.branches, row.branch_percent) + target)


_HEADER = ["file", "lines", "", "branches", "", "target", ""]


def format_text(files, groups, total):
    rows = [_cells(r) for r in files]
    summary = [_cells(r) for r in groups + [total]]
    widths = [max(len(r[i]) for r in [_HEADER] + rows + summary) for i in range(len(_HEADER))]

    def line(cells):
        text = cells[0].ljust(widths[0])
        text += "".join("  " + c.rjust(w) for c, w in zip(cells[1:6], widths[1:6]))
        return (text + "  " + cells[6]).rstrip()

    body, totals = [line(c) for c in rows], [line(c) for c in summary]
    rule = "-" * max(len(text) for text in body + totals)
    return "\n".join([line(_HEADER), rule] + body + [rule] + totals) + "\n"


def format_markdown(files, groups, total):
    rows = ([["`%s`" % c[0]] + c[1:] for c in map(_cells, files)] +
            [["**%s**" % c[0]] + c[1:] for c in map(_cells, groups + [total])])
    return "\n".join(["| file | lines | | branches | | target | |",
                      "| --- | ---: | ---: | ---: | ---: | ---: | --- |"] +
                     ["| " + " | ".join(cells) + " |" for cells in rows]) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="output of llvm-cov export -summary-only")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if any file is below its line target, or never built")
    parser.add_argument("--root", type=pathlib.Path,
                        help="the checkout: report its src/**/*.cc files no test linked")
    args = parser.parse_args(argv)
    try:
        with open(args.export) as stream:
            files, groups, total = summarize(json.load(stream))
    except (OSError, ValueError, KeyError, IndexError) as error:
        print("coverage: error: cannot read %s: %s" % (args.export, error), file=sys.stderr)
        return 1
    if not files:
        print("coverage: error: %s covers no file of src/" % args.export, file=sys.stderr)
        return 1
    sys.stdout.write((format_markdown if args.markdown else format_text)(files, groups, total))
    failed = False
    unbuilt = never_built(files, args.root) if args.root else []
    if unbuilt:
        print("coverage: %s: %d file(s) no test or program links, so not measured: %s" % (
            "error" if args.check else "warning", len(unbuilt), ", ".join(unbuilt)),
            file=sys.stderr)
        failed = args.check
    missing = below_target(files)
    if args.check and missing:
        print("coverage: error: %d file(s) below their line target: %s" % (
            len(missing), ", ".join("%s %.1f%% < %g%%" % (r.name, r.line_percent, r.target)
                                    for r in missing)), file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
