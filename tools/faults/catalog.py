"""What `tools/dev faults` injects into echo_server, and what it leaves alone.

Data only: the errno values each system call of the server may get (each a
failure a real system can produce), how often, and which calls are left
alone and why. Names are those strace shows on x86-64 Linux: glibc's recv()
and send() are the recvfrom and sendto system calls.
"""

import collections

# Faults injected while clients are being served, per system call: every
# errno here reaches the call in at least one round. One errno per call per
# round: strace keeps one injection rule per system call.
SERVING = collections.OrderedDict([
    # EINTR and EAGAIN must be retried or waited out; EMFILE and ENFILE
    # exercise the reserve descriptor (RefuseOnePending); ECONNABORTED is a
    # client gone before it was accepted and must not stop the listener.
    ("accept4", ("EINTR", "EAGAIN", "EMFILE", "ENFILE", "ECONNABORTED")),
    ("recvfrom", ("EINTR", "EAGAIN", "ENOMEM", "ENOBUFS", "ECONNRESET")),
    ("sendto", ("EINTR", "EAGAIN", "ENOMEM", "ENOBUFS", "ECONNRESET", "EPIPE")),
    # The FIN after a half-closed client's last byte.
    ("shutdown", ("EINTR", "ENOTCONN")),
    # libev retries EINTR and aborts on any other epoll_wait error by
    # design (ev_syserr in ev_epoll.c): those cannot happen to a valid call.
    ("epoll_wait", ("EINTR",)),
])

# epoll_ctl fails for real with ENOMEM, or ENOSPC past max_user_watches.
# libev 4.33 (ev_epoll.c, epoll_modify) then stops every watcher of that
# descriptor and invokes it once with EV_ERROR (fd_kill): it neither aborts
# nor retries. It gets rounds of its own, so that what it reveals is told
# apart from the other faults.
EPOLL_CTL = ("ENOMEM", "ENOSPC")

# Calls made only at startup: one case per call the server makes before its
# first epoll_wait, each failing once. setsockopt sets the listener's
# options (SO_REUSEADDR, the socket buffers, IPV6_V6ONLY on an IPv6 one);
# epoll_ctl registers the signalfd of the lifecycle signals, libev's own
# wakeup eventfd (for its SIGCHLD watcher) and the listener.
STARTUP = collections.OrderedDict([
    ("setsockopt", ("ENOMEM", "ENOBUFS")),
    ("epoll_ctl", ("ENOMEM", "ENOSPC")),
])
# What a startup failure of each call must lead to: "exit" = exit status 1
# with one line on stderr; "serve_or_exit" = that, or serving as usual.
STARTUP_EXPECT = {"setsockopt": "exit", "epoll_ctl": "serve_or_exit"}

# Errors that only delay a call are injected often; errors that end a
# connection or refuse a client rarely enough that traffic still flows.
TRANSIENT = frozenset({"EINTR", "EAGAIN"})
# strace's `when=FIRST+STEP`: STEP drawn from these ranges (inclusive).
STEP_RANGE = {
    "transient": (2, 9),
    "accept4": (3, 25),      # Each EMFILE, ENFILE or ECONNABORTED costs a client.
    "connection": (40, 400),  # recvfrom, sendto, shutdown: each ends a connection.
    "epoll_ctl": (30, 150),
}

# System calls the server makes while serving that are never injected.
NOT_INJECTED = {
    "close": "never: strace skips an injected call, so the descriptor would stay "
             "open, which Linux never does (close frees it even when it fails)",
    "write": "log lines on stderr, and libev's signal wakeup (a write to an "
             "eventfd, which cannot fail with a valid descriptor)",
    "read": "the lifecycle signals (a read of the signalfd, which cannot fail "
            "once readable) and libev's wakeup (a read of its eventfd)",
    "openat": "the reserve descriptor (/dev/null) reopened after a refusal; not "
              "I/O with a client (a failure leaves the server without a reserve "
              "until its next refusal)",
    "rt_sigreturn": "return from a signal handler",
    "rt_sigaction": "signal dispositions restored as the server stops",
    "exit_group": "the end of the process",
    "brk": "the heap growing (malloc); memory exhaustion is not a system-call fault "
           "of the echo path",
}
