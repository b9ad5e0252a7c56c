"""What a module's new run made and the reload then discards (the new class when the old one
is updated in place, the new function when the old one takes its code) must be held by
nothing: a registry filled by ``__init_subclass__``, a metaclass or a decorator, a patched
attribute, a list of another module would hold the discarded object beside (or instead of)
the one the module keeps, where a cold start has one.

What the new run made and the module keeps (its instances, lists, tuples, annotations and
defaults) was given the kept classes by kept.Relinker, but what something outside the module
holds too: that keeps the discarded class alive, and is named here.  The check runs once the
batch is over (batch.PythonReloader.held_elsewhere), when the engine's own bookkeeping (the
batch's journal, the registrations recorded at import) no longer holds what the new run made.

Cheap when nothing holds them, as is usual: the reload runs with the garbage collector off,
so what it made is still in the young generation; the discarded objects are kept by weak
references only, and a collection of the young generations (a millisecond, whatever the
heap) frees all of them unless something older holds one.  Only then is the heap searched
(gc.get_referrers, a tenth of a second on a Plone heap) for what holds it, to name it."""

from __future__ import annotations

import contextlib
import functools
import gc
import inspect
import sys
import types
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

# How far up the referrers the search for a named holder goes, and how wide.
LEVELS = 8
WIDTH = 500
# What a cold start would have computed again: what they hold is no holder (typing's
# Optional[Thing] is cached by functools.lru_cache).
CACHES = (type(functools.lru_cache()(len)),)


@dataclass
class Discarded:
    """Weak references to what a reload made and discarded, each with its dotted name."""

    objects: list[tuple[weakref.ref, str]] = field(default_factory=list)


@contextlib.contextmanager
def young() -> Iterator[None]:
    """No automatic collection while the reload runs: what it makes stays in the young
    generation, where collect_young finds it, instead of being promoted while the module's
    new namespace still holds it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def discarded_of(scratch: dict, namespace: dict, module: str) -> Discarded:
    """What of the new run's classes and functions (scratch, its globals) the module did
    not keep, once its namespace got, for each name, the object it keeps (the old one
    updated in place, or the new one)."""
    discarded = Discarded()
    for name, new in scratch.items():
        kept = namespace.get(name, new)
        if kept is new:
            continue
        if getattr(new, "__module__", None) != module:
            continue
        if inspect.isclass(new):
            discarded.objects.append((weakref.ref(new), "%s.%s" % (module, new.__qualname__)))
            if inspect.isclass(kept):
                discarded.objects.extend(_members_discarded(new, kept, module))
        elif inspect.isfunction(new):
            discarded.objects.append((weakref.ref(new), "%s.%s" % (module, new.__qualname__)))
    return discarded


def _members_discarded(new: type, kept: type, module: str) -> Iterator[tuple[weakref.ref, str]]:
    """The functions of the new class's body the kept class did not take (its own were
    updated in place from them)."""
    taken = {id(function) for value in vars(kept).values() for function in _functions(value)}
    for name, value in vars(new).items():
        for function in _functions(value):
            if id(function) not in taken:
                yield weakref.ref(function), "%s.%s.%s" % (module, new.__qualname__, name)


def _functions(value: object) -> list[types.FunctionType]:
    candidates: list[object]
    if isinstance(value, property):
        candidates = [value.fget, value.fset, value.fdel]
    else:
        candidates = [getattr(value, "__func__", value)]
    return [candidate for candidate in candidates if inspect.isfunction(candidate)]


def held_elsewhere(discarded: Discarded, module: str) -> list[Unsafe]:
    """Why the discarded objects still live, naming what holds them; [] when nothing does."""
    if not discarded.objects:
        return []
    gc.collect(1)
    if all(ref() is None for ref, _ in discarded.objects):
        return []
    # The young collection misses what user code's own gc.collect() promoted: before the
    # (slower) search for holders, a full one.
    gc.collect()
    alive = [ref() for ref, _ in discarded.objects]
    names = [what for ref, what in discarded.objects]
    targets = [obj for obj in alive if obj is not None]
    if not targets:
        return []
    found = _holders(targets)
    reasons: list[Unsafe] = []
    for obj, what in zip(alive, names):
        holders = found.get(id(obj)) if obj is not None else None
        # A class's methods come after it: held with it, they are no news.
        if holders and not any(what.startswith(reason.subject + ".") for reason in reasons):
            reasons.append(Unsafe(UnsafeKind.HELD_ELSEWHERE, what, ", ".join(sorted(holders))))
    return reasons


def _holders(targets: list[object]) -> dict[int, set[str]]:
    """For each target (by id), the dotted names of the module attributes and class
    attributes through which something reaches it, searching the referrers level by level.
    What the targets hold among themselves (a class's methods, its MRO, descriptors,
    closures' cells) leads back to them and names nothing; frames are transient."""
    own = {id(target) for target in targets}
    modules = {id(vars(module)): name for name, module in list(sys.modules.items()) if hasattr(module, "__dict__")}
    # What the search reached, by id: the object, the targets it leads to, the ids of the
    # objects it was reached from.
    nodes: dict[int, object] = {id(target): target for target in targets}
    leads: dict[int, set[int]] = {id(target): {id(target)} for target in targets}
    via: dict[int, list[int]] = {}
    # target id -> {holder's dotted name: the object it holds on the way to the target}
    found: dict[int, dict[str, object]] = {}
    frontier = list(targets)
    for _ in range(LEVELS):
        if not frontier:
            break
        following: list[object] = []
        search = tuple(frontier)
        ours = {id(nodes), id(frontier), id(following), id(search), id(targets)}
        for referrer in gc.get_referrers(*search):
            if id(referrer) in ours or isinstance(referrer, (types.FrameType, CACHES)):
                continue
            children = [id(child) for child in gc.get_referents(referrer) if id(child) in nodes]
            name = _anchor(referrer, children, nodes, via, modules, own)
            reached = set().union(*(leads[child] for child in children)) if children else set()
            if name is not None:
                for target in reached:
                    found.setdefault(target, {})[name] = nodes[children[0]]
                continue
            if id(referrer) in nodes:
                continue
            nodes[id(referrer)] = referrer
            leads[id(referrer)] = reached
            via[id(referrer)] = children
            following.append(referrer)
        del search
        for cut in following[WIDTH:]:
            _unnamed(found, leads[id(cut)], cut)
        frontier = following[:WIDTH]
        del following
    for cut in frontier:
        _unnamed(found, leads[id(cut)], cut)
    return {target: _at_home(names) for target, names in found.items()}


def _unnamed(found: dict[int, dict[str, object]], targets: set[int], holder: object) -> None:
    """Where the search stops before it names what holds a target: still a holder (the
    target is alive after a full collection), said as what the search last saw."""
    for target in targets:
        if target not in found:
            found[target] = {"something the search did not name (through a %s)" % type(holder).__name__: holder}


def _at_home(names: dict[str, object]) -> set[str]:
    """The holders' names, one per object held: a function's or a class's where it was
    defined, rather than each importer's name for it."""
    kept = set()
    for name, held in names.items():
        home = "%s.%s" % (getattr(held, "__module__", None), getattr(held, "__qualname__", None))
        if home in names and name != home:
            continue
        kept.add(name)
    return kept


def _anchor(
    referrer: object,
    children: list[int],
    nodes: dict[int, object],
    via: dict[int, list[int]],
    modules: dict[int, str],
    own: set[int],
) -> str | None:
    """The dotted name of a module's or a class's attribute through which referrer holds
    one of children, if referrer is such a namespace (and not one of the targets)."""
    if type(referrer) is dict and id(referrer) in modules:
        return "%s.%s" % (modules[id(referrer)], _key_of(referrer, children, nodes))
    if not isinstance(referrer, type) or id(referrer) in own:
        return None
    where = "%s.%s" % (referrer.__module__, referrer.__qualname__)
    for child in children:
        value = nodes[child]
        if value is referrer.__bases__ or value is referrer.__mro__:
            return "%s (a subclass)" % where
        if type(value) is dict:  # the class's attributes
            return "%s.%s" % (where, _key_of(value, via.get(child, []), nodes))
    return where


def _key_of(namespace: dict, children: list[int], nodes: dict[int, object]) -> str:
    for key, value in namespace.items():
        if id(value) in children or id(getattr(value, "__func__", None)) in children:
            return str(key)
    return "?"
