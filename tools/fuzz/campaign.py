#!/usr/bin/env python3
"""Runs fuzz campaigns over built libFuzzer binaries (tools/dev fuzz).

For each target: runs --jobs libFuzzer workers for --time seconds, seeded from
the in-tree corpus and reproducers; restarts a worker after a crash, so one
campaign can find several bugs; deduplicates crashes by stack signature,
minimizes each new one and saves it under fuzz/regressions/<target>/; merges
new coverage into fuzz/corpus/<target>/ (-merge=1, minimized). Writes a JSON
and a self-contained HTML report and exits 1 if anything was found.

The engine is libFuzzer here; afl_engine.py runs the same campaign, triage
and report with AFL++ (tools/dev fuzz --engine afl).
"""

import argparse
import collections
import configparser
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import libfuzzer_log  # noqa: E402
import report  # noqa: E402

ARTIFACT_PREFIXES = ("crash-", "leak-", "timeout-", "oom-")
MAX_RESTARTS = 20
PER_INPUT_TIMEOUT_SECS = 25

# What a fuzzing engine supplies to a campaign: its name; where a target's
# binary and .options file are in its build folder, binary(bin_dir, name) and
# options(bin_dir, name); fuzz(campaign, worker), one worker fuzzing until the
# campaign's time is up; minimize(target, artifact, work), the path of a
# smaller input with the same crash (or the artifact); merge(campaign), the
# number of new inputs added to the in-tree corpus. LIBFUZZER is below.
Engine = collections.namedtuple("Engine", "name binary options fuzz minimize merge")


def read_engine_options(path):
    """The [libfuzzer] key = value pairs of a target's .options file."""
    options = configparser.ConfigParser()
    options.read(path)
    return dict(options["libfuzzer"]) if options.has_section("libfuzzer") else {}


class Target:
    """One fuzz target: its binary, flags and folders."""

    def __init__(self, name, bin_dir, source_dir, engine=None):
        self.name = name
        self.engine = engine or LIBFUZZER
        self.binary = self.engine.binary(bin_dir, name)
        self.corpus = source_dir / "fuzz" / "corpus" / name
        self.regressions = source_dir / "fuzz" / "regressions" / name
        self.options = read_engine_options(self.engine.options(bin_dir, name))
        self.dict = (source_dir / "fuzz" / self.options["dict"]) if "dict" in self.options else None
        self.flags = ["-%s=%s" % (k, v) for k, v in sorted(self.options.items()) if k != "dict"]
        if self.dict:
            self.flags.append("-dict=%s" % self.dict)

    def seed_dirs(self):
        dirs = [self.corpus]
        if self.regressions.is_dir():
            dirs.append(self.regressions)
        return dirs


class Campaign:
    """The state of one target's campaign, shared by its worker threads."""

    def __init__(self, target, args, work):
        self.target = target
        self.args = args
        self.work = work
        self.new_corpus = work / "corpus"
        self.new_corpus.mkdir()
        # A private copy of the seeds: an input that crashes is dropped from it
        # before a worker restarts, so a crashing seed cannot end the campaign.
        self.seeds = work / "seeds"
        self.seeds.mkdir()
        for folder in target.seed_dirs():
            for path in folder.iterdir():
                if path.is_file():
                    shutil.copyfile(path, self.seeds / (folder.name + "-" + path.name))
        self.started = time.monotonic()
        self.deadline = self.started + args.time
        self.lock = threading.Lock()
        self.samples = []  # {"t", "worker", "execs", "cov", "ft", "corp"}
        self.latest = {}  # worker -> last sample
        self.crashes = {}  # signature -> crash dict
        self.restarts = 0
        self.worker_execs = {}  # worker -> execs of finished runs
        self.errors = []  # What went wrong other than findings (no binary...).

    def remaining(self):
        return self.deadline - time.monotonic()

    def total_execs(self):
        with self.lock:
            done = sum(self.worker_execs.values())
            running = sum(s["execs"] for s in self.latest.values())
        return done + running

    def record(self, worker, sample):
        sample = dict(sample, t=round(time.monotonic() - self.started, 2), worker=worker)
        with self.lock:
            self.samples.append(sample)
            self.latest[worker] = sample

    def finish_run(self, worker):
        with self.lock:
            last = self.latest.pop(worker, None)
            if last:
                self.worker_execs[worker] = self.worker_execs.get(worker, 0) + last["execs"]


def run_worker(campaign, worker):
    """Runs the engine's worker, recording any failure of the worker itself: a
    worker that dies must fail the campaign, not look like a clean run."""
    try:
        campaign.target.engine.fuzz(campaign, worker)
    except Exception as error:  # noqa: BLE001 - reported, then fails the run
        with campaign.lock:
            campaign.errors.append("worker %d: %r" % (worker, error))


def fuzz_until_done(campaign, worker):
    """Fuzzes until time is up, restarting after each finding.

    Written here rather than left to libFuzzer's -fork=N -ignore_crashes=1
    because fork mode keeps a crashing input in the corpus its jobs start
    from: with a seed that crashes (a regression come back), every job dies
    on it at once. Measured with the eof_drops_queue patch applied, from the
    in-tree corpus: 20 jobs in 14 s, every one a crash on a seed, 0 exec/s.
    This loop drops the input that crashed before it restarts the worker."""
    target = campaign.target
    artifacts = campaign.work / ("artifacts-%d" % worker)
    artifacts.mkdir()
    run = 0
    while campaign.remaining() > 1 and campaign.restarts <= MAX_RESTARTS:
        run += 1
        log_path = campaign.work / ("worker-%d-run-%d.log" % (worker, run))
        command = [str(target.binary), *target.flags,
                   "-max_total_time=%d" % max(1, int(campaign.remaining())),
                   "-timeout=%d" % PER_INPUT_TIMEOUT_SECS, "-print_final_stats=1",
                   "-artifact_prefix=%s/" % artifacts,
                   str(campaign.new_corpus), str(campaign.seeds)]
        with open(log_path, "w") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.PIPE,
                                       text=True, errors="replace")
            for line in process.stderr:
                log.write(line)
                sample = libfuzzer_log.parse_status(line)
                if sample and sample["cov"] is not None:
                    campaign.record(worker, sample)
            process.wait()
        campaign.finish_run(worker)
        found = [p for p in artifacts.iterdir() if p.name.startswith(ARTIFACT_PREFIXES)]
        if not found:
            if process.returncode != 0:  # Failed without a finding: bad flag...
                with campaign.lock:
                    campaign.errors.append("worker %d: libFuzzer exited %d without a "
                                           "finding; see %s" % (worker, process.returncode, log_path))
            break  # Time is up.
        for artifact in found:
            content = artifact.read_bytes()
            triage(campaign, artifact, log_path)
            drop_input(campaign, content)
        with campaign.lock:
            campaign.restarts += 1


def drop_input(campaign, content):
    """Removes every copy of `content` from the campaign's input folders."""
    for folder in (campaign.seeds, campaign.new_corpus):
        for path in folder.iterdir():
            # Other workers' libFuzzer processes add and remove inputs here.
            try:
                if path.stat().st_size == len(content) and path.read_bytes() == content:
                    path.unlink()
            except FileNotFoundError:
                pass


def triage(campaign, artifact, log_path):
    """Deduplicates a finding by the signature of its sanitizer or oracle log;
    minimizes and keeps new ones."""
    kind, frames, signature = libfuzzer_log.crash_signature(
        log_path.read_text(errors="replace"))
    record_finding(campaign, artifact, log_path, kind, frames, signature)


def record_finding(campaign, artifact, log_path, kind, frames, signature):
    """Counts a finding under its signature; the first of each is minimized
    and kept as a reproducer. Consumes `artifact`."""
    with campaign.lock:
        known = signature in campaign.crashes
        if known:
            campaign.crashes[signature]["count"] += 1
        else:
            campaign.crashes[signature] = {
                "signature": signature, "kind": kind, "frames": frames, "count": 1,
                "found_after_secs": round(time.monotonic() - campaign.started, 1),
                "log": str(log_path), "input": None,
            }
    if not known:
        minimized = campaign.target.engine.minimize(campaign.target, artifact, campaign.work)
        kept = keep_reproducer(campaign, minimized, kind, signature)
        with campaign.lock:
            campaign.crashes[signature]["input"] = str(kept)
    artifact.unlink()


def minimize(target, artifact, work):
    out = work / ("minimized-" + artifact.name)
    command = [str(target.binary), *target.flags, "-minimize_crash=1",
               "-max_total_time=20", "-runs=100000",
               "-exact_artifact_path=%s" % out, str(artifact)]
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out if out.is_file() else artifact


def keep_reproducer(campaign, path, kind, signature):
    # Named after its target, so that it reproduces from any folder
    # (tools/dev repro infers the target from the name).
    name = "%s-crash-%s-%s" % (campaign.target.name, libfuzzer_log.slug(kind), signature)
    if not campaign.args.save:
        kept = campaign.work / name
    else:
        campaign.target.regressions.mkdir(parents=True, exist_ok=True)
        kept = campaign.target.regressions / name
    shutil.copyfile(path, kept)
    return kept


def merge_new_inputs(campaign):
    """Adds to the in-tree corpus only the new inputs that add coverage."""
    target = campaign.target
    before = len(list(target.corpus.iterdir()))
    command = [str(target.binary), *target.flags, "-merge=1",
               str(target.corpus), str(campaign.new_corpus)]
    merged = subprocess.run(command, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
    return len(list(target.corpus.iterdir())) - before if merged else 0


def show_progress(campaigns, stop, interactive):
    """One status line: per target execs, exec/s, coverage and findings."""
    last_print = 0.0
    while not stop.wait(1.0):
        parts = []
        for c in campaigns:
            elapsed = max(0.1, time.monotonic() - c.started)
            with c.lock:
                cov = max((s["cov"] for s in c.latest.values()), default=0)
            parts.append("%s %ds %d execs %d/s cov %d found %d" % (
                c.target.name, min(elapsed, c.args.time), c.total_execs(),
                c.total_execs() / elapsed, cov, len(c.crashes)))
        line = "fuzz: " + " | ".join(parts)
        if interactive:
            sys.stderr.write("\r\033[K" + line[:200])
        elif time.monotonic() - last_print >= 10:
            sys.stderr.write(line + "\n")
            last_print = time.monotonic()
        sys.stderr.flush()
    if interactive:
        sys.stderr.write("\n")


def run_target(target, args, work_root):
    work = pathlib.Path(tempfile.mkdtemp(prefix=target.name + "-", dir=work_root))
    campaign = Campaign(target, args, work)
    stop = threading.Event()
    progress = threading.Thread(target=show_progress,
                                args=([campaign], stop, sys.stderr.isatty()))
    progress.start()
    workers = [threading.Thread(target=run_worker, args=(campaign, i))
               for i in range(args.jobs)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    progress.join()
    merged = target.engine.merge(campaign) if args.merge else 0
    return summarize(campaign, merged)


def summarize(campaign, merged):
    elapsed = max(0.1, time.monotonic() - campaign.started)
    execs = campaign.total_execs()
    final = max(campaign.samples, key=lambda s: s["t"], default={})
    features = [s["ft"] for s in campaign.samples if s.get("ft") is not None]
    return {
        "target": campaign.target.name,
        "engine": campaign.target.engine.name,
        "seconds": round(elapsed, 1),
        "jobs": campaign.args.jobs,
        "execs": execs,
        "exec_per_sec": round(execs / elapsed),
        "exec_per_sec_per_job": round(execs / elapsed / campaign.args.jobs),
        "coverage": max((s["cov"] for s in campaign.samples), default=0),
        "features": max(features, default=None),  # None: not libFuzzer, or no sample
        "corpus": final.get("corp"),
        "merged_into_corpus": merged,
        "findings": sorted(campaign.crashes.values(), key=lambda c: c["found_after_secs"]),
        "errors": campaign.errors + ([] if execs else ["no input was executed"]),
        "samples": campaign.samples,
        "work_dir": str(campaign.work),
    }


LIBFUZZER = Engine(
    name="libfuzzer",
    binary=lambda bin_dir, name: bin_dir / "fuzz" / (name + "_bin"),
    options=lambda bin_dir, name: bin_dir / "fuzz" / (name + ".options"),
    fuzz=fuzz_until_done, minimize=minimize, merge=merge_new_inputs)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/dev fuzz", description=__doc__)
    parser.add_argument("--bin-dir", required=True, type=pathlib.Path)
    parser.add_argument("--source-dir", required=True, type=pathlib.Path)
    parser.add_argument("--target", action="append", required=True)
    parser.add_argument("--time", type=int, default=60, help="seconds per target")
    parser.add_argument("--jobs", type=int, default=1, help="parallel workers per target")
    parser.add_argument("--report-dir", type=pathlib.Path, required=True)
    parser.add_argument("--no-merge", dest="merge", action="store_false",
                        help="leave fuzz/corpus untouched")
    parser.add_argument("--no-save", dest="save", action="store_false",
                        help="keep reproducers in the work folder, not fuzz/regressions")
    args = parser.parse_args(argv)
    if args.time < 1 or args.jobs < 1:
        parser.error("--time and --jobs must be positive")
    return args


def main(argv, engine=None):
    args = parse_args(argv)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    work_root = tempfile.mkdtemp(prefix="echo_fuzz_")
    results = [run_target(Target(name, args.bin_dir, args.source_dir, engine), args, work_root)
               for name in args.target]
    paths = report.write(results, args.report_dir)
    findings = sum(len(r["findings"]) for r in results)
    errors = sum(len(r["errors"]) for r in results)
    for r in results:
        failed = r["findings"] or r["errors"]
        print("fuzz: %-12s %s: %4ds  %9d execs  %6d exec/s (%d/s per job)  cov %d  "
              "+%d corpus  %d finding(s)" % (
                  r["target"], "FAILED" if failed else "PASSED",
                  r["seconds"], r["execs"], r["exec_per_sec"],
                  r["exec_per_sec_per_job"], r["coverage"], r["merged_into_corpus"],
                  len(r["findings"]) + len(r["errors"])))
        for f in r["findings"]:
            print("fuzz:   %s after %ss: %s -> %s" % (
                f["signature"], f["found_after_secs"], f["kind"], f["input"]))
        for e in r["errors"]:
            print("fuzz:   campaign error: %s" % e)
    print("fuzz: report %s and %s" % (paths["json"], paths["html"]))
    if findings or errors:
        print("fuzz: logs and inputs kept in %s" % work_root)
        return 1
    # Nothing to look into: the logs and the (merged) new inputs can go.
    shutil.rmtree(work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
