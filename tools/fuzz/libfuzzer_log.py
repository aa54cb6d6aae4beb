"""Reading what libFuzzer and the sanitizers print: status lines become
samples for the progress line and the report charts; a crash report becomes a
stable signature (the kind of failure plus the innermost frames of our own
code), so that one bug found twice, or again after a restart, counts once.
"""

import hashlib
import re

# "#12345\tNEW    cov: 188 ft: 987 corp: 166/5514b lim: 131 exec/s: 37933 rss: 443Mb"
_STATUS = re.compile(r"^#(?P<execs>\d+)\s+(?P<event>[A-Z]+)\s+(?P<rest>.*)$")
_FIELD = re.compile(r"\b(cov|ft|corp|exec/s|rss): (\d+)")
_FIELD_NAMES = {"cov": "cov", "ft": "ft", "corp": "corp", "exec/s": "exec_per_sec", "rss": "rss_mb"}
# "    #3 0x55b0 in echo::Foo::Bar(int) /path/file.cc:12:3"
_FRAME = re.compile(r"^\s*#(?P<n>\d+) 0x[0-9a-f]+ in (?P<func>.+?)(?: (?P<loc>\S+:\d+(?::\d+)?))?$")
_ORACLE = re.compile(r"ORACLE FAILED \((?P<where>[^)]+)\): (?P<what>.*)")
# "ERROR: AddressSanitizer: heap-use-after-free on address 0x..." -> the
# kind only; "ERROR: libFuzzer: deadly signal", "ERROR: LeakSanitizer:
# detected memory leaks" -> the words before any address or parenthesis.
_SANITIZER = re.compile(
    r"ERROR: (?P<tool>\w+Sanitizer|libFuzzer): "
    r"(?P<kind>[A-Za-z-]+(?: (?!on\b|at\b|0x)[A-Za-z-]+)*)")
_UBSAN = re.compile(r"(?P<where>\S+:\d+:\d+): runtime error: (?P<what>.*)")
# The first line of any failure report: an oracle's, a sanitizer's, or
# libFuzzer's own (timeout, out-of-memory, deadly signal).
REPORT_START = re.compile(r"ORACLE FAILED|ERROR: (\w+Sanitizer|libFuzzer)|runtime error:")

# Frames that belong to the machinery, not to the code that failed.
_NOISE = (
    "__sanitizer", "__asan", "__ubsan", "__lsan", "__interceptor", "fuzzer::",
    "abort", "raise", "__pthread", "pthread_kill", "__libc", "_start", "main",
    "operator new", "operator delete", "malloc", "free", "calloc", "realloc",
    "std::", "__gnu_cxx::", "void std::", "__cxa",
)


def parse_status(line):
    """A dict for a libFuzzer status line (execs, event, cov, ft, corp,
    exec_per_sec, rss_mb), or None for any other line."""
    m = _STATUS.match(line)
    if not m:
        return None
    fields = dict(_FIELD.findall(m.group("rest")))
    return dict({"execs": int(m.group("execs")), "event": m.group("event")},
                **{key: int(fields[name]) if name in fields else None
                   for name, key in _FIELD_NAMES.items()})


def _without_parameters(func):
    """"ns::(anonymous namespace)::F::G(int, std::pair<a, b>) const" -> "ns::(anonymous namespace)::F::G"."""
    text = func[:-len(" const")] if func.endswith(" const") else func
    if not text.endswith(")"):
        return text
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i]
    return text


def _own_frames(lines, limit=3):
    """The innermost frames outside the machinery, preferring the code under
    test (files under src/): the harness frame that led there says how the
    bug was reached, not where it is, and would split one bug in several."""
    frames = []
    for line in lines:
        m = _FRAME.match(line)
        if not m:
            continue
        func = m.group("func")
        if func.startswith(_NOISE) or func.startswith("0x"):
            continue
        frames.append((_without_parameters(func), "/src/" in (m.group("loc") or "")))
    under_test = [f for f, in_src in frames if in_src]
    return (under_test or [f for f, _ in frames])[:limit]


def _blank_values(text):
    """Quoted values and numbers blanked, so one failure reads the same in
    every run."""
    return re.sub(r"'[^']*'|\d+", "_", text)


def _first_failure(lines):
    """(kind, label) for the first failure a log reports (crash_signature,
    finding_label). libFuzzer's "deadly signal" comes after the report of
    what raised it, so it counts only when nothing else is reported."""
    deadly = None
    for line in lines:
        match = _ORACLE.search(line)
        if match:
            # "<condition>: <message>": the message says what broke.
            message = re.sub(r"\d+", "_", match.group("what").split(": ", 1)[-1])[:70]
            return ("oracle: " + match.group("where"),
                    "oracle: %s [%s]" % (message, match.group("where").rsplit("/", 1)[-1]))
        match = _UBSAN.search(line)
        if match:
            what = _blank_values(match.group("what"))
            return "ubsan: " + what[:80], "UndefinedBehaviorSanitizer: " + what[:70]
        match = _SANITIZER.search(line)
        if match and match.group("kind") != "deadly signal":
            break
        deadly = deadly or match
    else:  # No other report.
        match = deadly
    if match:
        return match.group("kind"), "%s: %s" % (match.group("tool"), match.group("kind"))
    return "unknown", "unknown"


def crash_signature(log_text):
    """(kind, frames, signature) for a crash log: kind is the first failure
    the log reports, "oracle: <file:line>", "ubsan: <message>" or the
    sanitizer's own name for it ("heap-use-after-free", "deadly signal"...);
    frames are up to three innermost frames of our code; signature is a
    short stable hash of both, used to deduplicate crashes."""
    lines = log_text.splitlines()
    kind, frames = _first_failure(lines)[0], _own_frames(lines)
    digest = hashlib.sha1((kind + "|" + "|".join(frames)).encode()).hexdigest()[:12]
    return kind, frames, digest


def finding_label(log_text):
    """A short human name for what fired first in a crash log, stable across
    runs (numbers blanked): "oracle: client _: sent _, echoed _
    [server_fuzzer.cc:138]", "AddressSanitizer: heap-use-after-free",
    "UndefinedBehaviorSanitizer: ...", "libFuzzer: deadly signal"."""
    return _first_failure(log_text.splitlines())[1]


def slug(text):
    """A file-name-safe short form of a crash kind."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "crash"
