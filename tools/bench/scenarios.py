"""The benchmark's scenarios. Each drives a server pinned to the server core
with a client pinned to the other core, and returns plain figures (with the
client's raw reports under "raw")."""

import json
import math
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from echo_process import EchoProcess, cpu_seconds, rss_kib
from process_cost import run_child, syscall_count

CORES = {"server": "0", "client": "1"}
PING_PONG_MESSAGE = 64
# The calls each figure counts: each server uses its own family (echo_server
# recv/send, which glibc makes recvfrom/sendto; libuv read/writev; the
# minimal server read/write).
PER_MESSAGE_CALLS = {
    "reads_per_msg": ("read", "readv", "recvfrom", "recvmsg"),
    "writes_per_msg": ("write", "writev", "sendto", "sendmsg"),
    "epoll_wait_per_msg": ("epoll_wait", "epoll_pwait", "epoll_pwait2"),
    "epoll_ctl_per_msg": ("epoll_ctl",),
}
# Medians of the ping-pong rounds: per server, and in the client check.
SERVER_KEYS = ("p50_us", "p99_us", "msgs_per_s", "server_cpu_us_per_msg")
CLIENT_KEYS = ("p50_us", "msgs_per_s", "cpu_us_per_msg")


class Server(EchoProcess):
    """A server process on port 0, pinned to the server core."""

    def __init__(self, command):
        super().__init__(["taskset", "-c", CORES["server"], *command])
        self.port = self.await_port(10)
        if not self.port:
            self.stop(seconds=0)
            raise RuntimeError("no startup line from %s: %r" % (command[0], self.log()))


def client_report(command, what, timeout, key=None):
    """Runs a client on the client core; the JSON of its last stdout line (or
    its `key`) plus its "exit_code", and the CPU and wall seconds it used
    ("client_cpu_seconds", "client_wall_seconds")."""
    run = run_child(["taskset", "-c", CORES["client"], *map(str, command)], timeout=timeout)
    try:
        report = json.loads(run.stdout.strip().splitlines()[-1])
        report = report[key] if key else report
        report.update(exit_code=run.exit_code, client_cpu_seconds=run.cpu_seconds,
                      client_wall_seconds=run.wall_seconds)
    except (IndexError, ValueError, KeyError, TypeError, AttributeError):
        raise RuntimeError("%s printed no report: %s" % (what, run.stderr[-500:]))
    return report


def load(load_binary, port, mode, **flags):
    """Runs echo_load --json; its summary (the report's "end"), as client_report."""
    command = [load_binary, "--port", port, "--mode", mode, "--json"]
    for key, value in flags.items():
        command += ["--" + key.replace("_", "-"), value]
    return client_report(command, "echo_load " + mode, 600, key="end")


def ping_pong(load_binary, server, seconds):
    """One ping-pong run, its figures also under the yardstick's names, with
    the server's CPU per message. Messages are counted over the whole run
    (connect and wind-down included, as CPU time is)."""
    before = cpu_seconds(server.pid)
    report = load(load_binary, server.port, "ping-pong", connections=1,
                  message_size=PING_PONG_MESSAGE, duration=seconds)
    messages = max(1, report["bytes_verified"] // PING_PONG_MESSAGE)
    report.update(p50_us=report["latency_us"]["p50"], p99_us=report["latency_us"]["p99"],
                  cpu_us_per_msg=report["client_cpu_seconds"] * 1e6 / messages,
                  server_cpu_us_per_msg=(cpu_seconds(server.pid) - before) * 1e6 / messages)
    return report, messages


def yardstick(binary, port, seconds):
    """The blocking ping-pong client; its JSON line, with its CPU per message."""
    report = client_report([binary, port, seconds, PING_PONG_MESSAGE], "blocking_ping_client",
                           seconds + 30)
    report["cpu_us_per_msg"] = report["client_cpu_seconds"] * 1e6 / max(1, report["messages"])
    return report


def medians(reports, keys, prefix):
    """{prefix + key: the median of the reports' `key`}."""
    return {prefix + key: sorted(r[key] for r in reports)[len(reports) // 2] for key in keys}


def measure_bulk(server, load_binary, seconds):
    """Bulk throughput, the server's CPU per KiB echoed, and the share of one
    core the client itself used (near 1: the figure measures the client)."""
    before = cpu_seconds(server.pid)
    bulk = load(load_binary, server.port, "bulk", connections=16, message_size=4096,
                in_flight=4, duration=seconds)
    kib = bulk["bytes_verified"] / 1024.0
    return {"bulk_mb_per_s": bulk["mb_per_s"],
            "bulk_server_cpu_ns_per_kib":
                (cpu_seconds(server.pid) - before) * 1e9 / kib if kib else math.nan,
            "bulk_client_cpu_share": bulk["client_cpu_seconds"] / bulk["client_wall_seconds"],
            "raw": bulk}


def ping_pong_rounds(servers, args, seconds):
    """Ping-pong on every server, alternating round by round so that drift on
    the machine hits all alike; in each round the yardstick runs against the
    minimal server right after echo_load did. Medians of the rounds: per
    server, and the client check (echo_load against the yardstick)."""
    samples = {name: [] for name in servers}
    yardsticks = []
    for _ in range(args.rounds):
        for name, server in servers.items():
            samples[name].append(ping_pong(args.load, server, seconds)[0])
            if name == "minimal":
                yardsticks.append(yardstick(args.yardstick, server.port, seconds))
    figures = {name: dict(medians(reports, SERVER_KEYS, "ping_pong_"),
                          client_errors=sum(r["errors"] for r in reports), raw=reports)
               for name, reports in samples.items()}
    client = dict(medians(samples["minimal"], CLIENT_KEYS, "echo_load_"),
                  **medians(yardsticks, CLIENT_KEYS, "yardstick_"),
                  yardstick_errors=sum(r["exit_code"] != 0 for r in yardsticks),
                  yardstick_rounds=yardsticks)
    client["p50_ratio"] = client["echo_load_p50_us"] / client["yardstick_p50_us"]
    client["msgs_ratio"] = client["echo_load_msgs_per_s"] / client["yardstick_msgs_per_s"]
    return figures, client


def count_syscalls(server, load_binary, seconds):
    """System calls per ping-pong message, counted by strace in a round of
    their own (see process_cost for why strace)."""
    with syscall_count(server.pid) as calls:
        report, messages = ping_pong(load_binary, server, seconds)
    figures = {key: sum(calls.get(name, 0) for name in names) / messages
               for key, names in PER_MESSAGE_CALLS.items()}
    return dict(figures, client_errors=report["errors"],
                raw={"messages": messages, "calls": calls, "errors": report["errors"]})


def measure_idle(server, load_binary, connections, seconds):
    """RSS growth while `connections` idle clients are held open: sampled late
    in the hold (all connections are up), before the final liveness probe."""
    before = rss_kib(server.pid)
    with ThreadPoolExecutor(1) as pool:
        held = pool.submit(load, load_binary, server.port, "idle", connections=connections,
                           duration=seconds, message_size=16, timeout=30)
        time.sleep(seconds - 1.0)
        during = rss_kib(server.pid)
        return {"rss_growth_mib": (during - before) / 1024.0, "client": held.result()}


def measure_slow_readers(server, load_binary, connections, bytes_each, seconds):
    """Peak RSS under slow readers, and a ping-pong answered meanwhile."""
    stop = threading.Event()

    def peak_rss():
        peak = rss_kib(server.pid)
        while not stop.wait(0.05):
            peak = max(peak, rss_kib(server.pid))
        return peak

    with ThreadPoolExecutor(2) as pool:
        peak = pool.submit(peak_rss)
        try:
            slow = pool.submit(load, load_binary, server.port, "slow-readers", timeout=30,
                               connections=connections, bytes=bytes_each, duration=seconds)
            time.sleep(seconds / 2.0)
            probe = ping_pong(load_binary, server, 1)[0]
            slow = slow.result()
        finally:
            stop.set()
        return {"peak_rss_mib": peak.result() / 1024.0,
                "answered_meanwhile": probe["exit_code"] == 0 and probe["errors"] == 0,
                "client": slow, "probe": probe}


def run_server(name, server, args):
    """Bulk, idle and slow readers on one server (the others idle)."""
    print("bench: %s" % name, file=sys.stderr)
    figures = measure_bulk(server, args.load, args.duration)
    bulk = figures.pop("raw")
    idle = measure_idle(server, args.load, args.idle_connections, 6)
    slow = measure_slow_readers(server, args.load, args.slow_readers, args.slow_bytes, 6)
    figures.update(idle_rss_growth_mib=idle["rss_growth_mib"],
                   slow_readers_peak_rss_mib=slow["peak_rss_mib"],
                   answered_during_slow_readers=slow["answered_meanwhile"],
                   client_errors=bulk["errors"] + idle["client"]["errors"],
                   raw={"bulk": bulk, "idle": idle, "slow_readers": slow})
    return figures
