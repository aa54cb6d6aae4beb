#!/usr/bin/env python3
"""Echo over loopback, against the echo_server binary: many clients at once,
each with its own bytes back exactly; half-close; backpressure on a client
that does not read, then on a slow reader; resets with output queued; the
stop closing every client; traffic pushing the idle timeout back.

Payloads are random; the seed is printed first and replays with
--test_env=ECHO_TEST_SEED=<seed>.
"""

import concurrent.futures
import signal
import time

from loopback import echo, read_up_to, reset, send_all, send_until_stalled
from server_process import ServerTest

# Kernel buffers small enough, on both ends, that they cannot hide the
# server's own queue: what the client does not read piles up there, and the
# server must stop reading.
SMALL = 16 << 10
SMALL_BUFFERS = dict(rcvbuf=SMALL, sndbuf=SMALL)
# Upper bound on what a client can send to a server that has stopped
# reading, with small buffers on both ends: each of the four kernel buffers
# (doubled by Linux to 32 KiB), the 64 KiB queue and one read are about
# 200 KiB. An unbounded server would take all of it.
MAX_UNREAD = 1 << 20


class EchoServerTest(ServerTest):
    def start_small_buffers(self):
        self.start("--socket-buffer", str(SMALL))

    def assert_echoed(self, payload, got):
        self.assertEqual((len(got.data), got.eof, got.error), (len(payload), True, 0), got)
        self.assertTrue(got.data == payload, "echo differs from what was sent")

    def chunk_sizes(self, total):
        """Sizes from 1 byte to 64 KiB that add up to `total`."""
        sizes = []
        while total > 0:
            sizes.append(min(total, self.RNG.randint(1, 64 << 10)))
            total -= sizes[-1]
        return sizes

    def test_many_concurrent_clients_each_get_their_own_bytes_back_exactly(self):
        self.start()
        payloads = [self.RNG.randbytes(self.RNG.randint(256 << 10, 1 << 20)) for _ in range(50)]
        # Connect everyone first, so that all transfers overlap on the server.
        clients = [self.client() for _ in payloads]
        with concurrent.futures.ThreadPoolExecutor(len(clients)) as pool:
            results = list(pool.map(
                lambda job: echo(job[0], job[1], seconds=40, chunks=self.chunk_sizes(len(job[1]))),
                zip(clients, payloads)))
        for i, (payload, got) in enumerate(zip(payloads, results)):
            with self.subTest(client=i):
                self.assert_echoed(payload, got)
        self.assert_stats("open 0, total 50,")

    def test_half_close_returns_every_byte_then_eof(self):
        self.start()
        payload = b"every byte sent before the FIN comes back\n"
        self.assert_echoed(payload, echo(self.client(), payload))
        self.assert_stats("open 0, total 1,")

    def test_half_close_with_nothing_sent_gets_immediate_eof(self):
        self.start()
        self.assert_echoed(b"", echo(self.client(), b""))
        self.assert_stats("open 0, total 1,")

    def test_half_close_while_server_is_backpressured_still_returns_everything(self):
        """The FIN arrives while the server has stopped reading (its queue is
        full): it must still see it once it drains, and send everything
        before its own."""
        self.start_small_buffers()
        client = self.client(**SMALL_BUFFERS)
        payload = self.RNG.randbytes(4 * MAX_UNREAD)
        fill, = send_until_stalled([client], payload)
        self.assertTrue(fill.stalled and not fill.error and fill.sent < MAX_UNREAD, fill)
        self.assert_echoed(payload[:fill.sent], echo(client, b""))
        self.assert_stats("open 0, total 1,")

    def test_large_transfer_to_slow_reader_is_byte_exact_under_backpressure(self):
        self.start_small_buffers()
        client = self.client(**SMALL_BUFFERS)
        payload = self.RNG.randbytes(8 << 20)
        # Nobody reads yet: a server that bounds its queue soon stops reading
        # too, and the client can send no more. One that kept reading would
        # take everything.
        fill, = send_until_stalled([client], payload, stall=0.2)
        self.assertTrue(fill.stalled and not fill.error,
                        "the server read %s although nobody read its echo" % (fill,))
        self.assertLess(fill.sent, MAX_UNREAD)
        # Now a slow reader: small reads with pauses, while sending the rest.
        got = echo(client, payload[fill.sent:], seconds=30, max_read=16 << 10, read_pause=0.0002)
        self.assert_echoed(payload, got)
        self.assert_stats("open 0, total 1,")

    def test_reset_clients_with_queued_output_are_all_released(self):
        """Clients that send a lot, never read and then reset: the server is
        blocked writing to each of them when the RST arrives."""
        self.start_small_buffers()
        flood = self.RNG.randbytes(2 * MAX_UNREAD)
        for round_ in range(1, 4):
            clients = [self.client(**SMALL_BUFFERS) for _ in range(16)]
            # Accepted first, so that the stall below is the server's queue
            # filling up, not the backlog's buffers.
            self.assert_stats("total %d," % (16 * round_))
            for i, fill in enumerate(send_until_stalled(clients, flood, stall=0.05)):
                self.assertTrue(fill.stalled and not fill.error and fill.sent < MAX_UNREAD,
                                "round %d, client %d: %s" % (round_, i, fill))
            for client in clients:
                reset(client)
            self.assert_stats("open 0, total %d," % (16 * round_))
        # The server is still healthy: a new client gets an exact echo.
        payload = self.RNG.randbytes(256 << 10)
        self.assert_echoed(payload, echo(self.client(), payload))

    def test_stop_closes_every_connection_and_the_listener(self):
        self.start()
        clients = [self.client() for _ in range(4)]
        for client in clients:  # A round trip proves the server holds it.
            send_all(client, b"x")
            self.assertEqual(read_up_to(client, 1).data, b"x")
        self.assert_exits_zero(signal.SIGTERM)
        for i, client in enumerate(clients):
            end = read_up_to(client, 1)
            self.assertEqual((end.data, end.eof), (b"", True), "client %d: %s" % (i, end))
        self.assertIn("final: open 0, total 4,", self.server.log())
        with self.assertRaises(ConnectionRefusedError):
            self.client()

    def test_traffic_keeps_connection_open_across_many_timeouts(self):
        """Each byte moves the idle deadline; the timer armed for the first
        deadline must be pushed back rather than closing a busy connection.
        When exactly it closes is proven on injected time
        (echo_server_timers_test)."""
        self.start("--idle-timeout", "0.3")
        client = self.client()
        start = time.monotonic()
        # A byte every fifth of the timeout (slack for a loaded machine),
        # across more than two timeouts.
        for i in range(12):
            byte = bytes([ord("a") + i])
            send_all(client, byte)
            self.assertEqual(read_up_to(client, 1).data, byte, "byte %d" % i)
            time.sleep(0.06)
        self.assertGreaterEqual(time.monotonic() - start, 0.6)
        self.assertIn("open 1,", self.stats())
        # Falling silent now closes it.
        self.assertTrue(read_up_to(client, 1).eof)
        self.assert_stats("open 0, total 1, refused 0, timed out 1,")


if __name__ == "__main__":
    ServerTest.main()
