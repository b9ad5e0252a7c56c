"""runtime.outside_zcml with a fake registry: what the start-up's ZCML execution did not
register comes back after a full ZCML reload, unless ZCML put something else in its place."""
from types import SimpleNamespace

import pytest

from collective.autorestart.runtime import outside_zcml


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


class Machine:
    def __init__(self, registry, zcml):
        self.registry = registry
        self.zcml = zcml

    def execute_actions(self):
        self.zcml(self.registry)


@pytest.fixture
def registry(monkeypatch):
    registry = FakeRegistry()
    monkeypatch.setattr(outside_zcml, "global_registry", lambda: registry)
    monkeypatch.setattr(outside_zcml, "_made_by_zcml", None)
    monkeypatch.setattr(outside_zcml, "_outside", None)
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

    machine = Machine(registry, zcml)
    outside_zcml.watch_execution(machine)
    machine.execute_actions()
    registry.utilities[(IProfile, "pas:simple")] = profile  # a product's initialize, after ZCML
    registry.utilities[(IProfile, "pas:empty")] = object()
    assert outside_zcml.remember_outside() == 3

    # A full reload: an empty registry, then ZCML again, which now registers pas:empty itself.
    registry.utilities.clear()
    registry.handlers.clear()
    zcml(registry)
    registry.utilities[(IProfile, "pas:empty")] = replaced
    restored = outside_zcml.restore_outside()

    assert sorted(restored) == ["IGreeting utility 'at-import'", "IProfile utility 'pas:simple'"]
    assert registry.utilities[(IGreeting, "at-import")] is at_import
    assert registry.utilities[(IProfile, "pas:simple")] is profile
    assert registry.utilities[(IProfile, "pas:empty")] is replaced
    assert registry.utilities[(IGreeting, "by-zcml")] is by_zcml
    assert registry.handlers == [((IEvent,), on_event)]
    assert outside_zcml.restore_outside() == []  # nothing missing any more


def test_without_a_watched_start_nothing_is_kept(registry):
    registry.utilities[(IGreeting, "at-import")] = object()
    assert outside_zcml.remember_outside() is None
    registry.utilities.clear()
    assert outside_zcml.restore_outside() == []
    assert registry.utilities == {}


def test_only_the_start_up_execution_is_watched(registry):
    runs = []
    first = Machine(registry, lambda registry: runs.append("first"))
    outside_zcml.watch_execution(first)
    first.execute_actions()
    second = Machine(registry, lambda registry: runs.append("second"))
    outside_zcml.watch_execution(second)  # a ZCML reload's machine
    assert "execute_actions" not in vars(second)
    second.execute_actions()
    assert runs == ["first", "second"]
