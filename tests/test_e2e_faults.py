"""End to end, as a hostile user would: saves during a start, a supervisor killed with
SIGKILL, a port someone else holds, a root swapped under us, a symlinked package."""

import base64
import ctypes
import errno
import os
import re
import shutil
import signal
import socket
import time
import urllib.error
import urllib.request

import pytest

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout, run_buildout, value_module
from harness.http import served
from harness.ports import wait_for_free_port
from harness.proc import wait_for_new_zope, wait_until_gone, zope_pid

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package")]

SLOW_START = {"AUTOTEST_SLOW_IMPORT": "3"}
IMPORTED = r"autotest\.app\.counter imported: sleeping"
O_CLOEXEC = 0o2000000


def slow_env():
    return dict(os.environ, **SLOW_START)


def test_a_save_while_the_instance_starts_is_applied(servers, built):
    server = servers([str(built.script)], built.directory, built.directory / "start.log", built.port, env=slow_env())
    server.wait_for_log(IMPORTED)  # views.py is imported, the watches are not set yet
    (built.code / "views.py").write_text(value_module("saved-while-starting"))
    served(server, "/@@value", "value=saved-while-starting", restarting=True)
    server.wait_for_log(r"applying 1 files saved while the instance started")


def test_a_save_while_the_instance_restarts_is_applied(servers, built):
    server = servers([str(built.script)], built.directory, built.directory / "restart.log", built.port, env=slow_env())
    server.wait_for_log(r"watching \d+ directories")
    served(server, "/@@value", "value=0", restarting=True)
    old = zope_pid(server)
    mark = len(server.log())
    setup = built.package / "setup.py"
    setup.write_text(setup.read_text() + "\n")
    wait_for_new_zope(server, old)
    server.wait_for_log(IMPORTED, after=mark)
    (built.code / "views.py").write_text(value_module("saved-while-restarting"))
    served(server, "/@@value", "value=saved-while-restarting", restarting=True)


@pytest.mark.parametrize("terminal", [False, True], ids=["no terminal", "in a terminal"])
def test_sigkill_of_the_supervisor_takes_the_instance_with_it(servers, built, terminal):
    server = servers(
        [str(built.script)], built.directory, built.directory / "killed.log", built.port, terminal=terminal
    )
    server.wait_for_log(r"watching \d+ directories")
    served(server, "/@@value", "value=0", restarting=True)
    zope = zope_pid(server)
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    before = index.stat().st_mtime_ns if index.exists() else 0
    os.kill(server.process.pid, signal.SIGKILL)  # the supervisor alone, as an IDE's stop button
    server.process.wait(5)
    assert wait_until_gone([zope], 5) == [], "the instance outlived its supervisor"
    # A process whose threads still end shows as a zombie already: wait for its port.
    assert wait_for_free_port(built.port, 5)
    # It got SIGINT, not SIGKILL: the ZODB was closed and its index written.
    assert index.exists() and index.stat().st_mtime_ns > before


def test_a_port_held_by_another_process_is_named_and_waited_for(servers, built):
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", built.port))
    holder.listen()
    try:
        server = servers([str(built.script)], built.directory, built.directory / "port.log", built.port)
        line = server.wait_for_log(r"ERROR .*port (\d+) on 127\.0\.0\.1 is in use by PID (\d+) .*Stop that process")
        assert (int(line.group(1)), int(line.group(2))) == (built.port, os.getpid())
        assert "Fix the error above" not in server.log()
    finally:
        holder.close()
    server.wait_for_log(r"port %d is free again: starting the instance" % built.port)
    served(server, "/@@value", "value=0", restarting=True)


def test_an_instance_killed_by_a_signal_is_told_apart_from_a_crash(autoreload, built):
    server = autoreload()
    os.kill(zope_pid(server), signal.SIGKILL)
    server.wait_for_log(r"ERROR .*the instance was killed by SIGKILL, which no error in your code does")
    assert "Fix the error above" not in server.log()
    (built.code / "views.py").write_text(value_module("after-the-kill"))
    served(server, "/@@value", "value=after-the-kill", restarting=True)


def test_the_control_pipe_is_not_inherited_and_the_thread_dump_is_private(autoreload, built):
    server = autoreload()
    zope = zope_pid(server)
    with open("/proc/%d/environ" % zope, "rb") as environ:
        variables = dict(item.split(b"=", 1) for item in environ.read().split(b"\0") if b"=" in item)
    fd = int(variables[b"COLLECTIVE_AUTORESTART_FD"])
    with open("/proc/%d/fdinfo/%d" % (zope, fd)) as fdinfo:
        flags = int(dict(line.split(":", 1) for line in fdinfo)["flags"], 8)
    assert flags & O_CLOEXEC, "a process that Zope starts would inherit the control pipe"
    dump = built.directory / "var" / "log" / "zope-threaddump.txt"
    if dump.exists():
        dump.unlink()
    os.kill(zope, signal.SIGUSR1)
    server.wait_for_log(r"thread dump of \d+ threads appended")
    assert dump.stat().st_mode & 0o777 == 0o600


def test_reload_view_is_not_registered_in_a_plain_instance(servers, built):
    server = servers(
        [str(built.directory / "bin" / "instance"), "fg"], built.directory, built.directory / "fg.log", built.port
    )
    server.wait_until_serving("/@@value")
    request = urllib.request.Request(
        server.url("/@@reload?action=zcml"),
        headers={"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()},
    )
    try:
        status = urllib.request.urlopen(request, timeout=5).status
    except urllib.error.HTTPError as error:
        status = error.code
    assert status == 404


def test_a_watch_root_replaced_by_a_fresh_copy_is_watched_again(autoreload, built):
    # Every file of the new tree counts as changed, setup.py too: without restart-on the
    # instance stays, and the test sees the watches of the new tree at work.
    src = built.directory / "src"
    old = built.directory / "src.old"
    with built.configured(restart_on=()):
        server = autoreload()
        try:
            mark = len(server.log())
            # What a fresh clone into the same path does: the old tree goes, a new one comes.
            os.rename(src, old)
            shutil.copytree(old, src, symlinks=True)
            server.wait_for_log(r"watch root %s is back" % src, after=mark)
            (built.code / "views.py").write_text(value_module("in-the-new-tree"))
            served(server, "/@@value", "value=in-the-new-tree")
            server.wait_until_quiet()  # the reload's log line comes after the new code is live
            mark = len(server.log())
            (old / "autotest.app" / "src" / "autotest" / "app" / "views.py").write_text(value_module("old"))
            time.sleep(0.5)
            assert "reloaded" not in server.log()[mark:]
            assert server.get("/@@value") == (200, "value=in-the-new-tree")
            assert "pyinotify" not in server.log()
        finally:
            if not src.exists():
                os.rename(old, src)
            elif old.exists():
                shutil.rmtree(old)


def test_a_symlinked_package_is_reloaded(servers, tmp_path):
    checkouts = tmp_path / "checkouts"
    buildout = Buildout(tmp_path / "buildout")
    buildout.package = checkouts / "autotest.app"
    buildout.code = buildout.package / "src" / "autotest" / "app"
    buildout.write_package()
    (buildout.directory / "src").mkdir(parents=True)
    (buildout.directory / "src" / "autotest.app").symlink_to(buildout.package)
    buildout.run(autoreload=WATCH_SRC_SILENTLY)
    server = servers([str(buildout.script)], buildout.directory, buildout.directory / "server.log", buildout.port)
    server.wait_for_log(r"following the symlinked directory %s" % (buildout.directory / "src" / "autotest.app"))
    served(server, "/@@value", "value=0", restarting=True)
    (buildout.code / "views.py").write_text(value_module("through-the-link"))
    served(server, "/@@value", "value=through-the-link")
    server.wait_for_log(r"reloaded autotest\.app\.views")


def test_a_buildout_run_in_the_watched_buildout_reloads_nothing(autoreload, built):
    with built.configured(watch=[str(built.directory)]):
        server = autoreload()
        mark = len(server.log())
        result = run_buildout(built.directory)
        assert result.returncode == 0, result.stdout
        time.sleep(0.5)
        after = server.log()[mark:]
        assert "changed" not in after and "reloaded" not in after, after


def test_no_inotify_instance_left_polls_and_a_forced_inotify_stays_off(servers, built, package):
    """fs.inotify.max_user_instances used up by this user: auto polls the root, says why, and
    a save is served; with watcher = inotify the runtime can't watch, and Zope serves on
    without autoreload."""
    libc = ctypes.CDLL(None, use_errno=True)
    taken = []
    try:
        while len(taken) < 10000:
            fd = libc.inotify_init1(os.O_CLOEXEC)
            if fd < 0:
                break
            taken.append(fd)
        assert ctypes.get_errno() == errno.EMFILE
        server = servers([str(built.script)], built.directory, built.directory / "emfile.log", built.port)
        line = server.wait_for_log(r"watching \d+ directories.*").group(0)
        assert re.search(r"\[polled every 1000 ms: inotify can't watch it \(OSError: [^]]*EMFILE", line), line
        served(server, "/@@value", "value=", restarting=True)
        (built.code / "views.py").write_text(value_module("polled"))
        served(server, "/@@value", "value=polled")
        server.stop()
        assert "Traceback" not in server.log()
        assert wait_for_free_port(built.port)
        with built.configured(watcher="inotify"):
            forced = servers([str(built.script)], built.directory, built.directory / "emfile-forced.log", built.port)
            forced.wait_for_log(r"ERROR .*autoreload is off: it could not start \(OSError")
            assert forced.wait_until_serving("/@@value") == (200, "value=polled")
            assert "Traceback" not in forced.log()
    finally:
        for fd in taken:
            os.close(fd)


def test_a_directory_made_while_events_were_lost_is_watched(autoreload, built):
    with open("/proc/sys/fs/inotify/max_queued_events") as limit:
        queue_limit = int(limit.read())
    server = autoreload()
    slow = built.code / "slow.py"
    slow.write_text("VALUE = 1\n")
    views = built.code / "views.py"
    # views.py imports slow, so slow is a loaded module; reloading it will take 3 s.
    views.write_text("from autotest.app import slow  # noqa\n" + value_module("with-slow"))
    served(server, "/@@value", "value=with-slow")
    flood, later = built.code / "flood", built.code / "later"
    flood.mkdir()
    mark = len(server.log())
    # The reload of slow.py holds the watcher (it reads no events) until the flood is written,
    # however slow the machine: the queue overflows for sure.  Not watched: var/ is outside src.
    started, flooded = built.directory / "var" / "slow-started", built.directory / "var" / "flooded"
    for flag in (started, flooded):
        flag.unlink(missing_ok=True)
    slow.write_text(
        "import os, time\n"
        "open(%r, 'w').close()\n"
        "deadline = time.monotonic() + 8\n"
        "while not os.path.exists(%r) and time.monotonic() < deadline:\n"
        "    time.sleep(0.02)\n"
        "VALUE = 2\n" % (str(started), str(flooded))
    )
    deadline = time.monotonic() + 10
    while not started.exists():
        assert time.monotonic() < deadline, "the reload of slow.py did not start"
        time.sleep(0.02)
    for number in range(queue_limit // 2 + 500):  # two events a file: the queue overflows
        (flood / ("f%d.py" % number)).write_bytes(b"")
    later.mkdir()
    (later / "__init__.py").write_text("")
    (later / "views.py").write_text(value_module("later-1"))
    flooded.touch()
    server.wait_for_log(r"inotify dropped events \(queue overflow\)", after=mark, timeout=30)
    server.wait_until_quiet()
    zcml = built.code / "configure.zcml"
    zcml.write_text(
        zcml.read_text().replace(
            "</configure>",
            '  <browser:page name="later" for="*" class=".later.views.Value" permission="zope.Public" />\n</configure>',
        )
    )
    served(server, "/@@later", "value=later-1")
    # later/ was made while events were lost: only a rescan can have put a watch on it.
    (later / "views.py").write_text(value_module("later-2"))
    served(server, "/@@later", "value=later-2")
