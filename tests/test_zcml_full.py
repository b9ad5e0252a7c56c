"""runtime.zcml.full: the full ZCML reload tries again when a request raced with it, and only
then; plone.reload's reload is a fake here (the real one needs Zope)."""

import sys
import types

import pytest

from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml import full

# A frame inside zope.interface: how a request iterating the registry meanwhile fails.
RACING = compile("def iterate():\n    raise RuntimeError('dictionary changed size during iteration')\n",
                 "/site-packages/zope/interface/registry.py", "exec")  # fmt: skip


def race():
    namespace = {}
    exec(RACING, namespace)
    namespace["iterate"]()


@pytest.fixture
def reloads(monkeypatch):
    """The list of what each call of the fake reload_zcml does, in order: "race", "ok" or
    an exception; what was called is counted in calls."""
    plan, calls = [], []

    def reload_zcml():
        step = plan[len(calls)]
        calls.append(step)
        if step == "race":
            race()
        elif isinstance(step, Exception):
            raise step

    monkeypatch.setitem(sys.modules, "plone.reload.zcml", types.SimpleNamespace(reload_zcml=reload_zcml))
    monkeypatch.setattr(full.outside, "restore_outside", lambda: ["kept"])
    return plan, calls


def test_a_race_with_a_request_is_tried_again(reloads):
    plan, calls = reloads
    plan[:] = ["race", "ok"]
    assert full.reload_zcml_despite_requests(RepeatedWarnings(("/src",))) == ["kept"]
    assert calls == ["race", "ok"]


def test_the_users_error_is_raised_at_once(reloads):
    plan, calls = reloads
    plan[:] = [ValueError("bad ZCML"), "ok"]
    with pytest.raises(ValueError, match="bad ZCML"):
        full.reload_zcml_despite_requests(RepeatedWarnings(("/src",)))
    assert len(calls) == 1


def test_races_every_time_end_with_the_last_ones_error(reloads):
    plan, calls = reloads
    plan[:] = ["race"] * full.ZCML_ATTEMPTS
    with pytest.raises(RuntimeError, match="dictionary changed size"):
        full.reload_zcml_despite_requests(RepeatedWarnings(("/src",)))
    assert len(calls) == full.ZCML_ATTEMPTS
