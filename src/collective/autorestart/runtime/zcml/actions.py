"""The configuration actions the process executed, kept for the incremental ZCML reload.

zope.configuration forgets its actions once it has executed them; what an action did can
only be undone while it is known. So each execution of the site's ZCML (the start-up's, and
every full reload's, as each parses our slug again) is recorded: the machine, which knows
the directives and the files it read, and the actions in the order they ran.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from collective.autorestart.runtime import touchpoints


@dataclass
class Executed:
    machine: object
    actions: list[dict]
    # The files it read. A copy: plone.reload empties the machine's own set before a full
    # reload, and keeps that machine when the reload fails.
    seen: set[str] = field(default_factory=set)
    # What the watched ZCML files held when they were parsed: what their includes were.
    texts: dict[str, bytes] = field(default_factory=dict)


_executed: Executed | None = None


def record(machine, actions: list[dict], watched: Callable[[str], bool]) -> None:
    """After an execution of the site's ZCML actions succeeded (see recorder): only that one
    matches the registry (a failed full reload is rolled back by plone.reload)."""
    global _executed
    seen = set(touchpoints.seen_files(machine))
    _executed = Executed(machine, actions, seen, read_texts(seen, watched))


def read_texts(seen: set[str], watched: Callable[[str], bool]) -> dict[str, bytes]:
    return read_texts_of(path for path in seen if watched(path))


def read_texts_of(paths) -> dict[str, bytes]:
    texts = {}
    for path in paths:
        try:
            with open(path, "rb") as stream:
                texts[path] = stream.read()
        except OSError:
            continue
    return texts


def executed() -> Executed | None:
    return _executed
