"""The objects a reload kept, and what refers to the ones it discarded.

A reload updates a module's classes, functions and interfaces in place: the old objects stay
(importers, instances, the registry hold them) and the ones the new code made are dropped.
But the new code's other objects were made referring to the new ones: a method's
``__class__`` cell (what ``super()`` reads), a closure, a default, ``__wrapped__``, a class
attribute, an instance the module made at import (``greeter = Greeter()``), a list of
classes.  A cold start has one object where the reload would have two; relink() gives each
such reference the kept object instead.

And the new code's functions that stay (a function or method the edit added, one that
could not be updated in place) were made with the scratch namespace the new code ran in as
their globals, where every name is the discarded new object (``isinstance(x, Widget)``
would be False for the module's Widget), and that no later reload updates: relink() gives
them the module's namespace, as copies (a function's globals are read-only).

Only what the new run made, and only where nothing outside the module holds it too: what
the module imported (another module's dict, a singledispatch function) is not the module's
to mend, and a list or an instance the new run made that another module also holds (a hook
registered at import) keeps what it holds, so that the discarded object stays alive and
holders.held_elsewhere names the holder: a cold start has that registration once.  Whether
something else holds one is told by its reference count, against the references a first,
read-only pass over the same objects counted.
"""

from __future__ import annotations

import functools
import inspect
import sys
import types
from collections.abc import Callable
from typing import Any

from zope.interface.interface import InterfaceClass

from collective.autorestart.runtime.python.journal import Journal
from collective.autorestart.runtime.touchpoints import INTERFACE_ATTRIBUTES, TAGGED_VALUES

# How far into containers and the module's own instances relink() looks (module-level
# values are depth 0): enough for a dict of lists of instances with their attributes.
DEPTH = 4
# Values that hold no object of the module.
PLAIN = frozenset({str, bytes, int, float, bool, type(None)})
# Functions and containers one relink() goes through, at most (code that builds thousands).
MAX_VISITS = 20000
MISSING = object()


class Kept:
    """new object -> the old object updated in place to be it."""

    def __init__(self) -> None:
        # id(new) -> (new, old): new is held so that its id is not reused meanwhile.
        self._pairs: dict[int, tuple[object, object]] = {}

    def __len__(self) -> int:
        return len(self._pairs)

    def add(self, new: object, old: object) -> None:
        if new is not old:
            self._pairs[id(new)] = (new, old)

    def get(self, new: object, default: object = None) -> object:
        pair = self._pairs.get(id(new))
        return default if pair is None else pair[1]

    def olds(self) -> list[object]:
        return [old for _, old in self._pairs.values()]

    def pairs(self) -> list[tuple[object, object]]:
        return list(self._pairs.values())


class Relinker:
    """One pass over what the reloaded module holds, giving kept objects where it holds
    discarded ones.  module: the module (whose instances it looks into); scratch: the
    namespace its new code ran in; refused(path, error): an instance whose class can't be
    the kept one; before: the module's namespace before the run."""

    def __init__(
        self,
        kept: Kept,
        journal: Journal,
        module: types.ModuleType,
        scratch: dict,
        refused: Callable[[str, Exception], None],
        before: dict,
    ) -> None:
        self.kept = kept
        self.journal = journal
        self.module = module.__name__
        self.namespace = vars(module)
        self.scratch = scratch
        self.refused = refused
        self.seen: set[int] = set()
        # What the module imported (the values it had before the run and still has, but the
        # ones it kept): another module's, never walked into.
        olds = {id(old) for old in kept.olds()}
        self.foreign = {
            id(value)
            for name, value in before.items()
            if self.namespace.get(name, MISSING) is value and id(value) not in olds and type(value) not in PLAIN
        }
        # While counting (the first pass): id -> [object, references to it the pass saw].
        self.counts: dict[int, list] | None = None
        # What the new run made that something else holds too, by id: left as it is.
        self.outside: set[int] = set()

    def relink(self) -> None:
        self.counts = {}
        self._walk()
        for value in list(self.scratch.values()):
            self._count(value)
        del value
        self.outside = _held_outside(self.counts)
        self.counts = None
        self.seen = set()
        self._walk()
        # What the new code's functions that could not be given the namespace (held by a C
        # object: functools.lru_cache, partial) find there: the module's objects, for now.
        self.scratch.update(self.namespace)

    def _walk(self) -> None:
        """Everything relink() looks into: the kept objects, what the module's names hold;
        while counting, the discarded new objects too (a new class's attributes are the kept
        class's, and references to what they hold)."""
        namespace = self.namespace
        pairs = list(self.kept.pairs()) if self.counts is not None else []
        for old in self.kept.olds() + [new for new, _ in pairs]:
            if inspect.isclass(old):
                self._class(old)
            elif inspect.isfunction(old):
                self._function(old)
            elif isinstance(old, InterfaceClass):
                self._interface(old)
        del pairs
        for name, value in list(namespace.items()):
            if name.startswith("__") and name.endswith("__"):
                continue
            kept = self._value(value, 0, name)
            if kept is not value:
                self.journal.setitem(namespace, name, kept)

    def _count(self, value: object) -> None:
        """One more reference to value, while counting."""
        if self.counts is not None and type(value) not in PLAIN:
            entry = self.counts.get(id(value))
            if entry is None:
                self.counts[id(value)] = [value, 1]
            else:
                entry[1] += 1

    def _first_visit(self, value: object) -> bool:
        if id(value) in self.seen or len(self.seen) > MAX_VISITS:
            return False
        self.seen.add(id(value))
        return True

    def _class(self, cls: type) -> None:
        if not self._first_visit(cls):
            return
        for name, value in list(vars(cls).items()):
            if name in ("__dict__", "__weakref__", "__module__", "__doc__"):
                continue
            kept = self._value(value, 1, cls.__qualname__)
            if kept is not value:
                self.journal.setattr(cls, name, kept)

    def _interface(self, interface: InterfaceClass) -> None:
        """Its invariants and tagged values, and what its fields hold (a constraint, a
        default factory): made by the new code when the interface was updated in place."""
        state = vars(interface)
        path = interface.__name__
        tagged = state.get(TAGGED_VALUES)
        if type(tagged) is dict:
            self._dict(tagged, 1, path)
        for attribute in (state.get(INTERFACE_ATTRIBUTES) or {}).values():
            attributes = getattr(attribute, "__dict__", None)
            if type(attributes) is dict and self._first_visit(attribute):
                self._dict(attributes, 1, path)

    def _function(self, function: types.FunctionType) -> None:
        if not self._first_visit(function):
            return
        for cell in function.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # not assigned yet
                continue
            kept = self._value(value, 1, function.__qualname__)
            if kept is not value:
                self.journal.set_cell(cell, kept)
        annotations = function.__annotations__
        if type(annotations) is dict:
            self._dict(annotations, 1, function.__qualname__)
        for slot in ("__defaults__", "__kwdefaults__"):
            value = getattr(function, slot)
            kept = self._value(value, 1, function.__qualname__)
            if kept is not value:
                self.journal.setattr(function, slot, kept)
        attributes = vars(function)
        for name, value in list(attributes.items()):
            kept = self._value(value, 1, function.__qualname__)
            if kept is not value:
                self.journal.setitem(attributes, name, kept)

    def _value(self, value: object, depth: int, path: str) -> object:
        """value, or the kept object in its place; what it holds relinked in place (a
        tuple or frozenset holding a discarded object is made again)."""
        if type(value) in PLAIN:
            return value
        if self.counts is not None:
            self._count(value)
        else:
            kept = self.kept.get(value, value)
            if kept is not value:
                return kept
        if id(value) in self.foreign or id(value) in self.outside:
            return value
        if inspect.isfunction(value):
            if value.__globals__ is self.scratch and self.counts is None:
                return self._rehomed(value)
            self._function(value)
        elif isinstance(value, (classmethod, staticmethod)):
            self._value(value.__func__, depth, path)
        elif isinstance(value, property):
            for part in (value.fget, value.fset, value.fdel):
                self._value(part, depth, path)
        elif inspect.isclass(value):
            if getattr(value, "__module__", None) == self.module:
                self._class(value)  # a class the reload added: its methods may use the kept ones
        elif depth < DEPTH:
            return self._held(value, depth, path)
        return value

    def _rehomed(self, function: types.FunctionType) -> types.FunctionType:
        """A copy of function (made by the new code) whose globals are the module's."""
        copy = types.FunctionType(
            function.__code__, self.namespace, function.__name__, function.__defaults__, function.__closure__
        )
        copy.__kwdefaults__ = function.__kwdefaults__
        copy.__qualname__ = function.__qualname__
        copy.__doc__ = function.__doc__
        copy.__annotations__ = function.__annotations__
        copy.__module__ = function.__module__
        vars(copy).update(vars(function))
        self.kept.add(function, copy)
        self._function(copy)
        return copy

    def _held(self, value: object, depth: int, path: str) -> object:
        if not self._first_visit(value):
            return value
        if isinstance(value, list):
            for index, item in enumerate(value):
                kept = self._value(item, depth + 1, path)
                if kept is not item:
                    self.journal.setitem(value, index, kept)
        elif isinstance(value, tuple) and type(value) is tuple:
            items = tuple(self._value(item, depth + 1, path) for item in value)
            if any(new is not old for new, old in zip(items, value)):
                return items
        elif isinstance(value, (set, frozenset)) and type(value) in (set, frozenset):
            return self._set(value, depth, path)
        elif type(value) is dict:
            self._dict(value, depth, path)
        elif type(value) is functools.partial:
            self._partial(value, depth, path)
        elif type(value).__module__ == "typing":
            return self._typing(value, depth, path)
        elif getattr(type(value), "__module__", None) == self.module:
            self._instance(value, depth, path)
        return value

    def _typing(self, construct: Any, depth: int, path: str) -> object:
        """A typing construct of the module's classes (``Optional[Thing]``): made again of
        the kept ones (typing's own caches hold the discarded: what a cold start computes
        again, and no holder)."""
        arguments = getattr(construct, "__args__", None)
        copy_with = getattr(construct, "copy_with", None)
        if type(arguments) is not tuple or not callable(copy_with):
            return construct
        kept = self._value(arguments, depth + 1, path)
        if kept is arguments:
            return construct
        try:
            return copy_with(kept)
        except Exception:  # noqa: B902 - a typing construct of its own kind: left as it is
            return construct

    def _set(self, items: set | frozenset, depth: int, path: str) -> object:
        kept = {self._value(item, depth + 1, path) for item in items}
        if kept == items:  # (their members compare by identity, as classes and functions do)
            return items
        if isinstance(items, frozenset):
            return frozenset(kept)
        self.journal.keep_set(items)
        items.clear()
        items.update(kept)
        return items

    def _partial(self, partial: functools.partial, depth: int, path: str) -> None:
        """functools.partial(Widget, 10): what it calls and with what, the kept objects."""
        # (func, args, keywords, __dict__): what partial's __setstate__ takes.
        reduced: Any = partial.__reduce__()
        state = reduced[2]
        function, arguments, keywords, attributes = state
        if keywords:
            self._dict(keywords, depth, path)
        kept = (self._value(function, depth + 1, path), self._value(arguments, depth + 1, path))
        if kept[0] is not function or kept[1] is not arguments:
            setstate = getattr(partial, "__setstate__")
            self.journal.on_undo(lambda: setstate(state))
            setstate(kept + (keywords, attributes))

    def _dict(self, mapping: dict, depth: int, path: str) -> None:
        items = [
            (self._value(key, depth + 1, path), self._value(item, depth + 1, path)) for key, item in mapping.items()
        ]
        if any(new[0] is not old[0] for new, old in zip(items, mapping.items())):
            self.journal.keep_dict(mapping)  # a key changes: the dict again, in its order
            mapping.clear()
            mapping.update(items)
            return
        for (key, new), old in zip(items, mapping.values()):
            if new is not old:
                self.journal.setitem(mapping, key, new)

    def _instance(self, instance: object, depth: int, path: str) -> None:
        """An instance the module made of its own class: of the kept class, as its other
        instances are, and so are what its attributes hold."""
        kept = self.kept.get(type(instance))
        if inspect.isclass(kept) and self.counts is None:
            try:
                self.journal.set_class(instance, kept)
            except TypeError as error:
                self.refused(path, error)
                return
        attributes = getattr(instance, "__dict__", None)
        if type(attributes) is dict:
            self._dict(attributes, depth, path)


def _held_outside(counts: dict[int, list]) -> set[int]:
    """The ids of the counted objects that more refer to than the references counted: what
    else holds them (another module's list, a registry).  Classes and functions are never
    counted (their methods and cells refer back to them), nor what only holds plain values."""
    outside = set()
    for key, entry in counts.items():
        # The references getrefcount adds (its argument) and the entry's own.
        if _mendable(entry[0]) and sys.getrefcount(entry[0]) - 2 > entry[1]:
            outside.add(key)
    return outside


def _mendable(value: object) -> bool:
    """What relink() changes in place: a container, an instance (its class, attributes).  Not
    what it makes again instead (a tuple, a frozenset, a typing construct, which typing's
    caches hold too): what else holds one keeps it as it is all the same."""
    if inspect.isclass(value) or inspect.isroutine(value) or isinstance(value, types.ModuleType):
        return False
    return type(value) not in (tuple, frozenset) and type(value).__module__ != "typing"
