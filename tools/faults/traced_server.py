"""echo_server under strace, from launch to exit, watched through /proc.

strace runs the server as its child (the tracee); both share the process
group the tool gave strace. strace exits with the server's exit status, or
dies of the signal that killed it.
"""

import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "testing"))
import echo_process  # noqa: E402

# The first line of a sanitizer's report (ASan, LSan, UBSan).
_SANITIZER = re.compile(r"ERROR: \w+Sanitizer|runtime error:")
POLL_SECS = 0.02


class TracedServer:
    def __init__(self, children, command, env):
        self._children = children
        self._process = children.spawn(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                       env=env, text=True, errors="replace")
        self._pid = None
        self.stderr_lines = []
        self.sanitizer_report = ""  # Its first line, once one starts.
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self):
        for line in self._process.stderr:
            line = line.rstrip("\n")
            if not self.sanitizer_report and _SANITIZER.search(line):
                self.sanitizer_report = line
            self.stderr_lines.append(line)

    def wait_for_start(self, timeout):
        """("listening", port), ("exited", status) or ("timeout", None)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for line in list(self.stderr_lines):
                port = echo_process.listening_port(line)
                if port:
                    return "listening", port
            if self._process.poll() is not None:
                self._reader.join(timeout=1)
                return "exited", self._process.returncode
            time.sleep(POLL_SECS)
        return "timeout", None

    @property
    def pid(self):
        """The server's pid (strace's child), or None while there is none."""
        if self._pid is None:
            path = "/proc/%d/task/%d/children" % (self._process.pid, self._process.pid)
            try:
                children = open(path).read().split()
            except OSError:
                return None
            self._pid = int(children[0]) if children else None
        return self._pid

    def exit_status(self):
        """strace's (so the server's) exit status; None while running.
        Negative: killed by that signal."""
        return self._process.poll()

    def running(self):
        return self._process.poll() is None

    def descriptors(self):
        """{fd: what /proc says it is} of the server; {} if it is gone."""
        fd_dir = "/proc/%d/fd" % self.pid if self.pid else None
        table = {}
        try:
            names = os.listdir(fd_dir) if fd_dir else []
        except OSError:
            return table
        for name in names:
            try:
                table[int(name)] = os.readlink(os.path.join(fd_dir, name))
            except OSError:
                pass  # Closed meanwhile.
        return table

    def terminate(self, timeout):
        """SIGTERM to the server; its exit status, or None if it did not
        exit within `timeout` seconds (it is still running then)."""
        if self.pid is None or not self.running():
            return self.exit_status()
        os.kill(self.pid, signal.SIGTERM)
        try:
            return self._process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self):
        self._children.kill(self._process)
        self._reader.join(timeout=1)
