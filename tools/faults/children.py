"""Every process the fault run starts, and the guarantee that none outlives it.

Each child starts in a session (so a process group) of its own: strace and
the server it traces share one group, and killing the group ends both even
when strace is stuck. kill_all() runs in the caller's `finally`, whatever
happened; SIGTERM and SIGINT to the tool become an exception, so that
`finally` runs for them too.
"""

import os
import signal
import subprocess


class Interrupted(Exception):
    """The tool itself got SIGTERM or SIGINT."""


def _raise_interrupted(signum, _frame):
    raise Interrupted("stopped by signal %d" % signum)


def raise_on_stop_signals():
    """From now on, SIGTERM and SIGINT raise Interrupted in the main thread."""
    signal.signal(signal.SIGTERM, _raise_interrupted)
    signal.signal(signal.SIGINT, _raise_interrupted)


class Children:
    def __init__(self):
        self._running = []

    def spawn(self, command, **kwargs):
        """subprocess.Popen(command, **kwargs) in a new session; stdin is
        /dev/null unless given."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        process = subprocess.Popen(command, start_new_session=True, **kwargs)
        self._running.append(process)
        return process

    def kill(self, process):
        """SIGKILL to the process's group (members may outlive its leader;
        Linux reuses no id still naming a group), then reaps it."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        if process in self._running:
            self._running.remove(process)

    def forget(self, process):
        """Stops tracking a process that has exited and been reaped."""
        if process in self._running:
            self._running.remove(process)

    def kill_all(self):
        for process in list(self._running):
            self.kill(process)
