"""Patches a forked instance can't share with a cold start.

The template imports every module before any watched code runs.  When the watched code
(or ZCML it adds) replaces a module's function or class while the instance starts, a module
that took the original by name (``from m import f``) holds the original in the fork; in a
cold start, the same module holds the replacement if it was imported after the patch.  So a
child compares, once started, the functions and classes of the template's modules with the
template's, and for each one replaced looks for other modules still holding the original.
A holder that a cold start imported after the first watched module may hold the
replacement there: the fork can't be shown to equal a cold start.  (One imported before it
holds the original in both.)
"""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

BOUND = (types.FunctionType, type, types.BuiltinFunctionType)


@dataclass(frozen=True)
class StaleCapture:
    replaced: str  # module.name that now holds another object
    holder: str  # module.name still holding the original

    def __str__(self) -> str:
        return "%s was replaced while the instance started; %s still holds the original" % (self.replaced, self.holder)


class Bindings:
    """The functions and classes bound to module-level names, by module."""

    def __init__(self, modules: dict[str, dict[str, object]]) -> None:
        self.modules = modules

    @classmethod
    def of_loaded_modules(cls) -> Bindings:
        modules: dict[str, dict[str, object]] = {}
        for name, module in list(sys.modules.items()):
            namespace = getattr(module, "__dict__", None)
            if isinstance(namespace, dict):
                modules[name] = {key: value for key, value in namespace.items() if isinstance(value, BOUND)}
        return cls(modules)

    def stale_captures(self, imported_late: set[str]) -> list[StaleCapture]:
        """What the forked process holds that a cold start may not: a replaced function or
        class still held under another name by a module imported late (``imported_late``)."""
        replaced: dict[int, str] = {}
        for name, bound in self.modules.items():
            namespace = getattr(sys.modules.get(name), "__dict__", None)
            if not isinstance(namespace, dict):
                continue
            for key, value in bound.items():
                # A function or class under its own name, replaced: a patch.  A name that
                # merely pointed at one (``_defaultPolicy = ParanoidSecurityPolicy``, set
                # to another policy at start-up) replaced nothing that others took.
                if namespace.get(key, value) is not value and getattr(value, "__name__", None) == key:
                    replaced.setdefault(id(value), "%s.%s" % (name, key))
        if not replaced:
            return []
        found = []
        for name in imported_late:
            module = sys.modules.get(name)
            held = self.modules.get(name)
            if module is None or held is None:
                continue
            for key, value in held.items():
                where = replaced.get(id(value))
                if where is not None and where != "%s.%s" % (name, key) and module.__dict__.get(key) is value:
                    found.append(StaleCapture(where, "%s.%s" % (name, key)))
        return found
