"""What `tools/dev faults` injects into echo_server, and a run's plan of
cases (each one server process under strace), derived from its seed.

Errno values are failures a real system can produce; names are those strace
shows on x86-64 Linux (glibc's recv() and send() are recvfrom and sendto).
The cases: serving rounds (every call of SERVING fails now and then, one
errno each, rotating so that each errno is met: MIN_SERVING_ROUNDS), two
transient rounds (EINTR and EAGAIN only, where no connection may close: see
closes_allowed), epoll_ctl rounds (one per errno of EPOLL_CTL, counted from
the first call after startup) and startup cases (one per STARTUP call the
probe counted, failing once).

Each failing call gets strace's `when=FIRST+STEP`: STEP drawn from the
call's range in STEP_RANGE, FIRST within the first STEP calls. The seed
alone (with the probe's startup counts) decides all of it, so the same seed
replays the same plan; how many faults land depends on the traffic.
"""

import collections
import random

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

# `step` is None for a fault injected into one call only (the `first`).
Injection = collections.namedtuple("Injection", "syscall errno first step")
Case = collections.namedtuple("Case", "name phase injections")

MIN_SERVING_ROUNDS = max(len(errnos) for errnos in SERVING.values())


def _rng(seed, *purpose):
    """A generator of its own per purpose: adding a draw for one purpose
    leaves every other purpose's draws as they were."""
    return random.Random(":".join(str(part) for part in (seed,) + purpose))


def _periodic(rng, syscall, errno, calls_before=0):
    if errno in TRANSIENT:
        low, high = STEP_RANGE["transient"]
    else:
        low, high = STEP_RANGE.get(syscall, STEP_RANGE["connection"])
    step = rng.randint(low, high)
    return Injection(syscall, errno, calls_before + rng.randint(1, step), step)


def serving_rounds(seed, rounds):
    """`rounds` serving cases, each errno of a call following the last."""
    offsets = {syscall: _rng(seed, "offset", syscall).randrange(len(errnos))
               for syscall, errnos in SERVING.items()}
    cases = []
    for index in range(rounds):
        rng = _rng(seed, "serving", index)
        injections = tuple(
            _periodic(rng, syscall, errnos[(offsets[syscall] + index) % len(errnos)])
            for syscall, errnos in SERVING.items())
        cases.append(Case("serving %d" % (index + 1), "serving", injections))
    return cases


def transient_rounds(seed):
    """The two transient cases: a call that has both EINTR and EAGAIN gets
    one in each."""
    cases = []
    for index in range(2):
        rng = _rng(seed, "transient", index)
        injections = []
        for syscall, errnos in SERVING.items():
            delaying = [e for e in errnos if e in TRANSIENT]
            first = _rng(seed, "transient order", syscall).randrange(len(delaying))
            injections.append(_periodic(rng, syscall, delaying[(first + index) % len(delaying)]))
        cases.append(Case("transient %d" % (index + 1), "serving", tuple(injections)))
    return cases


def closes_allowed(case):
    """Whether the server may close connections in `case`: only where some
    injected error is one a real server answers by closing (ECONNRESET,
    ENOMEM, ...); never without faults, nor under EINTR and EAGAIN alone."""
    return any(i.errno not in TRANSIENT for i in case.injections)


def epoll_ctl_rounds(seed, startup_calls):
    """The epoll_ctl cases; the first `startup_calls` calls are never hit."""
    return [Case("epoll_ctl %s" % errno, "serving", (_periodic(
        _rng(seed, "epoll_ctl", errno), "epoll_ctl", errno, calls_before=startup_calls),))
            for errno in EPOLL_CTL]


def startup_cases(seed, startup_calls):
    """The startup cases: `startup_calls` maps each STARTUP system
    call to how many the probe counted."""
    return [Case("startup %s #%d" % (syscall, call), "startup", (Injection(
        syscall, _rng(seed, "startup", syscall, call).choice(errnos), call, None),))
            for syscall, errnos in STARTUP.items()
            for call in range(1, startup_calls.get(syscall, 0) + 1)]


def plan(seed, rounds, startup_calls):
    """Every case of a run: serving and transient rounds first (where most
    defects show, so they are found soonest), then epoll_ctl rounds, then
    startup cases."""
    first, second = transient_rounds(seed)
    return ([first] + serving_rounds(seed, rounds) + [second] +
            epoll_ctl_rounds(seed, startup_calls.get("epoll_ctl", 0)) +
            startup_cases(seed, startup_calls))


def rounds_for(seconds, seconds_per_round):
    """Serving rounds for a run of `seconds`: as many as fit at about
    `seconds_per_round` each, never fewer than MIN_SERVING_ROUNDS."""
    return max(MIN_SERVING_ROUNDS, int(seconds // seconds_per_round))
