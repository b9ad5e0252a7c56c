"""What the site's ZCML derived at configuration time from Python objects a reload changed.

A directive handler reads its objects once, when the ZCML runs: ``<adapter>`` and
``<subscriber>`` what the factory adapts and implements when ``for``/``provides`` are not
given, ``<utility>`` what the component provides and its ``named`` name, and
``<utility factory=...>`` calls the factory. A reload that updates a class in place reaches
every registration that holds the class, but not what was derived from it then; one that
replaces a module-level object leaves the old one registered. A cold start derives all of it
from the new code, so the ZCML files whose actions hold such an object run again, as if they
had been saved (the incremental ZCML reload).

Only what the batch changed costs anything: the watched files' actions are indexed once (after
each ZCML change, at the next Python reload), by the module of each object they hold, with
what a directive reads of it then; after a reload, the reloaded modules' objects are read
again and compared. A method body edited in place derives nothing new: no ZCML runs.
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field

from zope.component import adaptedBy
from zope.interface.declarations import Declaration

from collective.autorestart.runtime.zcml import actions as zcml_actions
from collective.autorestart.watching.roots import WatchedFiles

# What zope.interface stores on a class when first asked about it.
CACHED = frozenset({"__implemented__", "__provides__", "__providedBy__"})
# Argument values that are never a component a directive read.
PLAIN = (type(None), bool, int, float, complex, str, bytes, types.ModuleType)


@dataclass
class Held:
    """An object a watched ZCML file's action holds, and what a directive read of it."""

    value: object
    file: str
    facts: tuple
    # Called at configuration time (<utility factory=...>): what it built came from its code.
    built: bool = False
    # How facts are read again: what directives read of it, or of a class they derived one
    # from (the names its namespace defines).
    read: Callable[[object], tuple] = field(default=lambda value: facts(value))
    changed: str = "the declarations of %s changed"


class DerivedRegistrations:
    def __init__(self, roots: tuple[str, ...], watched: WatchedFiles | None = None) -> None:
        # Whose modules' objects count: under the roots, not in a directory the watcher skips.
        self.watched = watched if watched is not None else WatchedFiles(roots)
        # The actions list indexed: a ZCML reload replaces it (incremental) or the record.
        self._indexed: list | None = None
        self._by_module: dict[str, list[Held]] = {}
        self._by_id: dict[int, list[Held]] = {}

    def prepare(self) -> None:
        """Before a Python reload: index the watched files' actions, if the last index is
        not of the actions that ran (the registry's state, which the reload does not touch)."""
        executed = zcml_actions.executed()
        if executed is None or executed.actions is self._indexed:
            return
        self._indexed = executed.actions
        self._by_module, self._by_id = {}, {}
        texts = executed.texts
        for action in executed.actions:
            file = getattr(action.get("info"), "file", None)
            if file not in texts:
                continue
            built = action.get("kw") or {}
            for value in _held(action):
                module = self._watched_module(value)
                held = Held(value, file, facts(value) if module else (), built=value is built.get("factory"))
                # Any object may be replaced (a module-level vocabulary of zope.schema's class);
                # what is read of it may change only when its code is ours.
                self._by_id.setdefault(id(value), []).append(held)
                if module is not None:
                    self._by_module.setdefault(module, []).append(held)
                elif inspect.isclass(value):
                    self._index_bases(value, file)

    def to_run_again(self, reloaded: list[str], replaced: dict[int, tuple[object, object, str]]) -> dict[str, str]:
        """The watched ZCML files to run again after the reload of the modules ``reloaded``,
        each with why (the first reason found); replaced: id(old) -> (old, new, dotted name)."""
        files: dict[str, str] = {}
        for key, (old, _, name) in replaced.items():
            for held in self._by_id.get(key, ()):
                if held.value is old:
                    files.setdefault(held.file, "%s was replaced" % name)
        for module in reloaded:
            for held in self._by_module.get(module, ()):
                if held.file in files:
                    continue
                if held.built:
                    files[held.file] = "%s, called at configuration time, was reloaded" % _name(held.value)
                elif held.read(held.value) != held.facts:
                    files[held.file] = held.changed % _name(held.value)
        return files

    def _index_bases(self, cls: type, file: str) -> None:
        """A class a directive made from ours (Five's page: a class whose bases are the
        user's): the directive read the user's class's namespace when it made it (which
        names exist: the attribute to call, what to protect). An edit in place of what those
        names hold reaches the made class through its bases; a name added or gone does not."""
        for base in cls.__mro__[1:]:
            module = self._watched_module(base)
            if module is not None:
                held = Held(base, file, namespace(base), read=namespace, changed="the names %s defines changed")
                self._by_module.setdefault(module, []).append(held)

    def _watched_module(self, value: object) -> str | None:
        name = getattr(value, "__module__", None) if _is_definition(value) else type(value).__module__
        module = sys.modules.get(name) if isinstance(name, str) else None
        filename = getattr(module, "__file__", None) or ""
        return name if self.watched(filename) else None


def _held(action: dict) -> list[object]:
    """The components, factories and handlers among an action's arguments, with what a
    wrapper zope.component made around one holds (a closure's cells, a factory attribute)."""
    found = []
    values = list(action.get("args") or ()) + list((action.get("kw") or {}).values())
    for value in values:
        if isinstance(value, PLAIN) or isinstance(value, (tuple, list)):
            continue
        found.append(value)
        if inspect.isfunction(value) and value.__closure__:
            found.extend(_cell(cell) for cell in value.__closure__)
        inner = getattr(value, "factory", None) if not inspect.isclass(value) else None
        if inner is not None:
            found.append(inner)
    return [value for value in found if value is not None and not isinstance(value, PLAIN)]


def _cell(cell) -> object:
    try:
        return cell.cell_contents
    except ValueError:
        return None


def _is_definition(value: object) -> bool:
    return inspect.isclass(value) or inspect.isroutine(value)


def facts(value: object) -> tuple:
    """What the zope.component directives read of an object at configuration time: what it
    adapts, implements (a factory) or provides (a component, by its class too), and its
    ``named`` name. Read from the object's own namespace: implementedBy and providedBy would
    store a declaration on an object that has none, which a cold start's object then lacks.
    Interfaces are compared as objects: a reload keeps them, updated in place."""
    if _is_definition(value):
        return _declared(value)
    return _declared(value) + _declared(type(value))


def namespace(cls: object) -> tuple:
    """The names a class defines itself, and its name; not those zope.interface stores on a
    class the first time it is asked what the class implements (a request may ask first)."""
    return (getattr(cls, "__name__", None), tuple(sorted(name for name in vars(cls) if name not in CACHED)))


def _declared(value: object) -> tuple:
    try:
        own = vars(value)
    except TypeError:
        return ()
    implemented = own.get("__implemented__")
    provided = own.get("__provides__")
    # What is not declared reads as nothing declared: implementedBy stores an empty
    # declaration on a class or function the first time it is asked (a request may ask).
    return (
        tuple(getattr(implemented, "declared", ())),
        tuple(provided) if isinstance(provided, Declaration) else (),
        _adapts(value),
        own.get("__component_name__"),
        tuple(getattr(value, "__bases__", ())) if inspect.isclass(value) else None,
    )


def _adapts(value: object) -> tuple | None:
    try:
        adapts = adaptedBy(value)
    except Exception:  # noqa: B902 - an instance's __getattr__: it adapts nothing we can read
        return None
    return tuple(adapts) if adapts is not None else None


def _name(value: object) -> str:
    if _is_definition(value):
        return "%s.%s" % (getattr(value, "__module__", "?"), getattr(value, "__qualname__", "?"))
    return "an instance of %s.%s" % (type(value).__module__, type(value).__qualname__)
