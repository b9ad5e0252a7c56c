"""The polling back-end: for roots whose filesystem sends no events (a VM or container share,
WSL's /mnt/c, NFS, FUSE) or where no event back-end can start.

A scan stats every directory and every watched file, and lists a directory again only when
its own stamp changed (a file created, deleted or renamed in it).  A file counts as changed
when its mtime, size or inode changed: an in-place save of the same size in the same mtime
tick changes none of those, so a file or directory that just changed stays "hot" for a
while and is compared by content (files) or listed again (directories) at every scan.  After
a scan that found changes, quick scans follow until one finds nothing more: the changes of a
git checkout that a scan cut in two still reach the service as one batch.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from collective.autorestart.watching.backend import OnChange, OnOverflow, WatchStats
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.tree import SourceTree

log = logging.getLogger("collective.autorestart")

# How long a file or directory that changed is compared by content / listed at every scan:
# longer than the coarsest mtime tick of the filesystems polled (FAT's 2 s, 1 s on some
# network filesystems), and at least a few scans.
HOT_SECONDS = 2.5
HOT_SCANS = 3

# st_mtime_ns, st_size and st_ino packed into one int: a twelfth of the memory of a tuple of
# three, for each of the tens of thousands of files a big tree has.
Signature = int


def _signature(stat: os.stat_result) -> Signature:
    return (stat.st_mtime_ns << 128) | (stat.st_size << 64) | stat.st_ino


def _content_digest(path: str) -> int | None:
    # Python's own (SipHash) hash of the bytes: a 64-bit digest with no import (hashlib
    # brings OpenSSL, 3.6 MB), for the few files that are hot at a time.
    try:
        with open(path, "rb") as source:
            return hash(source.read())
    except OSError:
        return None


@dataclass(slots=True)
class _Directory:
    stamp: Signature
    files: dict[str, Signature]
    below: tuple[str, ...]
    top: str | None  # the root or followed directory it was found from; itself for those
    digests: dict[str, int] | None = None  # of its hot files, while there are any


class PollingWatcher:
    name = "polling"

    def __init__(
        self,
        roots: tuple[str, ...],
        path_filter: PathFilter,
        on_change: OnChange,
        on_overflow: OnOverflow,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        settle: float = 0.005,
    ) -> None:
        self.tree = SourceTree(roots, path_filter)
        self.roots = self.tree.roots
        self.filter = path_filter
        self.followed = self.tree.followed
        self.on_change = on_change
        self.on_overflow = on_overflow  # never called: a scan loses nothing
        self.interval = interval
        self.settle = settle
        self.clock = clock
        # Always empty: a scan looks for a root that went away itself, so the service need
        # not wake up more often for it.
        self.missing_roots: set[str] = set()
        self._gone_roots: set[str] = set()
        self._directories: dict[str, _Directory] = {}
        # Path -> the clock time and scan count until which it is hot.
        self._hot_files: dict[str, tuple[float, int]] = {}
        self._hot_directories: dict[str, tuple[float, int]] = {}
        self._scans = 0
        self._next_scan: float | None = None
        self._settle_at: float | None = None
        self.last_scan_seconds = 0.0

    # -- the Backend protocol

    def start(self, changed_since: float | None = None) -> WatchStats:
        started = time.perf_counter()
        changed = 0
        for top in self.roots:
            if os.path.isdir(top):
                changed += self._add_tree(top, report=False, changed_since=changed_since)
            else:
                self._lose_root(top)
        self._next_scan = self.clock() + self.interval
        files = sum(len(directory.files) for directory in self._directories.values())
        return WatchStats(
            len(self._directories),
            files,
            time.perf_counter() - started,
            False,
            changed,
            tuple(self.followed),
        )

    def fileno(self) -> int | None:
        return None

    def read(self) -> None:
        pass

    def due(self) -> float | None:
        if self._settle_at is not None and self._next_scan is not None:
            return min(self._settle_at, self._next_scan)
        return self._next_scan

    def tick(self, now: float) -> None:
        started = time.perf_counter()
        assert self._next_scan is not None, "tick() before start()"
        full = now >= self._next_scan
        found = self._scan(quick=not full)
        self._scans += 1
        self.last_scan_seconds = time.perf_counter() - started
        after = self.clock()
        if full:
            # Keep the cadence; a scan slower than the interval starts the next one at once.
            self._next_scan = max(self._next_scan + self.interval, after)
        self._settle_at = after + self.settle if found else None

    def check_missing_roots(self) -> None:
        pass  # see missing_roots

    def close(self) -> None:
        self._directories.clear()

    # -- scans

    def _scan(self, quick: bool = False) -> int:
        """Every directory, and every file.  ``quick``, after changes: the directories (a
        checkout creates, deletes and renames files) and what is hot, not every file."""
        found = 0
        for path in list(self._directories):
            record = self._directories.get(path)
            if record is None:
                continue  # dropped with a directory above it during this scan
            try:
                stat = os.stat(path)
            except OSError:
                found += self._directory_gone(path)
                continue
            if _signature(stat) != record.stamp or path in self._hot_directories:
                found += self._relist(path, record, _signature(stat))
            elif not quick:
                found += self._restat_files(path, record)
            elif record.digests:
                found += self._restat_files(path, record, only=record.digests)
        if not quick:
            found += self._look_for_gone_roots()
        self._cool_down()
        return found

    def _restat_files(self, directory: str, record: _Directory, only: dict | None = None) -> int:
        found = 0
        stat = os.stat
        files = record.files
        prefix = directory + os.sep
        # The loop every scan runs once per watched file: kept lean (no call but the stat).
        # Values are replaced during the loop, never keys added or removed: no copy needed.
        pairs = files.items() if only is None else [(name, files[name]) for name in only if name in files]
        for name, known in pairs:
            path = prefix + name
            try:
                now = stat(path)
            except OSError:
                # Deleted, and its directory's stamp did not change yet (the same tick):
                # listed again at the next scan, which reports it.
                self._heat(self._hot_directories, directory)
                continue
            signature = (now.st_mtime_ns << 128) | (now.st_size << 64) | now.st_ino  # _signature, inlined
            if signature != known:
                files[name] = signature
                found += self._changed(record, name, path, Change.CHANGED)
            elif record.digests and name in record.digests:
                digest = _content_digest(path)
                if digest is not None and digest != record.digests[name]:
                    found += self._changed(record, name, path, Change.CHANGED, digest)
        return found

    def _relist(self, directory: str, record: _Directory, stamp: Signature) -> int:
        listing = self.tree.list(directory, record.top)
        if listing is None:
            return self._directory_gone(directory)
        names, below, environment = listing
        if environment:
            # Became a Python environment: never code we edit (as the inotify watcher does).
            self._drop_tree(directory, report=False)
            return 0
        self._heat(self._hot_directories, directory)
        record.stamp = stamp
        found = 0
        known = record.files
        current = set(names)
        for name in [name for name in known if name not in current]:
            del known[name]
            if record.digests:
                record.digests.pop(name, None)
            found += self._report(directory + os.sep + name, Change.DELETED)
        found += self._restat_files(directory, record)
        for name in names:
            if name not in known:
                path = directory + os.sep + name
                try:
                    known[name] = _signature(os.stat(path))
                except OSError:
                    continue  # gone again: nothing to report
                found += self._changed(record, name, path, Change.CHANGED)
        old_below = set(record.below)
        record.below = tuple(below)
        for gone in old_below.difference(below):
            if gone not in self.followed:  # followed once, from wherever it was first met
                found += self._drop_tree(gone, report=True)
        for new in below:
            if new not in old_below and new not in self._directories:
                top = new if new in self.followed else None
                found += self._add_tree(new, report=True, top=top)
        return found

    def _changed(self, record: _Directory, name: str, path: str, change: Change, digest: int | None = None) -> int:
        """Report, and keep comparing it by content for a while (see the module's doc)."""
        if record.digests is None:
            record.digests = {}
        if digest is None:
            digest = _content_digest(path)
        if digest is not None:
            record.digests[name] = digest
        self._heat(self._hot_files, path)
        return self._report(path, change)

    def _report(self, path: str, change: Change) -> int:
        if self.filter.path_excluded(path):
            return 0
        if log.isEnabledFor(logging.DEBUG):
            log.debug("polling %s %s", change.value, path)
        self.on_change(path, change)
        return 1

    def _add_tree(self, start: str, report: bool, changed_since: float | None = None, top: str | None = None) -> int:
        """Track start and everything below it.  ``report``: each file counts as changed (a
        new directory: what it holds was written before a scan saw it); else only those
        modified since ``changed_since``.  ``top``: start, when it is a root or a followed
        directory, which a pyvenv.cfg does not make an environment."""
        found = 0
        pending = [(start, top if top is not None else (start if start in self.roots else None))]
        while pending:
            directory, directory_top = pending.pop()
            try:
                stamp = _signature(os.stat(directory))
            except OSError:
                continue
            listing = self.tree.list(directory, directory_top)
            if listing is None:
                continue
            names, below, environment = listing
            if environment:
                continue
            record = _Directory(stamp, {}, tuple(below), directory_top)
            self._directories[directory] = record
            for name in names:
                path = directory + os.sep + name
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                record.files[name] = _signature(stat)
                if report or (changed_since is not None and stat.st_mtime >= changed_since):
                    found += self._report(path, Change.CHANGED)
            for path in below:
                if path not in self._directories:
                    pending.append((path, path if path in self.followed else None))
        return found

    def _drop_tree(self, start: str, report: bool) -> int:
        """Stop tracking start and what is below it; ``report`` its files as deleted."""
        found = 0
        pending = [start]
        while pending:
            directory = pending.pop()
            record = self._directories.pop(directory, None)
            if record is None:
                continue
            self._hot_directories.pop(directory, None)
            if report:
                for name in record.files:
                    found += self._report(directory + os.sep + name, Change.DELETED)
            pending.extend(below for below in record.below if below not in self.followed)
        return found

    def _directory_gone(self, directory: str) -> int:
        if directory in self.roots:
            self._lose_root(directory)
            return 0
        return self._drop_tree(directory, report=True)

    def _lose_root(self, root: str) -> None:
        """As the inotify watcher does: a root moved away or deleted (a fresh clone, a tool
        swapping directories) is tracked again, every file as changed, once it is back."""
        self._drop_tree(root, report=False)
        if root not in self._gone_roots:
            self._gone_roots.add(root)
            log.warning("watch root %s was moved away or deleted: watching it again once it is back", root)

    def _look_for_gone_roots(self) -> int:
        found = 0
        for root in sorted(self._gone_roots):
            if os.path.isdir(root):
                self._gone_roots.discard(root)
                log.info("watch root %s is back: watching it again", root)
                found += self._add_tree(root, report=True)
        return found

    # -- hot files and directories

    def _heat(self, hot: dict[str, tuple[float, int]], path: str) -> None:
        hot[path] = (self.clock() + HOT_SECONDS, self._scans + HOT_SCANS)

    def _cool_down(self) -> None:
        now = self.clock()
        for hot in (self._hot_files, self._hot_directories):
            for path, (until, scans) in list(hot.items()):
                if now > until and self._scans >= scans:
                    del hot[path]
                    if hot is self._hot_files:
                        record = self._directories.get(os.path.dirname(path))
                        if record is not None and record.digests:
                            record.digests.pop(os.path.basename(path), None)
                            if not record.digests:
                                record.digests = None
