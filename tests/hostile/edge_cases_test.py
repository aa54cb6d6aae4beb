#!/usr/bin/env python3
"""Edge cases of the command line and of the drain, against the real binary.

  - The drain-timeout warning says which connections still had output
    queued and which had sent everything and only lingered.
  - A value given to --help (or --version) is a usage error that says so.
  - --bind refuses multicast and broadcast addresses, on which a TCP server
    can never be reached.
  - --bind takes a link-local IPv6 address with its zone (fe80::1%eth0):
    the zone reaches the kernel, and a missing or unknown zone is refused
    with the reason.
"""

import signal
import socket
import unittest

from server_process import Server, describe_exit, run_to_exit

IO_SECONDS = 10


def link_local_address():
    """(address, interface) of a usable link-local IPv6 address of this
    host, from /proc/net/if_inet6, or None."""
    try:
        with open("/proc/net/if_inet6") as table:
            rows = [line.split() for line in table]
    except OSError:
        return None
    for hex_address, _, _, scope, flags, interface in rows:
        # Scope 0x20 is link; flags 0x40 tentative, 0x80 permanent are fine,
        # 0x08 (DAD failed) is not.
        if int(scope, 16) == 0x20 and not int(flags, 16) & 0x08:
            packed = bytes.fromhex(hex_address)
            return socket.inet_ntop(socket.AF_INET6, packed), interface
    return None


class EdgeCasesTest(unittest.TestCase):
    def assert_usage_error(self, flags, message):
        run = run_to_exit(flags)
        code, log = run.returncode, run.stderr
        self.assertEqual(code, 2, "%s: %s\n%s" % (flags, describe_exit(code), log))
        self.assertEqual(log.splitlines()[0], "echo_server: " + message, flags)

    def test_drain_timeout_tells_lingering_from_queued_output(self):
        # Everything echoed, yet the client neither reads more nor closes: on
        # SIGTERM the server sends its FIN and lingers for the client's close
        # (up to 1 s); the 0.3 s drain timeout comes first.
        with Server(["--drain-timeout", "0.3"]) as server:
            listening = server.await_line("echo_server: listening on ")
            self.assertIsNotNone(listening, server.log())
            port = int(listening.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=IO_SECONDS) as client:
                client.sendall(b"x")
                self.assertEqual(client.recv(1), b"x")
                server.signal(signal.SIGTERM)
                self.assertIsNotNone(server.await_line("echo_server: warning: drain timeout"),
                                     server.log())
                code = server.wait_exit()
            self.assertEqual(code, 0, describe_exit(code))
            self.assertIn("echo_server: warning: drain timeout: closing 1 connections: 0 with "
                          "output still queued, 1 lingering (all sent, waiting for the client "
                          "to close)\n", server.log())

    def test_help_or_version_with_a_value_is_a_usage_error_saying_so(self):
        for flag in ("--help", "--version"):
            self.assert_usage_error([flag + "=1"], flag + " takes no value")

    def test_multicast_and_broadcast_binds_are_refused(self):
        # Linux lets TCP bind to them; no client could ever connect.
        for address in ("224.0.0.1", "ff02::1", "::ffff:239.1.2.3"):
            self.assert_usage_error(["--bind", address], "--bind: '%s' is a multicast address,"
                                    " which no TCP client can reach" % address)
        for address in ("255.255.255.255", "::ffff:255.255.255.255"):
            self.assert_usage_error(["--bind", address], "--bind: '%s' is a broadcast address,"
                                    " which no TCP client can reach" % address)

    def test_link_local_bind_needs_an_interface_that_exists(self):
        self.assert_usage_error(["--bind", "fe80::1"], "--bind: 'fe80::1' is link-local: add "
                                "its interface, as in fe80::1%eth0")
        self.assert_usage_error(["--bind", "fe80::1%nosuch0"], "--bind: 'fe80::1%nosuch0': "
                                "this host has no network interface 'nosuch0'")

    def test_link_local_zone_reaches_the_kernel(self):
        # lo rarely holds fe80::1: the kernel then refuses the address on
        # that interface, which it can only do if the zone reached it.
        run = run_to_exit(["--bind", "fe80::1%lo"])
        code, log = run.returncode, run.stderr
        line = log.splitlines()[0] if log else ""
        self.assertTrue(line == "echo_server: error: cannot listen on [fe80::1%lo]:0: Cannot "
                        "assign requested address" or
                        line.startswith("echo_server: listening on [fe80::1%lo]:"),
                        "%s\n%s" % (describe_exit(code), log))

    def test_serves_on_a_link_local_address_with_its_zone(self):
        found = link_local_address()
        if found is None:
            self.skipTest("no link-local IPv6 address on this host")
        address, interface = found
        with Server(["--bind", "%s%%%s" % (address, interface)]) as server:
            line = server.await_line("echo_server: ")
            server.signal(signal.SIGTERM)
            self.assertEqual(server.wait_exit(), 0, server.log())
        self.assertTrue(line and line.startswith("echo_server: listening on [%s%%%s]:"
                                                 % (address, interface)), server.log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
