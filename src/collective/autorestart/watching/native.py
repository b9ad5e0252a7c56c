"""The platform's native file events through watchdog: FSEvents on macOS, kqueue on the BSDs,
ReadDirectoryChangesW on Windows, and inotify on Linux, where its InotifyObserver lets the
tests here run the very adapter the other platforms run.

watchdog calls its handlers on its own threads; they only filter and queue.  Everything the
service sees (on_change, on_overflow, the walks of new directories) happens on the service's
thread, in read(), when the pipe that fileno() returns is readable.
"""

from __future__ import annotations

import errno
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from collective.autorestart.watching.backend import OnChange, OnOverflow, WatchStats
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.choose import remove_probe_file, write_probe_file
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.roots import VENV_MARKER
from collective.autorestart.watching.tree import SourceTree, report_modified

try:
    import watchdog.events
    import watchdog.observers
except ImportError as error:  # an optional part: available() says why, nothing fails here
    if isinstance(error, ModuleNotFoundError) and error.name == "watchdog":
        _IMPORT_ERROR: str | None = "watchdog is not installed: add collective.autorestart[native] to the eggs"
    else:
        _IMPORT_ERROR = "watchdog can't be imported (%s)" % error
else:
    _IMPORT_ERROR = None

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver, ObservedWatch

    # An observer class (watchdog.observers.Observer is the platform's best), or a factory.
    ObserverClass = Callable[[], BaseObserver]

log = logging.getLogger("collective.autorestart")

# How long close() and the probe wait for watchdog's threads.
JOIN_SECONDS = 1.0


def available() -> str | None:
    """None if the native back-end can start here, else why not (for the start-up line)."""
    if _IMPORT_ERROR is not None:
        return _IMPORT_ERROR
    from watchdog.observers.polling import PollingObserver

    if watchdog.observers.Observer is PollingObserver:  # its fallback where it knows no other
        return "watchdog has no native observer for this platform"
    return None


# What the handler queues for read(): a file's change, or a directory that appeared, went
# away, or moved (its files are walked or forgotten on the service's thread), or lost events.
FILE = "file"
DIRECTORY_NEW = "directory new"
DIRECTORY_GONE = "directory gone"
LOST = "lost"

# The events that matter: neither opened nor closed-without-writing (on Linux, every read of
# every file in the tree would wake watchdog up), nor a directory's modification (its entries'
# own events tell what changed).
WANTED_EVENTS = (
    (
        watchdog.events.FileCreatedEvent,
        watchdog.events.FileModifiedEvent,
        watchdog.events.FileAttribEvent,
        watchdog.events.FileClosedEvent,
        watchdog.events.FileDeletedEvent,
        watchdog.events.FileMovedEvent,
        watchdog.events.DirCreatedEvent,
        watchdog.events.DirDeletedEvent,
        watchdog.events.DirMovedEvent,
        watchdog.events.EventsLostEvent,
    )
    if _IMPORT_ERROR is None
    else ()
)


def _observer_class(observer_class: ObserverClass | None) -> ObserverClass:
    if observer_class is not None:
        return observer_class
    return cast("ObserverClass", watchdog.observers.Observer)


class NativeWatcher:
    """A recursive watchdog watch per root (and per symlinked directory followed outside the
    roots), the filter applied on watchdog's thread so that excluded trees cost no wake-up."""

    def __init__(
        self,
        roots: tuple[str, ...],
        path_filter: PathFilter,
        on_change: OnChange,
        on_overflow: OnOverflow,
        observer_class: ObserverClass | None = None,
    ) -> None:
        reason = available()
        if reason is not None and (observer_class is None or _IMPORT_ERROR is not None):
            raise RuntimeError(reason)
        self.tree = SourceTree(roots, path_filter)
        self.roots = self.tree.roots
        self.followed = self.tree.followed
        self.filter = path_filter
        self.on_change = on_change
        self.on_overflow = on_overflow
        self.missing_roots: set[str] = set()
        self._observer = _observer_class(observer_class)()
        self.name = "native (%s)" % type(self._observer).__name__
        self._watches: dict[str, ObservedWatch] = {}
        # The watched directories as watchdog's thread reads them: replaced, never changed.
        self._tops: tuple[str, ...] = ()
        # Files reported or found by a walk: what a directory that went away held, for an
        # observer that reports the directory alone (inotify's, for one moved out of the tree).
        self._known: set[str] = set()
        self._pending: queue.SimpleQueue[tuple[str, str, Change]] = queue.SimpleQueue()
        self._read_end, self._write_end = os.pipe()
        os.set_blocking(self._read_end, False)
        os.set_blocking(self._write_end, False)
        self._woken = threading.Event()  # a byte is in the pipe: write no other
        self._relay = _Relay(self)
        self._closed = False

    # -- the service's side -------------------------------------------------------------

    def fileno(self) -> int:
        return self._read_end

    def start(self, changed_since: float | None = None) -> WatchStats:
        """Watch each root, then walk it: a file saved during the walk is listed, or its
        event comes, or both.  With ``changed_since`` (a ``time.time()``), also report the
        files modified since then, saved before the watch existed."""
        started = time.perf_counter()
        self._observer.start()
        directories = files = changed = 0
        limit_reached = False
        for root in self.roots:
            if not os.path.isdir(root):
                self.missing_roots.add(root)
                log.warning("watch root %s does not exist: watching it once it is there", root)
                continue
            try:
                self._schedule(root)
            except OSError as error:
                if error.errno not in (errno.ENOSPC, errno.EMFILE):
                    raise
                log.error("%s can't watch %s: %s (the watch limit?)", self.name, root, error)
                limit_reached = True
                continue
            for directory, filenames in self._walk(root):
                directories += 1
                files += len(filenames)
                if changed_since is not None:
                    changed += self._report_modified(directory, filenames, changed_since)
        return WatchStats(
            directories,
            files,
            time.perf_counter() - started,
            limit_reached,
            changed,
            tuple(self.followed),
        )

    def due(self) -> float | None:
        return None  # events only

    def tick(self, now: float) -> None:
        pass

    def read(self) -> None:
        """Deliver what watchdog queued; call when fileno() is readable."""
        # The bytes first, then the flag, then the queue: an event queued after the flag is
        # cleared writes a byte of its own, one queued before is drained below.
        try:
            os.read(self._read_end, 4096)
        except BlockingIOError:
            pass
        self._woken.clear()
        while True:
            try:
                kind, path, change = self._pending.get_nowait()
            except queue.Empty:
                return
            if kind == FILE:
                self._deliver(path, change)
            elif kind == DIRECTORY_NEW:
                self._report_tree(path)
            elif kind == DIRECTORY_GONE:
                self._forget_tree(path)
            else:
                self.on_overflow()

    def check_missing_roots(self) -> None:
        for root in sorted(self.missing_roots):
            if os.path.isdir(root):
                self.missing_roots.discard(root)
                log.info("watch root %s is there: watching it", root)
                self._schedule(root)
                self._report_tree(root)  # every file counts as changed: it may hold other code

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _stop(self._observer)
        os.close(self._read_end)
        os.close(self._write_end)

    # -- walks and bookkeeping, on the service's thread -----------------------------------

    def _schedule(self, top: str) -> None:
        handler = cast("watchdog.events.FileSystemEventHandler", self._relay)
        # Known to the handler first: the first events may come before schedule() returns.
        self._tops = (*self._watches, top)
        try:
            self._watches[top] = self._observer.schedule(handler, top, recursive=True, event_filter=list(WANTED_EVENTS))
        finally:
            self._tops = tuple(self._watches)

    def _walk(self, top: str) -> list[tuple[str, list[str]]]:
        """The tree below top, remembering its files; a symlinked directory the walk follows
        gets a watch of its own (a recursive watch does not follow links)."""
        followed = len(self.followed)
        listing = list(self.tree.walk(top))
        for directory, filenames in listing:
            self._known.update(os.path.join(directory, name) for name in filenames)
        for target in self.followed[followed:]:
            if target not in self._watches:
                try:
                    self._schedule(target)
                except OSError as error:
                    log.warning("%s can't watch the followed directory %s: %s", self.name, target, error)
        return listing

    def _report_modified(self, directory: str, filenames: list[str], since: float) -> int:
        return report_modified(directory, filenames, since, self.filter, self.on_change)

    def _report_tree(self, top: str) -> None:
        """A directory that appeared (created, moved in, a root back): its files may have been
        written before watchdog watched it."""
        for directory, filenames in self._walk(top):
            for name in filenames:
                path = os.path.join(directory, name)
                if not self.filter.path_excluded(path):
                    self.on_change(path, Change.CHANGED)

    def _forget_tree(self, top: str) -> None:
        """A directory deleted or moved away: what we knew under it is gone.  Observers that
        report each file too make this a repetition, which the batcher absorbs."""
        below = top + os.sep
        for path in sorted(path for path in self._known if path.startswith(below)):
            self._deliver(path, Change.DELETED)
        if top in self.roots and top in self._watches:
            self._lose_root(top)

    def _lose_root(self, root: str) -> None:
        watch = self._watches.pop(root)
        self._tops = tuple(self._watches)
        try:
            self._observer.unschedule(watch)
        except (KeyError, OSError, RuntimeError):
            pass  # the emitter stopped with its directory
        self.missing_roots.add(root)
        log.warning("watch root %s was moved away or deleted: watching it again once it is back", root)
        self.check_missing_roots()

    def _deliver(self, path: str, change: Change) -> None:
        if change is Change.DELETED:
            self._known.discard(path)
        else:
            self._known.add(path)
        self.on_change(path, change)

    # -- watchdog's side: filter, queue, wake the service up ---------------------------------

    def _queue(self, kind: str, path: str, change: Change = Change.CHANGED) -> None:
        self._pending.put((kind, path, change))
        if not self._woken.is_set():
            self._woken.set()
            try:
                os.write(self._write_end, b"!")
            except (BlockingIOError, OSError):
                pass  # full (the service is behind: it will read) or closed (we are stopping)

    def _top(self, path: str) -> str | None:
        """The watched root (or followed directory) path lies under, the deepest one."""
        tops = [top for top in self._tops if path == top or path.startswith(top + os.sep)]
        return max(tops, key=len) if tops else None

    def _excluded(self, path: str, top: str) -> bool:
        """Whether a directory between top and path (path itself included) is excluded, or
        is a Python environment, as the walk would have judged."""
        excludes_directory = self.filter.excludes_directory
        directory = path
        while directory != top and directory.startswith(top + os.sep):
            if excludes_directory(directory) or os.path.exists(os.path.join(directory, VENV_MARKER)):
                return True
            directory = os.path.dirname(directory)
        return False

    def on_file(self, path: str, change: Change) -> None:
        top = self._top(path)
        if top is None or not self.filter.accepts_file(path):
            return
        if self._excluded(os.path.dirname(path), top):
            return
        self._queue(FILE, path, change)

    def on_directory(self, kind: str, path: str) -> None:
        top = self._top(path)
        if top is None:
            return
        if kind == DIRECTORY_NEW and self._excluded(path, top):
            return
        self._queue(kind, path)

    def on_lost(self) -> None:
        self._queue(LOST, "")


class _Relay:
    """What watchdog calls (in place of a FileSystemEventHandler, which would need watchdog
    imported to define): each event, mapped to our changes.  There is no CREATED: FSEvents
    and kqueue send no close after the write, so a file would wait in CREATED for nothing."""

    def __init__(self, watcher: NativeWatcher) -> None:
        self.watcher = watcher

    def dispatch(self, event: Any) -> None:
        kind = event.event_type
        watcher = self.watcher
        source = os.fsdecode(event.src_path)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("watchdog %s %s %s", kind, source, os.fsdecode(event.dest_path))
        if kind == "events_lost":
            watcher.on_lost()
        elif event.is_directory:
            if kind in ("deleted", "moved"):
                watcher.on_directory(DIRECTORY_GONE, source)
            if kind == "moved" and event.dest_path:
                watcher.on_directory(DIRECTORY_NEW, os.fsdecode(event.dest_path))
            elif kind == "created":
                watcher.on_directory(DIRECTORY_NEW, source)
        elif kind == "moved":
            if source:
                watcher.on_file(source, Change.DELETED)
            if event.dest_path:
                watcher.on_file(os.fsdecode(event.dest_path), Change.CHANGED)
        elif kind == "deleted":
            watcher.on_file(source, Change.DELETED)
        elif kind in ("created", "modified", "closed", "attrib"):
            watcher.on_file(source, Change.CHANGED)


def probe_native(root: str, bound_seconds: float, observer_class: ObserverClass | None = None) -> float | None:
    """Seconds the native observer took to report a file created in root, or None if it
    reported nothing within bound_seconds (a share that forwards no events).  The file is
    always removed.  OSError: root can't be watched or written to; the caller decides."""
    seen = threading.Event()
    probe: list[str] = []

    class Probe:
        def dispatch(self, event: Any) -> None:
            if probe and probe[0] in (os.fsdecode(event.src_path), os.fsdecode(event.dest_path)):
                seen.set()

    observer = _observer_class(observer_class)()
    handler = cast("watchdog.events.FileSystemEventHandler", Probe())
    try:
        observer.schedule(handler, root, recursive=False)
        observer.start()
        written = time.perf_counter()
        probe.append(write_probe_file(root))
        # Removed only once seen or given up on: an observer that compares directory
        # listings (kqueue's) would never see a file that came and went in between.
        if seen.wait(bound_seconds):
            return time.perf_counter() - written
        return None
    finally:
        if probe:
            remove_probe_file(probe[0])
        _stop(observer)


def _stop(observer: BaseObserver) -> None:
    """Stop and join, also an observer whose start failed: schedule() may have started
    threads of its own (the inotify reader)."""
    observer.stop()
    if observer.is_alive():
        observer.join(JOIN_SECONDS)
