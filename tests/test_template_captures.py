"""A forked instance whose start-up replaced a function that a module imported late still
holds in its original form can't be shown to equal a cold start: found, and named; one
imported before the watched code, or a replacement no module took, is not a finding."""

import sys
import types

import pytest

from collective.autorestart.template import preload
from collective.autorestart.template.captures import Bindings


@pytest.fixture
def modules():
    """m defines f; early and late both took f by name."""
    made = {}

    def f():
        return "original"

    for name in ("tplcap_m", "tplcap_early", "tplcap_late"):
        module = types.ModuleType(name)
        module.f = f
        made[name] = sys.modules[name] = module
    yield made
    for name in made:
        del sys.modules[name]


def test_a_replaced_function_held_by_a_module_imported_late_is_found(modules):
    bindings = Bindings.of_loaded_modules()
    modules["tplcap_m"].f = lambda: "patched"  # what the developer's code does at start-up
    found = bindings.stale_captures({"tplcap_late"})
    assert [str(capture) for capture in found] == [
        "tplcap_m.f was replaced while the instance started; tplcap_late.f still holds the original"
    ]


def test_held_only_by_a_module_imported_early_or_not_replaced_is_no_finding(modules):
    bindings = Bindings.of_loaded_modules()
    assert bindings.stale_captures({"tplcap_early", "tplcap_late"}) == []
    modules["tplcap_m"].f = lambda: "patched"
    # Only tplcap_late was imported after the watched code; tplcap_early, imported before
    # it, holds the original in a cold start too.
    found = bindings.stale_captures({"tplcap_late"})
    assert [capture.holder for capture in found] == ["tplcap_late.f"]
    # It took the replacement itself: nothing stale.
    modules["tplcap_late"].f = modules["tplcap_m"].f
    assert bindings.stale_captures({"tplcap_late"}) == []


def test_what_a_cold_start_imported_after_the_first_watched_module():
    names = ["zope.interface", "Products.Five", "!my.addon", "plone.app.foo", "!my.addon.views", "plone.app.bar"]
    assert preload.imported_after_watched_code(names) == {"plone.app.foo", "plone.app.bar"}
    assert preload.imported_after_watched_code(["a", "b"]) == set()


def test_a_name_that_pointed_at_a_class_and_points_at_another_now_is_no_patch(modules):
    class ParanoidSecurityPolicy:
        pass

    modules["tplcap_m"]._defaultPolicy = ParanoidSecurityPolicy
    modules["tplcap_late"].ParanoidSecurityPolicy = ParanoidSecurityPolicy
    bindings = Bindings.of_loaded_modules()
    modules["tplcap_m"]._defaultPolicy = object  # setSecurityPolicy at start-up
    assert bindings.stale_captures({"tplcap_late"}) == []
