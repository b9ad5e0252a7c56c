"""End to end: how bin/instance-autoreload starts and stops, and what stays untouched."""

import os
import signal
import subprocess
import sys
import time

import pytest

from harness.buildouts import value_module
from harness.ports import port_is_free
from harness.proc import wait_until_gone, zope_pid

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package")]

STOP_LIMIT = 2.0


def assert_all_gone(pids, port):
    assert wait_until_gone(pids, timeout=1.0) == []
    assert port_is_free(port)


@pytest.mark.smoke
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_every_process_promptly_and_closes_the_zodb(autoreload, built, figures, signum):
    server = autoreload()
    pids = server.processes()
    assert zope_pid(server) in pids  # beside the supervisor, and the template once built
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    before = index.stat().st_mtime_ns if index.exists() else 0
    started = time.monotonic()
    server.process.send_signal(signum)
    returncode = server.process.wait(10)
    took = time.monotonic() - started
    figures.append("stop on %s: %.0f ms" % (signal.Signals(signum).name, took * 1000))
    assert took < STOP_LIMIT
    assert returncode == 0
    assert_all_gone(pids, built.port)
    # FileStorage writes its index on a clean close only.
    assert index.exists() and index.stat().st_mtime_ns > before
    assert "killing it" not in server.log()


@pytest.mark.smoke
def test_ctrl_c_in_a_terminal(servers, built, figures):
    """In a terminal the instance shares its process group, so pdb can read the terminal;
    Ctrl-C then reaches both processes and everything still ends promptly."""
    server = servers([str(built.script)], built.directory, built.directory / "terminal.log", built.port, terminal=True)
    server.wait_for_log(r"watching \d+ directories")
    instance = zope_pid(server)
    assert os.getpgid(instance) == server.process.pid  # the terminal's group, not its own
    started = time.monotonic()
    server.send_to_terminal(b"\x03")  # what the terminal sends for Ctrl-C
    returncode = server.process.wait(10)
    took = time.monotonic() - started
    figures.append("stop on Ctrl-C in a terminal: %.0f ms" % (took * 1000))
    assert took < STOP_LIMIT
    assert returncode == 0
    assert_all_gone([server.process.pid, instance], built.port)


def test_exit_status_of_the_instance_is_passed_on(built):
    result = subprocess.run(
        [str(built.script), "--no-such-option"],
        cwd=built.directory,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no such option: --no-such-option" in result.stderr


def test_plain_instance_fg_is_unaffected(servers, built):
    server = servers(
        [str(built.directory / "bin" / "instance"), "fg"],
        built.directory,
        built.directory / "fg.log",
        built.port,
    )
    server.wait_until_serving("/@@value")
    assert server.get("/@@debug-mode") == (200, "debug-mode=True")
    before = server.get("/@@value")
    (built.code / "views.py").write_text(value_module("changed"))
    time.sleep(1.0)
    assert server.get("/@@value") == before
    assert "watching" not in server.log()
    assert "collective.autorestart" not in server.log()


def test_inert_without_debug_mode(servers, built):
    """The switch alone does nothing in production mode."""
    location = built.directory / "parts" / "instance"
    command = [
        sys.executable,
        str(location / "bin" / "interpreter"),
        "-m",
        "Zope2.Startup.serve",
        str(location / "etc" / "wsgi.ini"),
    ]
    server = servers(
        command,
        built.directory,
        built.directory / "production.log",
        built.port,
        env=dict(os.environ, COLLECTIVE_AUTORESTART="1"),
    )
    server.wait_until_serving("/@@value")
    server.wait_for_log(r"WARNING .*autoreload is off: Zope is not in debug mode")
    assert server.get("/@@debug-mode") == (200, "debug-mode=False")
    assert "watching" not in server.log()
