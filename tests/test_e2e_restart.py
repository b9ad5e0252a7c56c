"""End to end: restarts when a change can't be applied in place, and surviving crashes."""

import os
import re
import signal
import statistics
import time

import pytest

from harness.buildouts import RESTARTS_AT_IMPORT, value_module
from harness.http import served
from harness.ports import port_is_free
from harness.proc import instances, open_files, template_pid, wait_for_new_zope, wait_until_gone, zope_pid

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package", "short_grace")]
STOP_GRACE_MS = 1500
# Enough for a leak of one file or process a restart to show; bench's soak repeats restarts
# by the hundred.
RESTARTS = 20


@pytest.fixture(scope="module")
def short_grace(built):
    """Every test of this module has the short grace: a test that ignores SIGINT waits it out."""
    with built.configured(stop_grace=STOP_GRACE_MS):
        yield


@pytest.mark.smoke
def test_a_change_to_setup_py_restarts_and_the_zodb_survives(autoreload, built, figures):
    # A ZODB of its own: the counter starts at 1.
    for path in (built.directory / "var" / "filestorage").glob("Data.fs*"):
        path.unlink()
    server = autoreload()
    assert server.get("/@@bump")[1] == "counter=1"
    old = zope_pid(server)
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    (built.code / "views.py").write_text(value_module("after-restart"))
    setup = built.package / "setup.py"
    setup.write_text(setup.read_text() + "\n")
    wait_for_new_zope(server, old)
    took = served(server, "/@@value", "value=after-restart", restarting=True)
    server.wait_for_log(r"restarted in \d+ ms .*setup\.py changed")
    assert server.get("/@@bump")[1] == "counter=2"
    assert index.exists()
    assert not re.search(r"(?i)rebuild|out of date|recover", server.log())
    figures.append("restart on a setup.py change, save to new code served: %.0f ms" % (took * 1000))


def test_a_buildout_cfg_change_says_run_buildout_and_does_not_restart(autoreload, built):
    # Watch the buildout directory itself, as the develop = . default does.
    with built.configured(watch=[str(built.directory)]):
        server = autoreload()
        old = zope_pid(server)
        config = built.directory / "buildout.cfg"
        written = config.read_text()
        mark = len(server.log())
        config.write_text(written + "\n# edited\n")
        try:
            server.wait_for_log(r"buildout\.cfg changed: run bin/buildout", after=mark)
            time.sleep(0.3)
            assert zope_pid(server) == old
        finally:
            config.write_text(written)


def kinds(open_files):
    """What is open, without inodes: each run has a control pipe of its own."""
    return sorted(target.split(":[")[0] for target in open_files.values())


def test_repeated_restarts_leave_one_instance_no_leaked_files_and_all_data(autoreload, built, figures):
    server = autoreload()
    served(server, "/@@bump", "counter=", restarting=True)
    baseline = int(server.get("/@@bump")[1].split("=")[1])
    # Settled: the runtime has reported in (until then the supervisor may hold its probe of
    # the port), and the template the restarts fork from is built.
    server.wait_for_log(r"instance ready in \d+ ms")
    server.wait_for_log(r"template ready in")
    template = template_pid(server)
    supervisor_files = open_files(server.process.pid)
    index = built.directory / "var" / "filestorage" / "Data.fs.index"
    views = built.code / "views.py"
    timings = []
    for round_ in range(RESTARTS):
        old = zope_pid(server)
        index_written = index.stat().st_mtime_ns
        started = time.perf_counter()
        views.write_text(value_module("round-%d" % round_, RESTARTS_AT_IMPORT))
        wait_for_new_zope(server, old)
        served(server, "/@@value", "value=round-%d" % round_, restarting=True)
        timings.append(time.perf_counter() - started)
        # FileStorage writes its index only when it is closed cleanly.
        assert index.stat().st_mtime_ns > index_written
        assert server.get("/@@bump")[1] == "counter=%d" % (baseline + round_ + 1)
    # Served is not settled: the last runtime reports in after Zope serves.
    deadline = time.monotonic() + 30
    while len(re.findall(r"restarted in \d+ ms", server.log())) < RESTARTS and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(re.findall(r"restarted in \d+ ms .*forked from the template\)", server.log())) == RESTARTS
    assert len(instances(server)) == 1 and template_pid(server) == template
    assert len(server.processes()) == 3  # the supervisor, the template, one instance
    now_open = open_files(server.process.pid)
    assert kinds(now_open) == kinds(supervisor_files), (supervisor_files, now_open)
    assert not re.search(r"(?i)rebuild|out of date|recover", server.log())
    figures.append(
        "%d restarts forked from the template: median %.0f ms, max %.0f ms (save to served)"
        % (RESTARTS, statistics.median(timings) * 1000, max(timings) * 1000)
    )


def test_zcml_change_restarts_with_on_zcml_change_restart(autoreload, built):
    with built.configured(on_zcml_change="restart"):
        server = autoreload()
        old = zope_pid(server)
        zcml = built.code / "configure.zcml"
        good = zcml.read_text()
        zcml.write_text(good.replace("</configure>", "  <!-- edited -->\n</configure>"))
        wait_for_new_zope(server, old)
        server.wait_for_log(r"restarted in \d+ ms .*configure\.zcml changed")
        assert "reloaded ZCML" not in server.log()


def test_broken_at_start_up_waits_for_the_fix_without_spinning(servers, built):
    views = built.code / "views.py"
    good = views.read_text()
    views.write_text(good + "\ndef oops(:\n")
    try:
        server = servers([str(built.script)], built.directory, built.directory / "crash.log", built.port)
        server.wait_for_log(r"exited with status 1 before it was ready\. Fix the error above and save")
        assert "SyntaxError" in server.log()
        time.sleep(2.0)
        # Waiting, not retrying: still one crash, no instance, the supervisor alive.
        assert server.log().count("before it was ready") == 1
        assert server.processes() == [server.process.pid]
    finally:
        views.write_text(good)
    served(server, "/@@value", "value=", restarting=True)
    server.wait_for_log(r"views\.py changed: starting the instance again")


def test_on_reload_error_restart_then_crash_then_fix(autoreload, built):
    views = built.code / "views.py"
    good = views.read_text()
    with built.configured(on_reload_error="restart"):
        server = autoreload()
        views.write_text(good + "\nRATIO = 1 / 0\n")
        server.wait_for_log(r"restarting the instance: reload failed: \S+views\.py:\d+: ZeroDivisionError")
        server.wait_for_log(r"exited with status 1 before it was ready")
        views.write_text(value_module("repaired"))
        served(server, "/@@value", "value=repaired", restarting=True)


def test_ctrl_c_during_a_restart_ends_everything(autoreload, built):
    server = autoreload()
    old = zope_pid(server)
    setup = built.package / "setup.py"
    setup.write_text(setup.read_text() + "\n")
    new = wait_for_new_zope(server, old)
    time.sleep(0.1)  # the new instance is starting up
    pids = server.processes()
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    server.process.wait(10)
    assert time.monotonic() - started < 2.0
    assert wait_until_gone(pids + new, timeout=0.1) == []
    assert port_is_free(built.port)


def test_an_instance_that_ignores_sigint_is_killed_after_a_grace_period(autoreload, built):
    server = autoreload(log_name="stubborn.log", env=dict(os.environ, AUTOTEST_IGNORE_SIGINT="1"))
    pids = server.processes()
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(10)
    took = time.monotonic() - started
    assert 1.4 < took < 2.5
    assert "did not stop within 1.5 s of SIGINT, killing it (raise stop-grace" in server.log()
    assert wait_until_gone(pids, timeout=0.1) == []
    assert port_is_free(built.port)


def test_a_reload_that_removes_a_class_restarts_as_a_cold_start_would_serve(autoreload, built):
    """A removed class stays reachable through what holds it (here the ZCML registration of
    @@helper): the instance restarts, and serves what a cold start on the new files does."""
    views = built.code / "views.py"
    zcml = built.code / "configure.zcml"
    views.write_text(value_module("with-helper", extra="\n\nclass Helper(Value):\n    pass\n"))
    zcml.write_text(
        zcml.read_text().replace(
            "</configure>",
            '  <browser:page name="helper" for="*" class=".views.Helper" permission="zope.Public" />\n</configure>',
        )
    )
    server = autoreload()
    served(server, "/@@helper", "value=with-helper", restarting=True)
    old = zope_pid(server)
    views.write_text(value_module("helper-gone"))  # Helper goes; ZCML still registers it
    wait_for_new_zope(server, old)
    server.wait_for_log(r"restarting the instance: autotest\.app\.views no longer defines Helper")
    # A cold start on these files fails: ZCML names a class that is gone. So does ours.
    server.wait_for_log(r"exited with status 1 before it was ready\. Fix the error above and save")
    assert "ImportError: Module autotest.app.views has no global Helper" in server.log()
