"""What a process costs, seen from outside: its CPU time from /proc, a child
run to its end with the CPU time it used, and its system calls counted by
strace.

Why strace and not /proc/PID/io: syscr and syscw count only the read and
write families that go through the VFS (read, readv, write, writev...);
recv(), send(), recvfrom() and sendto() on a socket do not go through it
and leave them flat (seen with echo_server, which uses recv and send), so
they cannot compare servers that use different calls. `strace -c` counts
every call, at a cost per call that would distort any timing: a count is
taken in a round of its own, never during a round whose time or CPU is
measured.
"""

import collections
import os
import pathlib
import signal
import subprocess
import tempfile
import threading
import time

from echo_process import EchoProcess

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User plus system CPU time of process `pid` (all its threads) so far,
    in seconds."""
    with open("/proc/%d/stat" % pid) as stat:
        return stat_cpu_seconds(stat.read())


def stat_cpu_seconds(text):
    """utime + stime in seconds from the text of /proc/PID/stat: fields 14
    and 15, in clock ticks."""
    # Field 2, the command name, is in parentheses and may hold spaces and
    # parentheses of its own; the fields after the last ")" start at 3.
    fields = text[text.rindex(")") + 1:].split()
    return (int(fields[14 - 3]) + int(fields[15 - 3])) / CLOCK_TICKS_PER_SECOND


ChildRun = collections.namedtuple("ChildRun", "stdout stderr exit_code cpu_seconds wall_seconds")


def run_child(command, timeout):
    """Runs `command` to its end and returns a ChildRun: its output, exit
    status, wall time and the CPU time (user + system) it used, from the
    rusage wait4() returns for it. Killed after `timeout` seconds."""
    with tempfile.TemporaryFile(mode="w+") as errors:
        start = time.monotonic()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            stdout = process.stdout.read()
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
            process.stdout.close()
        wall = time.monotonic() - start
        # Reaped here: tell Popen, so that it never waits for the pid again.
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        return ChildRun(stdout, errors.read(), process.returncode,
                        usage.ru_utime + usage.ru_stime, wall)


def parse_strace_summary(text):
    """{syscall: calls} from the table `strace -c` writes; "total" left out."""
    calls = {}
    for line in text.splitlines():
        words = line.split()
        # "% time  seconds  usecs/call  calls  [errors]  syscall"
        if len(words) >= 5 and words[3].isdigit() and words[-1] != "total":
            calls[words[-1]] = int(words[3])
    return calls


class SyscallCount:
    """`strace -c -f` attached to process `pid` for the length of a `with`
    block; `calls` ({syscall: count}) once the block is left."""

    def __init__(self, pid):
        self.pid = pid
        self.calls = {}
        self._output = tempfile.NamedTemporaryFile(prefix="bench_strace.", suffix=".txt")
        self._strace = None

    def __enter__(self):
        self._strace = EchoProcess(["strace", "-c", "-f", "-p", str(self.pid),
                                    "-o", self._output.name])
        if self._strace.await_line("strace: Process %d attached" % self.pid, 10) is None:
            self._strace.stop(seconds=0)
            raise RuntimeError("strace did not attach to %d: %s" % (self.pid, self._strace.log()))
        return self

    def __exit__(self, *exc):
        # SIGINT detaches strace, which then writes its table.
        self._strace.signal(signal.SIGINT)
        self._strace.wait_exit(10)
        self._strace.stop()
        self.calls = parse_strace_summary(pathlib.Path(self._output.name).read_text())
        self._output.close()
