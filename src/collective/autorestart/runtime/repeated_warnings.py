"""Log once what every full ZCML reload repeats about other people's code.

A full reload re-runs every directive of Zope, Plone and the add-ons, and each run logs the
same warnings ("Conflicting security declarations", deprecations) that the developer can do
nothing about.  Lines that name one of the watched files always pass: those are theirs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from collective.autorestart.watching.roots import under_roots

# Set on a record the first time its text is let through, so that the other handlers, each
# with the same filter, let it through too.
FIRST_TIME = "collective_autorestart_first_time"


class RepeatedWarnings(logging.Filter):
    def __init__(self, roots: tuple[str, ...]) -> None:
        super().__init__()
        self.roots = under_roots(roots)
        self._seen: set[tuple[str, str]] = set()
        self._thread: int | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if record.thread != self._thread or record.levelno >= logging.ERROR:
            return True
        if getattr(record, FIRST_TIME, False):
            return True
        try:
            text = record.getMessage()
        except Exception:  # noqa: B902 - a bad record is the logging module's to report
            return True
        if any(root in text for root in self.roots):
            return True
        key = (record.name, text)
        if key in self._seen:
            return False
        self._seen.add(key)
        setattr(record, FIRST_TIME, True)
        return True

    @contextlib.contextmanager
    def applied(self) -> Iterator[None]:
        """While the calling thread reloads ZCML: on the handlers of the root logger, where
        the lines of every logger that propagates end up."""
        handlers = list(logging.getLogger().handlers)
        self._thread = threading.get_ident()
        for handler in handlers:
            handler.addFilter(self)
        try:
            yield
        finally:
            for handler in handlers:
                handler.removeFilter(self)
            self._thread = None
