"""End to end: how bin/instance-autoreload starts and stops, and what stays untouched."""
import fcntl
import os
import signal
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from conftest import FIGURES, Buildout, Server, port_is_free


pytestmark = [pytest.mark.buildout, pytest.mark.zope]

STOP_LIMIT = 2.0


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    buildout = Buildout(tmp_path_factory.mktemp("process") / "buildout")
    buildout.run(autoreload="watch = ${buildout:directory}/src\nsound = off")
    return buildout


def alive(pid):
    try:
        state = Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_autoreload(servers, built, *arguments):
    server = servers(
        [str(built.script), *arguments], built.directory, built.directory / "server.log", built.port
    )
    server.wait_for_log(r"watching \d+ directories")
    server.wait_until_serving("/@@value")
    return server


def assert_all_gone(pids, port):
    deadline = time.monotonic() + 1.0
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [pid for pid in pids if alive(pid)] == []
    assert port_is_free(port)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_ends_every_process_promptly_and_closes_the_zodb(servers, built, signum):
    server = start_autoreload(servers, built)
    pids = server.processes()
    assert len(pids) == 2  # the supervisor and the instance
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    before = index.stat().st_mtime_ns if index.exists() else 0
    started = time.monotonic()
    server.process.send_signal(signum)
    returncode = server.process.wait(10)
    took = time.monotonic() - started
    FIGURES.append("stop on %s: %.0f ms" % (signal.Signals(signum).name, took * 1000))
    assert took < STOP_LIMIT
    assert returncode == 0
    assert_all_gone(pids, built.port)
    # FileStorage writes its index on a clean close only.
    assert index.exists() and index.stat().st_mtime_ns > before
    assert "killing it" not in server.log()


def test_ctrl_c_in_a_terminal(built, tmp_path):
    """In a terminal the instance shares its process group, so pdb can read the terminal;
    Ctrl-C then reaches both processes and everything still ends promptly."""
    master, slave = os.openpty()

    def become_terminal_owner():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    process = subprocess.Popen(
        [str(built.script)],
        cwd=built.directory,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        preexec_fn=become_terminal_owner,
    )
    os.close(slave)
    output = bytearray()
    reader = threading.Thread(target=_drain, args=(master, output), daemon=True)
    reader.start()
    try:
        server = Server.__new__(Server)
        server.port = built.port
        server.process = process
        server.log = lambda: output.decode(errors="replace")
        server.wait_for_log(r"watching \d+ directories")
        children = [pid for pid in server.processes() if pid != process.pid]
        assert len(children) == 1
        assert os.getpgid(children[0]) == process.pid  # the terminal's group, not its own
        started = time.monotonic()
        os.write(master, b"\x03")  # what the terminal sends for Ctrl-C
        returncode = process.wait(10)
        took = time.monotonic() - started
        FIGURES.append("stop on Ctrl-C in a terminal: %.0f ms" % (took * 1000))
        assert took < STOP_LIMIT
        assert returncode == 0
        assert_all_gone([process.pid] + children, built.port)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        os.close(master)


def _drain(fd, into):
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return
        if not chunk:
            return
        into.extend(chunk)


def test_exit_status_of_the_instance_is_passed_on(built, tmp_path):
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
    views = built.code / "views.py"
    original = views.read_text()
    try:
        views.write_text(original.replace('"value=0"', '"value=changed"'))
        time.sleep(1.0)
        assert server.get("/@@value") == before
    finally:
        views.write_text(original)
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
    server.wait_for_log(r"not in debug mode: autoreload stays off")
    assert server.get("/@@debug-mode") == (200, "debug-mode=False")
    assert "watching" not in server.log()
