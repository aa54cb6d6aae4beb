#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/corpus/.

Each seed is a named scenario, encoded in the target's input format (see
README.md in this folder). Run it after changing a format; the files it writes
are committed, and fuzzing adds its own next to them.

Opcodes and table indexes are not written down here: they are looked up, by
name or by value, in the harnesses' own constexpr tables (kOpcodes and the
setup tables of connection_actions.cc, kSteps and the configuration tables of
server_fuzzer.cc). Reordering or changing a table then either changes the
seeds' bytes with it or stops this script with the entry it cannot find; it
never silently changes what a seed means.

    make_seeds.py                  write the seeds
    make_seeds.py --check [--root DIR]
                                   write nothing; exit 1 if a committed seed
                                   differs from what would be written, is
                                   missing, or is no longer written
                                   (//fuzz:make_seeds_test runs this)
"""

import argparse
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGETS = ("connection", "write_queue", "server", "flags")


class Tables:
    """The constexpr array tables of one C++ source, read by name.

    Entries are compared with all whitespace removed: "{16 * 1024, 64 * 1024}"
    is "{16*1024,64*1024}", "Duration(50)" is itself.
    """

    def __init__(self, path):
        self.path = path
        self.text = re.sub(r"//[^\n]*", "", path.read_text())  # Comments out.

    def entries(self, name):
        match = re.search(r"\b%s\[[^\]]*\]\s*=\s*\{" % re.escape(name), self.text)
        if not match:
            raise SystemExit(f"{self.path}: no table {name}")
        entries, current, depth = [], "", 0
        for char in self.text[match.end():]:
            if depth == 0 and char in ",}":
                if current.strip():
                    entries.append(re.sub(r"\s+", "", current))
                if char == "}":
                    return entries
                current = ""
                continue
            depth += char in "({"
            depth -= char in ")}"
            current += char
        raise SystemExit(f"{self.path}: table {name} does not end")

    def index(self, name, entry):
        """The first index of `entry` in table `name`."""
        entries = self.entries(name)
        wanted = re.sub(r"\s+", "", entry)
        if wanted not in entries:
            raise SystemExit(f"{self.path}: {name} has no entry {entry} (it has {entries})")
        return entries.index(wanted)


def size_byte(n):
    """The byte whose FuzzInput::ScaledSize() is n (n = k << 2*s, k in 1..64)."""
    for scale in range(4):
        k = n >> (2 * scale)
        if k << (2 * scale) == n and 1 <= k <= 64:
            return (scale << 6) | (k - 1)
    raise ValueError(f"{n} is not a scaled size")


class ConnectionFormat:
    """Encoder of the connection target's input (connection_actions.h)."""

    def __init__(self, root):
        self.t = Tables(root / "fuzz" / "connection_actions.cc")

    def op(self, kind):
        """The first opcode byte that decodes to ActionKind::`kind`."""
        return self.t.index("kOpcodes", "ActionKind::" + kind)

    def setup(self, watermarks="{16 * 1024, 64 * 1024}", buffer="16", idle="std::nullopt",
              stale="0", send="std::nullopt"):
        idle_count = len(self.t.entries("kIdleTimeouts"))
        stale_count = len(self.t.entries("kStaleErrnos"))
        timing = (self.t.index("kIdleTimeouts", idle)
                  + idle_count * self.t.index("kStaleErrnos", stale)
                  + idle_count * stale_count * self.t.index("kSendTimeouts", send))
        return [self.t.index("kWatermarks", watermarks),
                self.t.index("kReadBufferSizes", buffer), timing]

    def send(self, n):
        return [self.op("kPeerSends"), size_byte(n)]

    def accepts(self, n):
        return [self.op("kWriteAccepts"), size_byte(n + 1)]

    def time_passes(self, ms):
        return [self.op("kTimePasses"), size_byte(ms)]

    def read_fails(self, error):
        return [self.op("kReadFails"), self.t.index("kReadErrors", error)]

    def write_fails(self, error):
        return [self.op("kWriteFails"), self.t.index("kWriteErrors", error)]


def connection_seeds(root):
    f = ConnectionFormat(root)
    readable, writable = f.op("kSocketReadable"), f.op("kSocketWritable")
    read_eagain, read_eintr = f.op("kReadWouldBlock"), f.op("kReadInterrupted")
    write_eagain, write_eintr = f.op("kWriteWouldBlock"), f.op("kWriteInterrupted")
    peer_eof, drain, abort = f.op("kPeerShutsDown"), f.op("kOwnerDrains"), f.op("kOwnerAborts")
    tiny, small, big = "{2, 7}", "{100, 1000}", "{16 * 1024, 64 * 1024}"
    return {
        "simple_echo": f.setup(big, "4096") + f.send(16) + [readable],
        "partial_writes": f.setup(big, "16") + f.accepts(3) + f.accepts(5) + f.send(40)
        + [readable, writable, writable, writable],
        "eagain_and_eintr_both_sides": f.setup(big, "16") + [read_eintr, read_eagain]
        + f.send(24) + [write_eintr, write_eagain] + [readable, readable, writable, writable],
        "half_close_with_output_queued": f.setup(big, "16") + [write_eagain] + f.send(64)
        + [peer_eof, readable, readable] + f.accepts(10) + [writable, writable],
        "reset_mid_stream": f.setup(big, "16") + [write_eagain] + f.send(48)
        + f.read_fails("ECONNRESET") + [readable, readable],
        "broken_pipe_on_write": f.setup(big, "16") + f.write_fails("EPIPE") + f.send(8)
        + [readable],
        "backpressure_tiny_queue": f.setup(tiny, "1") + f.send(96) + [write_eagain, readable]
        + f.accepts(1) + [writable, readable, writable] + f.accepts(4) + [writable, readable],
        "backpressure_small_queue": f.setup(small, "4096") + f.send(4096)
        + [write_eagain, readable] + f.accepts(511) + [writable, readable, writable],
        "idle_timeout_expires": f.setup(big, "16", idle="Duration(50)") + f.send(8)
        + [readable] + f.time_passes(32) + f.time_passes(32),
        "idle_deadline_moves_with_traffic": f.setup(big, "16", idle="Duration(50)")
        + f.time_passes(40) + f.send(8) + [readable] + f.time_passes(40) + f.time_passes(16),
        "owner_drains_with_output_queued": f.setup(big, "16") + [write_eagain] + f.send(30)
        + [readable] + f.send(8) + [drain] + f.accepts(10) + [writable, writable],
        "owner_aborts_with_output_queued": f.setup(big, "16") + [write_eagain] + f.send(30)
        + [readable, abort],
        "stale_eintr_after_every_success": f.setup(big, "16", stale="EINTR") + f.send(40)
        + f.accepts(7) + [readable, writable, peer_eof, readable, writable],
        "stale_eagain_after_every_success": f.setup(small, "16", stale="EAGAIN") + f.send(40)
        + f.accepts(7) + [readable, writable, peer_eof, readable, writable],
    }


def write_queue_seeds(_root):
    # low, high, then (opcode % 4, argument): 0 append, 1 consume n-1,
    # 2 consume Front().size, 3 clear (write_queue_fuzzer.cc).
    return {
        "append_then_drain": [4, 16, 0, size_byte(10), 2, 0, 1, size_byte(3)],
        "watermark_hysteresis": [8, 32, 0, size_byte(40), 1, size_byte(20),
                                 1, size_byte(10), 0, size_byte(2)],
        "blocks_spill_over": [0, 255, 0, size_byte(4096), 0, size_byte(512),
                              1, size_byte(4096), 2, 0, 3, 0],
        "clamped_watermarks": [200, 0, 0, size_byte(1), 1, size_byte(2)],
    }


class ServerFormat:
    """Encoder of the server target's input (server_fuzzer.cc)."""

    def __init__(self, root):
        self.t = Tables(root / "fuzz" / "server_fuzzer.cc")

    def op(self, step, client=0):
        """The opcode byte of Step::`step` (its first code) for `client`."""
        return (client << 4) | self.t.index("kSteps", "Step::" + step)

    def config(self, watermarks="{1024, 4096}", buffer="1024", idle="std::nullopt",
               send="std::nullopt", limit="1000", drain="Duration(500)",
               descriptors="SIZE_MAX", per_ip="0", stale="0"):
        """The seven configuration bytes, each table entry named by value."""
        t = self.t
        idle_count = len(t.entries("kIdleTimeouts"))
        descriptor_count = len(t.entries("kDescriptorLimits"))
        return [t.index("kWatermarks", watermarks), t.index("kReadBuffers", buffer),
                t.index("kIdleTimeouts", idle) + idle_count * t.index("kSendTimeouts", send),
                t.index("kConnectionLimits", limit), t.index("kDrainTimeouts", drain),
                t.index("kDescriptorLimits", descriptors)
                + descriptor_count * t.index("kPerIpLimits", per_ip),
                t.index("kStaleErrnos", stale)]

    def time_passes(self, step):
        return [self.op("kLetTimePass"), self.t.index("kTimeSteps", step)]

    def fail_accepts(self, error, count):
        """Argument byte: bits 0-2 the errno, bits 3-4 how many attempts."""
        return [self.op("kFailAccepts"),
                (self.t.index("kCounts", count) << 3) | self.t.index("kAcceptErrors", error)]


def server_seeds(root):
    f = ServerFormat(root)
    connect, settle, turn = f.op("kConnect"), f.op("kSettle"), f.op("kTurn")
    stop, stats = f.op("kStopSignal"), f.op("kStatsSignal")
    send, read = f.op("kSend"), f.op("kReceive")
    echo = [connect, settle, send, size_byte(64), settle, read, size_byte(64)]
    each_error_once = sum(([connect] + f.fail_accepts(error, "1") + [settle]
                           for error in f.t.entries("kAcceptErrors")), [])
    return {
        "one_client_echo": f.config() + echo,
        "limit_refuses_then_serves_again": f.config(limit="1") + [
            connect, connect, settle, f.op("kReset", 0), settle, connect, connect, settle],
        "descriptor_table_full_refuses": f.config(descriptors="3") + [connect] * 4 + [settle],
        "no_descriptor_backs_off": f.config() + [connect] + f.fail_accepts("ENFILE", "64")
        + [settle] + f.time_passes("Duration(100)") + [settle],
        "accept_errors_each_once": f.config() + each_error_once,
        "idle_timeout_closes": f.config(idle="Duration(250)") + echo
        + f.time_passes("Duration(250)") + [settle] + f.time_passes("Duration(250)"),
        "drain_with_output_queued": f.config(watermarks="{100, 1000}") + [
            connect, settle, send, size_byte(4096), turn, stop, settle]
        + f.time_passes("Duration(1000)"),
        "second_signal_stops_at_once": f.config() + echo + [stop, stop],
        "stats_then_drain_timeout": f.config(drain="Duration(10)") + echo + [
            stats, send, size_byte(512), stop] + f.time_passes("Duration(10)"),
        "stale_errno_on_success": f.config(stale="EINTR") + echo,
    }


def argv(*args):
    """A flags input: the arguments separated by NUL bytes."""
    return list("\0".join(args).encode())


def flags_scenario_seeds():
    return {
        "defaults": [],
        "port_zero": argv("--port", "0"),
        "bind_ipv6": argv("--bind=::1", "--port=8192"),
        "help": argv("--help"),
        "version": argv("--version"),
        "bad_port": argv("--port", "70000"),
        "unknown_flag": argv("--nope"),
        "positional": argv("foo"),
        # Precedence, repetition and missing values.
        "help_after_bad_value": argv("--port", "x", "--help"),
        "bad_value_after_help": argv("-h", "--port", "x"),
        "version_then_unknown_flag": argv("--version", "--nope"),
        "help_as_a_flag_value": argv("--bind", "--help"),
        "help_with_a_value": argv("--help=1"),
        "last_port_wins": argv("--port=1", "--port", "65535"),
        "bad_value_before_good_one": argv("--port=65536", "--port", "1"),
        "value_missing_at_end": argv("--port", "1", "--drain-timeout"),
        "every_flag": argv("--bind", "::", "--port", "0", "--queue-limit=1M",
                           "--idle-timeout", "0.5", "--max-connections=7",
                           "--drain-timeout", "2.25", "--log-level=warn"),
        "bind_v4_mapped": argv("--bind", "::ffff:127.0.0.1"),
        "bind_short_ipv4": argv("--bind", "127.1"),
        # Addresses no TCP client can reach, and zones.
        "bind_multicast": argv("--bind", "224.0.0.1"),
        "bind_multicast_ipv6": argv("--bind", "ff02::1"),
        "bind_broadcast": argv("--bind", "255.255.255.255"),
        "bind_broadcast_v4_mapped": argv("--bind", "::ffff:255.255.255.255"),
        "bind_link_local_without_zone": argv("--bind", "fe80::1"),
        "bind_link_local_on_lo": argv("--bind", "fe80::1%lo"),
        "bind_link_local_zone_index": argv("--bind", "fe80::1%1"),
        "bind_unknown_zone": argv("--bind", "fe80::1%nosuch0"),
        "bind_zone_on_loopback": argv("--bind", "::1%lo"),
        "log_level_upper_case": argv("--log-level", "INFO"),
    }


# Every documented range edge: the limits, one past them, and the unit and
# decimal spellings of each.
FLAG_RANGE_EDGES = {
    "port": {"min_0": "0", "max_65535": "65535", "above_max_65536": "65536",
             "below_min_minus_1": "-1", "leading_zero_08": "08"},
    "queue-limit": {
        "below_min_0": "0", "below_min_16383": "16383", "min_16384": "16384",
        "min_16k": "16k", "below_min_15k": "15k", "zero_units_0k": "0k",
        "max_1073741824": "1073741824", "above_max_1073741825": "1073741825",
        "max_1048576k": "1048576k", "above_max_1048577k": "1048577k",
        "max_1024m": "1024m", "above_max_1025m": "1025m", "max_1g": "1g",
        "max_upper_1G": "1G", "above_max_2g": "2g", "upper_64K": "64K",
        "upper_1M": "1M", "unit_alone_k": "k", "two_units_1kk": "1kk",
    },
    "idle-timeout": {
        "min_0": "0", "smallest_step_0.001": "0.001", "quarter_0.25": "0.25",
        "max_604800": "604800", "max_604800.000": "604800.000",
        "above_max_604800.001": "604800.001", "above_max_604801": "604801",
        "four_decimals_1.2345": "1.2345", "dot_without_decimals_1": "1.",
        "no_whole_part_dot_5": ".5", "leading_zero_00.5": "00.5",
    },
    "socket-buffer": {
        "kernel_0": "0", "min_1": "1", "max_64m": "64m", "above_max_65m": "65m",
        "max_65536k": "65536k", "above_max_67108865": "67108865",
    },
    "send-timeout": {
        "min_0": "0", "smallest_step_0.001": "0.001", "max_604800": "604800",
        "above_max_604800.001": "604800.001",
    },
    "max-connections": {
        "below_min_0": "0", "min_1": "1", "max_1000000": "1000000",
        "above_max_1000001": "1000001",
    },
    "max-connections-per-ip": {
        "min_0": "0", "max_1000000": "1000000", "above_max_1000001": "1000001",
    },
    "drain-timeout": {
        "min_0": "0", "smallest_step_0.001": "0.001", "max_3600": "3600",
        "max_3600.000": "3600.000", "above_max_3600.001": "3600.001",
        "above_max_3601": "3601",
    },
}


def flags_seeds(_root):
    seeds = flags_scenario_seeds()
    for flag, values in FLAG_RANGE_EDGES.items():
        for name, value in values.items():
            seeds[f"{flag.replace('-', '_')}_{name}"] = argv(f"--{flag}", value)
    return seeds


def all_seeds(root):
    makers = {"connection": connection_seeds, "write_queue": write_queue_seeds,
              "server": server_seeds, "flags": flags_seeds}
    return {target: makers[target](root) for target in TARGETS}


def check(root):
    """The differences between the committed seeds and what would be written."""
    problems = []
    for target, seeds in all_seeds(root).items():
        folder = root / "fuzz" / "corpus" / target
        for name, content in seeds.items():
            path = folder / f"seed_{name}"
            if not path.exists():
                problems.append(f"{path}: missing")
            elif path.read_bytes() != bytes(content):
                problems.append(f"{path}: differs from what make_seeds.py writes")
        for path in sorted(folder.glob("seed_*")):
            if path.name[len("seed_"):] not in seeds:
                problems.append(f"{path}: make_seeds.py no longer writes it")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed seeds instead of writing")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the workspace (default: this script's)")
    args = parser.parse_args()
    if args.check:
        problems = check(args.root)
        for problem in problems:
            print(problem)
        print("seeds up to date" if not problems else
              f"{len(problems)} seed problem(s): run fuzz/make_seeds.py and commit the result")
        return 1 if problems else 0
    for target, seeds in all_seeds(args.root).items():
        folder = args.root / "fuzz" / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in seeds.items():
            (folder / f"seed_{name}").write_bytes(bytes(content))
        print(f"{target}: {len(seeds)} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
