"""A Zope product's initialize() runs at start-up only: a reload that changes it escalates,
one that changes the rest of the product's package, or only moves initialize, does not.
A real package under a ``Products`` namespace directory, reloaded by the Python engine."""

import importlib
import sys

import pytest

from collective.autorestart.runtime.python.batch import PythonReloader
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.unsafe import UnsafeKind

BEFORE = """\
def title():
    return "before"


def initialize(context):
    context.append("registered")
"""


@pytest.fixture
def product(tmp_path):
    root = tmp_path / "src"
    package = root / "Products" / "AutorestartSample"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(BEFORE)
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        module = importlib.import_module("Products.AutorestartSample")
        assert module.__file__.startswith(str(root)), "another Products.AutorestartSample is importable"
        yield root, package / "__init__.py", module
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name == "Products" or name.startswith("Products.")]:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(root)) or name == "Products":
                del sys.modules[name]


def _reload(root, path, text):
    path.write_text(text)
    outcome = Outcome()
    PythonReloader((str(root),)).reload(("Products.AutorestartSample",), outcome)
    assert not outcome.failed_modules, outcome
    return outcome


def test_a_changed_initialize_restarts(product):
    root, path, _ = product
    outcome = _reload(root, path, BEFORE.replace('"registered"', '"registered twice"'))
    assert [why.kind for why in outcome.unsafe] == [UnsafeKind.PRODUCT_INITIALIZE_CHANGED], outcome.unsafe
    assert "Products.AutorestartSample.initialize changed" in str(outcome.unsafe[0])


def test_the_rest_of_the_product_or_a_moved_initialize_reloads_in_place(product):
    root, path, module = product
    outcome = _reload(root, path, "\n\n" + BEFORE.replace('"before"', '"after"'))
    assert outcome.unsafe == [] and outcome.reloaded == ["Products.AutorestartSample"], outcome
    assert module.title() == "after"


def test_a_plain_package_with_an_initialize_is_no_product(tmp_path):
    root = tmp_path / "src"
    (root / "autorestart_plain").mkdir(parents=True)
    path = root / "autorestart_plain" / "__init__.py"
    path.write_text(BEFORE)
    sys.path.insert(0, str(root))
    try:
        importlib.import_module("autorestart_plain")
        path.write_text(BEFORE.replace('"registered"', '"registered twice"'))
        outcome = Outcome()
        PythonReloader((str(root),)).reload(("autorestart_plain",), outcome)
        assert outcome.unsafe == [] and outcome.reloaded == ["autorestart_plain"], outcome
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("autorestart_plain", None)
