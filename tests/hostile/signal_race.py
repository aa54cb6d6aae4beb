#!/usr/bin/env python3
"""Counts how runs of "spawn echo_server, signal it at once" end.

A measurement, not a test: signals_test asserts the promise, this shows how
often each moment is hit and what the kernel does before main() begins.

  signal_race.py --server BINARY [--runs 100] [--when spawn|main]
                 [--parent-blocks] [SIGNAL...]

--when spawn sends the signal as soon as Popen returns (the child has
exec'd, but may not have run an instruction yet); --when main waits until
main() has begun (see server_process.has_entered_main). --parent-blocks
spawns with the signals blocked, as a parent that must signal at once
should. After SIGUSR1 a live server gets SIGTERM once it listens, so every
run ends; each line counts how (exit 0, killed by SIGNAL, still running).
Written here rather than with a shell loop because it needs /proc polling
and exact exit statuses, which tools/testing/server_process.py provides.
"""

import argparse
import collections
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../tools/testing"))
import server_process  # noqa: E402

LIFECYCLE_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGUSR1}


def spawn(parent_blocks):
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, LIFECYCLE_SIGNALS if parent_blocks
                                      else set())
    try:
        return server_process.spawn(stderr=subprocess.PIPE, text=True)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def one_run(signum, when, parent_blocks):
    process = spawn(parent_blocks)
    try:
        if when == "main":
            server_process.wait_until(lambda: server_process.has_entered_main(process.pid),
                                      server_process.START_SECONDS, interval=0)
        process.send_signal(signum)
        if signum == signal.SIGUSR1:
            process.stderr.readline()  # The startup line, or "" once it died.
            process.send_signal(signal.SIGTERM)
        return process.wait(timeout=server_process.EXIT_SECONDS)
    except subprocess.TimeoutExpired:
        return None
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stderr.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the echo_server binary")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--when", choices=("spawn", "main"), default="spawn")
    parser.add_argument("--parent-blocks", action="store_true")
    parser.add_argument("signals", nargs="*", default=["SIGUSR1", "SIGTERM", "SIGINT"])
    args = parser.parse_args()
    server_process.SERVER = os.path.abspath(args.server)
    for name in args.signals:
        signum = signal.Signals[name]
        ends = collections.Counter(server_process.describe_exit(
            one_run(signum, args.when, args.parent_blocks)) for _ in range(args.runs))
        print("%s at %s%s: %d runs: %s" % (
            name, args.when, ", parent blocks" if args.parent_blocks else "", args.runs,
            ", ".join("%s %d" % (end, count) for end, count in sorted(ends.items()))))


if __name__ == "__main__":
    main()
