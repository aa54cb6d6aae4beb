"""The re-injectable defect classes, read from the code that defines them.

src/core/bug_injection.h is the one list: each class is a numbered comment
followed by its `#ifndef ECHO_BUG_<NAME>` switch, and .bazelrc must offer a
`--config=bug_<name>` for each, defining the switch (--per_file_copt) for
every source file that uses it: a file it missed would silently build the
clean code, and the hunt would measure nothing. Reading both here, rather than keeping a third
list, means a new class cannot be added without the hunt knowing of it, and a
class without a build config stops the hunt at once instead of hunting the
clean build under a wrong name.
"""

import collections
import re

Bug = collections.namedtuple("Bug", "name number title memory_safety budget_secs")

# Acceptance budgets for the median time-to-detection of a class, one core:
# memory-safety defects must fall to the sanitizers almost at once; the rest
# within a minute of fuzzing.
MEMORY_SAFETY_BUDGET_SECS = 5.0
DEFAULT_BUDGET_SECS = 60.0
# Classes whose failure is memory unsafety (the others lose data, leak or
# misbehave, and are caught by oracles).
MEMORY_SAFETY = frozenset({"use_after_free"})

# "// 1. The connection is destroyed ... touched.\n#ifndef ECHO_BUG_USE_AFTER_FREE"
_ENTRY = re.compile(r"^// (?P<number>\d+)\. (?P<title>.+?)\n#ifndef ECHO_BUG_(?P<macro>[A-Z0-9_]+)$",
                    re.MULTILINE)
_CONFIG = re.compile(r"^build:bug_(?P<name>[a-z0-9_]+)\s", re.MULTILINE)
_PER_FILE = re.compile(r"^build:bug_(?P<name>[a-z0-9_]+)\s.*--per_file_copt=(?P<files>\S+)@",
                       re.MULTILINE)


class CatalogError(Exception):
    pass


def parse(header_text, bazelrc_text):
    """The Bug list of bug_injection.h, checked against .bazelrc's configs."""
    bugs = []
    for m in _ENTRY.finditer(header_text):
        name = m.group("macro").lower()
        safety = name in MEMORY_SAFETY
        bugs.append(Bug(name, int(m.group("number")), m.group("title").rstrip("."), safety,
                        MEMORY_SAFETY_BUDGET_SECS if safety else DEFAULT_BUDGET_SECS))
    if not bugs:
        raise CatalogError("bug_injection.h declares no ECHO_BUG_* class")
    configs = set(_CONFIG.findall(bazelrc_text))
    declared = {bug.name for bug in bugs}
    if declared - configs:
        raise CatalogError(".bazelrc has no --config=bug_<name> for: " +
                           ", ".join(sorted(declared - configs)))
    if configs - declared:
        raise CatalogError(".bazelrc configures classes bug_injection.h does not declare: " +
                           ", ".join(sorted(configs - declared)))
    return bugs


def check_injection_sites(bugs, bazelrc_text, source_dir):
    """Every source file that tests ECHO_BUG_<NAME> must be one that
    --config=bug_<name> compiles with the switch on."""
    patterns = {m.group("name"): [re.compile(r) for r in m.group("files").split(",")]
                for m in _PER_FILE.finditer(bazelrc_text)}
    for bug in bugs:
        switch = "ECHO_BUG_" + bug.name.upper()
        for path in sorted((source_dir / "src").rglob("*")):
            relative = path.relative_to(source_dir).as_posix()
            if not path.is_file() or relative.endswith("bug_injection.h"):
                continue
            if switch not in path.read_text(errors="replace"):
                continue
            if relative.endswith(".h"):
                raise CatalogError("%s tests %s in a header; keep injection sites in .cc files"
                                   % (relative, switch))
            if not any(p.search(relative) for p in patterns.get(bug.name, [])):
                raise CatalogError("--config=bug_%s does not define %s for %s"
                                   % (bug.name, switch, relative))


def load(source_dir):
    bazelrc = (source_dir / ".bazelrc").read_text()
    bugs = parse((source_dir / "src" / "core" / "bug_injection.h").read_text(), bazelrc)
    check_injection_sites(bugs, bazelrc, source_dir)
    return bugs


if __name__ == "__main__":
    # `python3 bug_catalog.py SOURCE_DIR`: the class names, one per line
    # (tools/dev uses it to expand --bug all).
    import pathlib
    import sys
    try:
        for bug in load(pathlib.Path(sys.argv[1])):
            print(bug.name)
    except (CatalogError, OSError) as error:
        sys.exit("hunt: %s" % error)
