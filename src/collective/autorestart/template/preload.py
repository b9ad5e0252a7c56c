"""Import, in the template, the modules the last start-up of the instance loaded."""

from __future__ import annotations

import importlib
import sys

from collective.autorestart.contract import WATCHED_MODULE_MARK as WATCHED


def read_module_names(path: str | None) -> list[str]:
    """The names the runtime wrote at its last cold start, in the order the imports began,
    a watched module's marked with WATCHED."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as names:
            return [name for name in names.read().split() if name]
    except OSError:
        return []


def preload(names) -> list[str]:
    """Import each module not loaded yet; returns those that could not be imported here
    (they import watched code, or need what only a running instance has): each child
    imports them, as a cold start does."""
    failed = []
    for name in names:
        if name in sys.modules or name.startswith(("__", WATCHED)):
            continue
        try:
            importlib.import_module(name)
        except Exception:  # noqa: B902 - any failure only means: the child imports it
            failed.append(name)
    return failed


def imported_after_watched_code(names) -> set[str]:
    """The modules a cold start imported after the first watched one: what the developer's
    code changed by then, they may have taken in its changed form."""
    for index, name in enumerate(names):
        if name.startswith(WATCHED):
            return {other for other in names[index + 1 :] if not other.startswith(WATCHED)}
    return set()
