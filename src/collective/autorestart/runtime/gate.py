"""Make every reload atomic with respect to requests: none sees a half-applied reload.

A readers-writer gate: each request holds it shared while it is published, a reload holds it
alone.  Both waits are bounded, because a developer's request that hangs in a debugger must
not hold reloads back forever, and a reload that hangs must not freeze the site for good.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from collective.autorestart.watching.outcome import Outcome

log = logging.getLogger("collective.autorestart")

# A reload waits this long for the requests in flight, then goes ahead and says which.
RELOAD_PATIENCE_SECONDS = 5.0
# A request waits this long for a reload (one that hangs is restarted long before).
REQUEST_PATIENCE_SECONDS = 60.0
# Waits shorter than this are not worth a note on the reload's log line.
NOTEWORTHY_WAIT_SECONDS = 0.001


@dataclass
class Passage:
    """What one reload's turn at the gate was like, for its log line."""

    waited: float = 0.0
    waited_for: int = 0
    still_running: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        notes = []
        if self.waited_for and self.waited >= NOTEWORTHY_WAIT_SECONDS:
            notes.append("waited %.0f ms for %d request(s)" % (self.waited * 1000, self.waited_for))
        if self.still_running:
            notes.append("went ahead while still running: %s" % "; ".join(self.still_running))
        return notes


class RequestGate:
    """Writer preference: once a reload waits, new requests wait behind it, so that a
    steady stream of requests can't starve it."""

    def __init__(
        self,
        reload_patience: float = RELOAD_PATIENCE_SECONDS,
        request_patience: float = REQUEST_PATIENCE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reload_patience = reload_patience
        self.request_patience = request_patience
        self._clock = clock
        self._condition = threading.Condition()
        # Request in flight -> (what it is, when it started); keyed by a token of its own.
        self._requests: dict[object, tuple[str, float]] = {}
        self._reloads_waiting = 0
        self._reloading = False
        self._closed_for_good = False
        self._local = threading.local()

    @contextlib.contextmanager
    def request(self, what: str = "a request") -> Iterator[None]:
        # Re-entrant: a request publishing another one in its thread, or a reload whose
        # code makes a request, must not wait for itself.
        depth = getattr(self._local, "depth", 0)
        if depth or getattr(self._local, "reloading", False):
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth = depth
            return
        token = object()
        with self._condition:
            self._condition.wait_for(self._open_to_requests, timeout=self.request_patience)
            self._requests[token] = (what, self._clock())
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._condition:
                del self._requests[token]
                self._condition.notify_all()

    def _open_to_requests(self) -> bool:
        return not (self._reloading or self._reloads_waiting or self._closed_for_good)

    def _free_for_a_reload(self) -> bool:
        return not self._requests and not self._reloading

    @contextlib.contextmanager
    def reload(self) -> Iterator[Passage]:
        passage = Passage()
        started = self._clock()
        with self._condition:
            self._reloads_waiting += 1
            try:
                # One reload at a time, and none while requests of other threads run.
                passage.waited_for = len(self._requests)
                self._condition.wait_for(self._free_for_a_reload, timeout=self.reload_patience)
                now = self._clock()
                passage.still_running = [
                    "%s (running for %.1f s)" % (what, now - since) for what, since in self._requests.values()
                ]
                self._reloading = True
            finally:
                self._reloads_waiting -= 1
        passage.waited = self._clock() - started
        self._local.reloading = True
        try:
            yield passage
        finally:
            self._local.reloading = False
            with self._condition:
                self._reloading = False
                self._condition.notify_all()

    def keep_closed(self) -> None:
        """A reload that hung may go on changing the code at any moment: until the restart
        that follows, requests wait (boundedly) rather than see its work half done."""
        with self._condition:
            self._closed_for_good = True


class GatedApplier:
    """Applies a plan while no request is in flight, and says on the log line what the
    reload waited for."""

    def __init__(self, applier, gate: RequestGate) -> None:
        self.applier = applier
        self.gate = gate

    def apply(self, modules: tuple[str, ...], zcml: tuple[str, ...]) -> Outcome:
        with self.gate.reload() as passage:
            outcome = self.applier.apply(modules, zcml)
            if outcome.hung:
                self.gate.keep_closed()
        outcome.notes.extend(passage.notes())
        return outcome


def install(gate: RequestGate) -> Callable[[], None]:
    """Publish every request of this process through ``gate``; returns the undo.

    ``ZPublisher.WSGIPublisher.publish_module`` can't be wrapped (the WSGI server holds that
    function itself), but it looks ``load_app`` up at each request, and the whole of
    traversal, publishing and rendering happens inside it (a touchpoint: see touchpoints)."""
    from ZPublisher import WSGIPublisher

    original = WSGIPublisher.load_app

    @contextlib.contextmanager
    def load_app_through_gate(module_info):
        with gate.request(_current_request_line()):
            with original(module_info) as loaded:
                yield loaded

    WSGIPublisher.load_app = load_app_through_gate

    def uninstall() -> None:
        if WSGIPublisher.load_app is load_app_through_gate:
            WSGIPublisher.load_app = original

    return uninstall


def _current_request_line() -> str:
    """'GET /path' of the request being published, for the log line of a reload that had to
    go ahead while it ran."""
    try:
        from zope.globalrequest import getRequest

        request = getRequest()
        environ = getattr(request, "environ", None) or {}
        return "%s %s" % (environ.get("REQUEST_METHOD", "?"), environ.get("PATH_INFO", "/"))
    except Exception:  # noqa: B902 - a label must never fail a request
        return "a request"
