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

from collective.autorestart.watching.backend import WatchStats
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.tree import SourceTree, report_modified

with warnings.catch_warnings():
    # On 3.11 pyinotify's import of asyncore warns; bin/instance fg turns warnings on.
    warnings.simplefilter("ignore", DeprecationWarning)
    import pyinotify


log = logging.getLogger("collective.autorestart")


class _MovedAwayFilter(logging.Filter):
    """pyinotify calls a watch whose directory moved out of the tree untrustworthy, at ERROR;
    for a root we re-watch the path (``_lose_root``), and a directory moved out is no longer
    ours: neither is an error the user can do anything about."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("The pathname ")


pyinotify.log.addFilter(_MovedAwayFilter())

MASK = (
    pyinotify.IN_CLOSE_WRITE
    | pyinotify.IN_CREATE
    | pyinotify.IN_DELETE
    | pyinotify.IN_MOVED_FROM
    | pyinotify.IN_MOVED_TO
    | pyinotify.IN_MOVE_SELF  # lets pyinotify keep the paths of moved directories right
    | pyinotify.IN_DELETE_SELF  # a watch root that goes away
)
GONE = pyinotify.IN_DELETE | pyinotify.IN_MOVED_FROM
NEW_DIRECTORY = pyinotify.IN_CREATE | pyinotify.IN_MOVED_TO
SELF_GONE = pyinotify.IN_MOVE_SELF | pyinotify.IN_DELETE_SELF
LIMIT_FILE = "/proc/sys/fs/inotify/max_user_watches"


class Watcher:
    """Watches every directory itself (not through pyinotify's auto_add, which hides the
    watch limit and rescans a new directory with a lookup per entry that costs as much as
    all watches)."""

    name = "inotify"

    def __init__(
        self,
        roots: tuple[str, ...],
        path_filter: PathFilter,
        on_change: Callable[[str, Change], None],
        on_overflow: Callable[[], None],
        manager: pyinotify.WatchManager | None = None,
    ) -> None:
        """``manager``: the one that probed the roots (choose.InotifyProbe), taken over."""
        self.tree = SourceTree(roots, path_filter)
        self.roots = self.tree.roots
        self.filter = path_filter
        self.on_change = on_change
        self.on_overflow = on_overflow
        self.followed = self.tree.followed
        # Roots that were moved away or deleted: watched again once a directory is there.
        self.missing_roots: set[str] = set()
        self._manager = manager if manager is not None else pyinotify.WatchManager()
        self._notifier = pyinotify.Notifier(self._manager, default_proc_fun=self._dispatch)
        self._root_wds: dict[int, str] = {}
        self._limit_reported: set[str] = set()

    def fileno(self) -> int:
        return self._manager.get_fd()

    def start(self, changed_since: float | None = None) -> WatchStats:
        """Watch every directory below the roots.  With ``changed_since`` (a ``time.time()``),
        also report the files modified since then: a save made before the watch on its
        directory existed would otherwise be lost.  The watch is added first, so a save
        during the walk is seen one way or the other."""
        started = time.perf_counter()
        directories = files = changed = 0
        at_limit: list[str] = []

        def add(directory: str) -> bool:
            if self._add(directory):
                return True
            at_limit.append(directory)
            return False

        for root in self.roots:
            for directory, filenames in self._walk(root, add):
                directories += 1
                files += len(filenames)
                if changed_since is not None:
                    changed += self._report_modified(directory, filenames, changed_since)
            if at_limit:
                break
        return WatchStats(
            directories,
            files,
            time.perf_counter() - started,
            bool(at_limit),
            changed,
            tuple(self.followed),
        )

    def _report_modified(self, directory: str, filenames: list[str], since: float) -> int:
        return report_modified(directory, filenames, since, self.filter, self.on_change)

    def _add(self, directory: str) -> bool:
        try:
            added = self._manager.add_watch(directory, MASK, rec=False, auto_add=False, quiet=False)
        except pyinotify.WatchManagerError as error:
            if not os.path.isdir(directory):
                return True  # deleted while we walked: nothing to watch, not a limit
            self._report_limit(directory, error)
            return False
        if directory in self.roots:
            self._root_wds[added[directory]] = directory
        return True

    def _report_limit(self, directory: str, error: Exception) -> None:
        if directory in self._limit_reported:
            return
        self._limit_reported.add(directory)
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

    def due(self) -> float | None:
        return None  # events only

    def tick(self, now: float) -> None:
        pass

    def read(self) -> None:
        """Read what the kernel has queued and dispatch it; call when fileno() is readable."""
        self._notifier.read_events()
        self._notifier.process_events()

    def _dispatch(self, event: pyinotify.Event) -> None:
        mask = event.mask
        if mask & pyinotify.IN_Q_OVERFLOW:
            self.on_overflow()
            self._watch_unwatched()
            return
        if mask & SELF_GONE:
            root = self._root_wds.get(event.wd)
            if root is not None:
                self._lose_root(root)
            return
        path = event.pathname
        if mask & pyinotify.IN_ISDIR:
            if mask & NEW_DIRECTORY and not self.filter.excludes_directory(path):
                # What it holds was written before its watch existed.  A directory moved
                # within the tree is watched already: pyinotify renames its watches.
                moved_within = getattr(event, "src_pathname", None) is not None
                self._watch_tree(path, add=not moved_within)
            return
        if not self.filter.accepts_file(path):
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("inotify %s %s", event.maskname, path)
        if mask & GONE:
            change = Change.DELETED
        elif mask & pyinotify.IN_CREATE:
            change = Change.CREATED  # its IN_CLOSE_WRITE follows, once it is written
        else:
            change = Change.CHANGED
        self.on_change(path, change)

    def _watch_tree(self, top: str, add: bool = True) -> None:
        for directory, filenames in self._walk(top, self._add if add else None):
            for name in filenames:
                path = os.path.join(directory, name)
                if not self.filter.path_excluded(path):
                    self.on_change(path, Change.CHANGED)

    def _watch_unwatched(self) -> None:
        """After lost events: a directory created meanwhile has no watch yet."""
        watched = {watch.path for watch in self._manager.watches.values()}

        def add_unwatched(directory: str) -> bool:
            return directory in watched or self._add(directory)

        for top in self._tops():
            for directory, filenames in self._walk(top, add_unwatched):
                if directory not in watched:
                    for name in filenames:
                        self.on_change(os.path.join(directory, name), Change.CHANGED)

    def _tops(self) -> list[str]:
        return [root for root in self.roots if root not in self.missing_roots] + self.followed

    def _lose_root(self, root: str) -> None:
        """A root moved away or deleted (a fresh clone, a tool swapping directories): its
        watches follow the old inode, so drop them and watch the path again."""
        below = root + os.sep
        gone = [
            wd
            for wd, watch in self._manager.watches.items()
            if watch.path.startswith(below) or watch.path in (root, root + "-unknown-path")
        ]
        for wd in gone:
            try:
                self._manager.rm_watch(wd, quiet=False)
            except pyinotify.WatchManagerError:
                pass  # the kernel dropped it with its directory
        self._root_wds = {wd: path for wd, path in self._root_wds.items() if path != root}
        self.missing_roots.add(root)
        log.warning("watch root %s was moved away or deleted: watching it again once it is back", root)
        self.check_missing_roots()

    def check_missing_roots(self) -> None:
        for root in sorted(self.missing_roots):
            if os.path.isdir(root):
                self.missing_roots.discard(root)
                log.info("watch root %s is back: watching it again", root)
                # Every file counts as changed: the new tree may hold other code.
                self._watch_tree(root)

    def _walk(self, top: str, add: Callable[[str], bool] | None = None) -> Iterator[tuple[str, list[str]]]:
        return self.tree.walk(top, add, self._unwatch if add is not None else None)

    def _unwatch(self, directory: str) -> None:
        wd = self._manager.get_wd(directory)
        if wd is not None:
            try:
                self._manager.rm_watch(wd, quiet=False)
            except pyinotify.WatchManagerError:
                pass  # gone with its directory

    def close(self) -> None:
        try:
            self._notifier.stop()
        except OSError:
            pass
