"""Whether a path is under a watch root: the one place that says how a root is spelled."""

from __future__ import annotations

import os

from collective.autorestart.watching.filters import PathFilter


def under_roots(roots: tuple[str, ...]) -> tuple[str, ...]:
    """The path prefixes of roots, for ``str.startswith``: each root as given (made absolute)
    and as its real path, so that a module imported through a symlinked root and a file an
    editor saves under its real path both count; with a trailing separator, so that
    ``/src`` does not hold ``/src2``."""
    return tuple(
        dict.fromkeys(
            os.path.join(resolve(root), "") for root in roots for resolve in (os.path.abspath, os.path.realpath)
        )
    )


# A directory holding this is a Python environment: never code we edit (watcher.py skips it).
VENV_MARKER = "pyvenv.cfg"


class WatchedFiles:
    """Whether a file is one the watcher watches: under a root, and in no directory that the
    watcher skips below it, an excluded one or a Python environment.  A watch root may hold
    those: a cookieplone project's .venv, a buildout's eggs with ``develop = .``, an instance's
    var and etc.  Their modules and ZCML are not the developer's code, however their paths
    begin.  Each directory is judged once."""

    def __init__(self, roots: tuple[str, ...], exclude: tuple[str, ...] = ()) -> None:
        self.prefixes: tuple[str, ...] = ()
        self._roots: set[str] = set()
        self._skips = PathFilter((), tuple(exclude)).excludes_directory
        self._directories: dict[str, bool] = {}
        self.add_roots(roots)

    def add_roots(self, roots: tuple[str, ...]) -> None:
        self.prefixes = tuple(dict.fromkeys(self.prefixes + under_roots(roots)))
        self._roots = {prefix.rstrip(os.sep) or os.sep for prefix in self.prefixes}
        self._directories.clear()

    def __call__(self, path: str | None) -> bool:
        if not path or not path.startswith(self.prefixes):
            return False
        return self._directory_watched(os.path.dirname(path))

    def _directory_watched(self, directory: str) -> bool:
        known = self._directories.get(directory)
        if known is not None:
            return known
        if directory in self._roots:
            watched = True
        else:
            parent = os.path.dirname(directory)
            watched = (
                parent != directory
                and self._directory_watched(parent)
                and not self._skips(directory)
                and not os.path.exists(os.path.join(directory, VENV_MARKER))
            )
        self._directories[directory] = watched
        return watched
