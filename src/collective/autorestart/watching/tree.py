"""The walk of the watch roots that every watcher back-end shares: which directories are
watched and which of their files count."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator

from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.roots import VENV_MARKER

log = logging.getLogger("collective.autorestart")


def report_modified(
    directory: str,
    filenames: list[str],
    since: float,
    path_filter: PathFilter,
    on_change: Callable[[str, Change], None],
) -> int:
    """Report the files of a walked directory modified since a time.time(): saved after the
    code was read and before the watch was set.  How many were."""
    count = 0
    for name in filenames:
        path = os.path.join(directory, name)
        try:
            modified = os.stat(path).st_mtime
        except OSError:
            continue  # deleted meanwhile: its event is queued
        if modified >= since and not path_filter.path_excluded(path):
            on_change(path, Change.CHANGED)
            count += 1
    return count


class SourceTree:
    """The roots (real paths) and the filter.  Symlinked directories are followed once, by
    their real path, which is how the module index knows loaded files too."""

    def __init__(self, roots: tuple[str, ...], path_filter: PathFilter) -> None:
        self.roots = tuple(dict.fromkeys(os.path.realpath(root) for root in roots))
        self.filter = path_filter
        self.followed: list[str] = []

    def symlinked_directory(self, path: str) -> str | None:
        """The real path of a symlinked directory to follow, or None: not a directory,
        excluded, or watched already (inside a root, or followed before: no loops)."""
        try:
            real = os.path.realpath(path, strict=True)
        except OSError:
            return None
        if not os.path.isdir(real) or real in self.followed:
            return None
        if any(real == root or real.startswith(root + os.sep) for root in self.roots):
            return None
        if self.filter.excludes_directory(path) or self.filter.excludes_directory(real):
            return None
        self.followed.append(real)
        log.info("following the symlinked directory %s to %s", path, real)
        return real

    def walk(
        self,
        top: str,
        add: Callable[[str], bool] | None = None,
        on_environment: Callable[[str], None] | None = None,
    ) -> Iterator[tuple[str, list[str]]]:
        """Each directory below top that is not excluded, with the names of its files that
        pass the name filter.  Cheaper than os.walk: one scandir per directory, no stat.
        A Python environment (a directory holding pyvenv.cfg) is never code we edit; a
        root inside the tree is walked as a root of its own.

        add(directory) is called before the directory is listed, so that a file created
        meanwhile is listed, or its event comes, or both: listed first, a file created
        between the listing and the watch would be lost.  The walk ends where add returns
        False (the watch limit).  on_environment(directory) undoes add for an environment."""
        pending = [top]
        while pending:
            directory = pending.pop()
            if add is not None and not add(directory):
                return
            listing = self.list(directory, top)
            if listing is None:
                continue  # deleted while we walked, or unreadable: nothing to watch
            names, below, environment = listing
            if environment:
                if on_environment is not None:
                    on_environment(directory)
                continue
            pending.extend(below)
            yield directory, names

    def list(self, directory: str, top: str | None = None) -> tuple[list[str], list[str], bool] | None:
        """One directory: the names of its files that count, the directories below it to
        watch (a followed symlink by its real path), and whether it is a Python environment
        (never so for top, which was named as a root).  None if it can't be read."""
        excludes_directory = self.filter.excludes_directory
        accepts_name = self.filter.accepts_name
        roots = self.roots
        names: list[str] = []
        below: list[str] = []
        # A profile's files pass by path (profiles/**/*.xml), not by name.
        profile_files = self.filter.holds_profile_files(directory)
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    try:
                        is_directory = entry.is_dir(follow_symlinks=False)
                        is_link = not is_directory and entry.is_symlink()
                    except OSError:
                        continue
                    if is_directory:
                        if entry.path not in roots and not excludes_directory(entry.path):
                            below.append(entry.path)
                        continue
                    if is_link:
                        target = self.symlinked_directory(entry.path)
                        if target is not None:
                            below.append(target)
                            continue
                    if accepts_name(entry.name) or (profile_files and self.filter.accepts_file(entry.path)):
                        names.append(entry.name)
                    elif entry.name == VENV_MARKER and directory != top:
                        return names, below, True
        except OSError:
            return None
        return names, below, False
