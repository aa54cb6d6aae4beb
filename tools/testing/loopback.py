"""Loopback TCP clients for the tests of the real binaries.

Connect with chosen buffers and source address, send, read, echo a payload
while reading (so that no transfer size can deadlock on full buffers),
flood until the server stops reading, half-close and reset. Sockets are
non-blocking once connected and every wait is bounded: a misbehaving
server fails a test with a reason instead of hanging it.
"""

import bisect
import collections
import itertools
import selectors
import socket
import struct
import time

IO_SECONDS = 10

# What a read saw: the bytes, whether the peer's EOF came, the errno of a
# failed recv (ECONNRESET...) or 0, and whether the time ran out first.
Read = collections.namedtuple("Read", "data eof error timed_out")
# What a flood left: bytes the socket took, whether it then stayed full for
# the whole stall time, the errno of a failed send or 0.
Fill = collections.namedtuple("Fill", "sent stalled error")


def connect(host, port, rcvbuf=0, sndbuf=0, source=None, seconds=IO_SECONDS):
    """A connected non-blocking socket. Buffers are set before connecting, so
    the window scale fits them; 0 keeps the kernel's auto-tuning. Small
    buffers make the server's own queue, not the kernel, hold what a client
    does not read."""
    client = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    for option, size in ((socket.SO_RCVBUF, rcvbuf), (socket.SO_SNDBUF, sndbuf)):
        if size:
            client.setsockopt(socket.SOL_SOCKET, option, size)
    if source:
        client.bind((source, 0))
    client.settimeout(seconds)
    client.connect((host, port))
    client.setblocking(False)
    return client


def _wait(client, events, deadline):
    with selectors.DefaultSelector() as selector:
        selector.register(client, events)
        return bool(selector.select(max(0, deadline - time.monotonic())))


def send_all(client, data, seconds=IO_SECONDS):
    """Sends every byte, waiting for room; raises TimeoutError at the deadline."""
    deadline = time.monotonic() + seconds
    view = memoryview(data)
    while view:
        try:
            view = view[client.send(view):]
        except BlockingIOError:
            if not _wait(client, selectors.EVENT_WRITE, deadline):
                raise TimeoutError("sent %d of %d bytes" % (len(data) - len(view), len(data)))


def read_up_to(client, limit, seconds=IO_SECONDS):
    """Reads until `limit` bytes, EOF, an error or the deadline. A known reply
    of n bytes followed by EOF reads with limit n + 1."""
    deadline = time.monotonic() + seconds
    data = bytearray()
    while len(data) < limit:
        try:
            chunk = client.recv(min(limit - len(data), 1 << 16))
        except BlockingIOError:
            if not _wait(client, selectors.EVENT_READ, deadline):
                return Read(bytes(data), False, 0, True)
            continue
        except OSError as error:
            return Read(bytes(data), False, error.errno, False)
        if not chunk:
            return Read(bytes(data), True, 0, False)
        data += chunk
    return Read(bytes(data), False, 0, False)


def echo(client, payload, seconds=IO_SECONDS, chunks=(), max_read=1 << 16, read_pause=0):
    """Sends `payload` while reading what comes back, half-closes once all is
    sent, and reads until EOF: extra bytes from the server show up in the
    result's size. Returns a Read. `chunks`: sizes to cut `payload` at, no
    send() crossing a cut, so the server sees writes of those sizes (or
    smaller, when the socket is full). At most `max_read` bytes per recv(),
    then `read_pause` seconds of sleep: a slow reader."""
    deadline = time.monotonic() + seconds
    cuts = [*itertools.accumulate(chunks), len(payload)]
    view, sent = memoryview(payload), 0
    received = bytearray()
    with selectors.DefaultSelector() as selector:
        selector.register(client, selectors.EVENT_READ | selectors.EVENT_WRITE)
        if not payload:
            client.shutdown(socket.SHUT_WR)
            selector.modify(client, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            for _, events in selector.select(max(0, deadline - time.monotonic())):
                try:
                    if events & selectors.EVENT_READ:
                        chunk = client.recv(max_read)
                        if not chunk:
                            return Read(bytes(received), True, 0, False)
                        received += chunk
                        time.sleep(read_pause)
                    if events & selectors.EVENT_WRITE and sent < len(payload):
                        sent += client.send(view[sent:cuts[bisect.bisect_right(cuts, sent)]])
                        if sent == len(payload):
                            client.shutdown(socket.SHUT_WR)
                            selector.modify(client, selectors.EVENT_READ)
                except BlockingIOError:
                    pass
                except OSError as error:
                    return Read(bytes(received), False, error.errno, False)
    return Read(bytes(received), False, 0, True)


def send_until_stalled(clients, data, stall=0.1, seconds=IO_SECONDS):
    """Sends `data` on every client at once, reading nothing, until each has
    sent it all or stayed unwritable for `stall` seconds (its server stopped
    reading). Returns a Fill per client, in order."""
    deadline = time.monotonic() + seconds
    sent = [0] * len(clients)
    errors = [0] * len(clients)
    progress = [time.monotonic()] * len(clients)
    stalled = [False] * len(clients)
    view = memoryview(data)
    with selectors.DefaultSelector() as selector:
        for i, client in enumerate(clients):
            selector.register(client, selectors.EVENT_WRITE, i)
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(min(stall, max(0, deadline - time.monotonic()))):
                i = key.data
                try:
                    while sent[i] < len(data):  # Fill it before polling again.
                        sent[i] += clients[i].send(view[sent[i]:])
                        progress[i] = time.monotonic()
                except BlockingIOError:
                    pass
                except OSError as error:
                    errors[i] = error.errno
            now = time.monotonic()
            for i, client in enumerate(clients):
                stalled[i] = sent[i] < len(data) and not errors[i] and now - progress[i] >= stall
                if (stalled[i] or errors[i] or sent[i] == len(data)) and client in selector.get_map():
                    selector.unregister(client)
    return [Fill(*fill) for fill in zip(sent, stalled, errors)]


def reset(client):
    """Aborts the connection: SO_LINGER {on, 0 s}, then close(), so the peer
    gets a RST, not a FIN, and whatever either side had queued is dropped."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()


def loopback_unavailable(family):
    """Why this machine cannot connect over the loopback address of `family`
    (127.0.0.1, ::1), tried with a listener of its own; "" if it can."""
    host = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    try:
        with socket.socket(family) as listener:
            listener.bind((host, 0))
            listener.listen(1)
            with socket.socket(family) as client:
                client.settimeout(IO_SECONDS)
                client.connect(listener.getsockname()[:2])
    except OSError as error:
        return "%s: %s" % (host, error)
    return ""
