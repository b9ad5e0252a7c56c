"""Which back-end watches which root (the watcher option), and why: the start-up line says it.

``auto`` trusts events only where they come for every change: on Linux, a root on a local
filesystem (mounts.py) whose probe file sent an inotify event; elsewhere, a root whose probe
file sent a watchdog event.  Any other root is polled.  A probe written from here proves
little on a share (a write through the mount sends events where the other side's writes
don't), which is why the filesystem's type decides first.
"""

from __future__ import annotations

import os
import select
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collective.autorestart.contract import AUTO, INOTIFY, NATIVE, POLLING

if TYPE_CHECKING:
    from collective.autorestart.watching.mounts import Mount

# inotify answers a probe in about 0.5 ms, FSEvents in tens of ms: a bound far above both,
# short enough not to delay the start much where no event comes.
PROBE_BOUND_SECONDS = 0.5
PROBE_PREFIX = ".collective.autorestart-probe-"


class WatcherUnavailable(Exception):
    """The forced back-end can't run here; the message says what to set instead."""


@dataclass(frozen=True)
class Choice:
    root: str
    backend: str  # INOTIFY, NATIVE or POLLING
    reason: str


def write_probe_file(directory: str) -> str:
    """Create an empty file of a name no one else uses; the caller removes it."""
    path = os.path.join(directory, "%s%d-%s" % (PROBE_PREFIX, os.getpid(), os.urandom(4).hex()))
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    return path


def remove_probe_file(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class InotifyProbe:
    """Probes roots with one pyinotify WatchManager, which the inotify watcher then takes
    over (``manager``): pyinotify looks libc up for each manager it makes (ctypes'
    find_library, about 9 ms here), and the probes must not add that to the start."""

    def __init__(self) -> None:
        self.manager: Any = None

    def __call__(self, root: str, bound: float = PROBE_BOUND_SECONDS) -> float | None:
        """Seconds until inotify reported a probe file created in root, or None if it did
        not within bound.  OSError or pyinotify's errors if root can't be watched or written."""
        from collective.autorestart.watching.watcher import pyinotify

        if self.manager is None:
            self.manager = pyinotify.WatchManager()
        added = self.manager.add_watch(root, pyinotify.IN_CREATE, rec=False, auto_add=False, quiet=False)
        fd = self.manager.get_fd()
        try:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            started = time.perf_counter()
            probe = write_probe_file(root)
            try:
                return time.perf_counter() - started if poller.poll(bound * 1000) else None
            finally:
                remove_probe_file(probe)
        finally:
            self.manager.rm_watch(added[root], quiet=True)
            # The kernel queued the probe's events (and the removed watch's) during those
            # calls: read them here, or the watcher would warn about a watch it never knew.
            _drain(fd)

    def close(self) -> None:
        if self.manager is not None:
            self.manager.close()
            self.manager = None


def _drain(fd: int) -> None:
    import array
    import fcntl
    import termios

    pending = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, pending, True)
    if pending[0]:
        os.read(fd, pending[0])


def probe_inotify(root: str, bound: float = PROBE_BOUND_SECONDS) -> float | None:
    """One probe, with a WatchManager of its own."""
    probe = InotifyProbe()
    try:
        return probe(root, bound)
    finally:
        probe.close()


def _native_probe(root: str, bound: float) -> float | None:
    from collective.autorestart.watching.native import probe_native

    return probe_native(root, bound)


def _native_unavailable() -> str | None:
    from collective.autorestart.watching.native import available

    return available()


def choose(
    roots: tuple[str, ...],
    mode: str = AUTO,
    where: str = "watcher",
    platform: str | None = None,
    mounts: list[Mount] | None | bool = True,
    inotify_probe: Callable[[str, float], float | None] | None = None,
    native_probe: Callable[[str, float], float | None] | None = None,
    native_unavailable: Callable[[], str | None] | None = None,
) -> list[Choice]:
    """One Choice per root (real paths).  ``where`` says where the option is set, for errors
    ("watcher in buildout.cfg").  ``mounts``: True reads /proc/self/mountinfo."""
    roots = tuple(dict.fromkeys(os.path.realpath(root) for root in roots))
    platform = platform or sys.platform
    native_probe = native_probe or _native_probe
    native_unavailable = native_unavailable or _native_unavailable
    linux = platform.startswith("linux")
    if mode != AUTO:
        check_forced(mode, where, platform, native_unavailable)
        return [Choice(root, mode, "watcher = %s" % mode) for root in roots]
    if mounts is True:
        from collective.autorestart.watching.mounts import read_mounts

        mounts = read_mounts() if linux else None
    choices = [_auto(root, linux, mounts or None, inotify_probe, native_probe, native_unavailable) for root in roots]
    return _poll_nested(choices)


def check_forced(
    mode: str,
    where: str = "watcher",
    platform: str | None = None,
    native_unavailable: Callable[[], str | None] | None = None,
) -> None:
    """Raise WatcherUnavailable if the back-end the option forces can't run here: at start,
    so that the runtime says it stays off, and why."""
    platform = platform or sys.platform
    native_unavailable = native_unavailable or _native_unavailable
    if mode == INOTIFY and not platform.startswith("linux"):
        raise WatcherUnavailable(
            "watcher = inotify (%s): inotify is Linux only, this is %s. Use auto, native or polling."
            % (where, platform)
        )
    if mode == NATIVE:
        missing = native_unavailable()
        if missing is not None:
            raise WatcherUnavailable("watcher = native (%s): %s. Or use auto or polling." % (where, missing))


def _auto(root, linux, mounts, inotify_probe, native_probe, native_unavailable) -> Choice:
    kind = "local"
    if mounts is not None:
        from collective.autorestart.watching.mounts import mount_of, mounts_below

        mount = mount_of(root, mounts)
        if mount is not None:
            kind = mount.type
            if not mount.local:
                return Choice(
                    root,
                    POLLING,
                    "on a %s filesystem (%s), whose changes made elsewhere send no events" % (mount.type, mount.point),
                )
        for below in mounts_below(root, mounts):
            if not below.local:
                return Choice(
                    root,
                    POLLING,
                    "holds a %s filesystem (%s), whose changes made elsewhere send no events"
                    % (below.type, below.point),
                )
    if linux:
        backend, name, probe = INOTIFY, "inotify", inotify_probe or probe_inotify
    else:
        missing = native_unavailable()
        if missing is not None:
            return Choice(root, POLLING, missing)
        backend, name, probe = NATIVE, "watchdog", native_probe
    try:
        seconds = probe(root, PROBE_BOUND_SECONDS)
    except Exception as error:  # noqa: B902 - whatever keeps events from coming: poll
        if isinstance(error, PermissionError) and mounts is not None:
            # A root we may not write to: its local filesystem alone speaks for it.
            return Choice(root, backend, "%s, not probed: %s" % (kind, error))
        return Choice(root, POLLING, "%s can't watch it (%s: %s)" % (name, type(error).__name__, error))
    if seconds is None:
        return Choice(
            root,
            POLLING,
            "a probe file written there sent no %s event within %d ms" % (name, PROBE_BOUND_SECONDS * 1000),
        )
    return Choice(root, backend, "%s, a probe event in %.1f ms" % (kind, seconds * 1000))


def _poll_nested(choices: list[Choice]) -> list[Choice]:
    """A root inside a polled root, or holding one, is polled too: two back-ends over the
    same files would each report them."""
    polled = [choice.root for choice in choices if choice.backend == POLLING]
    result = []
    for choice in choices:
        if choice.backend != POLLING:
            for other in polled:
                if _nested(choice.root, other):
                    choice = Choice(choice.root, POLLING, "polled with %s, which it is nested with" % other)
                    break
        result.append(choice)
    return result


def _nested(one: str, other: str) -> bool:
    return one.startswith(other + os.sep) or other.startswith(one + os.sep)


def describe(choices: list[Choice], interval: float) -> str:
    """For the start-up line: each root with its back-end and why."""
    labels = {INOTIFY: "inotify", NATIVE: "native events", POLLING: "polled every %d ms" % round(interval * 1000)}
    return ", ".join("%s [%s: %s]" % (choice.root, labels[choice.backend], choice.reason) for choice in choices)
