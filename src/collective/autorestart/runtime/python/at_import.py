"""Registrations module code makes at import (``provideAdapter``, ``provideHandler``,
``provideUtility``, a registry's ``register*`` called at module level), made as a cold start
makes them when a reload runs the module again.

Run again as it is, such code registers a second handler beside the first, keeps what the
old code registered where the new code registers elsewhere, and registers the objects of
the module's new run where the module keeps the old ones, updated in place. So while a
batch's modules run, the global registry's register methods record instead (into a registry
of their own for each module, which derives what the registration is as the global one
would); afterwards each module's registrations are compared with those it made before:
what is the same stays as it is (in its place among the subscribers), what is gone is
taken back, what is new is registered, with the objects the module keeps.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
import types
from collections.abc import Iterator

import zope.interface
import zope.interface.declarations
from zope.interface import implementedBy
from zope.interface.registry import Components

from collective.autorestart.runtime.registry import (
    HANDLER,
    SUBSCRIPTION_ADAPTER,
    describe,
    global_registry,
    held,
    in_order,
    register,
    registered_alike,
    registrations,
    slot,
    unregister,
)
from collective.autorestart.runtime.zcml import outside
from collective.autorestart.watching.roots import WatchedFiles
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

METHODS = ("registerUtility", "registerAdapter", "registerSubscriptionAdapter", "registerHandler")
# How far up a register call looks for the module-level code that made it.
MAX_FRAMES = 64


class ImportRegistrations:
    def __init__(self, roots: tuple[str, ...], watched: WatchedFiles | None = None) -> None:
        # Whose module-level code counts: under the roots, not in a directory the watcher skips.
        self.watched = watched if watched is not None else WatchedFiles(roots)
        # What each watched module registered when it last ran, once known.
        self._made: dict[str, list[tuple[str, object]]] | None = None
        # While a batch runs: the registrations its modules made, in a registry each.
        self._recorded: dict[str, Components] = {}
        # Declarations a module's run added to classes of other modules.
        self.unsafe: list[Unsafe] = []
        # What recording put in zope.interface's place, by id: the original.
        self._stand_ins: dict[int, object] = {}

    @contextlib.contextmanager
    def recording(self) -> Iterator[None]:
        """While the batch's modules run: their module-level code registers into a registry
        of its own; any other code into the global one, as ever."""
        registry = global_registry()
        self._recorded, self.unsafe = {}, []
        originals = {name: getattr(registry, name) for name in METHODS}
        for name, original in originals.items():
            setattr(registry, name, self._recorder(name, original))
        # A module's run imports classImplements again: it gets this one.
        class_implements = zope.interface.declarations.classImplements
        watching = self._watching_declarations(class_implements)
        self._stand_ins = {id(watching): class_implements}
        zope.interface.classImplements = zope.interface.declarations.classImplements = watching
        try:
            yield
        finally:
            zope.interface.classImplements = zope.interface.declarations.classImplements = class_implements
            for name in METHODS:
                # The class's methods again (they were not instance attributes before).
                vars(registry).pop(name, None)

    def _watching_declarations(self, class_implements):
        """classImplements, noting where a module's run declares new interfaces on a class
        of another module: on a cold start that class has only what the new code declares,
        here it keeps what the old code did too. (Re-declared, it is as it was.)"""

        def declaring(cls, *interfaces):
            module = self._calling_module()
            if module is not None and getattr(cls, "__module__", None) != module:
                declared = implementedBy(cls).declared
                new = [each for each in interfaces if each not in declared]
                if new:
                    names = ", ".join(getattr(each, "__identifier__", repr(each)) for each in new)
                    subject = "%s.%s" % (cls.__module__, cls.__qualname__)
                    self.unsafe.append(Unsafe(UnsafeKind.DECLARED_ON_ANOTHER_MODULE, subject, names, within=module))
            return class_implements(cls, *interfaces)

        return declaring

    def _recorder(self, method: str, original):
        def record(*args, **kwargs):
            module = self._calling_module()
            if module is None:
                return original(*args, **kwargs)
            kwargs["event"] = False  # notified when registered for real
            scratch = self._recorded.get(module)
            if scratch is None:
                scratch = self._recorded[module] = Components(module)
            return getattr(scratch, method)(*args, **kwargs)

        return record

    def _calling_module(self) -> str | None:
        """The watched module whose module-level code made the call, if any."""
        frame: types.FrameType | None = sys._getframe(2)
        for _ in range(MAX_FRAMES):
            if frame is None:
                return None
            if frame.f_code.co_name == "<module>" and self.watched(str(frame.f_globals.get("__file__", ""))):
                return frame.f_globals.get("__name__")
            frame = frame.f_back
        return None

    def reconcile(self, reloaded: list[str]) -> list[str]:
        """After the batch: each reloaded module's registrations as a cold start makes them.
        Returns what changed, one note each."""
        recorded, self._recorded = self._recorded, {}
        self._put_back_originals(reloaded)
        made = self._made_before(reloaded, recorded)
        if made is None:
            return []
        registry = global_registry()
        notes: list[str] = []
        removed: list[tuple[str, object]] = []
        added: list[tuple[str, object]] = []
        in_run_order: list[tuple[str, object]] = []
        for module in reloaded:
            before = made.get(module, [])
            scratch = recorded.get(module)
            now = (
                [(kind, _kept(registration, registry)) for kind, registration in registrations(scratch)]
                if scratch
                else []
            )
            staying = []
            for kind, registration in now:
                same = next((old for old in before if _same(kind, registration, old)), None)
                if same is not None and registered_alike(registry, kind, same[1]):
                    staying.append(same)
                    continue
                register(registry, kind, registration)
                added.append((kind, registration))
                staying.append((kind, registration))
                notes.append("registered %s at import of %s" % (_described(kind, registration), module))
            for kind, registration in before:
                if any(each[1] is registration for each in staying):
                    continue
                if registered_alike(registry, kind, registration):
                    unregister(registry, kind, registration)
                    notes.append("took back %s registered at import of %s" % (_described(kind, registration), module))
                removed.append((kind, registration))
            made[module] = staying
            in_run_order.extend(staying)
        if added:
            # Registered at import, they run before what ZCML registered (its info says
            # where), in the order the modules' code registered them.
            touched = {id(held(kind, registration)) for kind, registration in added}
            ran = {id(held(kind, each)): index for index, (kind, each) in enumerate(in_run_order)}
            in_order(
                registry,
                (HANDLER, SUBSCRIPTION_ADAPTER),
                touched=lambda registration: id(registration.factory) in touched,
                position=lambda registration: (
                    (1, 0) if hasattr(registration.info, "file") else (0, ran.get(id(registration.factory), -1))
                ),
            )
        outside.replace_outside(removed, added)
        return notes

    def _put_back_originals(self, reloaded: list[str]) -> None:
        """A module that ran ``from zope.interface import classImplements`` while recording
        holds the stand-in: a cold start's holds zope.interface's."""
        stand_ins, self._stand_ins = self._stand_ins, {}
        for name in reloaded:
            namespace = vars(sys.modules.get(name, sys))
            for key, value in list(namespace.items()):
                original = stand_ins.get(id(value))
                if original is not None:
                    namespace[key] = original

    def _made_before(self, reloaded: list[str], recorded: dict) -> dict[str, list[tuple[str, object]]] | None:
        """What the modules registered when they ran before: from what the start-up had
        outside ZCML (by the module of what each holds). None when neither the start-up
        was watched nor the batch registered anything: nothing to do."""
        if self._made is None:
            known = outside.made_outside()
            if known is None:
                if not recorded:
                    return None
                # Not watched at start-up: what the registry holds that is not ZCML's.
                known = [
                    (kind, registration)
                    for kind, registration in registrations(global_registry())
                    if not hasattr(registration.info, "file")
                ]
            self._made = {}
            for kind, registration in known:
                module = _module_of(held(kind, registration))
                if module is not None and self.watched(str(getattr(sys.modules.get(module), "__file__", ""))):
                    self._made.setdefault(module, []).append((kind, registration))
        return self._made


def _described(kind: str, registration) -> str:
    value = held(kind, registration)
    name = getattr(value, "__qualname__", None) or "an instance of %s" % type(value).__qualname__
    return "%s (%s)" % (describe(kind, registration), name)


def _module_of(value: object) -> str | None:
    if inspect.isclass(value) or inspect.isroutine(value):
        return getattr(value, "__module__", None)
    return type(value).__module__


def _same(kind: str, registration, old: tuple[str, object]) -> bool:
    return old[0] == kind and slot(kind, old[1]) == slot(kind, registration) and held(*old) is held(kind, registration)


def _kept(registration, registry):
    """The registration with the objects the module keeps (updated in place) where its run
    made new ones of the same name, as one of registry's: not of the scratch registry it was
    recorded in, which holds all the new run's objects (what holders would find held)."""
    state = vars(registration)
    if "registry" in state:
        state["registry"] = registry
    for name in ("component", "factory", "handler"):
        if name in state:
            state[name] = _kept_object(state[name])
    if state.get("required"):
        state["required"] = tuple(_kept_object(each) for each in state["required"])
    return registration


def _kept_object(value: object) -> object:
    if not (inspect.isclass(value) or inspect.isfunction(value)):
        return value
    found: object = sys.modules.get(getattr(value, "__module__", None) or "")
    for part in getattr(value, "__qualname__", "").split("."):
        found = vars(found).get(part) if hasattr(found, "__dict__") else None
    return found if found is not None and type(found) is type(value) else value
