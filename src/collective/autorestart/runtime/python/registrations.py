"""Swap objects a reload replaced (a module-level utility instance, a factory that is not a
class) in the global component registry, as a cold start would have registered the new ones.
What ZCML registered from a module attribute is looked up there once, at start-up."""

from __future__ import annotations

from zope.component import getGlobalSiteManager

from collective.autorestart.runtime.registry import held, registrations


def swap_replaced(replaced: dict[int, tuple[object, object, str]]) -> list[str]:
    """replaced: id(old object) -> (old, new, dotted name).  Returns what was swapped, one
    note each."""
    if not replaced:
        return []
    registry = getGlobalSiteManager()
    notes = []
    for registration in list(registry.registeredUtilities()):
        found = replaced.get(id(registration.component))
        if found is None or found[0] is not registration.component:
            continue
        registry.registerUtility(found[1], registration.provided, registration.name, registration.info, event=False)
        notes.append("re-registered %s as the %s utility%s" % (found[2], _provided(registration), _named(registration)))
    for registration in list(registry.registeredAdapters()):
        found = replaced.get(id(registration.factory))
        if found is None or found[0] is not registration.factory:
            continue
        registry.registerAdapter(
            found[1], registration.required, registration.provided, registration.name, registration.info, event=False
        )
        notes.append(
            "re-registered %s as an adapter to %s%s" % (found[2], _provided(registration), _named(registration))
        )
    for registration in list(registry.registeredSubscriptionAdapters()):
        found = replaced.get(id(registration.factory))
        if found is None or found[0] is not registration.factory:
            continue
        registry.unregisterSubscriptionAdapter(
            registration.factory, registration.required, registration.provided, registration.name
        )
        registry.registerSubscriptionAdapter(
            found[1], registration.required, registration.provided, registration.name, registration.info, event=False
        )
        notes.append("re-registered %s as a subscriber" % found[2])
    for registration in list(registry.registeredHandlers()):
        found = replaced.get(id(registration.handler))
        if found is None or found[0] is not registration.handler:
            continue
        registry.unregisterHandler(registration.handler, registration.required, registration.name)
        registry.registerHandler(found[1], registration.required, registration.name, registration.info, event=False)
        notes.append("re-registered %s as an event handler" % found[2])
    return notes


def _provided(registration) -> str:
    return getattr(registration.provided, "__name__", repr(registration.provided))


def _named(registration) -> str:
    return " named %r" % registration.name if registration.name else ""


def registered_among(values: dict) -> dict:
    """The values (key -> object) the global registry holds: as a component, factory or
    handler, or as a base of a registered class (Five's views subclass the user's)."""
    by_id = {id(value): key for key, value in values.items()}
    found = {}
    for kind, registration in registrations(getGlobalSiteManager()):
        component = held(kind, registration)
        candidates = getattr(component, "__mro__", None) or (component,)
        for candidate in candidates:
            key = by_id.get(id(candidate))
            if key is not None:
                found[key] = values[key]
    return found
