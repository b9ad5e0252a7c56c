"""Registrations made outside ZCML, kept across full ZCML reloads.

plone.reload's full reload empties the global registry and executes ZCML again, but some of
what a cold start registers comes from code: at import (a module that calls
``provideAdapter``), or in a product's ``initialize`` after ZCML (PluggableAuthService's
GenericSetup profiles). Those never come back: on Plone 6.2 three registrations were lost
by every ZCML reload. So the start-up's ZCML execution is watched (the registry before and
after it) to tell which registrations ZCML made; what the process had at its start besides
those is registered again after each full reload, unless ZCML registered something else in
its place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from collective.autorestart.runtime.registry import (
    ADAPTER,
    UTILITY,
    describe,
    global_registry,
    identity,
    register,
    registrations,
    slot,
)

_made_by_zcml: set | None = None
_outside: list | None = None


@contextlib.contextmanager
def noting_execution() -> Iterator[None]:
    """Around each execution of the site's ZCML actions (see recorder): note what the
    first one that succeeds, the start-up's, registers. A ZCML reload's is not noted."""
    global _made_by_zcml
    if _made_by_zcml is not None:
        yield
        return
    registry = global_registry()
    before = {identity(kind, registration) for kind, registration in registrations(registry)}
    yield
    if _made_by_zcml is None:
        after = {identity(kind, registration) for kind, registration in registrations(registry)}
        _made_by_zcml = after - before


def remember_outside() -> int | None:
    """At the runtime's start: what the registry holds that ZCML did not register. Returns
    how many, None when the start-up's ZCML execution was not watched."""
    global _outside
    if _made_by_zcml is None:
        return None
    _outside = [
        (kind, registration)
        for kind, registration in registrations(global_registry())
        if identity(kind, registration) not in _made_by_zcml
    ]
    return len(_outside)


def restore_outside() -> list[str]:
    """After a full ZCML reload: register again what was made outside ZCML and is gone,
    where ZCML did not register something else in its place. Returns what, one line each."""
    if not _outside:
        return []
    registry = global_registry()
    present = registrations(registry)
    slots = {slot(kind, registration) for kind, registration in present}
    identities = {identity(kind, registration) for kind, registration in present}
    restored = []
    for kind, registration in _outside:
        if kind in (UTILITY, ADAPTER):
            if slot(kind, registration) in slots:
                continue
        elif identity(kind, registration) in identities:
            continue
        register(registry, kind, registration)
        restored.append(describe(kind, registration))
    return restored


def made_outside() -> list | None:
    """What the registry held at the runtime's start that ZCML did not register, with what
    reloads registered at import since; None when the start-up was not watched."""
    return None if _outside is None else list(_outside)


def replace_outside(removed: list, added: list) -> None:
    """After a reload ran module code that registers at import: what it took back and what
    it registered, for the next full ZCML reload to keep."""
    global _outside
    if _outside is None:
        return
    gone = {id(registration) for _, registration in removed}
    _outside = [each for each in _outside if id(each[1]) not in gone] + list(added)
