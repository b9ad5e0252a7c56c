"""Copied into a package under development, where it runs inside Zope: the global site
manager's registrations as sorted lines, the same in every process that loaded the same code
and ZCML, so that a live process after reloads can be compared with a cold start.

Served at @@registry-snapshot (a test package's page), printed by ``bin/instance run``; the
reload engine's in-process tests (harness.zcml_engine) import it without Zope."""

import json
import re
import types

from zope.component import getGlobalSiteManager

# z3c.form names the interfaces it makes for ``for_=object`` after their id().
GENERATED = re.compile(r"(IGeneratedForObject_)\d+")


def spec_name(spec):
    """An interface or a class's implementedBy, by dotted name."""
    name = getattr(spec, "__identifier__", None) or getattr(spec, "__name__", None) or repr(spec)
    return GENERATED.sub(r"\1N", name)


def object_name(obj):
    """What a registration holds, by dotted name: a function or class by its own (a class
    Five generates from yours, by its bases too), anything else by its class."""
    if isinstance(obj, (types.FunctionType, types.BuiltinFunctionType, types.MethodType, type)):
        name = "%s.%s" % (getattr(obj, "__module__", "?"), getattr(obj, "__qualname__", obj.__name__))
        if isinstance(obj, type) and obj.__module__.startswith("Products.Five"):
            name += "(%s)" % ", ".join(object_name(base) for base in obj.__bases__)
        return name
    return "instance of " + object_name(type(obj))


def snapshot():
    return sorted(registered())


def registered():
    """The lines in the order the registry holds them: the order handlers and subscription
    adapters run in."""
    registry = getGlobalSiteManager()
    lines = []
    for kind, registrations, held in (
        ("utility", registry.registeredUtilities(), "component"),
        ("adapter", registry.registeredAdapters(), "factory"),
        ("subscription adapter", registry.registeredSubscriptionAdapters(), "factory"),
        ("handler", registry.registeredHandlers(), "handler"),
    ):
        for registration in registrations:
            required = ", ".join(spec_name(spec) for spec in getattr(registration, "required", ()))
            provided = spec_name(registration.provided) if getattr(registration, "provided", None) else "-"
            name = GENERATED.sub(r"\1N", registration.name)
            lines.append(
                "%s (%s) -> %s %r: %s" % (kind, required, provided, name, object_name(getattr(registration, held)))
            )
    return lines


class RegistrySnapshot:
    """Five's page directive makes the view class from this one and its own BrowserView
    (which gives it ``request``): no Zope import here."""

    def __call__(self):
        self.request.response.setHeader("Content-Type", "application/json")
        return json.dumps(snapshot())
