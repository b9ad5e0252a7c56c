"""Recursive inotify watches on the watch roots, through pyinotify.

The caller owns the loop: it polls ``fileno()`` (beside its own wake-up pipe, so that
stopping never waits for a poll timeout) and calls ``read()`` when it is readable.
"""
from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter


with warnings.catch_warnings():
    # On 3.11 pyinotify's import of asyncore warns; bin/instance fg turns warnings on.
    warnings.simplefilter("ignore", DeprecationWarning)
    import pyinotify


log = logging.getLogger("collective.autorestart")

MASK = (
    pyinotify.IN_CLOSE_WRITE
    | pyinotify.IN_CREATE
    | pyinotify.IN_DELETE
    | pyinotify.IN_MOVED_FROM
    | pyinotify.IN_MOVED_TO
    | pyinotify.IN_MOVE_SELF  # lets pyinotify keep the paths of moved directories right
)
GONE = pyinotify.IN_DELETE | pyinotify.IN_MOVED_FROM
LIMIT_FILE = "/proc/sys/fs/inotify/max_user_watches"
VENV_MARKER = "pyvenv.cfg"


@dataclass(frozen=True)
class WatchStats:
    directories: int
    files: int
    seconds: float
    limit_reached: bool
    changed_before: int = 0  # files found changed since the time given to start()


class Watcher:
    def __init__(
        self,
        roots: tuple[str, ...],
        path_filter: PathFilter,
        on_change: Callable[[str, Change], None],
        on_overflow: Callable[[], None],
    ) -> None:
        self.roots = tuple(os.path.realpath(root) for root in roots)
        self.filter = path_filter
        self.on_change = on_change
        self.on_overflow = on_overflow
        self._manager = pyinotify.WatchManager()
        self._notifier = pyinotify.Notifier(self._manager, default_proc_fun=self._dispatch)
        self._limit_reported = False

    def fileno(self) -> int:
        return self._manager.get_fd()

    def start(self, changed_since: float | None = None) -> WatchStats:
        """Watch every directory below the roots.  With ``changed_since`` (a ``time.time()``),
        also report the files modified since then: a save made before the watch on its
        directory existed would otherwise be lost.  The watch is added first, so a save
        during the walk is seen one way or the other."""
        started = time.perf_counter()
        directories = files = changed = 0
        limit_reached = False
        for root in self.roots:
            for directory, filenames in self._walk(root):
                if not self._add(directory):
                    limit_reached = True
                    break
                directories += 1
                files += len(filenames)
                if changed_since is not None:
                    changed += self._report_modified(directory, filenames, changed_since)
            if limit_reached:
                break
        return WatchStats(directories, files, time.perf_counter() - started, limit_reached, changed)

    def _report_modified(self, directory: str, filenames: list[str], since: float) -> int:
        count = 0
        for name in filenames:
            path = os.path.join(directory, name)
            try:
                modified = os.stat(path).st_mtime
            except OSError:
                continue  # deleted meanwhile: its event is queued
            if modified >= since and not self.filter.path_excluded(path):
                self.on_change(path, Change.CHANGED)
                count += 1
        return count

    def _add(self, directory: str) -> bool:
        try:
            self._manager.add_watch(
                directory,
                MASK,
                rec=False,
                auto_add=True,
                exclude_filter=self.filter.excludes_directory,
                quiet=False,
            )
        except pyinotify.WatchManagerError as error:
            if not os.path.isdir(directory):
                return True  # deleted while we walked: nothing to watch, not a limit
            self._report_limit(directory, error)
            return False
        return True

    def _report_limit(self, directory: str, error: Exception) -> None:
        if self._limit_reported:
            return
        self._limit_reported = True
        try:
            with open(LIMIT_FILE) as limit_file:
                limit = limit_file.read().strip()
        except OSError:
            limit = "?"
        log.error(
            "inotify watch limit reached (fs.inotify.max_user_watches = %s) at %s: changes"
            " below it are not seen. Raise it with: sudo sysctl fs.inotify.max_user_watches=524288"
            " (%s)",
            limit,
            directory,
            error,
        )

    def read(self) -> None:
        """Read what the kernel has queued and dispatch it; call when fileno() is readable."""
        self._notifier.read_events()
        self._notifier.process_events()

    def _dispatch(self, event: pyinotify.Event) -> None:
        mask = event.mask
        if mask & pyinotify.IN_Q_OVERFLOW:
            self.on_overflow()
            return
        path = event.pathname
        if mask & pyinotify.IN_ISDIR:
            # pyinotify's auto-add reports what a newly created directory already holds as
            # creations of its own; a directory moved in arrives with no events for its files.
            if mask & pyinotify.IN_MOVED_TO and not self.filter.excludes_directory(path):
                self._report_tree(path)
            return
        if not self.filter.accepts_file(path):
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("inotify %s %s", event.maskname, path)
        self.on_change(path, Change.DELETED if mask & GONE else Change.CHANGED)

    def _report_tree(self, top: str) -> None:
        for directory, filenames in self._walk(top):
            for name in filenames:
                path = os.path.join(directory, name)
                if not self.filter.path_excluded(path):
                    self.on_change(path, Change.CHANGED)

    def _walk(self, top: str) -> Iterator[tuple[str, list[str]]]:
        """Each directory below top that is not excluded, with the names of its files that
        pass the name filter.  Cheaper than os.walk: one scandir per directory, no stat.
        A Python environment (a directory holding pyvenv.cfg) is never code we edit."""
        excludes_directory = self.filter.excludes_directory
        accepts_name = self.filter.accepts_name
        pending = [top]
        while pending:
            directory = pending.pop()
            names = []
            below = []
            environment = False
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        try:
                            is_directory = entry.is_dir(follow_symlinks=False)
                        except OSError:
                            continue
                        if is_directory:
                            if not excludes_directory(entry.path):
                                below.append(entry.path)
                        elif accepts_name(entry.name):
                            names.append(entry.name)
                        elif entry.name == VENV_MARKER and directory != top:
                            environment = True
                            break
            except OSError:
                continue  # deleted while we walked, or unreadable: nothing to watch
            if not environment:
                pending.extend(below)
                yield directory, names

    def close(self) -> None:
        try:
            self._notifier.stop()
        except OSError:
            pass
