"""The oracles of a fault run, their verdicts per case, and the alarm.

The first failure of the run is announced on stderr at once, flushed, as a
line starting with "ORACLE FAILED", so that a caller (the bug hunt) can time detection from launch. Later failures are
recorded and reported, not announced again.
"""

import collections
import sys
import time


ORACLES = collections.OrderedDict([
    ("startup", "a failed startup call ends in exit status 1 with one line on stderr, "
                "or the server serves as usual"),
    ("wrong_byte", "no client ever receives a wrong byte"),
    ("no_hang", "every connection completes or is closed: none stalls, no connect is refused"),
    ("no_drop", "with no fault, or only faults that delay a call (EINTR, EAGAIN), the "
                "server closes no connection"),
    ("alive", "the server stays alive while faults are injected"),
    ("new_client", "a new client is answered after the traffic"),
    ("descriptors", "the server's descriptors return exactly to the baseline once clients leave"),
    ("sigterm", "SIGTERM still ends the server with exit status 0"),
])

PASS, FAIL, NOT_CHECKED = "pass", "FAIL", "not checked"


class Judge:
    """Verdicts of every case of a run; announces the first real failure."""

    def __init__(self, started, stream=None):
        self.started = started
        self.stream = stream or sys.stderr
        self.announced = False
        self.cases = []

    def begin(self, case_name):
        verdicts = CaseVerdicts(self, case_name)
        self.cases.append(verdicts)
        return verdicts

    def announce(self, case_name, oracle, detail):
        elapsed = time.monotonic() - self.started
        if not self.announced:
            self.announced = True
            prefix = "ORACLE FAILED (faults)"
        else:
            prefix = "faults: also failed"
        self.stream.write("%s: %s: %s [%s, %.1f s after launch]\n" % (
            prefix, oracle, detail, case_name, elapsed))
        self.stream.flush()

    def failures(self):
        return sum(case.count(FAIL) for case in self.cases)


class CaseVerdicts:
    """One case's verdict per oracle: the first failure's detail is kept."""

    def __init__(self, judge, case_name):
        self.judge, self.case_name = judge, case_name
        self.verdicts = collections.OrderedDict(
            (oracle, {"verdict": NOT_CHECKED, "detail": ""}) for oracle in ORACLES)

    def passed(self, oracle, detail=""):
        if self.verdicts[oracle]["verdict"] == NOT_CHECKED:
            self.verdicts[oracle] = {"verdict": PASS, "detail": detail}

    def failed(self, oracle, detail):
        """Records a failure (the first per oracle) and announces it."""
        if self.verdicts[oracle]["verdict"] == FAIL:
            return
        self.verdicts[oracle] = {"verdict": FAIL, "detail": detail}
        self.judge.announce(self.case_name, oracle, detail)

    def count(self, verdict):
        return sum(v["verdict"] == verdict for v in self.verdicts.values())
