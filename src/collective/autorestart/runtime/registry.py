"""The global component registry as both engines see it: its registrations of the four kinds,
what each holds, where it sits, and how to register or unregister one again.

Neutral ground: the Python engine looks for replaced objects here, the ZCML engine takes
back what changed files registered and keeps what code registered outside ZCML.
"""

from __future__ import annotations

from typing import Any

UTILITY = "utility"
ADAPTER = "adapter"
SUBSCRIPTION_ADAPTER = "subscription adapter"
HANDLER = "handler"


def global_registry():
    from zope.component import getGlobalSiteManager

    return getGlobalSiteManager()


def registrations(registry) -> list[tuple[str, Any]]:
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


def register(registry, kind: str, registration) -> None:
    if kind == UTILITY:
        registry.registerUtility(
            registration.component, registration.provided, registration.name, registration.info, event=False
        )
    elif kind in (ADAPTER, SUBSCRIPTION_ADAPTER):
        add = registry.registerAdapter if kind == ADAPTER else registry.registerSubscriptionAdapter
        add(
            registration.factory,
            registration.required,
            registration.provided,
            registration.name,
            registration.info,
            event=False,
        )
    else:
        registry.registerHandler(
            registration.handler, registration.required, registration.name, registration.info, event=False
        )


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


def describe(kind: str, registration) -> str:
    provided = getattr(registration, "provided", None)
    name = " %r" % registration.name if registration.name else ""
    return "%s %s%s" % (getattr(provided, "__name__", kind), kind, name)


def in_order(registry, kinds: tuple[str, ...], touched, position) -> int:
    """Put the subscribers of each group (kind, required, provided) that holds a touched
    registration back in the order a cold start registers them: position(registration)
    sorts them (a stable sort: equal positions keep their order). Registering again puts a
    subscriber last in its group, and a group runs in its order. Returns how many
    registrations were made again."""
    groups: dict[tuple, list] = {}
    for kind, registration in registrations(registry):
        if kind in kinds:
            groups.setdefault(group(kind, registration), []).append((kind, registration))
    moved = 0
    for key, members in groups.items():
        if len(members) < 2 or not any(touched(registration) for _, registration in members):
            continue
        wanted = sorted(members, key=lambda member: position(member[1]))
        first = next((index for index, (a, b) in enumerate(zip(members, wanted)) if a[1] is not b[1]), None)
        if first is None:
            continue
        for kind, registration in members[first:]:
            unregister(registry, kind, registration)
        for kind, registration in wanted[first:]:
            register(registry, kind, registration)
        moved += len(members) - first
    return moved


def group(kind: str, registration) -> tuple:
    """Subscribers of one group run in the order they were registered."""
    return (kind, tuple(getattr(registration, "required", ())), getattr(registration, "provided", None))


def registered_alike(registry, kind: str, registration) -> bool:
    """Whether the registry holds this very registration: the same slot and the same object."""
    if kind == UTILITY:
        found = getattr(registry, "_utility_registrations", {}).get((registration.provided, registration.name))
        return found is not None and found[0] is registration.component
    if kind == ADAPTER:
        key = (tuple(registration.required), registration.provided, registration.name)
        found = getattr(registry, "_adapter_registrations", {}).get(key)
        return found is not None and found[0] is registration.factory
    wanted = identity(kind, registration)
    listed = registry.registeredHandlers() if kind == HANDLER else registry.registeredSubscriptionAdapters()
    return any(identity(kind, each) == wanted for each in listed)
