"""Caches a cold start has empty: after a reload, what they hold may have been computed by
the old code (the changed function itself, or anything it called), so they are emptied.

Which ones, and why these:

- ``functools.lru_cache`` and ``functools.cache`` wrappers the watched modules define (at
  module level or in their classes): a wrapper the reload replaced starts empty anyway, but
  one whose module was not reloaded may hold results of changed code it called.  Finding
  them walks the watched modules' namespaces, not the heap.
- zope.ramcache's storages (``zope.ramcache.ram.caches``): every RAMCache, global or
  persistent, keeps its entries there, per process; plone.memoize.ram's decorators store in
  them.  Results of any code, so all of them.
- Module-level dicts of libraries (``MODULE_DICTS``): plone.memoize.forever's memos, and
  plone.supermodel's parsed XML models, which a reloaded schema's ``model.load()`` would
  otherwise take from before the model file was edited.
- The module-level containers a decorator of the watched code writes to when the functions
  it wraps are called (a memoize of the package's own storing in ``RESULTS = {}``): where
  the import makes them empty, a cold start has them empty.  Found in the bytecode of the
  reloaded modules' wrappers (functions with ``__wrapped__``), so only theirs.
- ``functools.cached_property`` values on the live instances of the reloaded modules'
  classes (not on persistent objects: a cold start loads those with the value they were
  stored with).  Finding instances takes a walk of the heap (about 100 ms in a Plone
  process), so only where a reloaded class has a cached_property.

Each library is looked up in sys.modules, never imported: not loaded means no cache (the
Zope-only demo has no plone.memoize).  Per-request and per-object caches (plone.memoize.view
and .instance, the ``_v_`` attributes of plone.memoize.volatile and of plone.dexterity's
schema cache) are not reached: a request ends, and a persistent object's ``_v_`` attributes
go with the connection's cache.
"""

from __future__ import annotations

import ast
import dis
import functools
import gc
import inspect
import sys
import types
from collections.abc import Callable, Iterable, Iterator

from collective.autorestart.watching.modules import ModuleIndex


class CacheClearer:
    """Empties the caches after each reload.  The functools caches' wrappers are found once
    per module object (a walk of a module's and its classes' namespaces: about 30 µs each),
    then again only for the modules reloaded or new since."""

    def __init__(self, loaded: ModuleIndex) -> None:
        """loaded: the watched modules (the Python reloader's index, refreshed once per
        batch rather than a scan of sys.modules each); its ``watched`` says whose code is ours."""
        self.watched = loaded.watched
        self.loaded = loaded
        self._seen: dict[str, types.ModuleType] = {}
        self._wrappers: dict[str, tuple] = {}

    def index(self) -> None:
        """Find the wrappers of the modules loaded so far (at start-up, not at the first reload)."""
        self._functools_wrappers(set())

    def clear(self, reloaded: Iterable[str]) -> str | None:
        """After a reload of the modules named reloaded; says which caches held something,
        for the reload's log line."""
        names = set(reloaded)
        modules = [sys.modules[name] for name in sorted(names) if name in sys.modules]
        counts = {
            "functools cache": _clear_functools(self._functools_wrappers(names)),
            "RAM cache": _clear_ram_caches(),
            **{what: _clear_module_dict(module, name) for module, name, what in MODULE_DICTS},
            "package memo dict": _clear_package_memos(modules, self.watched),
            "cached_property value": _clear_cached_properties(modules),
        }
        said = ["%d %s%s" % (count, what, "s" if count > 1 else "") for what, count in counts.items() if count]
        return "cleared %s" % ", ".join(said) if said else None

    def _functools_wrappers(self, reloaded: set[str]) -> list:
        watched = set(self.loaded.refresh().values())
        for name in watched:
            module = sys.modules.get(name)
            if module is None or (self._seen.get(name) is module and name not in reloaded):
                continue
            self._seen[name] = module
            self._wrappers[name] = tuple(_functools_wrappers([module]))
        for name in [name for name in self._wrappers if name not in watched]:
            del self._wrappers[name]
            self._seen.pop(name, None)
        return [wrapper for wrappers in self._wrappers.values() for wrapper in wrappers]


def _clear_functools(wrappers: Iterable) -> int:
    cleared = 0
    for wrapper in wrappers:
        if wrapper.cache_info().currsize:
            wrapper.cache_clear()
            cleared += 1
    return cleared


def _functools_wrappers(modules: Iterable[types.ModuleType]) -> Iterator:
    """The lru_cache wrappers defined by the modules, at module level and in their classes
    (as methods, staticmethods and classmethods)."""
    seen: set[int] = set()
    for module in modules:
        name = module.__name__
        for value in list(vars(module).values()):
            if inspect.isclass(value) and value.__module__ == name:
                candidates = [getattr(item, "__func__", item) for item in list(vars(value).values())]
            else:
                candidates = [value]
            for candidate in candidates:
                if (
                    isinstance(candidate, _LRU_WRAPPER)
                    and getattr(candidate, "__module__", None) == name
                    and id(candidate) not in seen
                ):
                    seen.add(id(candidate))
                    yield candidate


_LRU_WRAPPER = type(functools.lru_cache(maxsize=None)(lambda: None))


def _clear_ram_caches() -> int:
    ram = sys.modules.get("zope.ramcache.ram")
    if ram is None:
        return 0
    cleared = 0
    for storage in list(getattr(ram, "caches", {}).values()):
        # Its entries, by object then key: an empty storage needs no lock taken.
        if getattr(storage, "_data", None):
            storage.invalidateAll()
            cleared += 1
    return cleared


# (module, its dict, what the log line calls it)
MODULE_DICTS = (
    ("plone.memoize.forever", "_memos", "plone.memoize.forever memo"),
    ("plone.supermodel", "_model_cache", "parsed supermodel file"),
)


def _clear_module_dict(module_name: str, name: str) -> int:
    """How many entries it had."""
    found = getattr(sys.modules.get(module_name), name, None)
    if not isinstance(found, dict) or not found:
        return 0
    count = len(found)
    found.clear()
    return count


def _clear_package_memos(modules: Iterable[types.ModuleType], watched: Callable[[str], bool]) -> int:
    cleared = 0
    for container in _written_by_wrappers(modules, watched):
        if container:
            container.clear()
            cleared += 1
    return cleared


def _written_by_wrappers(modules: Iterable[types.ModuleType], watched: Callable[[str], bool]) -> list:
    containers: dict[int, object] = {}
    empty_at_import: dict[str, frozenset[str]] = {}
    for module in modules:
        for value in list(vars(module).values()):
            wrapper = value if inspect.isfunction(value) and hasattr(value, "__wrapped__") else None
            if wrapper is None or not watched(wrapper.__code__.co_filename):
                continue
            namespace = wrapper.__globals__
            filename = wrapper.__code__.co_filename
            if filename not in empty_at_import:
                empty_at_import[filename] = _made_empty(filename)
            for name in _stored_into(wrapper.__code__):
                container = namespace.get(name)
                if isinstance(container, _CONTAINERS) and name in empty_at_import[filename]:
                    containers[id(container)] = container
    return list(containers.values())


_CONTAINERS = (dict, list, set)
_MUTATORS = frozenset({"__setitem__", "setdefault", "update", "append", "add", "extend", "insert"})


def _stored_into(code: types.CodeType) -> set[str]:
    """The globals code stores into: ``NAME[key] = value`` or ``NAME.setdefault(...)``."""
    names: set[str] = set()
    last_global, previous = None, ""
    for instruction in dis.get_instructions(code):
        if instruction.opname == "LOAD_GLOBAL":
            last_global = instruction.argval
        elif instruction.opname in ("LOAD_METHOD", "LOAD_ATTR") and instruction.argval in _MUTATORS:
            if last_global is not None and previous == "LOAD_GLOBAL":
                names.add(last_global)
        elif instruction.opname == "STORE_SUBSCR" and last_global is not None:
            names.add(last_global)
        previous = instruction.opname
    return names


def _made_empty(filename: str) -> frozenset[str]:
    """The module-level names the file's top level assigns an empty dict, list or set."""
    try:
        with open(filename, "rb") as stream:
            tree = ast.parse(stream.read(), filename)
    except (OSError, SyntaxError, ValueError):
        return frozenset()
    names: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and _empty_container(statement.value):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
    return frozenset(names)


def _empty_container(node: ast.expr) -> bool:
    if isinstance(node, (ast.Dict, ast.List, ast.Set)):
        return not getattr(node, "keys", None) and not getattr(node, "elts", None)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("dict", "list", "set")
        and not node.args
        and not node.keywords
    )


def _clear_cached_properties(modules: Iterable[types.ModuleType]) -> int:
    names_of: dict[type, list[str]] = {}
    for module in modules:
        for value in list(vars(module).values()):
            if inspect.isclass(value) and value.__module__ == module.__name__:
                names = [key for key, item in vars(value).items() if isinstance(item, functools.cached_property)]
                if names:
                    # Instances of subclasses (of any module) refer to their own class.
                    for klass in _with_subclasses(value):
                        names_of.setdefault(klass, []).extend(names)
    if not names_of:
        return 0
    cleared = 0
    for instance in gc.get_referrers(*names_of):
        found = names_of.get(type(instance))
        if found is None or _persistent(instance):
            continue
        state = getattr(instance, "__dict__", None)
        for name in found:
            if isinstance(state, dict) and state.pop(name, _MISSING) is not _MISSING:
                cleared += 1
    return cleared


_MISSING = object()


def _with_subclasses(cls: type) -> list[type]:
    found, pending = [], [cls]
    while pending:
        klass = pending.pop()
        if klass not in found:
            found.append(klass)
            pending.extend(type.__subclasses__(klass))
    return found


def _persistent(instance: object) -> bool:
    return hasattr(type(instance), "_p_oid")
