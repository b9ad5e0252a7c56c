"""Whether a path is under a watch root: the one place that says how a root is spelled."""

from __future__ import annotations

import os


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
