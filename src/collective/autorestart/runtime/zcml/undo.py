"""Which configuration actions can be taken back, and how.

An incremental ZCML reload takes back what the actions of the changed files did, then runs
their new actions. That is only as good as its knowledge of each action's callable: one it
does not know may have done anything, so the reload falls back to the full one.
"""

from __future__ import annotations

import inspect
import sys

from collective.autorestart.runtime.touchpoints import CATALOG_FILE

REGISTER_METHODS = frozenset(["registerAdapter", "registerUtility", "registerHandler", "registerSubscriptionAdapter"])
HANDLER = "zope.component.zcml.handler"
PROVIDE_INTERFACE = "zope.component.interface.provideInterface"
REGISTER_PROFILE = "Products.GenericSetup.registry.ProfileRegistry.registerProfile"
# They check, or declare security on a class the directive made (a view's): a cold start
# makes a new class, and so does the reload; the old one goes with its registration.
SECURITY_ON_CLASS = frozenset(
    [
        "AccessControl.security.protectName",
        "AccessControl.security.protectClass",
        "AccessControl.class_init.InitializeClass",
    ]
)
CHECKS = frozenset(["zope.security.permission.checkPermission"])
# What a full ZCML reload does take back, though an incremental one can't: translation
# domains are utilities of the global registry, which the full reload empties. (Not
# GenericSetup's steps: no cleanup empties its registries.)
FULL_RELOAD_UNDOES = ("zope.i18n.zcml.handler",)


def full_reload_undoes(action: dict) -> bool:
    return dotted(action.get("callable")).startswith(FULL_RELOAD_UNDOES)


def same_effect(old: dict, new: dict) -> bool:
    """Whether the new action does what the old one did, so that the old one's effect can
    stay as it is. Parsing makes new objects for some arguments (i18n's message catalogs,
    GenericSetup's upgrade steps): those of one type are compared by their attributes."""
    return (
        old.get("callable") is new.get("callable")
        and _alike(old.get("args"), new.get("args"))
        and _alike(old.get("kw"), new.get("kw"))
    )


def _alike(old, new, depth: int = 3) -> bool:
    if old is new or _equal(old, new):
        return True
    if depth == 0 or type(old) is not type(new):
        return False
    if isinstance(old, (list, tuple)):
        return len(old) == len(new) and all(_alike(a, b, depth - 1) for a, b in zip(old, new))
    if isinstance(old, dict):
        return old.keys() == new.keys() and all(_alike(old[key], new[key], depth - 1) for key in old)
    if inspect.isclass(old) or inspect.isroutine(old) or not hasattr(old, "__dict__"):
        return False
    if isinstance(getattr(old, CATALOG_FILE, None), str):
        # A message catalog: what it holds is read from its file.
        return all(
            getattr(old, name, None) == getattr(new, name, None) for name in (CATALOG_FILE, "language", "domain")
        )
    return _alike(vars(old), vars(new), depth - 1)


def _equal(old, new) -> bool:
    try:
        return bool(old == new)
    except Exception:  # noqa: B902 - whatever their __eq__ does, they are not known to be equal
        return False


def dotted(callable_) -> str:
    return "%s.%s" % (getattr(callable_, "__module__", "?"), getattr(callable_, "__qualname__", repr(callable_)))


def why_not_undoable(action: dict) -> str | None:
    """None when the action can be taken back; else why not, for the log."""
    callable_ = action.get("callable")
    if callable_ is None:
        return None
    name = dotted(callable_)
    args = action.get("args") or ()
    if name == HANDLER and args and args[0] in REGISTER_METHODS:
        info = action.get("info")
        # Its registrations are found by the directive's info they carry.
        if info and any(arg is info for arg in args):
            return None
        return "a registration without the directive's info"
    if name in (PROVIDE_INTERFACE, REGISTER_PROFILE) or name in CHECKS:
        return None
    if name in SECURITY_ON_CLASS:
        if args and inspect.isclass(args[0]) and not _importable(args[0]):
            return None
        return "security declared on %s" % dotted(args[0]) if args else name
    return name


def _importable(cls: type) -> bool:
    """Whether the class is the one its module defines, as opposed to a class a directive
    made (Five's views)."""
    module = sys.modules.get(cls.__module__)
    return module is not None and getattr(module, cls.__name__, None) is cls


def interface_key(action: dict) -> tuple | None:
    """What a provideInterface action registers: (the interface type, its name)."""
    callable_ = action.get("callable")
    # Cheap first: this runs over every action of the site.
    if getattr(callable_, "__name__", None) != "provideInterface" or dotted(callable_) != PROVIDE_INTERFACE:
        return None
    from zope.interface.interfaces import IInterface

    args, kw = action.get("args") or (), action.get("kw") or {}
    if not kw and 2 <= len(args) <= 4:
        bound = dict(zip(("id", "interface", "iface_type", "info"), args))
    else:
        bound = _bind(action)
    interface = bound.get("interface")
    if interface is None or not IInterface.providedBy(interface):
        return None
    name = bound.get("id") or "%s.%s" % (interface.__module__, interface.__name__)
    return (bound.get("iface_type") or IInterface, name, interface)


def undo_profile(action: dict) -> None:
    bound = _bind(action)
    try:
        action["callable"].__self__.unregisterProfile(bound["name"], bound.get("product"))
    except KeyError:
        pass  # not registered any more


def _bind(action: dict) -> dict:
    try:
        signature = inspect.signature(action["callable"])
        return dict(signature.bind(*action.get("args", ()), **action.get("kw", {})).arguments)
    except (TypeError, ValueError):
        return {}


def is_profile(action: dict) -> bool:
    return dotted(action.get("callable")) == REGISTER_PROFILE
