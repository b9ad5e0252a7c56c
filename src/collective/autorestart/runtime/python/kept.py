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
"""

from __future__ import annotations

import functools
import inspect
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


class Relinker:
    """One pass over what the reloaded module holds, giving kept objects where it holds
    discarded ones.  module: the module's name (whose instances it looks into);
    refused(path, error): an instance whose class can't be the kept one."""

    def __init__(
        self,
        kept: Kept,
        journal: Journal,
        module: types.ModuleType,
        scratch: dict,
        refused: Callable[[str, Exception], None],
    ) -> None:
        self.kept = kept
        self.journal = journal
        self.module = module.__name__
        self.namespace = vars(module)
        self.scratch = scratch
        self.refused = refused
        self.seen: set[int] = set()

    def relink(self) -> None:
        namespace = self.namespace
        for old in self.kept.olds():
            if inspect.isclass(old):
                self._class(old)
            elif inspect.isfunction(old):
                self._function(old)
            elif isinstance(old, InterfaceClass):
                self._interface(old)
        for name, value in list(namespace.items()):
            if name.startswith("__") and name.endswith("__"):
                continue
            kept = self._value(value, 0, name)
            if kept is not value:
                self.journal.setitem(namespace, name, kept)
        # What the new code's functions that could not be given the namespace (held by a C
        # object: functools.lru_cache, partial) find there: the module's objects, for now.
        self.scratch.update(namespace)

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
        kept = self.kept.get(value, value)
        if kept is not value:
            return kept
        if inspect.isfunction(value):
            if value.__globals__ is self.scratch:
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
        elif getattr(type(value), "__module__", None) == self.module:
            self._instance(value, depth, path)
        return value

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
        if inspect.isclass(kept):
            try:
                self.journal.set_class(instance, kept)
            except TypeError as error:
                self.refused(path, error)
                return
        attributes = getattr(instance, "__dict__", None)
        if type(attributes) is dict:
            self._dict(attributes, depth, path)
