"""Talk to bin/instance-autoreload through the pipe it handed down to us.

One line per message (``contract.READY``, ``RESTART``, ``OFF``): ``ready`` once the watcher
runs, ``restart <reason>`` when a change can't be applied in place (the supervisor then stops
us cleanly and starts a new process), ``off <reason>`` when the runtime stays off.
"""

from __future__ import annotations

import logging
import os

from collective.autorestart.contract import FD_VARIABLE, OFF, READY, RESTART, RESTART_FRESH

log = logging.getLogger("collective.autorestart")


class SupervisorChannel:
    def __init__(self, fd: int | None) -> None:
        self.fd = fd

    @classmethod
    def from_environment(cls) -> SupervisorChannel:
        """Take the pipe for ourselves: a process that Zope starts must neither inherit it
        (it would keep the supervisor from seeing us exit) nor be told about it."""
        value = os.environ.pop(FD_VARIABLE, "")
        if not value.isdigit():
            return cls(None)
        fd = int(value)
        try:
            os.set_inheritable(fd, False)
        except OSError:
            return cls(None)  # not open: we were not started by the supervisor after all
        return cls(fd)

    def _send(self, line: str) -> bool:
        if self.fd is None:
            return False
        try:
            os.write(self.fd, (line.replace("\n", " ") + "\n").encode("utf-8", "replace"))
        except OSError as error:
            log.warning("cannot reach the supervisor (bin/instance-autoreload or runwsgi-autoreload): %s", error)
            return False
        return True

    def ready(self) -> None:
        self._send(READY)

    def off(self, reason: str) -> bool:
        """Whether the supervisor got it, and will say it."""
        return self._send("%s %s" % (OFF, reason))

    def restart(self, reason: str, word: str = RESTART) -> None:
        if self._send("%s %s" % (word, reason)):
            log.info("restart requested: %s", reason)
        else:
            log.warning("%s: stop and start bin/instance-autoreload (or runwsgi-autoreload) to apply it", reason)

    def restart_fresh(self, reason: str) -> None:
        """A restart that starts cold: the change may be held by the template too."""
        self.restart(reason, RESTART_FRESH)
