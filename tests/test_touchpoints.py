"""runtime.touchpoints: each private name of another package the engine relies on is there,
and when an upgrade removes one, the failure names the package, its version and the name.

The names themselves are probed here, but for Zope's: Zope is not in the unit tests' venv
(requirements-engine.txt), and test_e2e_engine probes all of them inside a real Zope."""

import importlib.metadata

import pytest

from collective.autorestart.runtime import touchpoints
from collective.autorestart.runtime.touchpoints import TOUCHPOINTS, Touchpoint

PYTEST = importlib.metadata.version("pytest")


def test_a_missing_name_is_named_with_its_package_version_and_user():
    gone = Touchpoint("pytest", "json", "_no_such_name", "runtime/somewhere.py", lambda module: False)
    assert gone.problem() == ("pytest %s: _no_such_name (it is missing), which runtime/somewhere.py relies on" % PYTEST)
    assert touchpoints.problems((gone,)) == [gone.problem()]


def test_a_probe_that_fails_is_a_problem_too():
    def probe(module):
        return module.NoSuchClass()

    broken = Touchpoint("pytest", "json", "NoSuchClass()._x", "runtime/somewhere.py", probe)
    assert broken.problem() == (
        "pytest %s: NoSuchClass()._x (probing it failed (AttributeError: module 'json' has no attribute"
        " 'NoSuchClass')), which runtime/somewhere.py relies on" % PYTEST
    )


def test_a_package_gone_is_a_problem():
    gone = Touchpoint("no.such.package", "no.such.package", "thing", "runtime/somewhere.py", lambda module: True)
    assert gone.problem() == (
        "no.such.package (version unknown): thing (probing it failed (ModuleNotFoundError: No module named"
        " 'no')), which runtime/somewhere.py relies on"
    )


def test_a_name_that_is_there_is_no_problem():
    there = Touchpoint("pytest", "json", "loads", "runtime/somewhere.py", lambda module: callable(module.loads))
    assert there.problem() is None
    assert touchpoints.problems((there,)) == []


def name(touchpoint):
    return "%s %s" % (touchpoint.package, touchpoint.name)


@pytest.mark.parametrize("touchpoint", [each for each in TOUCHPOINTS if each.package != "Zope"], ids=name)
def test_the_name_is_there(touchpoint):
    assert touchpoint.problem() is None, touchpoint.problem()
