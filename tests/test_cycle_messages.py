"""What the log says of a batch, with the real engine in-process: one truthful account per
outcome (a failed reload that a restart follows does not say that the previous code keeps
serving), and a line for the saves no reload applies (GenericSetup profiles)."""

import logging
import sys
import warnings

import pytest

from collective.autorestart.runtime.reloader import CodeReloader
from collective.autorestart.watching.batcher import Batch, Change
from collective.autorestart.watching.cycle import ReloadCycle
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.planner import Policy

PACKAGE = "autorestart_moved"


class Player:
    def __init__(self):
        self.played = []

    def play(self, kind):
        self.played.append(kind)


@pytest.fixture
def package(tmp_path):
    """A package whose c imports f from a, loaded."""
    root = tmp_path / "src"
    directory = root / PACKAGE
    directory.mkdir(parents=True)
    (directory / "__init__.py").write_text("")
    (directory / "a.py").write_text("def f():\n    return 1\n")
    (directory / "c.py").write_text("from .a import f\n")
    sys.path.insert(0, str(root))
    try:
        __import__(PACKAGE + ".c")
        yield directory
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


def _cycle(directory, reasons, **options):
    roots = (str(directory.parent),)
    index = ModuleIndex(roots)
    index.refresh()
    return ReloadCycle(index, CodeReloader(roots), Player(), Policy(), restart=reasons.append, **options)


def _move_f_to_b(directory):
    """The first of two saves that move f from a to b: a without f, b with it; c still
    imports it from a."""
    (directory / "a.py").write_text("")
    (directory / "b.py").write_text("def f():\n    return 1\n")
    return Batch({str(directory / "a.py"): Change.CHANGED, str(directory / "b.py"): Change.CREATED})


def _run(cycle, batch, caplog):
    with caplog.at_level(logging.INFO, "collective.autorestart"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ImportWarning)  # as in harness.engine
        return cycle(batch)


def test_the_first_save_of_a_move_is_taken_back_and_says_so_once(package, caplog):
    """The issue's sequence (f moved from a to b, c still importing it from a): c fails,
    so the whole batch is taken back; the one line says the previous code keeps serving,
    which is now true, and nothing restarts."""
    reasons = []
    outcome = _run(_cycle(package, reasons), _move_f_to_b(package), caplog)
    assert outcome.failed_modules and not outcome.unsafe, outcome
    assert reasons == []
    assert sys.modules[PACKAGE + ".a"].f() == 1 and sys.modules[PACKAGE + ".c"].f() == 1
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].endswith("the previous code keeps serving; save again to retry"), errors
    assert "the restart" not in caplog.text and "may still use the old code" not in caplog.text


def test_the_second_save_of_the_move_applies_in_place(package, caplog):
    """Warned only (on-unsafe-change = warn), the next save retries what failed."""
    reasons = []
    cycle = _cycle(package, reasons, restart_on_unsafe=False)
    _run(cycle, _move_f_to_b(package), caplog)
    (package / "c.py").write_text("from .b import f\n")
    caplog.clear()
    outcome = _run(cycle, Batch({str(package / "c.py"): Change.CHANGED}), caplog)
    assert outcome.ok, outcome
    assert sys.modules[PACKAGE + ".c"].f() == 1
    assert cycle.player.played == ["failure", "success"]


def test_a_failure_that_restarts_with_on_reload_error_restart_says_so(package, caplog):
    reasons = []
    cycle = _cycle(package, reasons, restart_on_unsafe=False, restart_on_error=True)
    _run(cycle, _move_f_to_b(package), caplog)
    assert len(reasons) == 1 and reasons[0].startswith("reload failed: ") and "ImportError" in reasons[0], reasons
    assert "keeps serving" not in caplog.text and "the restart loads the saved code" in caplog.text
    # What the restart makes moot is not also warned of.
    assert "may still use the old code" not in caplog.text


def test_a_saved_profile_gets_a_line_saying_what_applies_it(package, caplog):
    profile = package / "profiles" / "default"
    profile.mkdir(parents=True)
    (profile / "metadata.xml").write_text("<metadata><version>1001</version></metadata>\n")
    (profile / "types").mkdir()
    (profile / "types" / "Thing.xml").write_text("<object />\n")
    changes = {str(profile / "metadata.xml"): Change.CHANGED, str(profile / "types" / "Thing.xml"): Change.CHANGED}
    reasons = []
    outcome = _run(_cycle(package, reasons), Batch(changes), caplog)
    assert outcome is None and reasons == []  # nothing reloaded, nothing restarted
    [line] = [record.getMessage() for record in caplog.records]
    assert line.startswith("%s (and 1 more) changed: no reload applies a GenericSetup profile" % sorted(changes)[0])
    assert "import the profile %s:default again in the site's portal_setup" % PACKAGE in line, line
    assert "upgrade step" in line


def test_a_save_that_only_a_restart_applies_says_so_without_the_success_sound(package, caplog):
    """A module that patches at import what it imported: nothing fails, nothing is
    reloaded in place, the restart applies it; no "reloaded" line and no success sound."""
    reasons = []
    cycle = _cycle(package, reasons)
    (package / "a.py").write_text("import os\n\nos.getcwdb = os.getcwdb\n\n\ndef f():\n    return 2\n")
    _run(cycle, Batch({str(package / "a.py"): Change.CHANGED}), caplog)
    assert len(reasons) == 1 and "patches os.getcwdb at import" in reasons[0], reasons
    assert "not applied in place (checked in " in caplog.text and "the restart applies the save" in caplog.text
    assert "reloaded " not in caplog.text
    assert cycle.player.played == []
