"""A batch is applied whole or not at all: when one of its modules fails, every module of it
is as before the batch (compared with a fresh import of the sources of before the save),
the failure names the file and line, and the next batch reloads what was taken back."""

import importlib
import sys
import textwrap

from collective.autorestart.runtime.python.batch import PythonReloader
from collective.autorestart.runtime.python.journal import Journal
from collective.autorestart.watching.outcome import Outcome
from harness.corpus import page, source
from harness.engine import edit, without_zope
from harness.fingerprint import differences
from harness.more_corpus.registrations import ADAPTER_VIEWS, INTERFACES, label_adapter, zcml

HELPERS_BEFORE = source("""
    class Base:
        def label(self):
            return "base"

    def text():
        return "before"
    """)
HELPERS_AFTER = source("""
    class Base:
        def label(self):
            return "base after"

    def text():
        return "after"

    def more():
        return "more"
    """)
VIEWS_BEFORE = page(
    source("""
    from .helpers import Base, text

    class Listing(Base):
        def label(self):
            return super().label() + " listing"

    def show(view):
        return text(), Listing().label()
    """)
)
# Fails after a class statement whose method changed.
VIEWS_FAILING = page(
    source("""
    from .helpers import Base, more, text

    class Listing(Base):
        def label(self):
            return super().label() + " listing after"

    def show(view):
        return text(), more(), Listing().label()

    undefined_name
    """)
)


def _line_of(text, what):
    """The line where what is, in text as the engine runs it (without Zope)."""
    return 1 + without_zope({"views.py": text})["views.py"].splitlines().index(what)


def _failed_batch(tmp_path, before, after):
    before, after = without_zope(before), without_zope(after)
    return edit(tmp_path, before, after, fresh=before)


def test_when_the_second_module_of_a_batch_fails_the_first_is_taken_back(tmp_path):
    before = {"helpers.py": HELPERS_BEFORE, "views.py": VIEWS_BEFORE}
    result = _failed_batch(tmp_path, before, {"helpers.py": HELPERS_AFTER, "views.py": VIEWS_FAILING})
    [(name, failure)] = result.outcome.failed_modules.items()
    assert name.endswith(".views")
    assert failure.filename.endswith("views.py") and failure.line == _line_of(VIEWS_FAILING, "undefined_name"), failure
    assert "NameError" in failure.message, failure
    assert result.outcome.reloaded == [] and result.outcome.unsafe == []
    assert any("took back the reload of" in note and "helpers" in note for note in result.outcome.notes)
    assert result.cold["PKG.views.Page(context)() returns"] == ("value", "\"('before', 'base listing')\"")
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)


def test_a_schema_interface_whose_module_fails_later_keeps_its_fields(tmp_path):
    """Its class statement updates the interface in place while the module runs; the
    NameError after it takes that back (the add form would show the new fields)."""
    interfaces = source("""
        from zope.interface import Attribute, Interface

        class IItem(Interface):
            title = Attribute("the title")
        """)
    before = {
        "interfaces.py": interfaces,
        "views.py": page("from .interfaces import IItem\n\ndef show(view):\n    return sorted(IItem.names())\n"),
    }
    failing = interfaces + '    summary = Attribute("the summary")\n\nIItem.setTaggedValue("x", 1)\nundefined_name\n'
    result = _failed_batch(tmp_path, before, {"interfaces.py": failing})
    [failure] = result.outcome.failed_modules.values()
    assert failure.filename.endswith("interfaces.py") and failure.line == _line_of(failing, "undefined_name"), failure
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)


def test_a_batch_that_fails_in_its_first_module_takes_back_the_others(tmp_path):
    """The failing module first (the other imports from it): the other, reloaded after it
    all the same, is taken back too."""
    before = {
        "helpers.py": HELPERS_BEFORE,
        "views.py": page("from . import helpers\n\ndef show(view):\n    return helpers.text()\n"),
        "other.py": "from .helpers import text\n\nVALUE = 1\n",
    }
    after = {"helpers.py": HELPERS_AFTER + "\nundefined_name\n", "other.py": "from .helpers import text\n\nVALUE = 2\n"}
    result = _failed_batch(tmp_path, before, after)
    assert [name.rpartition(".")[2] for name in result.outcome.failed_modules] == ["helpers"]
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)


def test_the_next_batch_reloads_what_was_taken_back(tmp_path, monkeypatch):
    package = tmp_path / "batch_retry_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text(textwrap.dedent(HELPERS_BEFORE))
    (package / "views.py").write_text("from .helpers import text\n\ndef show():\n    return text()\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        views = importlib.import_module("batch_retry_pkg.views")
        reloader = PythonReloader((str(tmp_path),))
        (package / "helpers.py").write_text(textwrap.dedent(HELPERS_AFTER))
        (package / "views.py").write_text(
            "from .helpers import text\n\ndef show():\n    return [text()]\n\nundefined\n"
        )
        failed = Outcome()
        reloader.reload(("batch_retry_pkg.helpers", "batch_retry_pkg.views"), failed)
        assert list(failed.failed_modules) == ["batch_retry_pkg.views"]
        assert views.show() == "before"
        (package / "views.py").write_text("from .helpers import text\n\ndef show():\n    return [text()]\n")
        fixed = Outcome()
        reloader.reload(("batch_retry_pkg.views",), fixed)
        assert fixed.ok and sorted(fixed.reloaded) == ["batch_retry_pkg.helpers", "batch_retry_pkg.views"]
        assert views.show() == ["after"]
    finally:
        for name in [name for name in sys.modules if name.startswith("batch_retry_pkg")]:
            del sys.modules[name]


def test_a_batch_that_cant_be_taken_back_asks_for_a_restart(tmp_path, monkeypatch):
    """A class whose own code refuses an undo leaves the batch half applied: said as unsafe,
    which restarts the instance."""
    package = tmp_path / "batch_refused_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("def show():\n    return 'before'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        importlib.import_module("batch_refused_pkg.views")
        (package / "views.py").write_text("def show():\n    return 'after'\n\nundefined\n")

        def refused(journal):
            raise TypeError("can't set attributes of this class")

        monkeypatch.setattr(Journal, "rollback", refused)
        outcome = Outcome()
        PythonReloader((str(tmp_path),)).reload(("batch_refused_pkg.views",), outcome)
        assert list(outcome.failed_modules) == ["batch_refused_pkg.views"]
        assert [str(why) for why in outcome.unsafe] == [
            "the batch could not be updated in place (taking it back: TypeError: can't set attributes of this class)"
        ]
    finally:
        for name in [name for name in sys.modules if name.startswith("batch_refused_pkg")]:
            del sys.modules[name]


def test_the_zcml_of_a_batch_whose_python_fails_is_not_applied(tmp_path):
    """A save of ZCML and Python together: the Python half fails and is taken back, so the
    ZCML half is not applied either (the cycle retries both with the next save)."""
    before = {
        "interfaces.py": INTERFACES,
        "adapters.py": label_adapter("IThing", "ILabel"),
        "configure.zcml": zcml('<adapter factory=".adapters.Label" />'),
        "views.py": ADAPTER_VIEWS,
    }
    after = {
        "configure.zcml": zcml('<adapter factory=".adapters.Label" name="other" />'),
        "adapters.py": label_adapter("IThing", "ILabel") + "\nundefined_name\n",
    }
    result = _failed_batch(tmp_path, before, after)
    [failure] = result.outcome.failed_modules.values()
    assert failure.filename.endswith("adapters.py") and "NameError" in failure.message, failure
    assert not result.outcome.zcml_reloaded
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)
