"""Never silently off: has the runtime reported in since the instance started?

A started runtime sends ``ready`` or ``off <reason>``.  One that never ran sends nothing,
while Zope serves on as if all were well.  So once the instance serves (it has accepted a
connection, ``ports.ServingProbe``) and GRACE_SECONDS have passed without a word, the
supervisor looks for the cause (``diagnosis``) and says it in one ERROR line.  Nothing here
blocks: the supervisor's loop calls ``tick()`` and waits at most ``wait_seconds()`` for the
next call.
"""

import logging

from collective.autorestart.supervisor.ports import ServingProbe

log = logging.getLogger("collective.autorestart.supervisor")

# Setting up the watches of a Plone-sized tree takes a fraction of a second.
GRACE_SECONDS = 5.0
# Without a known address, the time from the start instead: a Plone site starts in seconds.
NO_ADDRESS_SECONDS = 60.0
PROBE_SECONDS = 0.25
OFF = "autoreload is off: %s"


class ReportIn:
    def __init__(self, listen, diagnosis, say_off, started):
        self.listen = listen  # (host, port), or None when the wsgi.ini did not tell
        self.diagnosis = diagnosis  # diagnosis.Diagnosis, or None: no causes looked for
        self.say_off = say_off  # say_off(message): the one ERROR line, and the sound
        self.started = started
        self.serving_since = None
        self.reported = False
        self.said_off = None  # when we said it
        self.check = None
        self._probe = ServingProbe(*listen) if listen is not None else None
        self._next_probe = started

    @property
    def _deadline(self):
        if self.listen is None:
            return self.started + NO_ADDRESS_SECONDS
        if self.serving_since is None:
            return None
        return self.serving_since + GRACE_SECONDS

    def wait_seconds(self, now):
        """How long the loop may wait before tick() has something to do."""
        if self.reported or self.said_off is not None:
            return float("inf")
        if self.check is not None:
            return max(0.0, min(self.check.deadline, now + PROBE_SECONDS) - now)
        deadline = self._deadline
        if deadline is None:
            return max(0.0, self._next_probe - now)
        return max(0.0, deadline - now)

    def tick(self, now):
        if self.reported or self.said_off is not None:
            return
        if self.check is not None:
            if self.check.done(now):
                self._say_why(now)
            return
        if self._probe is not None and self.serving_since is None:
            if now < self._next_probe:
                return
            self._next_probe = now + PROBE_SECONDS
            if not self._probe.serving():
                return
            self.serving_since = now
        if now < self._deadline:
            return
        if self.diagnosis is None:
            self._say_why(now)
        else:
            self.check = self.diagnosis.start_check()

    def _say_why(self, now):
        causes = []
        if self.diagnosis is not None:
            check, self.check = self.check, None
            causes = self.diagnosis.causes(check.report() if check is not None else {})
        if self.listen is None:
            late = "within %g s of the instance's start" % NO_ADDRESS_SECONDS
        else:
            late = "within %g s of the instance serving on %s:%d" % ((GRACE_SECONDS,) + tuple(self.listen))
        self._off(
            "the runtime did not start %s, and Zope serves without it: %s"
            % (late, "; ".join(causes) or "no cause found, look for an error above"),
            now,
        )

    def off(self, reason, now):
        """The runtime said that it stays off, and why."""
        self._reported()
        self._off(reason, now)

    def ready(self, now):
        self._reported()
        if self.said_off is not None:
            log.info("autoreload is on after all: the runtime reported in %.1f s later", now - self.said_off)

    def _off(self, reason, now):
        if self.said_off is None:
            self.said_off = now
            self.say_off(OFF % reason)

    def close(self):
        self._stop_check()
        if self._probe is not None:
            self._probe.close()

    def _reported(self):
        self.reported = True
        self.close()

    def _stop_check(self):
        check, self.check = self.check, None
        if check is not None:
            check.stop()
