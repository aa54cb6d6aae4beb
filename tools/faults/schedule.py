"""The fault plan of a run, derived from its seed.

A plan is a list of cases, each one server process under strace:

  serving   every system call of catalog.SERVING fails from time to time,
            one errno each, rotating so that every errno of every call is
            met in at least one round (hence at least as many rounds as the
            longest errno list)
  transient two rounds where every call of catalog.SERVING gets only
            errors that delay it (EINTR, EAGAIN), each of its own in one of
            the two: there, as with no fault at all, the server must not
            close any connection (see closes_allowed)
  epoll_ctl one round per errno of catalog.EPOLL_CTL, epoll_ctl alone,
            counted from the first call after startup
  startup   one call made before serving (setsockopt, epoll_ctl) fails once;
            one case per such call the probe counted

Each failing call gets strace's `when=FIRST+STEP`: STEP drawn from the
call's range in catalog.STEP_RANGE, FIRST within the first STEP calls. The
seed alone (with the probe's startup counts) decides all of it, so the same
seed replays the same plan; how many faults land depends on how many calls
the traffic makes, which timing decides.
"""

import collections
import random

import catalog

# `step` is None for a fault injected into one call only (the `first`).
Injection = collections.namedtuple("Injection", "syscall errno first step")
Case = collections.namedtuple("Case", "name phase injections")

MIN_SERVING_ROUNDS = max(len(errnos) for errnos in catalog.SERVING.values())


def _rng(seed, *purpose):
    """A generator of its own per purpose: adding a draw for one purpose
    leaves every other purpose's draws as they were."""
    return random.Random(":".join(str(part) for part in (seed,) + purpose))


def _periodic(rng, syscall, errno, calls_before=0):
    if errno in catalog.TRANSIENT:
        low, high = catalog.STEP_RANGE["transient"]
    else:
        low, high = catalog.STEP_RANGE.get(syscall, catalog.STEP_RANGE["connection"])
    step = rng.randint(low, high)
    return Injection(syscall, errno, calls_before + rng.randint(1, step), step)


def serving_rounds(seed, rounds):
    """`rounds` serving cases, each errno of a call following the last."""
    offsets = {syscall: _rng(seed, "offset", syscall).randrange(len(errnos))
               for syscall, errnos in catalog.SERVING.items()}
    cases = []
    for index in range(rounds):
        rng = _rng(seed, "serving", index)
        injections = tuple(
            _periodic(rng, syscall, errnos[(offsets[syscall] + index) % len(errnos)])
            for syscall, errnos in catalog.SERVING.items())
        cases.append(Case("serving %d" % (index + 1), "serving", injections))
    return cases


def transient_rounds(seed):
    """The two transient cases: a call that has both EINTR and EAGAIN gets
    one in each."""
    cases = []
    for index in range(2):
        rng = _rng(seed, "transient", index)
        injections = []
        for syscall, errnos in catalog.SERVING.items():
            delaying = [e for e in errnos if e in catalog.TRANSIENT]
            first = _rng(seed, "transient order", syscall).randrange(len(delaying))
            injections.append(_periodic(rng, syscall, delaying[(first + index) % len(delaying)]))
        cases.append(Case("transient %d" % (index + 1), "serving", tuple(injections)))
    return cases


def closes_allowed(case):
    """Whether the server may close connections in `case`: only where some
    injected error is one a real server answers by closing (ECONNRESET,
    ENOMEM, ...); never without faults, nor under EINTR and EAGAIN alone."""
    return any(i.errno not in catalog.TRANSIENT for i in case.injections)


def epoll_ctl_rounds(seed, startup_calls):
    """The epoll_ctl cases; the first `startup_calls` calls are never hit."""
    return [Case("epoll_ctl %s" % errno, "serving", (_periodic(
        _rng(seed, "epoll_ctl", errno), "epoll_ctl", errno, calls_before=startup_calls),))
            for errno in catalog.EPOLL_CTL]


def startup_cases(seed, startup_calls):
    """The startup cases: `startup_calls` maps each catalog.STARTUP system
    call to how many the probe counted."""
    return [Case("startup %s #%d" % (syscall, call), "startup", (Injection(
        syscall, _rng(seed, "startup", syscall, call).choice(errnos), call, None),))
            for syscall, errnos in catalog.STARTUP.items()
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
