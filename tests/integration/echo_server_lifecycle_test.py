#!/usr/bin/env python3
"""The echo_server binary's lifecycle, from outside: draining on SIGTERM with
output queued, the second signal, the drain timeout, the connection limits,
the send and idle timeouts, SIGUSR1 counters, running out of descriptors
(under prlimit) without spinning, and the descriptor limit raised at start.

Bounds are generous: the exact timing of every timer is proven on injected
time by the unit tests and the server fuzzer.
"""

import signal
import time

from echo_process import cpu_seconds
from loopback import connect, read_up_to, send_all, send_until_stalled
from server_process import Server, ServerTest, wait_until

# A client that reads nothing: a small receive buffer keeps the echo in the
# server; a large send buffer fills the server fast.
FLOOD = dict(rcvbuf=16 << 10, sndbuf=1 << 20)
FLOOD_SIZE = 16 << 20
PRLIMIT = "/usr/bin/prlimit"


class EchoServerLifecycleTest(ServerTest):
    def echoes(self, client, payload):
        send_all(client, payload)
        return read_up_to(client, len(payload)).data == payload

    def flood(self):
        """A client that floods the server and reads nothing, until the server
        stops reading (its queue and the kernel buffers are full); with the
        bytes the server took."""
        client = self.client(**FLOOD)
        payload = self.RNG.randbytes(FLOOD_SIZE)
        fill, = send_until_stalled([client], payload, stall=0.2)
        self.assertTrue(fill.stalled and not fill.error, fill)
        return client, payload[:fill.sent]

    def await_line(self, prefix):
        return (self.server.await_line(prefix) or "").strip()

    def serve_two_then_refuse_a_third(self):
        """Two clients from 127.0.0.1 are served (each echoes a ping, kept
        open); a third from there is refused: EOF or a reset, no byte."""
        held = [self.client() for _ in range(2)]
        for client in held:
            self.assertTrue(self.echoes(client, b"ping"))
        refused = read_up_to(self.client(), 1)
        self.assertTrue(refused.eof or refused.error, "third client was not refused: %s"
                        % (refused,))
        self.assertEqual(refused.data, b"")
        return held

    def test_sigterm_with_output_queued_delivers_every_byte_read_then_exits_zero(self):
        self.start("--queue-limit", "64k", "--drain-timeout", "5")
        client, sent = self.flood()
        self.server.signal(signal.SIGTERM)
        signalled = time.monotonic()
        # The server reads no more, but writes back all it read, then FIN.
        echo = read_up_to(client, len(sent) + 1)
        self.assertTrue(echo.eof and not echo.error, "no clean close: %s" % (echo.error,))
        self.assertTrue(echo.data == sent[:len(echo.data)], "echo differs from what was sent")
        self.assertGreater(len(echo.data), 64 << 10, "the queued output was not delivered")
        self.assert_exits_zero()
        self.assertLess(time.monotonic() - signalled, 5, "exceeded the drain timeout")
        # Every byte the server read went back out.
        self.assertIn("final: open 0, total 1, refused 0, timed out 0, bytes in %d, bytes out %d"
                      % (len(echo.data), len(echo.data)), self.server.log())

    def test_quiet_log_level_still_prints_the_startup_line_only(self):
        self.start("--log-level", "error")
        self.assertTrue(self.echoes(self.client(), b"quiet"))
        self.assert_exits_zero(signal.SIGTERM)
        self.assertEqual(self.stderr_after_start(), [])

    def test_drain_timeout_closes_clients_that_never_read(self):
        self.start("--drain-timeout", "0.5")
        self.flood()
        self.server.signal(signal.SIGTERM)
        signalled = time.monotonic()
        self.assert_exits_zero()
        # Not before the drain timeout (the signal reached the server after
        # `signalled`, so load cannot fail this).
        self.assertGreaterEqual(time.monotonic() - signalled, 0.4)
        self.assertIn("drain timeout: closing 1 connections: 1 with output still queued, "
                      "0 lingering", self.server.log())

    def test_second_signal_exits_at_once(self):
        self.start("--drain-timeout", "60")
        self.flood()
        self.server.signal(signal.SIGTERM)
        self.assertTrue(self.await_line("echo_server: signal 15: draining 1 connections"))
        self.assertIsNone(self.server.wait_exit(0.3),
                          "exited before its drain timeout with a client still owed bytes")
        self.server.signal(signal.SIGINT)
        signalled = time.monotonic()
        self.assert_exits_zero()
        self.assertLess(time.monotonic() - signalled, 10)
        self.assertIn("second signal: closing 1 connections now", self.server.log())

    def test_clients_beyond_the_limit_are_refused_and_service_resumes(self):
        self.start("--max-connections", "2")
        held = self.serve_two_then_refuse_a_third()
        self.assertTrue(self.await_line(
            "echo_server: warning: refusing new connections: connection limit"))
        self.assertIn("open 2, total 2, refused 1,", self.stats())
        held[0].close()  # One leaves: the next client is served.
        self.assert_stats("open 1,")
        self.assertTrue(self.echoes(self.client(), b"again"))

    def test_clients_beyond_the_per_address_limit_are_refused_others_served(self):
        """One address cannot take every slot: beyond --max-connections-per-ip
        its clients are refused, while a client from another address (every
        127/8 address is loopback) is served."""
        self.start("--max-connections-per-ip", "2")
        self.serve_two_then_refuse_a_third()
        self.assertTrue(self.echoes(self.client(source="127.0.0.2"), b"other"))
        self.assertIn("open 3, total 3, refused 1,", self.stats())

    def test_trickling_client_that_never_reads_is_closed_by_send_timeout(self):
        """A slow-loris client never reads and sends a byte now and then. Its
        output stops moving once every buffer is full; the send timeout (1 s,
        the idle timeout 60 s) must close it long before the idle timeout."""
        self.start("--send-timeout", "1", "--idle-timeout", "60")
        client, _ = self.flood()

        def trickle_then_closed():
            try:
                client.send(b"x")
            except OSError:
                pass
            time.sleep(0.2)
            return "open 0," in self.stats()
        self.assertTrue(wait_until(trickle_then_closed, 30), "still open 30 s after it stalled")
        self.assertIn("open 0, total 1, refused 0, timed out 1,", self.stats())

    def test_idle_client_is_closed_and_counted(self):
        self.start("--idle-timeout", "0.3")
        client = self.client()
        self.assertTrue(self.echoes(client, b"ping"))
        connected = time.monotonic()  # The server's last activity was that echo.
        end = read_up_to(client, 1)
        self.assertTrue(end.eof or end.error, end)
        self.assertGreaterEqual(time.monotonic() - connected, 0.25)
        self.assertIn("open 0, total 1, refused 0, timed out 1,", self.stats())

    def test_out_of_descriptors_refuses_without_spinning_and_recovers(self):
        """With 32 descriptors and 60 clients the server refuses the excess
        (the reserve descriptor) instead of spinning on EMFILE, and serves
        again once clients leave."""
        self.start(launcher=(PRLIMIT, "--nofile=32:32", "--"))
        # One client first, as a server normally has before it runs out.
        # This matters under UBSan: its first check of a virtual call probes
        # memory through a pipe(), which fails with no descriptor left and
        # turns into a bogus "invalid vptr" report; then the type is cached.
        with connect("127.0.0.1", self.port) as warm_up:
            self.assertTrue(self.echoes(warm_up, b"warm"))
        clients = [connect("127.0.0.1", self.port) for _ in range(60)]
        self.assertTrue(self.await_line(
            "echo_server: warning: refusing new connections: out of file descriptors"))
        before = cpu_seconds(self.server.pid)
        time.sleep(1)
        self.assertLess(cpu_seconds(self.server.pid) - before, 0.2,
                        "server busy while out of descriptors")
        self.assertNotIn("refused 0,", self.stats())
        for client in clients:
            client.close()

        def serves():
            try:
                with connect("127.0.0.1", self.port) as client:
                    send_all(client, b"back")
                    return read_up_to(client, 4, seconds=1).data == b"back"
            except OSError:
                return False
        self.assertTrue(wait_until(serves, 10), "not serving again after clients left")

    def test_raises_the_descriptor_limit_and_warns_when_it_stays_too_low(self):
        """The soft limit goes up to the hard one; a hard limit below what
        --max-connections needs is worth a warning before serving starts."""
        self.server = Server(["--max-connections", "100"], (PRLIMIT, "--nofile=32:64", "--"))
        self.addCleanup(self.server.stop, 0)
        self.assertEqual(self.await_line(""), "echo_server: warning: descriptor limit 64 is "
                         "below --max-connections 100; extra clients will be refused")
        self.assertTrue(self.await_line("echo_server: listening on 127.0.0.1:"))
        with open("/proc/%d/limits" % self.server.pid) as limits:
            files = next(line for line in limits if line.startswith("Max open files"))
        self.assertEqual(files.split()[3:5], ["64", "64"], files)


if __name__ == "__main__":
    ServerTest.main()
