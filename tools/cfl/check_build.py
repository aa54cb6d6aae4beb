#!/usr/bin/env python3
"""Runs .clusterfuzzlite/build.sh as ClusterFuzzLite would, then checks its output
(tools/dev cfl): the checkout in $SRC/echo-lab of a temporary folder, build.sh
in $SRC, OSS-Fuzz's libFuzzer + AddressSanitizer environment. Checks:

  build     build.sh succeeds; harness objects carry no coverage counters
            while the library's do (the NO_FUZZ_COVERAGE mirror)
  targets   the fuzzers in $OUT are exactly the echo_fuzz_test targets of
            fuzz/BUILD
  <target>  ASan-instrumented, libev linked statically; the seed corpus zip
            holds fuzz/corpus/<target> and fuzz/regressions/<target>;
            .options and .dict shipped exactly when the target has them (and
            the dict an .options names is there); 300 runs over the unzipped
            seeds with the target's options finish cleanly

One `cfl: <check> PASSED|FAILED: ...` line per check; exits 1 if any failed,
keeping the temporary folder.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "fuzz"))
import libfuzzer_log  # noqa: E402
from campaign import libfuzzer_flags, read_engine_options  # noqa: E402

# OSS-Fuzz's compile flags for SANITIZER=address with the libFuzzer engine.
OSS_FUZZ_FLAGS = ("-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address "
                  "-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link")
RUNS = 300
RUN_TIMEOUT_SECS = 120


def copy_checkout(dest):
    """Copies what a fresh clone would hold: git's tracked and untracked,
    not ignored, files."""
    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "-co", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in listed:
        source = ROOT / name
        if name and os.path.lexists(source):  # Listed but deleted: skip.
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)


def fuzz_build_targets():
    text = (ROOT / "fuzz" / "BUILD").read_text()
    return set(re.findall(r'echo_fuzz_test\(\s*name\s*=\s*"([^"]+)"', text))


def run_build(tmp):
    src, out, work = tmp / "src", tmp / "out", tmp / "work"
    for folder in (src, out, work):
        folder.mkdir()
    copy_checkout(src / "echo-lab")
    shutil.copy2(ROOT / ".clusterfuzzlite" / "build.sh", src / "build.sh")
    env = dict(os.environ, CC="clang", CXX="clang++", CFLAGS=OSS_FUZZ_FLAGS,
               CXXFLAGS=OSS_FUZZ_FLAGS, LIB_FUZZING_ENGINE="-fsanitize=fuzzer",
               SANITIZER="address", FUZZING_ENGINE="libfuzzer", ARCHITECTURE="x86_64",
               SRC=str(src), OUT=str(out), WORK=str(work))
    with open(tmp / "build.log", "w") as log:
        code = subprocess.run(["bash", "-eu", str(src / "build.sh")], cwd=src / "echo-lab",
                              env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    return code, out, work


def output(*command):
    return subprocess.run(command, capture_output=True, text=True).stdout


def has_counters(path):
    return "__sancov_cntrs" in output("readelf", "-S", "--wide", str(path))


def check_instrumentation(work):
    objects = sorted((work / "echo-lab").rglob("*.o"))
    harness = [o for o in objects if "/fuzz/" in str(o) or "/src/testing/" in str(o)]
    library = [o for o in objects if o not in harness]
    if not harness or not library:
        return ["no objects found under %s" % work]
    problems = ["%s has coverage counters" % o.name for o in harness if has_counters(o)]
    if not any(has_counters(o) for o in library):
        problems.append("no library object has coverage counters")
    return problems


def fuzzers_in(out):
    return {p.name for p in out.iterdir()
            if p.is_file() and os.access(p, os.X_OK) and "." not in p.name}


def check_packaging(target, out):
    problems = []
    binary = out / target
    if "__asan_init" not in output("nm", str(binary)):
        problems.append("not built with AddressSanitizer")
    if "libev" in output("readelf", "-d", str(binary)):
        problems.append("links libev dynamically")
    seed_files = {p.name for folder in ("corpus", "regressions")
                  for p in (ROOT / "fuzz" / folder / target).glob("*") if p.is_file()}
    seed_zip = out / (target + "_seed_corpus.zip")
    if not seed_zip.is_file():
        problems.append("no %s" % seed_zip.name)
    elif set(zipfile.ZipFile(seed_zip).namelist()) != seed_files:
        problems.append("%s does not hold exactly the %d seeds" % (seed_zip.name, len(seed_files)))
    for shipped, source in ((target + ".options", ROOT / "fuzz" / "options" / (target + ".options")),
                            (target + ".dict", ROOT / "fuzz" / (target + ".dict"))):
        if source.is_file() != (out / shipped).is_file():
            problems.append("%s %s" % (shipped, "missing" if source.is_file() else "unexpected"))
        elif source.is_file() and source.read_bytes() != (out / shipped).read_bytes():
            problems.append("%s differs from %s" % (shipped, source.relative_to(ROOT)))
    named_dict = read_engine_options(out / (target + ".options")).get("dict")
    if named_dict and not (out / named_dict).is_file():
        problems.append("%s.options names %s, which is not in $OUT" % (target, named_dict))
    # Bazel's launcher and OSS-Fuzz's runner pick up <target>.dict by name,
    # tools/dev fuzz by the options file: both must agree.
    if (ROOT / "fuzz" / (target + ".dict")).is_file() and named_dict != target + ".dict":
        problems.append("fuzz/%s.dict exists but options/%s.options does not name it"
                        % (target, target))
    return problems


def run_seeds(target, out, tmp):
    """(problems, detail) after RUNS executions over the unzipped seed corpus."""
    seeds, corpus = tmp / "seeds" / target, tmp / "corpus" / target
    corpus.mkdir(parents=True)
    zipfile.ZipFile(out / (target + "_seed_corpus.zip")).extractall(seeds)
    options = read_engine_options(out / (target + ".options"))  # {} when there is none
    command = [str(out / target), *libfuzzer_flags(options, out), "-runs=%d" % RUNS,
               "-artifact_prefix=%s/" % corpus, str(corpus), str(seeds)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace",
                                timeout=RUN_TIMEOUT_SECS)
    except subprocess.TimeoutExpired:
        return ["%d runs took over %d s" % (RUNS, RUN_TIMEOUT_SECS)], ""
    (tmp / (target + ".log")).write_text(result.stderr)
    # libFuzzer first runs every seed, so its total is RUNS or more.
    done = re.search(r"^Done \d+ runs", result.stderr, re.MULTILINE)
    if result.returncode != 0 or not done:
        kind = libfuzzer_log.crash_signature(result.stderr)[0]
        return ["exited %d (%s); see %s" % (result.returncode, kind, tmp / (target + ".log"))], ""
    return [], "%d runs clean (%s)" % (
        RUNS, ", ".join("%s %s" % kv for kv in sorted(options.items())) or "no options")


def report(check, problems, detail=""):
    print("cfl: %-12s %s" % (check, "FAILED: " + "; ".join(problems) if problems
                             else "PASSED: " + detail), flush=True)
    return not problems


def main():
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="echo_cfl_"))
    code, out, work = run_build(tmp)
    if code != 0:
        print("\n".join((tmp / "build.log").read_text(errors="replace").splitlines()[-20:]))
        report("build", ["build.sh exited %d; log %s" % (code, tmp / "build.log")])
        return 1
    ok = report("build", check_instrumentation(work),
                "build.sh ran; harness objects without coverage counters")
    expected, built = fuzz_build_targets(), fuzzers_in(out)
    ok &= report("targets", ([] if built == expected and expected else
                             ["built %s, fuzz/BUILD declares %s" % (sorted(built), sorted(expected))]),
                 " ".join(sorted(built)))
    for target in sorted(built & expected):
        problems, detail = check_packaging(target, out), ""
        if not problems:
            problems, detail = run_seeds(target, out, tmp)
        ok &= report(target, problems, detail)
    if ok:
        shutil.rmtree(tmp)
    else:
        print("cfl: kept %s for inspection" % tmp)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
