"""strace as the fault injector: its command lines, and what its logs say.

Why strace (Debian's 6.1) and not libfiu's fiu-run (fiu-utils 1.1): the
POSIX preload of fiu-run wraps libc functions one by one and has no wrapper
for accept4, epoll_ctl, epoll_wait or setsockopt (see the failure point
names in /usr/lib/fiu/fiu_posix_preload.so), which the server and libev
call. strace acts on the system call, whoever makes it (libev's epoll_ctl
included), so the optimized and the ASan build meet the same faults; and
its `when=FIRST+STEP` counts the calls of each system call separately, so a
seed replays the same schedule (FIU_PRNG_SEED seeds one generator shared by
every failure point, whose draws then depend on the order of all calls).
The price: LeakSanitizer cannot run under ptrace, so a traced ASan server
runs with detect_leaks=0, and each traced call stops the server briefly.

An injected call is never made: strace returns the error at once and marks
the line "(INJECTED)". Only the injected calls are traced (--seccomp-bpf:
the server runs every other call at full speed), and only failed calls are
logged (-Z), which keeps the log small under load.
"""

import collections
import re

import children

# "1234 recvfrom(7, ..., 0, NULL, NULL) = -1 ECONNRESET (Connection reset by peer) (INJECTED)"
# or, when a call was interrupted by another thread's line, its second half
# "1234 <... recvfrom resumed>...) = -1 ...". The pid column comes with -f.
_CALL = re.compile(r"^(?:\d+ +)?(?:<\.\.\. (?P<resumed>\w+) resumed>|(?P<name>\w+)\()")
_FAILED = re.compile(r"= -1 (?P<errno>E[A-Z0-9]+) \([^)]*\)(?P<injected> \(INJECTED\))?$")
_EPOLL_CTL_FD = re.compile(r"epoll_ctl\(\d+, EPOLL_CTL_\w+, (?P<fd>\d+),")

Failure = collections.namedtuple("Failure", "syscall errno injected")


def injection_rule(injection):
    """The -e inject= expression of a schedule.Injection."""
    when = str(injection.first)
    if injection.step:
        when += "+%d" % injection.step
    return "inject=%s:error=%s:when=%s" % (injection.syscall, injection.errno, when)


def _dies_with_strace(server_command):
    """`server_command` killed when strace dies: a tracer's death only
    detaches its tracee (strace 6.1 has no --kill-on-exit), and a SIGKILLed
    run (the bug hunt stops a detector that way) would leave the server
    running."""
    return children.DIE_WITH_PARENT + list(server_command)


def inject_command(strace, injections, log_path, server_command):
    """strace running `server_command` with `injections`, logging failed
    calls of the injected system calls to `log_path`."""
    syscalls = sorted({injection.syscall for injection in injections})
    command = [strace, "-f", "--seccomp-bpf", "-qq", "-Z", "-e", "signal=none",
               "-o", str(log_path), "-e", "trace=" + ",".join(syscalls)]
    for injection in injections:
        command += ["-e", injection_rule(injection)]
    return command + ["--"] + _dies_with_strace(server_command)


def probe_command(strace, log_path, server_command):
    """strace logging every call of `server_command` (for probe())."""
    return [strace, "-f", "-qq", "-e", "signal=none", "-o", str(log_path), "--"] + (
        _dies_with_strace(server_command))


def _call_name(line):
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
    fds = []
    for line in lines:
        if line.rstrip("\n").endswith("(INJECTED)"):
            found = _EPOLL_CTL_FD.search(line)
            if found:
                fds.append(int(found.group("fd")))
    return fds


Probe = collections.namedtuple("Probe", "startup_calls serving_calls")


def probe(lines):
    """What a full log (probe_command) says: calls per system call before the
    first epoll_wait (startup) and after it (serving)."""
    startup, serving = collections.Counter(), collections.Counter()
    serving_started = False
    for line in lines:
        name, resumed = _call_name(line)
        if name is None or resumed:
            continue
        serving_started = serving_started or name == "epoll_wait"
        (serving if serving_started else startup)[name] += 1
    return Probe(startup, serving)
