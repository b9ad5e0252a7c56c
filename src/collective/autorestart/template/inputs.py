"""What the template was built from, to tell when it is out of date: a rerun of buildout, an
egg changed or added, a module or ZCML file of a package that is not watched edited."""

from __future__ import annotations

import os
import sys


def _stat(path: str):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


class Inputs:
    def __init__(self, paths) -> None:
        self.stats = {path: _stat(path) for path in sorted(set(paths))}

    @classmethod
    def of_this_process(cls, extra=(), watched=lambda path: False) -> Inputs:
        """Every loaded module's file, every directory on sys.path, and ``extra``; not what
        ``watched``: the children load that themselves."""
        paths = set(extra)
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if isinstance(path, str) and os.path.isabs(path):
                paths.add(path)
        paths.update(entry for entry in sys.path if entry and os.path.isabs(entry))
        return cls(path for path in paths if not watched(path))

    def changed(self) -> str | None:
        """The first file that changed since, or None."""
        for path, before in self.stats.items():
            if _stat(path) != before:
                return path
        return None

    def __len__(self) -> int:
        return len(self.stats)
