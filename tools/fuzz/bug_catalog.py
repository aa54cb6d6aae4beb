"""The re-injectable defect classes, read from the code that defines them.

src/core/bug_injection.h is the one list: each class is a numbered comment
followed by its `#ifndef ECHO_BUG_<NAME>` switch, and .bazelrc must offer a
`--config=bug_<name>` for each. Reading both here, rather than keeping a third
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


def load(source_dir):
    return parse((source_dir / "src" / "core" / "bug_injection.h").read_text(),
                 (source_dir / ".bazelrc").read_text())


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
