#!/usr/bin/env python3
"""The coverage table of `tools/dev coverage`, from `llvm-cov export -summary-only`.

Reads llvm-cov's JSON export and prints line and branch coverage for each
file of src/, grouped by layer, with each group's totals and whether every
file meets its layer's line target. Files outside src/ (tests, fuzz
harnesses, tools, external code) are left out even if the export has them.

  report.py EXPORT_JSON             text table on stdout
  report.py --markdown EXPORT_JSON  the same as a Markdown table (README)
  report.py --check EXPORT_JSON     also exit 1 when a file is below target

Line targets hold per file, not only per group: a well-covered large file
must not hide a poorly covered small one.
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
    """Line and branch counts of one file or one group."""

    def __init__(self, name, group, target, lines=(0, 0), branches=(0, 0)):
        self.name, self.group, self.target = name, group, target
        self.lines_covered, self.lines = lines
        self.branches_covered, self.branches = branches

    @property
    def line_percent(self):
        return percent(self.lines_covered, self.lines)

    @property
    def branch_percent(self):
        return percent(self.branches_covered, self.branches)

    @property
    def meets_target(self):
        """True or False against the target; None when there is no target."""
        if self.target is None:
            return None
        # Integer arithmetic: 95 % of the lines must be covered, not 94.999.
        return self.lines_covered * 100 >= self.target * self.lines

    def add(self, other):
        self.lines_covered += other.lines_covered
        self.lines += other.lines
        self.branches_covered += other.branches_covered
        self.branches += other.branches


def summarize(export):
    """(file rows, group rows, total row) from a parsed llvm-cov export.

    Files without a single countable line (a header of macros) are skipped:
    there is nothing there to cover."""
    files = []
    for entry in export["data"][0]["files"]:
        found = group_of(entry["filename"])
        lines = entry["summary"]["lines"]
        if found is None or lines["count"] == 0:
            continue
        branches = entry["summary"]["branches"]
        files.append(Row(entry["filename"], found[0], found[1],
                         (lines["covered"], lines["count"]),
                         (branches["covered"], branches["count"])))
    files.sort(key=lambda row: ([g[0] for g in GROUPS].index(row.group), row.name))
    groups = []
    for name, folders, target in GROUPS:
        group = Row(name + " (" + ", ".join(f.rstrip("/") for f in folders) + ")", name, target)
        for row in files:
            if row.group == name:
                group.add(row)
        if group.lines:
            groups.append(group)
    total = Row("all of src/", None, None)
    for group in groups:
        total.add(group)
    return files, groups, total


def below_target(files):
    return [row for row in files if row.meets_target is False]


def never_built(files, root):
    """The .cc files under root/src/ with a target that the export lacks: no
    test or program linked them, so the table would otherwise skip them."""
    exported = {row.name for row in files}
    sources = sorted(str(p.relative_to(root)) for p in (root / "src").rglob("*.cc"))
    return [s for s in sources if s not in exported and (group_of(s) or (None, None))[1]]


def _cells(row):
    def ratio(covered, count, pct):
        return ("%d/%d" % (covered, count), "-" if pct is None else "%.1f%%" % pct)

    lines = ratio(row.lines_covered, row.lines, row.line_percent)
    branches = ratio(row.branches_covered, row.branches, row.branch_percent)
    if row.target is None:
        target, status = "-", ""
    else:
        target = "%g%%" % row.target
        status = "ok" if row.meets_target else "BELOW"
    return [row.name, *lines, *branches, target, status]


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
    out = ["| file | lines | | branches | | target | |",
           "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in files:
        cells = _cells(row)
        cells[0] = "`%s`" % cells[0]
        out.append("| " + " | ".join(cells) + " |")
    for row in groups + [total]:
        cells = _cells(row)
        cells[0] = "**%s**" % cells[0]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


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
