#!/usr/bin/env python3
"""Side-by-side benchmark: echo_server against a libuv-style reference.

Both servers run the same scenarios in one run, driven by the same client
(echo_load), the server pinned to one core and the client to the other:

  bulk         16 connections, 4 KiB messages, 4 in flight: MB/s echoed
  ping-pong    1 connection, 64-byte messages: p50/p99 latency, msgs/s; the
               servers alternate over several rounds, the median counts
  idle         10,000 connections held open: server RSS growth
  slow readers 200 connections each pushing 4 MB and never reading: peak
               server RSS, and whether a new client is answered meanwhile

Prints a markdown table (ours, reference, ratio ours/reference) and writes
it with the raw figures to --out (bench.md, bench.json).
"""

import argparse
import json
import pathlib
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testing"))
from echo_process import EchoProcess, rss_kib  # noqa: E402

CORES = {"server": "0", "client": "1"}


class Server(EchoProcess):
    """A server process on port 0, pinned to the server core."""

    def __init__(self, command):
        super().__init__(["taskset", "-c", CORES["server"], *command])
        self.port = self.await_port(10)
        if not self.port:
            self.stop(seconds=0)
            raise RuntimeError("no startup line from %s: %r" % (command[0], self.log()))

    def rss_kib(self):
        return rss_kib(self.pid)


def load(load_binary, port, mode, **flags):
    """Runs echo_load with --json on the client core; returns its summary (the
    report's "end")."""
    command = ["taskset", "-c", CORES["client"], load_binary, "--port", str(port),
               "--mode", mode, "--json"]
    for key, value in flags.items():
        command += ["--" + key.replace("_", "-"), str(value)]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=600)
    try:
        report = json.loads(done.stdout.strip().splitlines()[-1])["end"]
    except (IndexError, KeyError, TypeError, json.JSONDecodeError):
        raise RuntimeError("echo_load %s printed no report: %s" % (mode, done.stderr[-500:]))
    report["exit_code"] = done.returncode
    return report


def sample_peak_rss(server, stop, peak):
    while not stop.is_set():
        peak[0] = max(peak[0], server.rss_kib())
        time.sleep(0.05)


def measure_idle(server, load_binary, connections, seconds):
    """RSS growth while `connections` idle clients are held open: sampled late
    in the hold (all connections are up), before the final liveness probe."""
    before = server.rss_kib()
    held = {}
    client = threading.Thread(target=lambda: held.update(report=load(
        load_binary, server.port, "idle", connections=connections, duration=seconds,
        message_size=16, timeout=30)))
    client.start()
    time.sleep(seconds - 1.0)
    during = server.rss_kib()
    client.join()
    return {"rss_growth_mib": (during - before) / 1024.0, "client": held["report"]}


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def ping_pong_rounds(servers, load_binary, rounds, seconds):
    """Ping-pong latency, alternating between the servers round by round so
    that drift on the machine hits both alike; the median round counts."""
    samples = {name: [] for name in servers}
    for _ in range(rounds):
        for name, server in servers.items():
            samples[name].append(load(load_binary, server.port, "ping-pong", connections=1,
                                      message_size=64, duration=seconds))
    figures = {}
    for name, reports in samples.items():
        figures[name] = {
            "ping_pong_p50_us": median([r["latency_us"]["p50"] for r in reports]),
            "ping_pong_p99_us": median([r["latency_us"]["p99"] for r in reports]),
            "ping_pong_msgs_per_s": median([r["msgs_per_s"] for r in reports]),
            "errors": sum(r["errors"] for r in reports),
            "rounds": reports,
        }
    return figures


def measure_slow_readers(server, load_binary, connections, bytes_each, seconds):
    """Peak RSS under slow readers, and a ping-pong answered meanwhile."""
    peak = [server.rss_kib()]
    stop = threading.Event()
    sampler = threading.Thread(target=sample_peak_rss, args=(server, stop, peak))
    sampler.start()
    result = {}
    readers = threading.Thread(target=lambda: result.update(slow=load(
        load_binary, server.port, "slow-readers", connections=connections,
        bytes=bytes_each, duration=seconds, timeout=30)))
    readers.start()
    time.sleep(seconds / 2.0)
    probe = load(load_binary, server.port, "ping-pong", connections=1,
                 message_size=64, duration=1)
    readers.join()
    stop.set()
    sampler.join()
    return {"peak_rss_mib": peak[0] / 1024.0,
            "answered_meanwhile": probe["exit_code"] == 0 and probe["errors"] == 0,
            "client": result.get("slow"), "probe": probe}


def run_server(name, server, args):
    """Bulk, idle and slow readers on one server (the other one idle)."""
    print("bench: %s" % name, file=sys.stderr)
    figures = {}
    bulk = load(args.load, server.port, "bulk", connections=16, message_size=4096,
                in_flight=4, duration=args.duration)
    figures["bulk_mb_per_s"] = bulk["mb_per_s"]
    idle = measure_idle(server, args.load, args.idle_connections, 6)
    figures["idle_rss_growth_mib"] = idle["rss_growth_mib"]
    slow = measure_slow_readers(server, args.load, args.slow_readers, args.slow_bytes, 6)
    figures["slow_readers_peak_rss_mib"] = slow["peak_rss_mib"]
    figures["answered_during_slow_readers"] = slow["answered_meanwhile"]
    figures["client_errors"] = bulk["errors"] + idle["client"]["errors"]
    figures["raw"] = {"bulk": bulk, "idle": idle, "slow_readers": slow}
    return figures


ROWS = [
    ("bulk MB/s (16 conns, 4 KiB x 4 in flight)", "bulk_mb_per_s", "%.1f"),
    ("ping-pong p50 (us)", "ping_pong_p50_us", "%.0f"),
    ("ping-pong p99 (us)", "ping_pong_p99_us", "%.0f"),
    ("ping-pong msgs/s", "ping_pong_msgs_per_s", "%.0f"),
    ("RSS growth, 10,000 idle connections (MiB)", "idle_rss_growth_mib", "%.1f"),
    ("peak RSS, 200 slow readers x 4 MB (MiB)", "slow_readers_peak_rss_mib", "%.1f"),
]


def markdown(ours, reference):
    lines = ["| measure | echo_server | libuv-style reference | ours / reference |",
             "| --- | ---: | ---: | ---: |"]
    for label, key, fmt in ROWS:
        ratio = ours[key] / reference[key] if reference[key] else float("nan")
        lines.append("| %s | %s | %s | %.2f |" % (label, fmt % ours[key],
                                                   fmt % reference[key], ratio))
    lines.append("| answers a new client during slow readers | %s | %s | |" % (
        "yes" if ours["answered_during_slow_readers"] else "no",
        "yes" if reference["answered_during_slow_readers"] else "no"))
    return "\n".join(lines) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(prog="tools/dev bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--load", required=True)
    parser.add_argument("--duration", type=int, default=10, help="seconds of bulk load")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating ping-pong rounds (duration/4 s each)")
    parser.add_argument("--idle-connections", type=int, default=10000)
    parser.add_argument("--slow-readers", type=int, default=200)
    parser.add_argument("--slow-bytes", type=int, default=4 * 1000 * 1000)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args(argv)
    servers = {
        "echo_server": Server([args.ours, "--port", "0", "--max-connections", "20000",
                               "--max-connections-per-ip", "0",
                               "--log-level", "warn"]),
        "reference": Server([args.reference, "0"]),
    }
    try:
        print("bench: ping-pong, %d alternating rounds" % args.rounds, file=sys.stderr)
        latency = ping_pong_rounds(servers, args.load, args.rounds, max(1, args.duration // 4))
        ours = run_server("echo_server", servers["echo_server"], args)
        reference = run_server("reference", servers["reference"], args)
    finally:
        for server in servers.values():
            server.stop()
    for name, figures in (("echo_server", ours), ("reference", reference)):
        figures.update({k: v for k, v in latency[name].items() if k.startswith("ping_pong")})
        figures["client_errors"] += latency[name]["errors"]
        figures["raw"]["ping_pong_rounds"] = latency[name]["rounds"]
    table = markdown(ours, reference)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.md").write_text(table)
    (args.out / "bench.json").write_text(json.dumps(
        {"echo_server": ours, "reference": reference}, indent=2) + "\n")
    print(table)
    print("bench: written to %s" % args.out, file=sys.stderr)
    failed = ours["client_errors"] or reference["client_errors"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
