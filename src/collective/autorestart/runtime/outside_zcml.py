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

UTILITY = "utility"
ADAPTER = "adapter"
SUBSCRIPTION_ADAPTER = "subscription adapter"
HANDLER = "handler"

_made_by_zcml: set | None = None
_outside: list | None = None


def global_registry():
    from zope.component import getGlobalSiteManager

    return getGlobalSiteManager()


def registrations(registry) -> list[tuple[str, object]]:
    return (
        [(UTILITY, registration) for registration in registry.registeredUtilities()]
        + [(ADAPTER, registration) for registration in registry.registeredAdapters()]
        + [(SUBSCRIPTION_ADAPTER, registration) for registration in registry.registeredSubscriptionAdapters()]
        + [(HANDLER, registration) for registration in registry.registeredHandlers()]
    )


def held(kind: str, registration) -> object:
    if kind == UTILITY:
        return registration.component
    if kind == HANDLER:
        return registration.handler
    return registration.factory


def slot(kind: str, registration) -> tuple:
    """Where it is registered: one utility or adapter per slot, any number of the others."""
    required = tuple(getattr(registration, "required", ()))
    return (kind, required, getattr(registration, "provided", None), registration.name)


def identity(kind: str, registration) -> tuple:
    return slot(kind, registration) + (id(held(kind, registration)),)


def watch_execution(machine) -> None:
    """Called while the start-up's ZCML is parsed (our slug's directive): note what the
    execution of its actions registers. Once per machine; a ZCML reload's is not watched."""
    if _made_by_zcml is not None or getattr(machine, "_autorestart_watched", False):
        return
    execute_actions = machine.execute_actions

    def execute_and_note(*args, **kwargs):
        global _made_by_zcml
        registry = global_registry()
        before = {identity(kind, registration) for kind, registration in registrations(registry)}
        result = execute_actions(*args, **kwargs)
        if _made_by_zcml is None:
            after = {identity(kind, registration) for kind, registration in registrations(registry)}
            _made_by_zcml = after - before
        return result

    machine.execute_actions = execute_and_note
    machine._autorestart_watched = True


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
        _register(registry, kind, registration)
        restored.append(_describe(kind, registration))
    return restored


def _register(registry, kind: str, registration) -> None:
    if kind == UTILITY:
        registry.registerUtility(
            registration.component, registration.provided, registration.name, registration.info, event=False
        )
    elif kind == ADAPTER:
        registry.registerAdapter(
            registration.factory, registration.required, registration.provided, registration.name,
            registration.info, event=False,
        )
    elif kind == SUBSCRIPTION_ADAPTER:
        registry.registerSubscriptionAdapter(
            registration.factory, registration.required, registration.provided, registration.name,
            registration.info, event=False,
        )
    else:
        registry.registerHandler(registration.handler, registration.required, registration.name, registration.info,
                                 event=False)


def unregister(registry, kind: str, registration) -> None:
    if kind == UTILITY:
        registry.unregisterUtility(registration.component, registration.provided, registration.name)
    elif kind == ADAPTER:
        registry.unregisterAdapter(
            registration.factory, registration.required, registration.provided, registration.name
        )
    elif kind == SUBSCRIPTION_ADAPTER:
        registry.unregisterSubscriptionAdapter(
            registration.factory, registration.required, registration.provided, registration.name
        )
    else:
        registry.unregisterHandler(registration.handler, registration.required, registration.name)


def _describe(kind: str, registration) -> str:
    provided = getattr(registration, "provided", None)
    name = " %r" % registration.name if registration.name else ""
    return "%s %s%s" % (getattr(provided, "__name__", kind), kind, name)
