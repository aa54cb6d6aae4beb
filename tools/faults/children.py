"""Every process the fault run starts, and the guarantee that none outlives it.

Each child has a process group of its own (strace shares it with its
tracee), killed whole even when strace is stuck. kill_all() runs in the
caller's `finally`, which SIGTERM, SIGINT and the hard deadline reach as
exceptions, held back while a child starts so that none escapes the list.
A tool killed by SIGKILL (the bug hunt stops a detector so) runs no
`finally`: children get SIGKILL as their parent-death signal (setpriv).
"""

import os
import shutil
import signal
import subprocess


class Interrupted(Exception):
    """The tool itself got SIGTERM or SIGINT."""


class OutOfTime(Exception):
    """The run's hard deadline passed."""


# setpriv is in util-linux, which Debian always installs; without it,
# children are still killed on every exit but SIGKILL.
_SETPRIV = shutil.which("setpriv")
DIE_WITH_PARENT = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []
# While a child is being started, the exception of a signal waits here.
_held = {"starting": False, "error": None}


def _raise_soon(error):
    if not _held["starting"]:
        raise error
    _held["error"] = _held["error"] or error


def raise_on_signals(deadline_secs):
    """From now on SIGTERM and SIGINT raise Interrupted in the main thread,
    and OutOfTime is raised there `deadline_secs` from now."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda n, _: _raise_soon(Interrupted("stopped by signal %d" % n)))
    signal.signal(signal.SIGALRM, lambda *_: _raise_soon(
        OutOfTime("out of time after %.0f s" % deadline_secs)))
    signal.setitimer(signal.ITIMER_REAL, deadline_secs)


class Children:
    def __init__(self):
        self._running = []

    def spawn(self, command, **kwargs):
        """subprocess.Popen(command, **kwargs) in a new session, reading
        /dev/null, dying with the tool."""
        _held["starting"] = True
        try:
            process = subprocess.Popen(DIE_WITH_PARENT + list(command), stdin=subprocess.DEVNULL,
                                       start_new_session=True, **kwargs)
            self._running.append(process)
        finally:
            _held["starting"] = False
        error, _held["error"] = _held["error"], None
        if error:
            raise error
        return process

    def kill(self, process):
        """SIGKILL to the process's group (members may outlive its leader;
        Linux reuses no id still naming a group), then reaps it."""
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
        self.forget(process)

    def forget(self, process):
        """Stops tracking a process that has exited and been reaped."""
        if process in self._running:
            self._running.remove(process)

    def kill_all(self):
        for process in list(self._running):
            self.kill(process)
