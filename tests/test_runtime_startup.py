"""Starting the runtime never raises into Zope: a failure is one log line, Zope serves on.
Staying off is told to the supervisor (``off <reason>``), which says it; without one, the
runtime says it."""

import logging
import os
import signal
import sys
import threading
import types

import pytest

from collective.autorestart.contract import DEFAULTS, FD_VARIABLE, SWITCH_VALUE, SWITCH_VARIABLE, Config
from collective.autorestart.runtime import startup


@pytest.fixture
def config(tmp_path):
    values = dict(DEFAULTS, watch=(str(tmp_path),), sound=False, buildout_directory=str(tmp_path))
    values["threaddump_file"] = str(tmp_path / "dump.txt")
    return Config(**values)


@pytest.fixture(autouse=True)
def sigusr1_restored(monkeypatch):
    monkeypatch.setattr(startup, "_channel", None)  # each test's own environment
    previous = signal.getsignal(signal.SIGUSR1)
    yield previous
    signal.signal(signal.SIGUSR1, previous)
    startup.stop()


@pytest.fixture
def supervisor(monkeypatch):
    """A control pipe as bin/instance-autoreload hands it down; returns what came through."""
    read, write = os.pipe()
    monkeypatch.setenv(FD_VARIABLE, str(write))
    monkeypatch.setenv(SWITCH_VARIABLE, SWITCH_VALUE)

    def received():
        os.close(write)
        with os.fdopen(read) as pipe:
            return pipe.read().splitlines()

    yield received
    for fd in (read, write):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.fixture
def zope(monkeypatch, config):
    """What on_process_starting asks of Zope: debug mode, and the config the slug set."""
    state = types.SimpleNamespace(debug_mode=True, config=config)
    monkeypatch.setattr(startup, "debug_mode", lambda: state.debug_mode)
    directive = types.ModuleType("collective.autorestart.runtime.directive")
    directive.current_config = lambda: state.config
    monkeypatch.setitem(sys.modules, directive.__name__, directive)
    return state


def errors(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_no_inotify_instance_left_is_one_line_and_no_handler_stays(config, monkeypatch, caplog, sigusr1_restored):
    def no_inotify(config, undo):
        raise OSError(24, "inotify_init: Too many open files (EMFILE)")

    monkeypatch.setattr(startup, "_build", no_inotify)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        assert startup.start(config) is None
    assert errors(caplog) == [
        "autoreload is off: it could not start (OSError: [Errno 24] inotify_init: Too many open files (EMFILE))"
    ]
    assert signal.getsignal(signal.SIGUSR1) is sigusr1_restored


def test_a_failed_start_undoes_what_it_had_installed(config, monkeypatch, caplog, sigusr1_restored):
    undone = []

    def gate_installed_then_no_inotify(config, undo):
        undo.append(lambda: undone.append("request gate"))
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(startup, "_build", gate_installed_then_no_inotify)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        assert startup.start(config) is None
    assert undone == ["request gate"]
    assert signal.getsignal(signal.SIGUSR1) is sigusr1_restored


def test_a_signal_handler_that_cannot_be_installed_is_one_line(config, monkeypatch, caplog):
    built = []
    monkeypatch.setattr(startup, "_build", lambda config, undo: built.append(config))
    results = []
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        # Python installs signal handlers from the main thread only.
        thread = threading.Thread(target=lambda: results.append(startup.start(config)))
        thread.start()
        thread.join(5)
    assert results == [None]
    assert built == []  # nothing was started
    (error,) = errors(caplog)
    assert error.startswith("autoreload is off: it could not start (ValueError: ")
    assert "main thread" in error


def test_not_in_debug_mode_is_told_to_the_supervisor(zope, supervisor, caplog):
    zope.debug_mode = False
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        startup.on_process_starting(None)
    assert supervisor() == ["off Zope is not in debug mode"]
    assert [record for record in caplog.records if record.levelno >= logging.WARNING] == []


def test_no_config_is_told_to_the_supervisor(zope, supervisor):
    zope.config = None
    startup.on_process_starting(None)
    assert supervisor() == ["off " + startup.NO_CONFIG]


def test_could_not_start_is_told_to_the_supervisor(config, monkeypatch, supervisor, caplog):
    def no_inotify(config, undo):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(startup, "_build", no_inotify)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        assert startup.start(config) is None
    assert supervisor() == ["off it could not start (OSError: [Errno 24] Too many open files)"]
    assert errors(caplog) == []


def test_without_a_supervisor_the_runtime_says_it_itself(zope, monkeypatch, caplog):
    monkeypatch.setenv(SWITCH_VARIABLE, SWITCH_VALUE)
    monkeypatch.delenv(FD_VARIABLE, raising=False)
    zope.debug_mode = False
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        startup.on_process_starting(None)
    assert [(record.levelname, record.getMessage()) for record in caplog.records] == [
        ("WARNING", "autoreload is off: Zope is not in debug mode")
    ]
