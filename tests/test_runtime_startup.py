"""Starting the runtime never raises into Zope: a failure is one log line, Zope serves on."""
import logging
import signal
import threading

import pytest

from collective.autorestart.contract import DEFAULTS, Config
from collective.autorestart.runtime import startup


@pytest.fixture
def config(tmp_path):
    values = dict(DEFAULTS, watch=(str(tmp_path),), sound=False, buildout_directory=str(tmp_path))
    values["threaddump_file"] = str(tmp_path / "dump.txt")
    return Config(**values)


@pytest.fixture(autouse=True)
def sigusr1_restored():
    previous = signal.getsignal(signal.SIGUSR1)
    yield previous
    signal.signal(signal.SIGUSR1, previous)
    startup.stop()


def errors(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


def test_no_inotify_instance_left_is_one_line_and_no_handler_stays(config, monkeypatch, caplog, sigusr1_restored):
    def no_inotify(config):
        raise OSError(24, "inotify_init: Too many open files (EMFILE)")

    monkeypatch.setattr(startup, "_build", no_inotify)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        assert startup.start(config) is None
    assert errors(caplog) == [
        "autoreload is off: it could not start (OSError: [Errno 24] inotify_init: Too many open files (EMFILE))"
    ]
    assert signal.getsignal(signal.SIGUSR1) is sigusr1_restored


def test_a_signal_handler_that_cannot_be_installed_is_one_line(config, monkeypatch, caplog):
    built = []
    monkeypatch.setattr(startup, "_build", built.append)
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
