#!/usr/bin/env python3
"""AFL++ fuzz campaigns (tools/dev fuzz --engine afl): campaign.py's campaign,
triage and report with afl-fuzz as the engine, over what
.clusterfuzzlite/build.sh builds with afl-clang-fast: <bin-dir>/<target>
and <target>.options.

Each worker is one afl-fuzz run (-V the campaign's time, -G max_len, -x the
dictionary); several form one -M/-S group. Samples come from the StatsD
metrics afl-fuzz sends each second over loopback UDP: AFL++ 4.04c writes
plot_data only after a minute and fuzzer_stats once a minute (and on exit,
for the totals). Inputs in crashes/, and seeds afl-fuzz skips as crashing
(4.04c only logs those), are replayed for their sanitizer or oracle report
and triaged as libFuzzer's are; inputs in hangs/ are "timeout" findings.
"""

import hashlib
import math
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import campaign  # noqa: E402

TIMEOUT_MS = campaign.PER_INPUT_TIMEOUT_SECS * 1000
# afl-fuzz stops itself at -V; this much later it is stopped for it.
STOP_GRACE_SECS = 30
# What afl-fuzz needs of the sanitizers (it refuses to start otherwise): a
# report aborts, which it sees as a crash, and nothing is symbolized during
# fuzzing. Triage replays with the caller's symbolizing settings.
FUZZ_SANITIZER_ENV = {
    "ASAN_OPTIONS": "abort_on_error=1:symbolize=0:detect_leaks=1",
    "UBSAN_OPTIONS": "halt_on_error=1:abort_on_error=1:symbolize=0",
    "LSAN_OPTIONS": "symbolize=0",
}
# "[!] WARNING: Test case 'id:000002,time:0,execs:0,orig:NAME' results in a
# crash, skipping": NAME is the seed's file name in the campaign's seeds/.
_CRASHING_SEED = re.compile(r"Test case '[^']*,orig:([^']+)' results in a crash")


def afl_env(**extra):
    return dict(os.environ, **FUZZ_SANITIZER_ENV, AFL_NO_UI="1", AFL_QUIET="1",
                # Not the machine's tuning: CPU scaling, a core of its own, and
                # the core_pattern CI machines pipe to a crash reporter.
                AFL_SKIP_CPUFREQ="1", AFL_TRY_AFFINITY="1",
                AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES="1", AFL_NO_CRASH_README="1", **extra)


def worker_dir_name(campaign_state, worker):
    """afl-fuzz's folder under -o: "default" alone, else the -M/-S name."""
    return "default" if campaign_state.args.jobs == 1 else "w%d" % worker


def fuzz_command(campaign_state, worker):
    target = campaign_state.target
    command = ["afl-fuzz", "-i", str(campaign_state.seeds), "-o", str(campaign_state.work / "afl"),
               "-V", str(max(1, int(campaign_state.remaining()))), "-t", str(TIMEOUT_MS)]
    if campaign_state.args.jobs > 1:
        command += ["-M" if worker == 0 else "-S", worker_dir_name(campaign_state, worker)]
    if "max_len" in target.options:
        command += ["-G", target.options["max_len"]]
    if target.dict:
        command += ["-x", str(target.dict)]
    return command + ["--", str(target.binary)]


def _metrics(text):
    """AFL++'s counters ("name:value..." lines) in the sample
    shape of libfuzzer_log.parse_status: edges_found stands for coverage,
    and there are no features."""
    metrics = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        try:
            metrics[name.strip().rpartition(".")[2]] = float(rest.partition("|")[0])
        except ValueError:
            continue
    if "execs_done" not in metrics:
        return None
    # A rate over no time yet comes as "inf".
    value = lambda key: int(metrics[key]) if math.isfinite(metrics.get(key, math.nan)) else None
    return {"execs": value("execs_done"), "event": "STATS", "cov": value("edges_found"),
            "ft": None, "corp": value("corpus_count"), "exec_per_sec": value("execs_per_sec"),
            "rss_mb": None}


def parse_statsd(datagram):
    """A sample from one StatsD datagram ("fuzzing.execs_done:123|g" lines)."""
    return _metrics(datagram.decode(errors="replace"))


def read_fuzzer_stats(path):
    """A sample from afl-fuzz's fuzzer_stats file ("key : value" lines)."""
    return _metrics(path.read_text(errors="replace"))


def fuzz(campaign_state, worker):
    """One afl-fuzz run until the campaign's time is up, sampled once a
    second, its findings triaged as they come."""
    log_path = campaign_state.work / ("worker-%d-afl.log" % worker)
    out = campaign_state.work / "afl" / worker_dir_name(campaign_state, worker)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stats, open(log_path, "w") as log, \
            open(log_path, errors="replace") as log_reader:
        new_log_lines = LogFollower(log_reader)
        stats.bind(("127.0.0.1", 0))
        stats.settimeout(1.0)
        env = afl_env(AFL_STATSD="1", AFL_STATSD_HOST="127.0.0.1",
                      AFL_STATSD_PORT=str(stats.getsockname()[1]))
        process = subprocess.Popen(fuzz_command(campaign_state, worker), stdout=log,
                                   stderr=subprocess.STDOUT, env=env)
        try:
            while process.poll() is None:
                if campaign_state.remaining() < -STOP_GRACE_SECS:
                    process.terminate()
                try:
                    sample = parse_statsd(stats.recv(65536))
                except socket.timeout:
                    continue
                if sample:
                    campaign_state.record(worker, sample)
                triage_crashing_seeds(campaign_state, new_log_lines())
                triage_findings(campaign_state, out, settled_secs=1)
        finally:
            if process.poll() is None:  # This loop failed: no orphan fuzzer.
                process.kill()
            process.wait()
        triage_crashing_seeds(campaign_state, new_log_lines())
    final = (out / "fuzzer_stats").is_file() and read_fuzzer_stats(out / "fuzzer_stats")
    if final:
        campaign_state.record(worker, final)
    campaign_state.finish_run(worker)
    if process.returncode != 0:
        every_seed_crashes = "seed that does not crash" in log_path.read_text(errors="replace")
        campaign_state.error("worker %d: afl-fuzz %s; see %s" % (
            worker, "stopped: every seed crashes" if every_seed_crashes
            else "exited %d" % process.returncode, log_path))
    triage_findings(campaign_state, out)


class LogFollower:
    """Called, returns the complete lines added to a log since the last call."""

    def __init__(self, reader):
        self.reader = reader
        self.partial = ""

    def __call__(self):
        lines = (self.partial + self.reader.read()).split("\n")
        self.partial = lines.pop()
        return lines


def triage_crashing_seeds(campaign_state, log_lines):
    for crashing in filter(None, map(_CRASHING_SEED.search, log_lines)):
        # A copy: triage consumes its input, and other workers skip it too.
        artifact = campaign_state.work / ("seed-%d-%s" % (time.monotonic_ns(), crashing.group(1)))
        shutil.copyfile(campaign_state.seeds / crashing.group(1), artifact)
        campaign.triage(campaign_state, artifact, replay(campaign_state, artifact))


def triage_findings(campaign_state, out, settled_secs=0):
    """Triages, and so removes, the inputs in afl-fuzz's crashes/ and hangs/
    last written over `settled_secs` ago (not one it is still writing)."""
    settled = lambda path: time.time() - path.stat().st_mtime >= settled_secs
    for artifact in sorted(filter(settled, (out / "crashes").glob("id:*"))):
        campaign.triage(campaign_state, artifact, replay(campaign_state, artifact))
    for artifact in sorted(filter(settled, (out / "hangs").glob("id:*"))):
        # No replay: it would only run out the same clock again.
        log_path = campaign_state.work / ("hang-%s.log" % artifact.name.replace(":", "_"))
        log_path.write_text("afl-fuzz: %s ran over %d ms\n" % (artifact, TIMEOUT_MS))
        signature = hashlib.sha1(b"timeout").hexdigest()[:12]
        campaign.record_finding(campaign_state, artifact, log_path, "timeout", [], signature)


def replay(campaign_state, artifact):
    """Runs one input through the binary with the caller's (symbolizing)
    sanitizer settings; returns the path of the log, headed by what AFL saw.
    An abort (an oracle's) gets a stack trace too, as libFuzzer prints one
    for it, so the signature has the same frames under either engine."""
    log_path = campaign_state.work / ("replay-%s.log" % artifact.name.replace(":", "_"))
    env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":handle_abort=1")
    try:
        result = subprocess.run([str(campaign_state.target.binary), str(artifact)], env=env,
                                capture_output=True, text=True, errors="replace",
                                timeout=campaign.PER_INPUT_TIMEOUT_SECS)
        text = "replay exited %d\n%s" % (result.returncode, result.stderr)
    except subprocess.TimeoutExpired:
        text = "replay exceeded %d s\n" % campaign.PER_INPUT_TIMEOUT_SECS
    log_path.write_text("afl-fuzz: %s\n%s" % (artifact, text))
    return log_path


def minimize(target, artifact, work):
    out = work / ("minimized-" + artifact.name.replace(":", "_"))
    try:
        subprocess.run(["afl-tmin", "-i", str(artifact), "-o", str(out), "-t", str(TIMEOUT_MS),
                        "--", str(target.binary)], env=afl_env(), timeout=60,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pass
    return out if out.is_file() else artifact


def merge(campaign_state):
    """Adds to the in-tree corpus the queue inputs that afl-cmin keeps when
    it minimizes the corpus and the queues together (the smallest input for
    each tuple); named by SHA-1 as libFuzzer names its inputs. In-tree inputs
    afl-cmin would drop stay: the corpus only grows, as with libFuzzer's
    -merge=1."""
    target = campaign_state.target
    pool = campaign_state.work / "merge-pool"
    shutil.copytree(target.corpus, pool)
    queued = {hashlib.sha1(path.read_bytes()).hexdigest(): path  # ",orig:": a seed.
              for path in (campaign_state.work / "afl").glob("*/queue/id:*")
              if ",orig:" not in path.name}
    candidates = [name for name in queued if not (pool / name).exists()]
    if not candidates:
        return 0
    for name in candidates:
        shutil.copyfile(queued[name], pool / name)
    kept = campaign_state.work / "merge-kept"
    # AFL_ALLOW_TMP: afl-cmin refuses /tmp for fear of other users' links
    # there; the campaign's work folder is private (mkdtemp, mode 0700).
    subprocess.run(["afl-cmin", "-i", str(pool), "-o", str(kept), "-t", str(TIMEOUT_MS),
                    "--", str(target.binary)], env=afl_env(AFL_ALLOW_TMP="1"), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    added = [p for p in kept.iterdir() if not (target.corpus / p.name).exists()]
    for path in added:
        shutil.copyfile(path, target.corpus / path.name)
    return len(added)


AFL = campaign.Engine(name="afl", folder=".", suffix="", fuzz=fuzz, minimize=minimize,
                      merge=merge)


if __name__ == "__main__":
    sys.exit(campaign.main(sys.argv[1:], engine=AFL))
