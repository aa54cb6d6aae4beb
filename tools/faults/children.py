"""Every process the fault run starts, and the guarantee that none outlives it.

Each child starts in a session (so a process group) of its own: strace and
the server it traces share one group, and killing the group ends both even
when strace is stuck. kill_all() runs in the caller's `finally`, whatever
happened; SIGTERM and SIGINT to the tool, and the run's hard deadline
(SIGALRM), become exceptions, so that `finally` runs for them too. They are
held back while a child is being started, so that none escapes the list.

A tool killed outright (SIGKILL: the bug hunt stops a detector so) runs no
`finally`: each child is therefore started through util-linux's setpriv
with SIGKILL as its parent-death signal, so it dies with the tool; strace's
tracee dies with strace.
"""

import os
import shutil
import signal
import subprocess


class Interrupted(Exception):
    """The tool itself got SIGTERM or SIGINT."""


class OutOfTime(Exception):
    """The run's hard deadline (arm_deadline) passed."""


# While `starting` > 0 a child is being started: an exception from a signal
# waits in `held` until it is registered.
_spawn_state = {"starting": 0, "held": None}


def _raise_soon(error):
    if _spawn_state["starting"]:
        _spawn_state["held"] = _spawn_state["held"] or error
    else:
        raise error


def raise_on_stop_signals():
    """From now on, SIGTERM and SIGINT raise Interrupted in the main thread."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda n, _: _raise_soon(Interrupted("stopped by signal %d" % n)))


def arm_deadline(seconds):
    """OutOfTime is raised in the main thread `seconds` from now."""
    signal.signal(signal.SIGALRM, lambda *_: _raise_soon(OutOfTime(
        "out of time after %.0f s" % seconds)))
    signal.setitimer(signal.ITIMER_REAL, seconds)


# setpriv is in util-linux, which Debian always installs; without it,
# children are still killed on every exit but SIGKILL.
_SETPRIV = shutil.which("setpriv")
DIE_WITH_PARENT = [_SETPRIV, "--pdeathsig", "KILL", "--"] if _SETPRIV else []


class Children:
    def __init__(self):
        self._running = []

    def spawn(self, command, **kwargs):
        """subprocess.Popen(command, **kwargs) in a new session; stdin is
        /dev/null unless given."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        _spawn_state["starting"] += 1
        try:
            process = subprocess.Popen(DIE_WITH_PARENT + list(command),
                                       start_new_session=True, **kwargs)
            self._running.append(process)
        finally:
            _spawn_state["starting"] -= 1
        held, _spawn_state["held"] = _spawn_state["held"], None
        if held:
            raise held
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
