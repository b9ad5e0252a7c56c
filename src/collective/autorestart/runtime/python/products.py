"""Zope calls a product's ``initialize(context)`` once, at start-up (OFS.Application: the
packages of ``Products`` and those registered with ``five:registerPackage``): what it
registers (classes, constructors, permissions) and does (objects it adds to the database)
derives from code no reload runs again.  When a reload changes it, only a restart gives what
a cold start gives."""

from __future__ import annotations

import sys
import types

from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind


def initializer(module: types.ModuleType) -> tuple | None:
    """What a cold start would run of module's initialize(), comparable, when module is a
    Zope product (None otherwise; ("none",) for a product without one)."""
    if not _is_product(module):
        return None
    function = vars(module).get("initialize")
    code = getattr(function, "__code__", None)
    return ("none",) if code is None else _behaviour(code)


def initializer_changed(module: types.ModuleType, before: tuple | None) -> Unsafe | None:
    if before is None or initializer(module) == before:
        return None
    return Unsafe(UnsafeKind.PRODUCT_INITIALIZE_CHANGED, "%s.initialize" % module.__name__)


def _is_product(module: types.ModuleType) -> bool:
    name = module.__name__
    if name.startswith("Products.") and name.count(".") == 1 and hasattr(module, "__path__"):
        return True
    registered = getattr(sys.modules.get("OFS.metaconfigure"), "_registered_packages", ())
    return any(package is module for package in registered)


def _behaviour(code: types.CodeType) -> tuple:
    """The code without its line numbers: a save that only moves it changes nothing."""
    return (
        code.co_code,
        code.co_names,
        code.co_varnames,
        tuple(_behaviour(const) if isinstance(const, types.CodeType) else repr(const) for const in code.co_consts),
    )
