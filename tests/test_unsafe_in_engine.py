"""The engine's unsafe reasons are values tested by kind: what the checked reload reports for
a class or function it can't update in place, and how the ZCML strategy tells our own
errors from the user's. In-process, on the packages of requirements-engine.txt."""

import importlib
import logging
import sys
import textwrap

import pytest

from collective.autorestart.runtime.python.checked_reload import CheckedReloader
from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml import incremental, strategy
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind


@pytest.fixture
def module(tmp_path, monkeypatch, request):
    """write(source): the module written and imported; then write(new source), reload()."""
    name = "unsafe_case_%s" % request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    path = tmp_path / (name + ".py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)

    class Case:
        def write(self, source):
            path.write_text(textwrap.dedent(source))
            if name not in sys.modules:
                importlib.import_module(name)

        def reload(self):
            reloader = CheckedReloader(sys.modules[name], {})
            reloader.reload()
            return reloader

    yield Case()
    sys.modules.pop(name, None)


CHANGES = {
    "slots": (
        'class Thing:\n    __slots__ = ("a",)\n',
        'class Thing:\n    __slots__ = ("a", "b")\n',
        Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing"),
    ),
    "metaclass": (
        "class Meta(type):\n    pass\n\n\nclass Thing(metaclass=Meta):\n    pass\n",
        "class Meta(type):\n    pass\n\n\nclass Thing:\n    pass\n",
        Unsafe(UnsafeKind.METACLASS_CHANGED, "Thing"),
    ),
    "metaclass-gained": (
        "class Meta(type):\n    pass\n\n\nclass Thing:\n    pass\n",
        "class Meta(type):\n    pass\n\n\nclass Thing(metaclass=Meta):\n    pass\n",
        Unsafe(UnsafeKind.METACLASS_CHANGED, "Thing"),
    ),
    "closure": (
        "def text():\n    return 'a'\n",
        "import functools\n\n\ndef wrap(function):\n"
        "    @functools.wraps(function)\n    def wrapper():\n        return function()\n"
        "    return wrapper\n\n\n"
        "@wrap\ndef text():\n    return 'b'\n",
        Unsafe(UnsafeKind.CLOSURE_CHANGED, "text"),
    ),
    "bases": (
        "class Base:\n    def __init_subclass__(cls, **kw):\n        pass\n\n\nclass Thing:\n    pass\n",
        "class Base:\n    def __init_subclass__(cls, **kw):\n        pass\n\n\nclass Thing(Base):\n    pass\n",
        Unsafe(UnsafeKind.BASES_CHANGED, "Thing", "a new base has __init_subclass__"),
    ),
    "enum": (
        "import enum\n\n\nclass Color(enum.Enum):\n    RED = 1\n",
        "import enum\n\n\nclass Color(enum.Enum):\n    RED = 1\n    BLUE = 2\n",
        Unsafe(UnsafeKind.ENUM_MEMBERS_CHANGED, "Color"),
    ),
}


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_what_cant_be_updated_in_place_is_reported_by_kind(module, change):
    before, after, expected = CHANGES[change]
    module.write(before)
    module.write(after)
    assert module.reload().unsafe == [expected]


def test_bases_that_can_be_rebased_are_not_unsafe(module):
    module.write("class Base:\n    pass\n\n\nclass Other:\n    pass\n\n\nclass Thing(Base):\n    pass\n")
    module.write("class Base:\n    pass\n\n\nclass Other:\n    pass\n\n\nclass Thing(Other):\n    pass\n")
    reloader = module.reload()
    assert reloader.unsafe == []
    assert reloader.notes == ["rebased Thing on Other"]


@pytest.fixture
def zcml(monkeypatch):
    """A ZCML strategy whose full reload is counted, not run (it needs Zope)."""
    full = []
    monkeypatch.setattr(strategy, "reload_zcml_despite_requests", lambda quiet: full.append(quiet) or [])
    monkeypatch.setattr(strategy, "minimize_zodb_caches", lambda: None)
    reloader = strategy.ZcmlReloader(("/src",), RepeatedWarnings(("/src",)))
    return reloader, full


def failing(error):
    def reload_changed(paths):
        raise error

    return reload_changed


def test_an_internal_error_of_the_incremental_reload_falls_back_to_the_full_one(zcml, monkeypatch, caplog):
    reloader, full = zcml
    monkeypatch.setattr(incremental, "_reload_changed", failing(KeyError("bug")))
    outcome = Outcome()
    with caplog.at_level(logging.WARNING, "collective.autorestart"):
        assert reloader.reload(("/src/pkg/configure.zcml",), outcome) is True
    assert len(full) == 1
    assert outcome.zcml_failure is None and outcome.zcml_reloaded
    assert outcome.notes == ["all ZCML again: an internal error of the incremental reload (KeyError: 'bug')"]
    [record] = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert "an internal error, not yours" in record.getMessage()
    assert record.exc_info[0] is KeyError


def test_the_users_zcml_error_is_reported_as_theirs(zcml, monkeypatch):
    from zope.configuration.exceptions import ConfigurationError

    reloader, full = zcml
    monkeypatch.setattr(incremental, "_reload_changed", failing(ConfigurationError("unknown directive")))
    outcome = Outcome()
    assert reloader.reload(("/src/pkg/configure.zcml",), outcome) is False
    assert full == []
    assert "unknown directive" in str(outcome.zcml_failure)
    assert not outcome.zcml_reloaded


def test_a_directive_not_even_the_full_reload_takes_back_is_unsafe_by_kind(zcml, monkeypatch):
    reloader, full = zcml
    reason = Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, "/src/pkg/configure.zcml:4", "security declared on pkg.View")
    monkeypatch.setattr(incremental, "_reload_changed", failing(incremental.Fallback(str(reason), unsafe=reason)))
    outcome = Outcome()
    reloader.reload(("/src/pkg/configure.zcml",), outcome)
    assert [(unsafe.kind, unsafe.within) for unsafe in outcome.unsafe] == [(UnsafeKind.ZCML_NOT_UNDOABLE, "ZCML")]
    assert len(full) == 1
