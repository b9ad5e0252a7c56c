"""Run something once the IProcessStarting notification in progress has returned.

Zope notifies IProcessStarting from its main thread, and subscribers after ours still run:
plone.reload's, which Plone loads, walks ``sys.modules`` for a second or more, and a module
imported meanwhile by one of our threads (pygame, pyinotify's lazy imports) ends Zope's start
with "dictionary changed size during iteration". So our threads start only once the main
thread has left ``notify``.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from types import CodeType, FrameType

log = logging.getLogger("collective.autorestart")

POLL_SECONDS = 0.01
# A subscriber that never returns must not keep autoreload off for good.
WAIT_LIMIT_SECONDS = 120.0


def outermost_frame(code: CodeType) -> FrameType | None:
    """The frame of the outermost call of code on this thread's stack."""
    found = None
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        if frame.f_code is code:
            found = frame
        frame = frame.f_back
    return found


def is_on_stack(frame: FrameType, thread_id: int) -> bool:
    current = sys._current_frames().get(thread_id)
    while current is not None:
        if current is frame:
            return True
        current = current.f_back
    return False


def after_notify(action: Callable[[], None], notify: Callable | None = None) -> threading.Thread | None:
    """Call action now when no notify (default: ``zope.event.notify``) is in progress on this
    thread; else from a daemon thread, once it has returned (or WAIT_LIMIT_SECONDS passed).
    Returns that thread."""
    if notify is None:
        import zope.event

        notify = zope.event.notify
    frame = outermost_frame(notify.__code__)
    if frame is None:
        action()
        return None
    thread_id = threading.get_ident()

    def wait_then_act() -> None:
        deadline = time.monotonic() + WAIT_LIMIT_SECONDS
        while is_on_stack(frame, thread_id):
            if time.monotonic() > deadline:
                log.warning(
                    "Zope's start-up notification has not returned after %.0f s; starting autoreload anyway",
                    WAIT_LIMIT_SECONDS,
                )
                break
            time.sleep(POLL_SECONDS)
        try:
            action()
        except Exception:  # noqa: B902 - a thread of ours never raises into Zope
            log.exception("starting autoreload failed; Zope serves on without it")

    thread = threading.Thread(target=wait_then_act, name="collective.autorestart start", daemon=True)
    thread.start()
    return thread
