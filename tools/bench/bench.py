#!/usr/bin/env python3
"""Side-by-side benchmark: echo_server, a libuv-style reference and a minimal
epoll server (the speed limit), measured in one run by the same client
(echo_load); what and why: the README ("Load, robustness and benchmark").

Prints the markdown tables and the verdicts, and writes the tables and the
raw figures to --out (bench.md, bench.json). Exit status 1 on client
errors or a failed check.
"""

import argparse
import contextlib
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testing"))
import bench_report  # noqa: E402
import scenarios  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="tools/dev bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for flag, binary in (("--ours", "echo_server"), ("--reference", "uv_echo_server"),
                         ("--minimal", "minimal_echo_server"),
                         ("--yardstick", "blocking_ping_client"), ("--load", "echo_load")):
        parser.add_argument(flag, required=True, help=binary)
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
        for raw_key, part in (("ping_pong_rounds", latency[name]), ("syscalls", syscalls[name])):
            figures[name]["raw"][raw_key] = part.pop("raw")
            figures[name]["client_errors"] += part.pop("client_errors")
            figures[name].update(part)
    return figures, client


def main(argv):
    args = parse_args(argv)
    commands = {"echo_server": [args.ours, "--port", "0", "--max-connections", "20000",
                                "--max-connections-per-ip", "0", "--log-level", "warn"],
                "reference": [args.reference, "0"], "minimal": [args.minimal, "0"]}
    with contextlib.ExitStack() as running:  # Stops every server started.
        servers = {name: running.enter_context(scenarios.Server(command))
                   for name, command in commands.items()}
        figures, client = measure(servers, args)
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
