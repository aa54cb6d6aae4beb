#!/usr/bin/env python3
"""A hostile environment for the log, against the real binary.

Whatever reads the server's stderr may stall (a full pipe, a stopped
journald, a paused terminal): the server must keep serving, stop on SIGTERM,
and say how many lines it dropped once stderr is writable again. A client
that reconnects at the connection limit must not be able to fill the log
with one warning per reconnect.
"""

import os
import signal
import socket
import tempfile
import time
import unittest

from server_process import EXIT_SECONDS, START_SECONDS, Server, describe_exit, spawn

# Debug level logs two lines per connection: this many fill a pipe (64 KiB)
# several times over.
CONNECTIONS = 2000
IO_SECONDS = 5


def echo_once(port, payload=b"hello", source="127.0.0.1"):
    with socket.create_connection(("127.0.0.1", port), timeout=IO_SECONDS,
                                  source_address=(source, 0)) as client:
        client.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = client.recv(len(payload) - len(got))
            if not chunk:
                break
            got += chunk
        return got


def recv_or_reset(client):
    """One byte, or b"" at EOF or a reset (both are a refusal)."""
    try:
        return client.recv(1)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def read_line(fd, seconds):
    """One line from a non-blocking descriptor, leaving the rest unread."""
    line = b""
    deadline = time.monotonic() + seconds
    while not line.endswith(b"\n") and time.monotonic() < deadline:
        try:
            byte = os.read(fd, 1)
        except BlockingIOError:
            time.sleep(0.005)
            continue
        if not byte:
            break
        line += byte
    return line.decode(errors="replace")


def read_all(fd):
    data = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return data
        if not chunk:
            return data
        data += chunk


class LoggingTest(unittest.TestCase):
    def test_stderr_that_nobody_reads_never_freezes_the_server(self):
        fifo = os.path.join(tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR")), "stderr")
        os.mkfifo(fifo)
        reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # Open, never drained.
        writer = os.open(fifo, os.O_WRONLY)
        process = spawn(["--log-level", "debug"], stderr=writer)
        os.close(writer)
        try:
            first = read_line(reader, START_SECONDS)
            self.assertIn("listening on 127.0.0.1:", first)
            port = int(first.strip().rsplit(":", 1)[1])
            for i in range(CONNECTIONS):
                self.assertEqual(echo_once(port), b"hello", "connection %d" % i)
            process.send_signal(signal.SIGTERM)
            # The reader resumes while the server exits: the dropped-line
            # count must come through.
            log = b""
            deadline = time.monotonic() + EXIT_SECONDS
            while process.poll() is None and time.monotonic() < deadline:
                log += read_all(reader)
                time.sleep(0.01)
            self.assertEqual(process.poll(), 0, describe_exit(process.poll()))
            log += read_all(reader)
            self.assertIn(b"log lines dropped", log)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            os.close(reader)

    def test_reconnecting_at_the_limit_logs_a_warning_a_second_at_most(self):
        with Server(["--max-connections", "1"]) as server:
            line = server.await_line("echo_server: listening on ")
            self.assertIsNotNone(line)
            port = int(line.strip().rsplit(":", 1)[1])
            started = time.monotonic()
            refusals = 0
            for _ in range(300):
                # One is served (or refused, if the server has not yet seen
                # the last one go); while it is open a second is refused.
                with socket.create_connection(("127.0.0.1", port), timeout=IO_SECONDS) as first:
                    try:
                        first.sendall(b"x")
                    except (ConnectionResetError, BrokenPipeError):
                        pass
                    if recv_or_reset(first) != b"x":
                        refusals += 1
                        continue
                    with socket.create_connection(("127.0.0.1", port),
                                                  timeout=IO_SECONDS) as second:
                        self.assertEqual(recv_or_reset(second), b"")
                        refusals += 1
            elapsed = time.monotonic() - started
            server.signal(signal.SIGTERM)
            self.assertEqual(server.wait_exit(), 0)
            warnings = [l for l in server.log().splitlines() if "refusing new connections" in l]
            self.assertLessEqual(len(warnings), int(elapsed) + 2,
                                 "%d refusal warnings in %.1f s" % (len(warnings), elapsed))
            final = [l for l in server.log().splitlines() if "final: " in l]
            self.assertIn("refused %d," % refusals, final[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
