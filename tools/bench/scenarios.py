"""The benchmark's scenarios. Each drives a server pinned to the server core
with a client pinned to the other core, and returns plain figures (with the
client's raw reports under "raw")."""

import json
import math
import sys
import threading
import time

from echo_process import EchoProcess, rss_kib
from process_cost import SyscallCount, cpu_seconds, run_child

CORES = {"server": "0", "client": "1"}
PING_PONG_MESSAGE = 64
# What counts as a read and as a write in a syscall count: each server uses
# its own family (echo_server recv/send, which glibc makes recvfrom/sendto;
# libuv read/writev; the minimal server read/write).
READ_CALLS = ("read", "readv", "recvfrom", "recvmsg")
WRITE_CALLS = ("write", "writev", "sendto", "sendmsg")
EPOLL_WAIT_CALLS = ("epoll_wait", "epoll_pwait", "epoll_pwait2")


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

    def cpu_seconds(self):
        return cpu_seconds(self.pid)


def on_client_core(command):
    return ["taskset", "-c", CORES["client"], *[str(part) for part in command]]


def last_json_line(run, what):
    try:
        return json.loads(run.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        raise RuntimeError("%s printed no report: %s" % (what, run.stderr[-500:]))


def load(load_binary, port, mode, **flags):
    """Runs echo_load --json on the client core. Returns its summary (the
    report's "end") plus its "exit_code", and the CPU seconds the client
    used and its wall seconds ("client_cpu_seconds", "client_wall_seconds")."""
    command = [load_binary, "--port", port, "--mode", mode, "--json"]
    for key, value in flags.items():
        command += ["--" + key.replace("_", "-"), value]
    run = run_child(on_client_core(command), timeout=600)
    try:
        report = last_json_line(run, "echo_load " + mode)["end"]
    except (KeyError, TypeError):
        raise RuntimeError("echo_load %s printed no summary: %s" % (mode, run.stderr[-500:]))
    report.update(exit_code=run.exit_code, client_cpu_seconds=run.cpu_seconds,
                  client_wall_seconds=run.wall_seconds)
    return report


def ping_pong(load_binary, port, seconds):
    return load(load_binary, port, "ping-pong", connections=1,
                message_size=PING_PONG_MESSAGE, duration=seconds)


def echoed_messages(report):
    """Ping-pong messages echoed over the whole run (connect and wind-down
    included, as the server's CPU time is)."""
    return report["bytes_verified"] // PING_PONG_MESSAGE


def yardstick(binary, port, seconds):
    """The blocking ping-pong client on the client core; its JSON line."""
    run = run_child(on_client_core([binary, port, seconds, PING_PONG_MESSAGE]),
                    timeout=seconds + 30)
    report = last_json_line(run, "blocking_ping_client")
    report.update(exit_code=run.exit_code,
                  cpu_us_per_msg=run.cpu_seconds * 1e6 / max(1, report["messages"]))
    return report


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def measure_bulk(server, load_binary, seconds):
    """Bulk throughput, the server's CPU per KiB echoed, and the share of one
    core the client itself used (near 1: the figure measures the client)."""
    before = server.cpu_seconds()
    bulk = load(load_binary, server.port, "bulk", connections=16, message_size=4096,
                in_flight=4, duration=seconds)
    server_cpu = server.cpu_seconds() - before
    kib = bulk["bytes_verified"] / 1024.0
    return {"bulk_mb_per_s": bulk["mb_per_s"],
            "bulk_server_cpu_ns_per_kib": server_cpu * 1e9 / kib if kib else math.nan,
            "bulk_client_cpu_share": bulk["client_cpu_seconds"] / bulk["client_wall_seconds"],
            "raw": bulk}


def ping_pong_round(server, load_binary, seconds):
    """One ping-pong run, with the server's CPU per message over it."""
    before = server.cpu_seconds()
    report = ping_pong(load_binary, server.port, seconds)
    report["server_cpu_us_per_msg"] = ((server.cpu_seconds() - before) * 1e6 /
                                       max(1, echoed_messages(report)))
    return report


def summarize_ping_pong(reports):
    return {"ping_pong_p50_us": median([r["latency_us"]["p50"] for r in reports]),
            "ping_pong_p99_us": median([r["latency_us"]["p99"] for r in reports]),
            "ping_pong_msgs_per_s": median([r["msgs_per_s"] for r in reports]),
            "ping_pong_server_cpu_us_per_msg": median([r["server_cpu_us_per_msg"]
                                                       for r in reports]),
            "errors": sum(r["errors"] for r in reports),
            "rounds": reports}


def client_check(load_reports, yardstick_reports):
    """echo_load against the yardstick, both against the same server."""
    figures = {"echo_load_p50_us": median([r["latency_us"]["p50"] for r in load_reports]),
               "echo_load_msgs_per_s": median([r["msgs_per_s"] for r in load_reports]),
               "echo_load_cpu_us_per_msg": median([
                   r["client_cpu_seconds"] * 1e6 / max(1, echoed_messages(r))
                   for r in load_reports]),
               "yardstick_p50_us": median([r["p50_us"] for r in yardstick_reports]),
               "yardstick_msgs_per_s": median([r["msgs_per_s"] for r in yardstick_reports]),
               "yardstick_cpu_us_per_msg": median([r["cpu_us_per_msg"]
                                                   for r in yardstick_reports]),
               "yardstick_errors": sum(r["exit_code"] != 0 for r in yardstick_reports),
               "yardstick_rounds": yardstick_reports}
    figures["p50_ratio"] = figures["echo_load_p50_us"] / figures["yardstick_p50_us"]
    figures["msgs_ratio"] = figures["echo_load_msgs_per_s"] / figures["yardstick_msgs_per_s"]
    return figures


def ping_pong_rounds(servers, args, seconds):
    """Ping-pong on every server, alternating round by round so that drift on
    the machine hits all alike; in each round the yardstick runs against the
    minimal server right after echo_load did. Medians of the rounds: per
    server, and the client check (see client_check)."""
    samples = {name: [] for name in servers}
    yardsticks = []
    for _ in range(args.rounds):
        for name, server in servers.items():
            samples[name].append(ping_pong_round(server, args.load, seconds))
            if name == "minimal":
                yardsticks.append(yardstick(args.yardstick, server.port, seconds))
    figures = {name: summarize_ping_pong(reports) for name, reports in samples.items()}
    return figures, client_check(samples["minimal"], yardsticks)


def count_syscalls(server, load_binary, seconds):
    """System calls per ping-pong message, counted by strace in a round of
    their own (see process_cost for why strace)."""
    with SyscallCount(server.pid) as count:
        report = ping_pong(load_binary, server.port, seconds)
    messages = max(1, echoed_messages(report))

    def per_message(names):
        return sum(count.calls.get(name, 0) for name in names) / messages

    return {"reads_per_msg": per_message(READ_CALLS),
            "writes_per_msg": per_message(WRITE_CALLS),
            "epoll_wait_per_msg": per_message(EPOLL_WAIT_CALLS),
            "epoll_ctl_per_msg": per_message(("epoll_ctl",)),
            "raw": {"messages": messages, "calls": count.calls, "errors": report["errors"]}}


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
                 message_size=PING_PONG_MESSAGE, duration=1)
    readers.join()
    stop.set()
    sampler.join()
    return {"peak_rss_mib": peak[0] / 1024.0,
            "answered_meanwhile": probe["exit_code"] == 0 and probe["errors"] == 0,
            "client": result.get("slow"), "probe": probe}


def run_server(name, server, args):
    """Bulk, idle and slow readers on one server (the others idle)."""
    print("bench: %s" % name, file=sys.stderr)
    figures = measure_bulk(server, args.load, args.duration)
    bulk = figures.pop("raw")
    idle = measure_idle(server, args.load, args.idle_connections, 6)
    figures["idle_rss_growth_mib"] = idle["rss_growth_mib"]
    slow = measure_slow_readers(server, args.load, args.slow_readers, args.slow_bytes, 6)
    figures["slow_readers_peak_rss_mib"] = slow["peak_rss_mib"]
    figures["answered_during_slow_readers"] = slow["answered_meanwhile"]
    figures["client_errors"] = bulk["errors"] + idle["client"]["errors"]
    figures["raw"] = {"bulk": bulk, "idle": idle, "slow_readers": slow}
    return figures
