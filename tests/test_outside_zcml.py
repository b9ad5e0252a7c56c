"""runtime.zcml.outside with a fake registry: what the start-up's ZCML execution did not
register comes back after a full ZCML reload, unless ZCML put something else in its place."""

from types import SimpleNamespace

import pytest

from collective.autorestart.runtime.zcml import outside


class FakeRegistry:
    """Utilities and handlers only, as zope.interface's registry lists them."""

    def __init__(self):
        self.utilities = {}
        self.handlers = []

    def registeredUtilities(self):
        return [
            SimpleNamespace(provided=provided, name=name, component=component, info="")
            for (provided, name), component in self.utilities.items()
        ]

    def registeredAdapters(self):
        return []

    def registeredSubscriptionAdapters(self):
        return []

    def registeredHandlers(self):
        return [
            SimpleNamespace(required=required, name="", handler=handler, info="") for required, handler in self.handlers
        ]

    def registerUtility(self, component, provided, name, info, event):
        self.utilities[(provided, name)] = component

    def registerHandler(self, handler, required, name, info, event):
        self.handlers.append((required, handler))


def execute(registry, zcml):
    """An execution of ZCML actions, noted as the recorder notes it."""
    with outside.noting_execution():
        zcml(registry)


@pytest.fixture
def registry(monkeypatch):
    registry = FakeRegistry()
    monkeypatch.setattr(outside, "global_registry", lambda: registry)
    monkeypatch.setattr(outside, "_made_by_zcml", None)
    monkeypatch.setattr(outside, "_outside", None)
    return registry


class Interface:
    def __init__(self, name):
        self.__name__ = name


IGreeting, IProfile, IEvent = Interface("IGreeting"), Interface("IProfile"), Interface("IEvent")


def on_event(event):
    pass


def test_what_code_registered_comes_back_and_what_zcml_replaced_does_not(registry):
    at_import, by_zcml, profile, replaced = object(), object(), object(), object()
    registry.utilities[(IGreeting, "at-import")] = at_import  # during the parse: an import

    def zcml(registry):
        registry.utilities[(IGreeting, "by-zcml")] = by_zcml
        registry.handlers.append(((IEvent,), on_event))

    execute(registry, zcml)
    registry.utilities[(IProfile, "pas:simple")] = profile  # a product's initialize, after ZCML
    registry.utilities[(IProfile, "pas:empty")] = object()
    assert outside.remember_outside() == 3

    # A full reload: an empty registry, then ZCML again, which now registers pas:empty itself.
    registry.utilities.clear()
    registry.handlers.clear()
    zcml(registry)
    registry.utilities[(IProfile, "pas:empty")] = replaced
    restored = outside.restore_outside()

    assert sorted(restored) == ["IGreeting utility 'at-import'", "IProfile utility 'pas:simple'"]
    assert registry.utilities[(IGreeting, "at-import")] is at_import
    assert registry.utilities[(IProfile, "pas:simple")] is profile
    assert registry.utilities[(IProfile, "pas:empty")] is replaced
    assert registry.utilities[(IGreeting, "by-zcml")] is by_zcml
    assert registry.handlers == [((IEvent,), on_event)]
    assert outside.restore_outside() == []  # nothing missing any more


def test_without_a_watched_start_nothing_is_kept(registry):
    registry.utilities[(IGreeting, "at-import")] = object()
    assert outside.remember_outside() is None
    registry.utilities.clear()
    assert outside.restore_outside() == []
    assert registry.utilities == {}


def test_only_the_start_up_execution_is_noted(registry):
    at_start_up, by_reload = object(), object()
    execute(registry, lambda registry: registry.utilities.__setitem__((IGreeting, "start-up"), at_start_up))
    # A later execution (a full reload's) registers as code outside ZCML would: not noted
    # as ZCML's, so at the runtime's start it counts as made outside ZCML.
    execute(registry, lambda registry: registry.utilities.__setitem__((IGreeting, "reload"), by_reload))
    assert outside.remember_outside() == 1
    registry.utilities.clear()
    assert outside.restore_outside() == ["IGreeting utility 'reload'"]
    assert registry.utilities == {(IGreeting, "reload"): by_reload}


def test_a_failed_execution_is_not_noted(registry):
    def failing(registry):
        registry.utilities[(IGreeting, "half-done")] = object()
        raise RuntimeError("a directive failed")

    with pytest.raises(RuntimeError):
        execute(registry, failing)
    assert outside.remember_outside() is None
