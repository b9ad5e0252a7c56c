"""``kill -USR1 <pid>`` appends the stack of every thread, with names, to a file.

The seed's deadlock debugger, from the standard library.  We chain to a Python handler
already installed for SIGUSR1; the default action (terminate) is not chained to.
"""

from __future__ import annotations

import datetime
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from types import FrameType

log = logging.getLogger("collective.autorestart")


def format_dump() -> str:
    names = {thread.ident: thread for thread in threading.enumerate()}
    parts = [
        "=== thread dump %s, pid %d ===\n"
        % (datetime.datetime.now().isoformat(sep=" ", timespec="seconds"), os.getpid())
    ]
    for ident, frame in sys._current_frames().items():
        thread = names.get(ident)
        name = thread.name if thread is not None else "(unknown)"
        daemon = " daemon" if thread is not None and thread.daemon else ""
        parts.append("\nThread %r (ident %d%s):\n" % (name, ident, daemon))
        parts.extend(traceback.format_stack(frame))
    parts.append("\n")
    return "".join(parts)


def write_dump(path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # Stacks show local values and paths: only the owner may read them.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    with open(fd, "a") as dump:
        dump.write(format_dump())


def install(path: str) -> Callable[[], None]:
    """Call from the main thread (Python only runs signal handlers there).  Returns what
    puts the previous handler back."""
    previous = signal.getsignal(signal.SIGUSR1)

    def on_sigusr1(signum: int, frame: FrameType | None) -> None:
        try:
            write_dump(path)
        except OSError as error:
            log.error("thread dump: cannot write %s: %s", path, error)
        else:
            log.info("thread dump of %d threads appended to %s", threading.active_count(), path)
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGUSR1, on_sigusr1)

    def restore() -> None:
        signal.signal(signal.SIGUSR1, previous)

    return restore
