"""The re-injectable defect classes: the patches of tools/bugs/.

Each class is one file, NN_<name>.patch: its number and name come from the
file name, its title from the first line, and the rest is a unified diff
that puts the defect into a copy of the tree (Magma's layout: the sources
carry no trace of the bugs). Reading the folder, rather than keeping a list,
means a new patch is hunted as soon as it exists; `applies` lets the hunt
stop at once, with the class named, when a patch no longer fits the code.
"""

import collections
import pathlib
import re
import subprocess

Bug = collections.namedtuple("Bug", "name number title memory_safety budget_secs patch")

# Acceptance budgets for the median time-to-detection of a class, one core:
# memory-safety defects must fall to the sanitizers almost at once; the rest
# within a minute of fuzzing.
MEMORY_SAFETY_BUDGET_SECS = 5.0
DEFAULT_BUDGET_SECS = 60.0
# Classes whose failure is memory unsafety (the others lose data, leak or
# misbehave, and are caught by oracles).
MEMORY_SAFETY = frozenset({"use_after_free"})

_FILE_NAME = re.compile(r"(?P<number>\d+)_(?P<name>[a-z0-9_]+)\.patch")


class CatalogError(Exception):
    pass


def read(path):
    match = _FILE_NAME.fullmatch(path.name)
    if not match:
        raise CatalogError("%s: not named NN_<name>.patch" % path.name)
    title = path.read_text().split("\n", 1)[0].strip()
    if not title or title.startswith(("---", "diff ", "@@")):
        raise CatalogError("%s: the first line must be the class's title" % path.name)
    name = match.group("name")
    safety = name in MEMORY_SAFETY
    return Bug(name, int(match.group("number")), title.rstrip("."), safety,
               MEMORY_SAFETY_BUDGET_SECS if safety else DEFAULT_BUDGET_SECS, path)


def load(source_dir):
    bugs = sorted((read(p) for p in (pathlib.Path(source_dir) / "tools" / "bugs").glob("*.patch")),
                  key=lambda bug: bug.number)
    if not bugs:
        raise CatalogError("tools/bugs/ holds no NN_<name>.patch")
    for field in ("number", "name"):
        values = [getattr(bug, field) for bug in bugs]
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise CatalogError("tools/bugs/: more than one patch with %s %s"
                               % (field, ", ".join(repeated)))
    return bugs


def patch_command(bug, tree, *flags):
    """patch(1) for the bug in tree. --fuzz=0: every context line must match
    (the lines may have moved); a patch that needs fuzz may put the defect
    somewhere else than meant."""
    return ["patch", "-p1", "--batch", "--forward", "--silent", "--fuzz=0",
            "--no-backup-if-mismatch", "-d", str(tree),
            "-i", str(pathlib.Path(bug.patch).resolve())] + list(flags)


def applies(bug, tree):
    """Why the bug's patch does not apply cleanly to tree, or None."""
    done = subprocess.run(patch_command(bug, tree, "--dry-run"), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if done.returncode == 0:
        return None
    return "%s no longer applies: %s" % (pathlib.Path(bug.patch).name,
                                         done.stdout.strip() or "patch exited %d" % done.returncode)

