#!/usr/bin/env python3
"""Side-by-side benchmark: echo_server, a libuv-style reference and a minimal
epoll server (the speed limit), measured in one run by the same client
(echo_load), each server pinned to one core and the client to the other:

  bulk         16 connections, 4 KiB messages, 4 in flight: MB/s echoed, the
               server's CPU time per KiB echoed, the client's own CPU share
  ping-pong    1 connection, 64-byte messages: p50/p99 latency, msgs/s, the
               server's CPU time per message; the servers alternate over
               several rounds, the median round counts
  syscalls     a separate ping-pong round per server under `strace -c`:
               reads, writes, epoll_wait and epoll_ctl per message
  idle         10,000 connections held open: server RSS growth
  slow readers 200 connections each pushing 4 MB and never reading: peak
               server RSS, and whether a new client is answered meanwhile

The client is checked too: in every ping-pong round, right after echo_load
ran against the minimal server, a blocking C client (the yardstick) does the
same; echo_load below 0.7x its msgs/s fails the run, since it would then
measure itself. In bulk, a client that used all of its core is flagged in
the table and warned about, not failed: against a server near the speed
limit it happens on a 2-core VM whatever the client (bench_report.py).

Prints the markdown tables and the verdicts, and writes the tables and the
raw figures to --out (bench.md, bench.json). Exit status 1 on client
errors or a failed check.
"""

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testing"))
import bench_report  # noqa: E402
import scenarios  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/dev bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", required=True, help="echo_server")
    parser.add_argument("--reference", required=True, help="uv_echo_server")
    parser.add_argument("--minimal", required=True, help="minimal_echo_server")
    parser.add_argument("--yardstick", required=True, help="blocking_ping_client")
    parser.add_argument("--load", required=True, help="echo_load")
    parser.add_argument("--duration", type=int, default=10, help="seconds of bulk load")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternating ping-pong rounds (duration/4 s each)")
    parser.add_argument("--syscall-seconds", type=int, default=2,
                        help="seconds of ping-pong under strace, per server")
    parser.add_argument("--idle-connections", type=int, default=10000)
    parser.add_argument("--slow-readers", type=int, default=200)
    parser.add_argument("--slow-bytes", type=int, default=4 * 1000 * 1000)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    return parser.parse_args(argv)


SERVER_COMMANDS = {
    "echo_server": lambda args: [args.ours, "--port", "0", "--max-connections", "20000",
                                 "--max-connections-per-ip", "0", "--log-level", "warn"],
    "reference": lambda args: [args.reference, "0"],
    "minimal": lambda args: [args.minimal, "0"],
}


def start_servers(args):
    """{name: Server}, in SERVER_COMMANDS' order; none left running if one
    fails to start."""
    servers = {}
    try:
        for name, command in SERVER_COMMANDS.items():
            servers[name] = scenarios.Server(command(args))
    except RuntimeError:
        for server in servers.values():
            server.stop()
        raise
    return servers


def measure(servers, args):
    """Every scenario on every server: {server: figures}, and the client check."""
    print("bench: ping-pong, %d alternating rounds" % args.rounds, file=sys.stderr)
    latency, client = scenarios.ping_pong_rounds(servers, args, max(1, args.duration // 4))
    print("bench: system calls per ping-pong message, under strace", file=sys.stderr)
    syscalls = {name: scenarios.count_syscalls(server, args.load, args.syscall_seconds)
                for name, server in servers.items()}
    figures = {}
    for name, server in servers.items():
        figures[name] = scenarios.run_server(name, server, args)
        figures[name].update({k: v for k, v in latency[name].items() if k.startswith("ping_pong")})
        figures[name]["client_errors"] += latency[name]["errors"] + syscalls[name]["raw"]["errors"]
        figures[name]["raw"]["ping_pong_rounds"] = latency[name]["rounds"]
        figures[name]["raw"]["syscalls"] = syscalls[name].pop("raw")
        figures[name].update(syscalls[name])
    return figures, client


def main(argv):
    args = parse_args(argv)
    servers = start_servers(args)
    try:
        figures, client = measure(servers, args)
    finally:
        for server in servers.values():
            server.stop()
    results = bench_report.checks(client)
    warnings = bench_report.warnings(figures)
    tables = bench_report.server_table(figures) + "\n" + bench_report.client_table(client)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.md").write_text(tables)
    (args.out / "bench.json").write_text(json.dumps(
        dict(figures, client_check=client, warnings=warnings,
             checks=[check._asdict() for check in results]), indent=2) + "\n")
    print(tables)
    print("\n".join(warnings + bench_report.verdict_lines(results)))
    print("bench: written to %s" % args.out, file=sys.stderr)
    errors = sum(f["client_errors"] for f in figures.values()) + client["yardstick_errors"]
    if errors:
        print("bench: the clients saw %d error(s); see bench.json" % errors)
    return 1 if errors or not all(check.passed for check in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
