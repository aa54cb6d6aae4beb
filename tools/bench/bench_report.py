"""The benchmark's tables and self-checks, from the figures of scenarios.py.

The self-checks ask whether the client measured the servers rather than
itself: checks() in ping-pong (a verdict), warnings() in bulk (a flag).
"""

import collections

SERVERS = ("echo_server", "reference", "minimal")
HEADINGS = ("echo_server", "libuv-style reference", "minimal (speed limit)")
# Cells that are not plain numbers, and have no ratio.
CLIENT_SHARE = "client share"
YES_NO = "yes/no"
ROWS = [
    ("bulk MB/s (16 conns, 4 KiB x 4 in flight)", "bulk_mb_per_s", "%.1f"),
    ("bulk: server CPU per KiB echoed (ns)", "bulk_server_cpu_ns_per_kib", "%.0f"),
    ("bulk: client CPU, share of its core", "bulk_client_cpu_share", CLIENT_SHARE),
    ("ping-pong p50 (us)", "ping_pong_p50_us", "%.0f"),
    ("ping-pong p99 (us)", "ping_pong_p99_us", "%.0f"),
    ("ping-pong msgs/s", "ping_pong_msgs_per_s", "%.0f"),
    ("ping-pong: server CPU per message (us)", "ping_pong_server_cpu_us_per_msg", "%.1f"),
    ("ping-pong: reads per message", "reads_per_msg", "%.2f"),
    ("ping-pong: writes per message", "writes_per_msg", "%.2f"),
    ("ping-pong: epoll_wait per message", "epoll_wait_per_msg", "%.2f"),
    ("ping-pong: epoll_ctl per message", "epoll_ctl_per_msg", "%.3f"),
    ("RSS growth, 10,000 idle connections (MiB)", "idle_rss_growth_mib", "%.1f"),
    ("peak RSS, 200 slow readers x 4 MB (MiB)", "slow_readers_peak_rss_mib", "%.1f"),
    ("answers a new client during slow readers", "answered_during_slow_readers", YES_NO),
]
# The client is saturated when its own CPU time reaches this share of the
# wall time on its one core: the bulk figure then measures the client as
# much as the server. A flag, not a failure: on loopback each end's kernel
# does about the same work per byte, so any server near the speed limit
# saturates the client too (0.94-0.97 on a 2-core VM, docs/measurements.md).
# Server CPU per KiB compares the servers whoever set the pace.
SATURATED_CLIENT = 0.95
# echo_load may fall this far below the yardstick's msgs/s before its
# ping-pong figures stop measuring the server...
MIN_CLIENT_MSGS_RATIO = 0.7
# ... and its p50 rise this far above the yardstick's.
MAX_CLIENT_P50_RATIO = 1.5

Check = collections.namedtuple("Check", "name passed detail")


def cell(value, fmt):
    if fmt == YES_NO:
        return "yes" if value else "no"
    if fmt == CLIENT_SHARE:
        return "%.2f%s" % (value, " (saturated)" if value >= SATURATED_CLIENT else "")
    return fmt % value


def ratio_cell(numerator, denominator, fmt):
    """numerator / denominator; "-" where the table shows the denominator as
    zero (a ratio of rounded-off figures means nothing), empty for cells
    that are not plain numbers."""
    if fmt in (YES_NO, CLIENT_SHARE):
        return ""
    if float(fmt % denominator) == 0:
        return "-"
    return "%.2f" % (numerator / denominator)


def markdown(headings, rows):
    lines = ["| %s |" % " | ".join(headings), "| --- |" + " ---: |" * (len(headings) - 1)]
    return "\n".join(lines + ["| %s |" % " | ".join(row) for row in rows]) + "\n"


def server_table(figures):
    """One column per server, then echo_server / reference and
    echo_server / minimal."""
    ours = figures["echo_server"]
    return markdown(("measure",) + HEADINGS + ("echo_server / reference", "echo_server / minimal"),
                    [[label] + [cell(figures[name][key], fmt) for name in SERVERS] +
                     [ratio_cell(ours[key], figures[name][key], fmt) for name in SERVERS[1:]]
                     for label, key, fmt in ROWS])


def client_table(client):
    """echo_load against the blocking yardstick, both against the minimal
    server."""
    return markdown(
        ("ping-pong against the minimal server (1 conn, 64 B)", "echo_load", "blocking yardstick",
         "echo_load / yardstick"),
        [(label, fmt % client["echo_load_" + key], fmt % client["yardstick_" + key],
          "%.2f" % (client["echo_load_" + key] / client["yardstick_" + key]))
         for label, key, fmt in [("p50 (us)", "p50_us", "%.1f"), ("msgs/s", "msgs_per_s", "%.0f"),
                                 ("client CPU per message (us)", "cpu_us_per_msg", "%.1f")]])


def checks(client):
    """The bench's verdict: whether echo_load keeps up with the yardstick in
    ping-pong against the minimal server (else it measures itself)."""
    return [Check(
        "client-ping-pong", client["msgs_ratio"] >= MIN_CLIENT_MSGS_RATIO,
        "echo_load %.0f msgs/s, p50 %.1f us against the minimal server: %.2fx the yardstick's "
        "msgs/s (at least %.1fx needed), %.2fx its p50%s" % (
            client["echo_load_msgs_per_s"], client["echo_load_p50_us"], client["msgs_ratio"],
            MIN_CLIENT_MSGS_RATIO, client["p50_ratio"],
            " (over %.1fx: echo_load adds latency of its own)" % MAX_CLIENT_P50_RATIO
            if client["p50_ratio"] > MAX_CLIENT_P50_RATIO else ""))]


def warnings(figures):
    """A line for each server against which the client saturated in bulk."""
    return ["bench: warning: echo_load used %.2f of its core in bulk against %s: that MB/s is "
            "the client's limit as much as the server's (compare CPU per KiB)"
            % (figures[name]["bulk_client_cpu_share"], name)
            for name in SERVERS if figures[name]["bulk_client_cpu_share"] >= SATURATED_CLIENT]


def verdict_lines(results):
    return ["bench: %-26s %s: %s" % (check.name, "PASSED" if check.passed else "FAILED",
                                     check.detail) for check in results]
