#!/usr/bin/env python3
"""Runs fuzz campaigns over built libFuzzer binaries (tools/dev fuzz).

Per target: --jobs workers fuzz for --time seconds from the in-tree corpus
and reproducers, each restarted after a finding; findings are deduplicated by
stack signature, and the first of each is minimized and saved under
fuzz/regressions/<target>/; new coverage is merged into fuzz/corpus/<target>/.
Writes report.json and report.html; exits 1 if anything was found.
afl_engine.py runs the same campaign with AFL++ (--engine afl).
"""

import argparse
import collections
import configparser
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

# A fuzzing engine: a target's binary is <bin_dir>/<folder>/<target><suffix>,
# next to its <target>.options; fuzz(campaign, worker), one worker until time
# is up; minimize(target, artifact, work), a smaller input with the same crash
# (or the artifact); merge(campaign), how many inputs it added to the in-tree
# corpus. LIBFUZZER is below.
Engine = collections.namedtuple("Engine", "name folder suffix fuzz minimize merge")


def read_engine_options(path):
    options = configparser.ConfigParser()
    options.read(path)
    return dict(options["libfuzzer"]) if options.has_section("libfuzzer") else {}


def libfuzzer_flags(options, dict_dir):
    """libFuzzer's flags for engine options; the dict they name is in dict_dir."""
    return ["-%s=%s" % (k, dict_dir / v if k == "dict" else v) for k, v in sorted(options.items())]


class Target:
    def __init__(self, name, bin_dir, source_dir, engine=None):
        self.name = name
        self.engine = engine or LIBFUZZER
        self.binary = bin_dir / self.engine.folder / (name + self.engine.suffix)
        self.corpus = source_dir / "fuzz" / "corpus" / name
        self.regressions = source_dir / "fuzz" / "regressions" / name
        self.options = read_engine_options(bin_dir / self.engine.folder / (name + ".options"))
        self.dict = (source_dir / "fuzz" / self.options["dict"]) if "dict" in self.options else None
        self.flags = libfuzzer_flags(self.options, source_dir / "fuzz")

    def seed_dirs(self):
        return [self.corpus] + ([self.regressions] if self.regressions.is_dir() else [])

    def command(self, *args):
        return [str(self.binary), *self.flags, *map(str, args)]

    def fuzz_command(self, seconds, artifacts, folders, *args):
        """Fuzzing `folders` (new inputs go to the first) for `seconds`."""
        return self.command(*args, "-max_total_time=%d" % seconds,
                            "-timeout=%d" % PER_INPUT_TIMEOUT_SECS, "-print_final_stats=1",
                            "-artifact_prefix=%s/" % artifacts, *folders)


class Campaign:
    """The state of one target's campaign, shared by its worker threads."""

    def __init__(self, target, args, work):
        self.target, self.args, self.work = target, args, work
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
        self.finished_execs = 0  # Of the runs that have ended.
        self.errors = []  # What went wrong other than findings (no binary...).

    def remaining(self):
        return self.deadline - time.monotonic()

    def total_execs(self):
        with self.lock:
            return self.finished_execs + sum(s["execs"] for s in self.latest.values())

    def record(self, worker, sample):
        sample = dict(sample, t=round(time.monotonic() - self.started, 2), worker=worker)
        with self.lock:
            self.samples.append(sample)
            self.latest[worker] = sample

    def error(self, text):
        with self.lock:
            self.errors.append(text)

    def finish_run(self, worker):
        with self.lock:
            self.finished_execs += self.latest.pop(worker, {}).get("execs", 0)


def run_worker(campaign, worker):
    """Runs the engine's worker, recording any failure of the worker itself: a
    worker that dies must fail the campaign, not look like a clean run."""
    try:
        campaign.target.engine.fuzz(campaign, worker)
    except Exception as error:  # noqa: BLE001 - reported, then fails the run
        campaign.error("worker %d: %r" % (worker, error))


def in_parallel(function, items):
    threads = [threading.Thread(target=function, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def fuzz_until_done(campaign, worker):
    """Fuzzes until time is up, restarting after each finding without the
    input that crashed. Not libFuzzer's -fork=N -ignore_crashes=1: fork mode
    keeps a crashing seed in the corpus its jobs start from, so every job
    dies on it at once (with eof_drops_queue applied: 20 jobs in 14 s, every
    one a crash on a seed, 0 exec/s)."""
    target = campaign.target
    artifacts = campaign.work / ("artifacts-%d" % worker)
    artifacts.mkdir()
    run = 0
    while campaign.remaining() > 1 and campaign.restarts <= MAX_RESTARTS:
        run += 1
        log_path = campaign.work / ("worker-%d-run-%d.log" % (worker, run))
        command = target.fuzz_command(max(1, int(campaign.remaining())), artifacts,
                                      [campaign.new_corpus, campaign.seeds])
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
                campaign.error("worker %d: libFuzzer exited %d without a finding; see %s"
                               % (worker, process.returncode, log_path))
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
    record_finding(campaign, artifact, log_path,
                   *libfuzzer_log.crash_signature(log_path.read_text(errors="replace")))


def record_finding(campaign, artifact, log_path, kind, frames, signature):
    """Counts a finding under the signature of its sanitizer or oracle log;
    the first of each is minimized and kept as a reproducer. Consumes
    `artifact`."""
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
        # Named after its target, so that it reproduces from any folder
        # (tools/dev repro infers the target from the name).
        kept = (campaign.target.regressions if campaign.args.save else campaign.work) / (
            "%s-crash-%s-%s" % (campaign.target.name, libfuzzer_log.slug(kind), signature))
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(minimized, kept)
        with campaign.lock:
            campaign.crashes[signature]["input"] = str(kept)
    artifact.unlink()


def minimize(target, artifact, work):
    out = work / ("minimized-" + artifact.name)
    subprocess.run(target.command("-minimize_crash=1", "-max_total_time=20", "-runs=100000",
                                  "-exact_artifact_path=%s" % out, artifact),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out if out.is_file() else artifact


def merge_new_inputs(campaign):
    """Adds to the in-tree corpus only the new inputs that add coverage."""
    target = campaign.target
    before = len(list(target.corpus.iterdir()))
    merged = subprocess.run(target.command("-merge=1", target.corpus, campaign.new_corpus),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    return len(list(target.corpus.iterdir())) - before if merged else 0


def progress(line, interactive, final=False):
    """A status line: on a terminal rewritten in place until `final`."""
    sys.stderr.write(("\r\033[K" + line if interactive else line) +
                     ("\n" if final or not interactive else ""))
    sys.stderr.flush()


def show_progress(c, stop, interactive):
    """Execs, exec/s, coverage and findings so far: each second on a
    terminal, else every 10 s."""
    last_print = 0.0
    while not stop.wait(1.0):
        elapsed = max(0.1, time.monotonic() - c.started)
        with c.lock:
            cov = max((s["cov"] for s in c.latest.values()), default=0)
        if interactive or time.monotonic() - last_print >= 10:
            progress("fuzz: %s %ds %d execs %d/s cov %d found %d" % (
                c.target.name, min(elapsed, c.args.time), c.total_execs(),
                c.total_execs() / elapsed, cov, len(c.crashes))[:200 if interactive else None],
                interactive)
            last_print = time.monotonic()
    if interactive:
        sys.stderr.write("\n")


def run_target(target, args, work_root):
    work = pathlib.Path(tempfile.mkdtemp(prefix=target.name + "-", dir=work_root))
    campaign = Campaign(target, args, work)
    stop = threading.Event()
    ticker = threading.Thread(target=show_progress, args=(campaign, stop, sys.stderr.isatty()))
    ticker.start()
    in_parallel(lambda worker: run_worker(campaign, worker), range(args.jobs))
    stop.set()
    ticker.join()
    return summarize(campaign, target.engine.merge(campaign) if args.merge else 0)


def summarize(campaign, merged):
    elapsed = max(0.1, time.monotonic() - campaign.started)
    execs, jobs, samples = campaign.total_execs(), campaign.args.jobs, campaign.samples
    return {
        "target": campaign.target.name, "engine": campaign.target.engine.name,
        "seconds": round(elapsed, 1), "jobs": jobs, "execs": execs,
        "exec_per_sec": round(execs / elapsed),
        "exec_per_sec_per_job": round(execs / elapsed / jobs),
        "coverage": max((s["cov"] for s in samples), default=0),
        # None: not libFuzzer, or no sample.
        "features": max((s["ft"] for s in samples if s.get("ft") is not None), default=None),
        "corpus": max(samples, key=lambda s: s["t"], default={}).get("corp"),
        "merged_into_corpus": merged,
        "findings": sorted(campaign.crashes.values(), key=lambda c: c["found_after_secs"]),
        "errors": campaign.errors + ([] if execs else ["no input was executed"]),
        "samples": samples, "work_dir": str(campaign.work),
    }


LIBFUZZER = Engine(name="libfuzzer", folder="fuzz", suffix="_bin", fuzz=fuzz_until_done,
                   minimize=minimize, merge=merge_new_inputs)


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
    failed = False
    for r in results:
        problems = len(r["findings"]) + len(r["errors"])
        failed |= problems > 0
        print("fuzz: %-12s %s: %4ds  %9d execs  %6d exec/s (%d/s per job)  cov %d  "
              "+%d corpus  %d finding(s)" % (
                  r["target"], "FAILED" if problems else "PASSED", r["seconds"], r["execs"],
                  r["exec_per_sec"], r["exec_per_sec_per_job"], r["coverage"],
                  r["merged_into_corpus"], problems))
        for f in r["findings"]:
            print("fuzz:   %s after %ss: %s -> %s" % (
                f["signature"], f["found_after_secs"], f["kind"], f["input"]))
        for e in r["errors"]:
            print("fuzz:   campaign error: %s" % e)
    print("fuzz: report %s and %s" % (paths["json"], paths["html"]))
    if failed:
        print("fuzz: logs and inputs kept in %s" % work_root)
        return 1
    # Nothing to look into: the logs and the (merged) new inputs can go.
    shutil.rmtree(work_root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
