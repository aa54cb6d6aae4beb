"""What a process costs, seen from outside: its CPU time from /proc, a child
run to its end with the CPU time it used, and its system calls counted by
strace.

Why strace and not /proc/PID/io: syscr and syscw count only calls through
the VFS, which recv(), send(), recvfrom() and sendto() on a socket bypass
(echo_server uses them), so they cannot compare servers that use different
calls. `strace -c` counts every call, at a cost per call that would distort
any timing: a count is taken in a round of its own.
"""

import collections
import contextlib
import os
import pathlib
import signal
import subprocess
import tempfile
import threading
import time

from echo_process import EchoProcess

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


@contextlib.contextmanager
def syscall_count(pid):
    """`strace -c -f` attached to process `pid` for the length of a `with`
    block; yields a dict that holds {syscall: calls} once the block is left."""
    calls = {}
    with tempfile.NamedTemporaryFile(prefix="bench_strace.", suffix=".txt") as output, \
            EchoProcess(["strace", "-c", "-f", "-p", str(pid), "-o", output.name]) as strace:
        if strace.await_line("strace: Process %d attached" % pid, 10) is None:
            raise RuntimeError("strace did not attach to %d: %s" % (pid, strace.log()))
        yield calls
        strace.signal(signal.SIGINT)  # Detaches strace, which then writes its table.
        strace.wait_exit(10)
        calls.update(parse_strace_summary(pathlib.Path(output.name).read_text()))
