"""strace (Debian's 6.1) as the fault injector: its command line, and what
its logs say. Why strace and not libfiu: the README (Fault injection). Each
traced call stops the server briefly.

An injected call is never made: strace returns the error and marks the line
"(INJECTED)". Only the injected calls are traced (--seccomp-bpf: the others
run at full speed) and only failed calls logged (-Z): the log stays small.
"""

import collections
import re

import children

# "1234 recvfrom(7, ..., 0, NULL, NULL) = -1 ECONNRESET (Connection reset by peer) (INJECTED)"
# or, when a call was interrupted by another thread's line, its second half
# "1234 <... recvfrom resumed>...) = -1 ...". The pid column comes with -f.
_CALL = re.compile(r"^(?:\d+ +)?(?:<\.\.\. (?P<resumed>\w+) resumed>|(?P<name>\w+)\()")
_FAILED = re.compile(r"= -1 (?P<errno>E[A-Z0-9]+) \([^)]*\)(?P<injected> \(INJECTED\))?$")
_EPOLL_CTL_FD = re.compile(r"epoll_ctl\(\d+, EPOLL_CTL_\w+, (?P<fd>\d+),.*\(INJECTED\)$")

Failure = collections.namedtuple("Failure", "syscall errno injected")
Probe = collections.namedtuple("Probe", "startup_calls serving_calls")


def injection_rule(injection):
    """The -e inject= expression of a schedule.Injection."""
    when = "%d+%d" % (injection.first, injection.step) if injection.step else str(injection.first)
    return "inject=%s:error=%s:when=%s" % (injection.syscall, injection.errno, when)


def command(strace, log_path, server_command, injections=None):
    """strace running `server_command`: with `injections`, tracing only the
    injected system calls and logging their failures; with None, logging
    every call (for probe()). The server is killed when strace dies: a
    tracer's death only detaches its tracee (strace 6.1 has no
    --kill-on-exit)."""
    args = [strace, "-f", "-qq", "-e", "signal=none", "-o", str(log_path)]
    if injections is not None:
        args += ["--seccomp-bpf", "-Z", "-e", "trace=" + ",".join(
            sorted({injection.syscall for injection in injections}))]
        for injection in injections:
            args += ["-e", injection_rule(injection)]
    return args + ["--"] + children.DIE_WITH_PARENT + list(server_command)


def _call_name(line):
    """(system call, whether the line resumes it), or (None, False)."""
    match = _CALL.match(line)
    if not match:
        return None, False
    return match.group("name") or match.group("resumed"), match.group("resumed") is not None


def failures(lines):
    """Counter of Failure(syscall, errno, injected) over the log's lines."""
    counts = collections.Counter()
    for line in lines:
        failed = _FAILED.search(line.rstrip("\n"))
        name, _ = _call_name(line)
        if failed and name:
            counts[Failure(name, failed.group("errno"), bool(failed.group("injected")))] += 1
    return counts


def injected_epoll_ctl_fds(lines):
    """The descriptors that injected epoll_ctl calls were about, in order."""
    return [int(found.group("fd")) for found in map(_EPOLL_CTL_FD.search, lines) if found]


def probe(lines):
    """What a full log says: calls per system call before the first
    epoll_wait (startup) and after it (serving)."""
    counts = startup = collections.Counter()
    serving = collections.Counter()
    for line in lines:
        name, resumed = _call_name(line)
        if name is None or resumed:
            continue
        counts = serving if name == "epoll_wait" else counts
        counts[name] += 1
    return Probe(startup, serving)
