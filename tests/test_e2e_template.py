"""End to end on bare Zope: restarts forked from the template (fast-restart) serve and
register what a cold start does, and the processes behave as a cold start's do: their own
group or the terminal's, pdb, Ctrl-C, the death of the supervisor, no thread and no ZODB in
the template, fresh random numbers; an out-of-date template gives way to a cold start."""

import os
import re
import signal
import threading
import time

import pytest

from harness.buildouts import RESTARTS_AT_IMPORT, value_module
from harness.http import served
from harness.ports import port_is_free
from harness.proc import comm, instances, open_files, template_pid, wait_for_new_zope, wait_until_gone, zope_pid
from harness.registrations import snapshot
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package")]

FORKED = r"restarted in (\d+) ms \(stop \d+ ms, start \d+ ms, forked from the template\)"
STOP_LIMIT = 2.0


def restart_with(server, built, value, code=None):
    """Save views.py so that the instance restarts; returns the new instance's PID once it
    serves ``value=<value>``."""
    old = zope_pid(server)
    mark = len(server.log())
    (built.code / "views.py").write_text(code or value_module(value, RESTARTS_AT_IMPORT))
    wait_for_new_zope(server, old)
    served(server, "/@@value", "value=%s" % value, restarting=True)
    server.wait_for_log(r"restarted in \d+ ms", after=mark)
    return zope_pid(server), server.log()[mark:]


def kinds(files):
    return sorted(re.sub(r":\[\d+\]$", "", target) for target in files.values())


@pytest.mark.smoke
def test_a_forked_restart_serves_and_registers_what_a_cold_start_does(autoreload, built, figures):
    add_snapshot(built.code)
    server = autoreload()
    served(server, "/@@bump", "counter=", restarting=True)
    counter = int(server.get("/@@bump")[1].split("=")[1])
    server.wait_for_log(r"template ready in [\d.]+ s \(\d+ modules; ZCML parsed but for 1 watched file")
    started = time.perf_counter()
    _, said = restart_with(server, built, "forked")
    took = time.perf_counter() - started
    assert re.search(FORKED, said), said
    assert server.get("/@@bump")[1] == "counter=%d" % (counter + 1)
    live = snapshot(server, SNAPSHOT_PATH)
    server.stop()
    cold = autoreload(log_name="cold.log")  # a session's first start is a cold start
    assert "forked" not in cold.log()
    assert cold.get("/@@value")[1] == "value=forked"
    assert snapshot(cold, SNAPSHOT_PATH) == live
    figures.append("restart forked from the template, save to served: %.0f ms" % (took * 1000))


def test_a_forked_instance_is_a_process_like_a_cold_one(autoreload, built):
    code = value_module("{first}", RESTARTS_AT_IMPORT + "import random\n\nFIRST = random.getrandbits(64)\n")
    code = code.replace('"value={first}"', '"value=%d" % FIRST')
    (built.code / "views.py").write_text(code)
    server = autoreload()
    cold = zope_pid(server)
    cold_files = open_files(cold)
    cold_comm = comm(cold)
    server.wait_for_log(r"template ready in")
    template = template_pid(server)
    # No thread to copy dead into a child, no port, no ZODB: those are the instances'.
    assert os.listdir("/proc/%d/task" % template) == [str(template)]
    assert not any("Data.fs" in target for target in open_files(template).values())
    firsts = []
    for round_ in range(2):
        old = zope_pid(server)
        (built.code / "views.py").write_text(code + "\n# round %d\n" % round_)
        forked = wait_for_new_zope(server, old)[0]
        status, body = served(server, "/@@value", "value=", restarting=True) and server.get("/@@value")
        firsts.append(body)
        assert os.getppid() != forked and _ppid(forked) == server.process.pid
        assert os.getpgid(forked) == forked  # a group of its own, as without a terminal
        assert comm(forked) == cold_comm
    server.wait_for_log(r"restarted in \d+ ms .*forked from the template.*\n(.*\n)*.*restarted in \d+ ms .*forked")
    # Python reseeds random in a forked child: two instances don't draw the same numbers.
    assert firsts[0] != firsts[1], firsts
    # The same open files as the cold instance: nothing inherited from the template.  Sockets
    # by count only: a client's keep-alive connection may still be open in either.
    forked_kinds, cold_kinds = kinds(open_files(zope_pid(server))), kinds(cold_files)
    assert [kind for kind in forked_kinds if kind != "socket"] == [kind for kind in cold_kinds if kind != "socket"]
    assert forked_kinds.count("socket") <= cold_kinds.count("socket")


def _ppid(pid):
    with open("/proc/%d/stat" % pid) as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


@pytest.mark.parametrize("terminal", [False, True], ids=["no terminal", "in a terminal"])
def test_sigkill_of_the_supervisor_takes_the_template_and_a_forked_instance(servers, built, terminal):
    server = servers(
        [str(built.script)], built.directory, built.directory / "killed.log", built.port, terminal=terminal
    )
    server.wait_for_log(r"template ready in")
    forked, said = restart_with(server, built, "forked")
    assert re.search(FORKED, said)
    template = template_pid(server)
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    before = index.stat().st_mtime_ns
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(5)
    assert wait_until_gone([forked, template], 5) == [], "outlived the supervisor"
    deadline = time.monotonic() + 5
    while not port_is_free(built.port) and time.monotonic() < deadline:
        time.sleep(0.05)
    # The instance got SIGINT: the ZODB was closed and its index written.
    assert index.stat().st_mtime_ns > before


def test_pdb_and_ctrl_c_in_a_terminal_with_a_forked_instance(servers, built, figures):
    pdb_view = value_module("forked", RESTARTS_AT_IMPORT).replace(
        '        return "value=forked"', '        breakpoint()\n        return "value=forked"'
    )
    server = servers([str(built.script)], built.directory, built.directory / "terminal.log", built.port, terminal=True)
    server.wait_for_log(r"template ready in")
    old = zope_pid(server)
    (built.code / "views.py").write_text(pdb_view)
    forked = wait_for_new_zope(server, old)[0]
    server.wait_for_log(FORKED)
    assert os.getpgid(forked) == server.process.pid  # the terminal's group: pdb reads it
    answer = {}
    request = threading.Thread(target=lambda: answer.update(reply=server.get("/@@value", timeout=30)))
    request.start()
    server.wait_for_log(r"\(Pdb\)")
    server.send_to_terminal(b"c\n")
    request.join(30)
    assert answer["reply"] == (200, "value=forked")
    pids = server.processes()
    started = time.monotonic()
    server.send_to_terminal(b"\x03")
    assert server.process.wait(10) == 0
    took = time.monotonic() - started
    figures.append("stop of a forked instance on Ctrl-C in a terminal: %.0f ms" % (took * 1000))
    assert took < STOP_LIMIT
    assert wait_until_gone(pids, 1.0) == []
    assert port_is_free(built.port)


def test_an_out_of_date_template_gives_way_to_a_cold_start_and_is_built_again(autoreload, built):
    server = autoreload()
    server.wait_for_log(r"template ready in")
    # The slug is one of the files the template was built from, as every egg's module is.
    os.utime(built.slug, ns=(time.time_ns(), time.time_ns()))
    _, said = restart_with(server, built, "cold")
    assert re.search(r"cold start: \S+999-collective\.autorestart-configure\.zcml changed\)", said), said
    mark = len(server.log())
    server.wait_for_log(r"template ready in", after=mark)
    _, said = restart_with(server, built, "forked again")
    assert re.search(FORKED, said), said
    # A restart-on file: what it changes (an entry point, a dependency) may be in the template.
    setup = built.package / "setup.py"
    old = zope_pid(server)
    mark = len(server.log())
    setup.write_text(setup.read_text() + "\n")
    wait_for_new_zope(server, old)
    line = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*setup\.py changed", after=mark).group(0)
    assert "cold start: a restart-on file changed, which the template may hold" in line


def test_fast_restart_off_restarts_cold_without_a_template(autoreload, built):
    with built.configured(fast_restart=False):
        server = autoreload()
        _, said = restart_with(server, built, "cold")
        assert "forked" not in server.log() and "template" not in server.log()
        assert len(instances(server)) == len(server.processes()) - 1 == 1


def test_a_forked_instance_that_ignores_sigint_is_killed_after_the_grace(autoreload, built):
    with built.configured(stop_grace=1000):
        # autotest.app reads it at import: in the template's children too, as its own code.
        server = autoreload(log_name="stubborn.log", env=dict(os.environ, AUTOTEST_IGNORE_SIGINT="1"))
        server.wait_for_log(r"template ready in")
        forked, said = restart_with(server, built, "forked")
        assert re.search(FORKED, said) and "did not stop within 1.0 s of SIGINT" in said
        pids = server.processes()
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(10)
        took = time.monotonic() - started
        assert 0.9 < took < 2.0
        assert server.log().count("did not stop within 1.0 s of SIGINT, killing it") == 2
        assert wait_until_gone(pids, timeout=0.5) == []
        assert port_is_free(built.port)


def test_a_forked_start_that_fails_in_your_package_says_it_as_a_cold_start_and_recovers_forked(autoreload, built):
    init = built.code / "__init__.py"
    good = init.read_text()
    with built.configured(on_reload_error="restart"):
        server = autoreload()
        server.wait_for_log(r"template ready in")
        mark = len(server.log())
        # The package itself: the template holds it as a placeholder, as the slug's include
        # imported it; the child runs it first, and it fails.
        init.write_text(good + "\nRATIO = 1 / 0\n")
        server.wait_for_log(r"exited with status 1 before it was ready", after=mark)
        crash = server.log()[mark:]
        # A cold start's error: from the ZCML that imports the package, with file and line.
        assert re.search(r'ZeroDivisionError.*\n(.*\n)*.*File "\S+\.zcml", line \d+', crash) or re.search(
            r'File "\S+\.zcml", line \d+(.*\n)*.*ZeroDivisionError', crash
        ), crash[-3000:]
        mark = len(server.log())
        init.write_text(good)
        served(server, "/@@value", "value=", restarting=True)
        line = server.wait_for_log(r"instance ready in \d+ ms.*", after=mark).group(0)
        assert "forked from the template" in line, line
