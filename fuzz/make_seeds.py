#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/corpus/.

Each seed is a named scenario, encoded in the target's input format (see
README.md in this folder). Run it after changing a format; the files it writes
are committed, and fuzzing adds its own next to them.
"""

import pathlib

HERE = pathlib.Path(__file__).resolve().parent

# connection: opcode byte -> index into kOpcodes in connection_actions.cc.
SEND, READ_EAGAIN, READ_EINTR, PEER_EOF, READ_FAILS = 0, 2, 3, 4, 5
WRITE_ACCEPTS, WRITE_EAGAIN, WRITE_EINTR, WRITE_FAILS = 6, 8, 9, 10
READABLE, WRITABLE, DRAIN, TIME, ABORT = 11, 14, 16, 17, 18
WATERMARKS_TINY, WATERMARKS_SMALL, WATERMARKS_DEFAULT = 1, 3, 5
BUFFER_16, BUFFER_4K, BUFFER_1 = 0, 2, 3
NO_TIMEOUT, TIMEOUT_50MS = 0, 1
# Added to the timeout byte: the errno every successful call leaves behind.
CLEAN_ERRNO, STALE_EINTR, STALE_EAGAIN = 0, 3, 6


def size_byte(n):
    """The byte whose FuzzInput::ScaledSize() is n (n = k << 2*s, k in 1..64)."""
    for scale in range(4):
        k = n >> (2 * scale)
        if k << (2 * scale) == n and 1 <= k <= 64:
            return (scale << 6) | (k - 1)
    raise ValueError(f"{n} is not a scaled size")


def send(n):
    return [SEND, size_byte(n)]


def accepts(n):
    return [WRITE_ACCEPTS, size_byte(n + 1)]


def time_passes(ms):
    return [TIME, size_byte(ms)]


def connection_seeds():
    def setup(watermarks, buffer, timeout=NO_TIMEOUT, stale=CLEAN_ERRNO):
        return [watermarks, buffer, timeout + stale]

    return {
        "simple_echo": setup(WATERMARKS_DEFAULT, BUFFER_4K) + send(16) + [READABLE],
        "partial_writes": setup(WATERMARKS_DEFAULT, BUFFER_16) + accepts(3) + accepts(5)
        + send(40) + [READABLE, WRITABLE, WRITABLE, WRITABLE],
        "eagain_and_eintr_both_sides": setup(WATERMARKS_DEFAULT, BUFFER_16)
        + [READ_EINTR, READ_EAGAIN] + send(24) + [WRITE_EINTR, WRITE_EAGAIN]
        + [READABLE, READABLE, WRITABLE, WRITABLE],
        "half_close_with_output_queued": setup(WATERMARKS_DEFAULT, BUFFER_16)
        + [WRITE_EAGAIN] + send(64) + [PEER_EOF, READABLE, READABLE] + accepts(10)
        + [WRITABLE, WRITABLE],
        "reset_mid_stream": setup(WATERMARKS_DEFAULT, BUFFER_16) + [WRITE_EAGAIN]
        + send(48) + [READ_FAILS, 0, READABLE, READABLE],
        "broken_pipe_on_write": setup(WATERMARKS_DEFAULT, BUFFER_16)
        + [WRITE_FAILS, 0] + send(8) + [READABLE],
        "backpressure_tiny_queue": setup(WATERMARKS_TINY, BUFFER_1) + send(96)
        + [WRITE_EAGAIN, READABLE] + accepts(1) + [WRITABLE, READABLE, WRITABLE]
        + accepts(4) + [WRITABLE, READABLE],
        "backpressure_small_queue": setup(WATERMARKS_SMALL, BUFFER_4K) + send(4096)
        + [WRITE_EAGAIN, READABLE] + accepts(511) + [WRITABLE, READABLE, WRITABLE],
        "idle_timeout_expires": setup(WATERMARKS_DEFAULT, BUFFER_16, TIMEOUT_50MS)
        + send(8) + [READABLE] + time_passes(32) + time_passes(32),
        "idle_deadline_moves_with_traffic": setup(WATERMARKS_DEFAULT, BUFFER_16,
                                                  TIMEOUT_50MS)
        + time_passes(40) + send(8) + [READABLE] + time_passes(40) + time_passes(16),
        "owner_drains_with_output_queued": setup(WATERMARKS_DEFAULT, BUFFER_16)
        + [WRITE_EAGAIN] + send(30) + [READABLE] + send(8) + [DRAIN] + accepts(10)
        + [WRITABLE, WRITABLE],
        "owner_aborts_with_output_queued": setup(WATERMARKS_DEFAULT, BUFFER_16)
        + [WRITE_EAGAIN] + send(30) + [READABLE, ABORT],
        "stale_eintr_after_every_success": setup(WATERMARKS_DEFAULT, BUFFER_16,
                                                 stale=STALE_EINTR)
        + send(40) + accepts(7) + [READABLE, WRITABLE, PEER_EOF, READABLE, WRITABLE],
        "stale_eagain_after_every_success": setup(WATERMARKS_SMALL, BUFFER_16,
                                                  stale=STALE_EAGAIN)
        + send(40) + accepts(7) + [READABLE, WRITABLE, PEER_EOF, READABLE, WRITABLE],
    }


def write_queue_seeds():
    # low, high, then (opcode % 4, argument): 0 append, 1 consume n-1,
    # 2 consume Front().size, 3 clear.
    return {
        "append_then_drain": [4, 16, 0, size_byte(10), 2, 0, 1, size_byte(3)],
        "watermark_hysteresis": [8, 32, 0, size_byte(40), 1, size_byte(20),
                                 1, size_byte(10), 0, size_byte(2)],
        "blocks_spill_over": [0, 255, 0, size_byte(4096), 0, size_byte(512),
                              1, size_byte(4096), 2, 0, 3, 0],
        "clamped_watermarks": [200, 0, 0, size_byte(1), 1, size_byte(2)],
    }


def server_seeds():
    # 7 configuration indexes (watermarks, read buffer, idle timeout,
    # connection limit, drain timeout, descriptor limit, stale errno), then
    # actions: opcode bits 0-3 what, bits 4-7 which client (server_fuzzer.cc).
    connect, send, read, shut, reset, turn, settle = 0, 1, 2, 3, 4, 5, 6
    time, fail, stop, stats = 7, 8, 9, 10
    def op(action, client=0):
        return (client << 4) | action

    def config(watermarks=2, buffer=2, idle=0, limit=3, drain=2, descriptors=0,
               stale=0):
        return [watermarks, buffer, idle, limit, drain, descriptors, stale]

    def fail_accepts(error_index, count_index):
        return [op(fail), (count_index << 3) | error_index]

    echo = [op(connect), op(settle), op(send), size_byte(64), op(settle),
            op(read), size_byte(64)]
    return {
        "one_client_echo": config() + echo,
        "limit_refuses_then_serves_again": config(limit=0) + [
            op(connect), op(connect), op(settle), op(reset, 0), op(settle),
            op(connect), op(connect), op(settle)],
        "descriptor_table_full_refuses": config(descriptors=1) + [
            op(connect)] * 4 + [op(settle)],
        "no_descriptor_backs_off": config() + [op(connect)] + fail_accepts(1, 3) + [
            op(settle), op(time), 4, op(settle)],
        "accept_errors_each_once": config() + sum(
            ([op(connect)] + fail_accepts(e, 0) + [op(settle)] for e in range(8)), []),
        "idle_timeout_closes": config(idle=2) + echo + [op(time), 6, op(settle),
                                                        op(time), 6],
        "drain_with_output_queued": config(watermarks=1, drain=2) + [
            op(connect), op(settle), op(send), size_byte(4096), op(turn), op(stop),
            op(settle), op(time), 10],
        "second_signal_stops_at_once": config() + echo + [op(stop), op(stop)],
        "stats_then_drain_timeout": config(drain=1) + echo + [
            op(stats), op(send), size_byte(512), op(stop), op(time), 2],
        "stale_errno_on_success": config(stale=1) + echo,
    }


def flags_seeds():
    def argv(*args):
        return list("\0".join(args).encode())

    seeds = {
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
    # Every documented range edge: the limits, one past them, and the unit
    # and decimal spellings of each.
    edges = {
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
    for flag, values in edges.items():
        for name, value in values.items():
            seeds[f"{flag.replace('-', '_')}_{name}"] = argv(f"--{flag}", value)
    return seeds


def main():
    targets = {
        "connection": connection_seeds(),
        "write_queue": write_queue_seeds(),
        "server": server_seeds(),
        "flags": flags_seeds(),
    }
    for target, seeds in targets.items():
        folder = HERE / "corpus" / target
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in seeds.items():
            (folder / f"seed_{name}").write_bytes(bytes(content))
        print(f"{target}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
