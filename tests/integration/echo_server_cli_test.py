#!/usr/bin/env python3
"""The echo_server binary as a child process: the startup line, echo over
loopback (IPv4, IPv6, and both through one server on "::"), descriptors
released after clients reset mid-stream, clean exit on SIGTERM and SIGINT,
immunity to SIGPIPE, bind failure, usage errors, --help and --version.

Payloads are random; the seed is printed first and replays with
--test_env=ECHO_TEST_SEED=<seed>.
"""

import signal
import socket
import unittest

from echo_process import open_fds
from loopback import connect, echo, loopback_unavailable, read_up_to, reset, send_all, \
    send_until_stalled
from server_process import ServerTest, run_to_exit, wait_until

# Small client buffers, so that what a client does not read stays in the
# server (its kernel buffers and queue), not in the client's own buffers.
SMALL = dict(rcvbuf=16 << 10, sndbuf=16 << 10)
# For clients that flood a server until it stops reading: a large send
# buffer keeps many segments in flight and fills the server's buffers and
# queue in milliseconds (a small one gets about one segment per delayed ACK,
# 40 ms, through). The receive buffer stays small.
FLOOD = dict(rcvbuf=16 << 10, sndbuf=1 << 20)
# Far more than the server's buffers, its queue and FLOOD's send buffer hold
# together, so a flooder stalls before running out.
FLOOD_SIZE = 16 << 20
SETTLE_SECONDS = 5


class CliServerTest(ServerTest):
    def assert_echoes_exactly(self, size, host=None):
        """A new client echoes `size` random bytes, half-closes, and gets
        exactly those bytes back, then EOF."""
        payload = self.RNG.randbytes(size)
        got = echo(self.client(host), payload)
        self.assertEqual(len(got.data), size, got)
        self.assertTrue(got.data == payload, "echo differs from what was sent")
        self.assertTrue(got.eof, "no EOF after the echo")

    def assert_open_fds(self, expected, why=""):
        self.assertTrue(wait_until(lambda: open_fds(self.server.pid) == expected, SETTLE_SECONDS),
                        "server has %d descriptors open, expected %d %s"
                        % (open_fds(self.server.pid), expected, why))


class StopSignalTest(CliServerTest):
    def test_sigterm(self):
        self.releases_every_descriptor_after_resets_then_exits_zero_on(signal.SIGTERM)

    def test_sigint(self):
        self.releases_every_descriptor_after_resets_then_exits_zero_on(signal.SIGINT)

    def releases_every_descriptor_after_resets_then_exits_zero_on(self, signum):
        self.start()
        baseline = open_fds(self.server.pid)
        self.assert_echoes_exactly(128 << 10)
        self.assert_open_fds(baseline, "after a finished client")
        self.reset_clients_mid_stream(100, baseline)
        self.assert_echoes_exactly(128 << 10)
        self.assert_open_fds(baseline)

        # Stop with clients still connected: they must be closed, not abandoned.
        idle = [self.client() for _ in range(3)]
        self.assert_open_fds(baseline + 3)
        self.assert_exits_zero(signum)
        # The drain, the final counters, the stop; nothing else on stderr (no
        # accept error, no warning, no sanitizer report).
        lines = self.stderr_after_start()
        self.assertEqual(len(lines), 3, lines)
        self.assertEqual(lines[0], "echo_server: signal %d: draining 3 connections "
                                   "(up to 5.000 s)" % signum)
        self.assertTrue(lines[1].startswith("echo_server: final: open 0, total "), lines[1])
        self.assertEqual(lines[2], "echo_server: stopped")
        self.stdout.seek(0)
        self.assertEqual(self.stdout.read(), b"")
        # They sent nothing, so the server's close is a clean FIN, not a reset.
        for client in idle:
            end = read_up_to(client, 1)
            self.assertEqual((end.data, end.eof), (b"", True), end)

    def reset_clients_mid_stream(self, count, baseline):
        """`count` clients at once (all accepted: one descriptor each beyond
        `baseline`), left in different states, mostly mid-stream, then reset:
          0-1  echo read in full: idle;
          2-3  read 1 KiB of a 64 KiB echo: echo in flight both ways;
          4-5  sent 64 KiB, read nothing: echo waiting in kernel buffers;
          6    sent nothing at all;
          7-8  sent until stalled, never read: server queue full, server
               waiting to write (8 also half-closed: it saw EOF pending);
          9    sent until stalled, then read 16 KiB just before the reset, so
               the server is likely writing when the RST arrives."""
        small = self.RNG.randbytes(64 << 10)
        clients = [connect(self.host, self.port, **(FLOOD if i % 10 >= 7 else SMALL))
                   for i in range(count)]
        self.assert_open_fds(baseline + count, "(not all clients accepted)")
        for i, client in enumerate(clients):
            kind = i % 10
            if kind <= 5:
                part = small[:4096] if kind <= 1 else small
                send_all(client, part)
            if kind <= 3:
                wanted = 4096 if kind <= 1 else 1024
                self.assertEqual(read_up_to(client, wanted).data, small[:wanted], "client %d" % i)
        flooders = [i for i in range(count) if i % 10 >= 7]
        fills = send_until_stalled([clients[i] for i in flooders], self.RNG.randbytes(FLOOD_SIZE))
        for i, fill in zip(flooders, fills):
            self.assertTrue(fill.stalled and not fill.error,
                            "client %d: server took %s without anyone reading" % (i, fill))
            if i % 10 == 8:
                clients[i].shutdown(socket.SHUT_WR)
            elif i % 10 == 9:
                read_up_to(clients[i], 16 << 10, seconds=1)
        for client in clients:
            reset(client)
        self.assert_open_fds(baseline, "(descriptors leaked after resets)")


class EchoServerCliTest(CliServerTest):
    def test_resets_while_server_is_writing_cannot_kill_it_with_sigpipe(self):
        """A client that floods the server and resets while the server is
        writing makes its next send fail. Sends use MSG_NOSIGNAL and main()
        ignores SIGPIPE; the child starts with SIGPIPE at its default (fatal)
        disposition, so only those keep it alive. Linux reports the first
        send after a RST as ECONNRESET and only later ones as EPIPE, so this
        guards against regressions rather than being a certain SIGPIPE."""
        self.start()
        baseline = open_fds(self.server.pid)
        flood = self.RNG.randbytes(FLOOD_SIZE)
        for round_ in range(3):
            clients = [connect(self.host, self.port, **FLOOD) for _ in range(8)]
            self.assert_open_fds(baseline + 8)
            fills = send_until_stalled(clients, flood)
            # Eight flooders compete for one server: now and then one is
            # still being read when the others stall; its reset is then an
            # ordinary one, which the server must survive too.
            self.assertGreaterEqual(sum(fill.stalled for fill in fills), 4,
                                    "round %d: %s" % (round_, fills))
            for client in clients:
                # Open the window so the server resumes writing, then reset.
                read_up_to(client, 16 << 10, seconds=1)
                reset(client)
            self.assert_open_fds(baseline)
        self.assertIsNone(self.server.process.poll(), "server died")
        self.assert_echoes_exactly(64 << 10)
        self.assert_exits_zero(signal.SIGTERM)

    def test_second_server_on_taken_port_exits_one_naming_address_and_reason(self):
        self.start()
        second = run_to_exit(["--port", str(self.port)])
        self.assertEqual(second.returncode, 1)
        self.assertEqual(second.stderr, "echo_server: error: cannot listen on 127.0.0.1:%d: "
                                        "Address already in use\n" % self.port)
        self.assertEqual(second.stdout, "")
        self.assert_echoes_exactly(16 << 10)  # The first server is undisturbed.

    def test_binds_ipv6_loopback_and_echoes_over_it(self):
        missing = loopback_unavailable(socket.AF_INET6)
        if missing:
            self.skipTest("no usable ::1 on this machine: " + missing)
        self.start(host="::1", shown_host="[::1]")
        self.assert_echoes_exactly(64 << 10)
        self.assert_exits_zero(signal.SIGTERM)

    # "::" serves IPv4 clients too, as IPv4-mapped addresses, whatever the
    # system's bindv6only default: the listener turns IPV6_V6ONLY off.
    def test_ipv6_wildcard_serves_an_ipv4_client(self):
        self.echoes_through_ipv6_wildcard(socket.AF_INET, "127.0.0.1")

    def test_ipv6_wildcard_serves_an_ipv6_client(self):
        self.echoes_through_ipv6_wildcard(socket.AF_INET6, "::1")

    def echoes_through_ipv6_wildcard(self, client_family, client_host):
        try:
            socket.socket(socket.AF_INET6).close()
        except OSError as error:
            self.skipTest("no IPv6 for a server on \"::\": %s" % error)
        missing = loopback_unavailable(client_family)
        if missing:
            self.skipTest("no loopback address for the client: " + missing)
        self.start(host="::", shown_host="[::]")
        self.assert_echoes_exactly(64 << 10, client_host)
        self.assert_exits_zero(signal.SIGTERM)


class EchoServerInfoTest(unittest.TestCase):
    def test_help_prints_usage_on_stdout_and_exits_zero(self):
        run = run_to_exit(["--help"])
        self.assertEqual(run.returncode, 0)
        self.assertTrue(run.stdout.startswith("usage: echo_server"), run.stdout)
        self.assertIn("--port", run.stdout)
        self.assertEqual(run.stderr, "")

    def test_version_prints_name_and_dotted_version_on_stdout_and_exits_zero(self):
        run = run_to_exit(["--version"])
        self.assertEqual(run.returncode, 0)
        self.assertRegex(run.stdout, r"\Aecho_server [0-9][0-9.]*\n\Z")
        self.assertEqual(run.stderr, "")

    def test_bad_input_exits_two_with_one_error_line_then_the_synopsis(self):
        for flags, first_line in [
                (["--nope"], "echo_server: unknown flag '--nope'"),
                (["--port", "70000"],
                 "echo_server: --port: '70000' is not a port number (0-65535)"),
                (["--port", "abc"], "echo_server: --port: 'abc' is not a port number (0-65535)"),
                (["--port"], "echo_server: --port needs a value"),
                (["--bind", "example.com"],
                 "echo_server: --bind: 'example.com' is not a numeric IPv4 or IPv6 address "
                 "(e.g. 127.0.0.1, ::1)"),
                (["foo"], "echo_server: unexpected argument 'foo'")]:
            with self.subTest(flags=flags):
                run = run_to_exit(flags)
                self.assertEqual(run.returncode, 2, run.stderr)
                lines = run.stderr.splitlines()
                self.assertEqual(len(lines), 2, run.stderr)
                self.assertEqual(lines[0], first_line)
                self.assertTrue(lines[1].startswith("usage: echo_server"), lines[1])
                self.assertEqual(run.stdout, "")


if __name__ == "__main__":
    ServerTest.main()
