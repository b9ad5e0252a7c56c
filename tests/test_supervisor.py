"""The supervisor's loop, in-process, with a stub instance and a fake crash-time watcher.

``Supervisor.run()`` runs in the test's main thread (it installs signal handlers, which only
the main thread may).  The instance is a few lines of Python that play one script per start,
read from ``STUB_PLAN``; it notes what it did in a state file, so that the 1st, 2nd, ...
instance can behave differently and the test can see what happened.  Every wait is bounded:
a watchdog sends SIGTERM to a supervisor that does not end on its own.
"""

import dataclasses
import json
import logging
import os
import re
import signal
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from collective.autorestart import contract
from collective.autorestart.supervisor import session
from collective.autorestart.supervisor.session import Supervisor
from collective.autorestart.watching.batcher import Batch, Change

# One instance: takes the next script of STUB_PLAN and plays its steps.  SIGINT (how the
# supervisor stops an instance) ends it with 0, as it ends Zope after closing the ZODB.
STUB = textwrap.dedent(
    """\
    import json, os, signal, socket, sys, threading, time

    state = os.environ["STUB_STATE"]


    def note(line):
        with open(state, "a") as notes:
            notes.write(line + "\\n")


    def stopped(signum, frame):
        note("sigint")
        os._exit(0)


    signal.signal(signal.SIGINT, stopped)
    with open(state) as notes:
        number = sum(1 for line in notes if line.startswith("start "))
    note("start %d %d" % (number, os.getpid()))
    plan = json.loads(os.environ["STUB_PLAN"])
    steps = plan[number] if number < len(plan) else ["exit 97"]
    fd = int(os.environ[{fd_variable!r}])
    for step in steps:
        word, _, argument = step.partition(" ")
        if word in ("ready", "restart", "restart-fresh", "template-off", "off"):
            note("send " + step)  # first: the supervisor may act on it at once
            os.write(fd, (step + "\\n").encode())
        elif word == "exit":
            note(step)
            sys.exit(int(argument))
        elif word == "kill":
            note(step)
            os.kill(os.getpid(), int(argument))
        elif word == "ignore-sigint":
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            note("ignoring sigint")
        elif word in ("listen", "serve"):  # fast-listen: the port is open before Zope serves
            server = socket.socket()
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind(("127.0.0.1", int(os.environ["STUB_PORT"])))
            server.listen()
            note("listening")
        if word in ("accept", "serve"):  # Zope is loaded: connections are accepted, and held
            def accept_forever(server=server, held=[]):
                while True:
                    held.append(server.accept())

            threading.Thread(target=accept_forever, daemon=True).start()
            note("serving")
        elif word == "sleep":
            time.sleep(float(argument))
        elif word == "wait":
            time.sleep(10)
            note("waited too long")
            sys.exit(99)
    """
).format(fd_variable=contract.FD_VARIABLE)

WATCHDOG_SECONDS = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD)


class Stub:
    """The command and environment for a sequence of instances, and what they noted."""

    def __init__(self, tmp_path, *plan, port=0):
        self.state = tmp_path / "stub-state"
        self.state.write_text("")
        self.command = [sys.executable, "-c", STUB]
        self.env = dict(os.environ, STUB_STATE=str(self.state), STUB_PLAN=json.dumps(plan), STUB_PORT=str(port))

    def notes(self):
        return self.state.read_text().splitlines()

    def starts(self):
        return [line for line in self.notes() if line.startswith("start ")]

    def pids(self):
        return [int(line.split()[2]) for line in self.starts()]

    def wait_for(self, note, timeout=WATCHDOG_SECONDS):
        deadline = time.monotonic() + timeout
        while note not in self.notes():
            if time.monotonic() > deadline:
                raise AssertionError("no %r in %r" % (note, self.notes()))
            time.sleep(0.01)


class FakeWatch:
    """Stands in for the watch service the supervisor runs while the instance is down."""

    def __init__(self, on_batch, changed_since, then):
        self.on_batch = on_batch
        self.changed_since = changed_since
        self.ready = threading.Event()
        self.ready_at = None
        self.started = self.stopped = False
        self.joined = None
        self.starts_before_batch = None
        self._then = then
        self._thread = None

    def start(self):
        self.started = True
        self._thread = threading.Thread(target=self._run, name="fake crash watch", daemon=True)
        self._thread.start()

    def _run(self):
        time.sleep(0.05)  # setting up watches takes a moment: "save" only once they are set
        self.ready_at = time.time()
        self.ready.set()
        if self._then is not None:
            self._then(self)

    def stop(self):
        self.stopped = True

    def join(self, timeout):
        self.joined = timeout
        self._thread.join(timeout)


class CrashWatch:
    """The ``crash_watch`` factory, ``(on_batch, changed_since) -> watch``: the n-th watch it
    makes does the n-th of ``then``."""

    def __init__(self, *then):
        self.then = list(then)
        self.made = []

    def __call__(self, on_batch, changed_since):
        then = self.then[len(self.made)] if len(self.made) < len(self.then) else None
        watch = FakeWatch(on_batch, changed_since, then)
        self.made.append(watch)
        return watch


def save(stub, path, overflowed=False, after=0.1):
    """A save of ``path`` once the watch is ready (or a queue overflow, which says nothing
    of which file changed)."""

    def then(watch):
        time.sleep(after)
        watch.starts_before_batch = len(stub.starts())
        changes = {} if overflowed else {str(path): Change.CHANGED}
        watch.on_batch(Batch(changes=changes, overflowed=overflowed, first_seen=time.monotonic()))

    return then


def sigterm(after=0.05):
    def then(watch):
        time.sleep(after)
        os.kill(os.getpid(), signal.SIGTERM)

    return then


@pytest.fixture
def config(tmp_path):
    (tmp_path / "src").mkdir()
    return contract.Config(
        **dict(
            contract.DEFAULTS,
            sound=False,
            watch=(str(tmp_path / "src"),),
            buildout_directory=str(tmp_path),
            threaddump_file=str(tmp_path / "var" / "log" / "zope-threaddump.txt"),
        )
    )


def our_children():
    """PIDs whose parent is this process, zombies included (a zombie was never waited for)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.append(int(entry.name))
    return found


@pytest.fixture(autouse=True)
def handlers_restored_and_nothing_left_behind():
    """A harmless SIGTERM handler of our own, so that a late watchdog can't kill pytest, and
    the proof that the supervisor put back every handler it replaced."""
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    ours = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    assert our_children() == []
    try:
        yield
        assert {signum: signal.getsignal(signum) for signum in STOP_SIGNALS} == ours
        assert signal.set_wakeup_fd(-1) == -1
        assert our_children() == []
        assert [thread.name for thread in threading.enumerate() if thread.name == "fake crash watch"] == []
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for pid in our_children():  # only after a failure: end what the test started
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


@pytest.fixture(autouse=True)
def info_logs(caplog):
    caplog.set_level(logging.INFO, logger="collective.autorestart")


def supervise(stub, config, crash_watch=None, watchdog=WATCHDOG_SECONDS, listen=None, diagnosis=None, template=None):
    """Run the supervisor to its end; (exit status, seconds it took)."""
    supervisor = Supervisor(
        stub.command,
        stub.env,
        config,
        crash_watch or CrashWatch(),
        listen=listen,
        diagnosis=diagnosis,
        template=template,
    )
    fired = []

    def stop_it():
        fired.append(True)
        os.kill(os.getpid(), signal.SIGTERM)

    watchdog_timer = threading.Timer(watchdog, stop_it)
    started = time.monotonic()
    watchdog_timer.start()
    try:
        status = supervisor.run()
    finally:
        watchdog_timer.cancel()
        watchdog_timer.join()
    took = time.monotonic() - started
    assert not fired, "the supervisor did not end on its own within %.1f s: %r" % (watchdog, stub.notes())
    for pid in stub.pids():
        assert not os.path.exists("/proc/%d" % pid), "instance %d was left behind" % pid
    return status, took


def messages(caplog, level=logging.INFO):
    return [record.getMessage() for record in caplog.records if record.levelno >= level]


def test_ready_is_logged(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["ready", "exit 0"])
    status, took = supervise(stub, config)
    assert status == 0
    assert len(stub.starts()) == 1
    assert re.fullmatch(r"instance ready in \d+ ms", messages(caplog)[0])
    assert took < 2


def test_restart_request_stops_the_instance_and_starts_a_new_one(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["ready", "restart x", "wait"], ["ready", "exit 0"])
    crash_watch = CrashWatch()
    status, took = supervise(stub, config, crash_watch)
    assert status == 0
    assert len(stub.starts()) == 2
    # The first instance was stopped the way Zope likes, not left to time out.
    assert stub.notes()[:4] == [stub.starts()[0], "send ready", "send restart x", "sigint"]
    logged = messages(caplog)
    restarting = logged.index("restarting the instance: x")
    pattern = r"restarted in \d+ ms \(stop \d+ ms, start \d+ ms\): x"
    restarted = [index for index, message in enumerate(logged) if re.fullmatch(pattern, message)]
    assert restarted and restarted[0] > restarting
    assert crash_watch.made == []  # a restart is no crash: nothing to wait for
    assert took < 2


@pytest.mark.parametrize("code", [0, 2])
def test_exit_0_and_2_end_the_session(tmp_path, config, caplog, code):
    stub = Stub(tmp_path, ["exit %d" % code])
    crash_watch = CrashWatch()
    status, _ = supervise(stub, config, crash_watch)
    assert status == code
    assert len(stub.starts()) == 1
    assert crash_watch.made == []
    assert messages(caplog, logging.ERROR) == []


def test_crash_waits_for_a_save_then_starts_again(tmp_path, config, caplog):
    changed = tmp_path / "src" / "views.py"
    stub = Stub(tmp_path, ["exit 1"], ["ready", "exit 0"])
    crash_watch = CrashWatch(save(stub, changed))
    before = time.time()
    status, took = supervise(stub, config, crash_watch)
    assert status == 0
    assert len(stub.starts()) == 2
    [watch] = crash_watch.made
    assert watch.started and watch.stopped and watch.joined is not None
    # Saves since the crashed instance started count: one may be the fix already.
    assert before <= watch.changed_since <= before + took
    assert watch.starts_before_batch == 1  # nothing started while it waited
    [error] = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert error.getMessage() == (
        "the instance exited with status 1 before it was ready. Fix the error above and save: watching %s"
        % (tmp_path / "src")
    )
    # "save" only once a save is sure to be seen.
    assert error.created >= watch.ready_at
    assert "%s changed: starting the instance again" % changed in messages(caplog)
    assert took < 2


def test_crashes_never_spin_one_start_per_save(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["exit 1"], ["ready", "exit 3"], ["ready", "exit 0"])
    crash_watch = CrashWatch(save(stub, tmp_path / "src" / "a.py"), save(stub, tmp_path / "src" / "b.py"))
    status, took = supervise(stub, config, crash_watch)
    assert status == 0
    assert len(stub.starts()) == 3
    assert [watch.starts_before_batch for watch in crash_watch.made] == [1, 2]
    assert all(watch.stopped for watch in crash_watch.made)
    errors = messages(caplog, logging.ERROR)
    assert errors[0].startswith("the instance exited with status 1 before it was ready. Fix the error above")
    assert errors[1].startswith("the instance exited with status 3. Fix the error above and save")
    assert len(errors) == 2
    assert took < 3


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGUSR1])
def test_instance_killed_by_a_signal_is_128_plus_its_number(tmp_path, config, caplog, signum):
    stub = Stub(tmp_path, ["ready", "kill %d" % signum])
    # It is reported as a crash; a SIGTERM while waiting for the fix ends the session.
    crash_watch = CrashWatch(sigterm())
    status, _ = supervise(stub, config, crash_watch)
    assert status == 128 + signum
    assert len(stub.starts()) == 1
    [error] = messages(caplog, logging.ERROR)
    assert error.startswith("the instance was killed by %s, which no error in your code does" % signum.name)
    assert "Save any file to start it again, or press Ctrl-C: watching %s" % config.watch[0] in error


def test_crash_while_another_process_holds_the_port_starts_again_once_it_is_free(tmp_path, config, caplog, monkeypatch):
    monkeypatch.setattr(session, "WAIT_SECONDS", 0.05)  # how often the port is tried
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    stub = Stub(tmp_path, ["exit 1"], ["ready", "exit 0"])
    # No save: the port coming free is what starts the instance again.
    crash_watch = CrashWatch(lambda watch: (time.sleep(0.2), holder.close()))
    try:
        status, took = supervise(stub, config, crash_watch, listen=("127.0.0.1", port))
    finally:
        holder.close()
    assert status == 0
    assert len(stub.starts()) == 2
    [error] = messages(caplog, logging.ERROR)
    assert error.startswith(
        "the instance exited with status 1 before it was ready: port %d on 127.0.0.1 is in use by PID %d ("
        % (port, os.getpid())
    )
    assert "port %d is free again: starting the instance" % port in messages(caplog)
    assert took < 2


def test_sigterm_stops_the_instance_and_returns(tmp_path, config, caplog):
    stub = Stub(tmp_path, ["ready", "wait"])
    # Only once the instance is ready: earlier it may not have its SIGINT handler yet.
    sender = threading.Thread(
        target=lambda: (stub.wait_for("send ready"), os.kill(os.getpid(), signal.SIGTERM)),
        name="sigterm sender",
        daemon=True,
    )
    sender.start()
    try:
        status, took = supervise(stub, config)
    finally:
        sender.join(WATCHDOG_SECONDS)
    assert status == 0  # what the instance returned after SIGINT
    assert stub.notes()[-1] == "sigint"
    assert len(stub.starts()) == 1
    assert messages(caplog, logging.ERROR) == []
    assert took < 2


def test_instance_that_ignores_sigint_is_killed_after_the_grace_period(tmp_path, config, monkeypatch, capfd):
    stub = Stub(tmp_path, ["ignore-sigint", "ready", "restart x", "wait"], ["ready", "exit 0"])
    status, took = supervise(stub, dataclasses.replace(config, stop_grace=200))
    assert status == 0
    assert len(stub.starts()) == 2
    assert "sigint" not in stub.notes()
    assert "instance did not stop within 0.2 s of SIGINT, killing it" in capfd.readouterr().err
    assert took < 2


def test_crash_restarts_after_an_overflow_batch(tmp_path, config):
    stub = Stub(tmp_path, ["exit 1"], ["ready", "exit 0"])
    crash_watch = CrashWatch(save(stub, None, overflowed=True))
    status, _ = supervise(stub, config, crash_watch, watchdog=1.0)
    assert status == 0
    assert len(stub.starts()) == 2


def test_a_command_that_cannot_start_leaks_no_descriptor(tmp_path, config):
    before = sorted(os.listdir("/proc/self/fd"))
    supervisor = Supervisor([str(tmp_path / "no-such-python")], dict(os.environ), config, CrashWatch())
    with pytest.raises(FileNotFoundError):
        supervisor.run()
    assert sorted(os.listdir("/proc/self/fd")) == before


# Never silently off: the instance serves, and the runtime has or has not reported in.


class FakeCheck:
    def __init__(self, seconds):
        self.deadline = time.monotonic() + 5
        self.done_at = time.monotonic() + seconds
        self.stopped = False

    def done(self, now):
        return now >= self.done_at

    def report(self):
        return {"error": "ModuleNotFoundError: No module named 'collective.autorestart'"}

    def stop(self):
        self.stopped = True


class FakeDiagnosis:
    """What diagnosis.Diagnosis does, in checks that take ``seconds`` each."""

    def __init__(self, seconds=0.05):
        self.seconds = seconds
        self.checks = []

    def start_check(self):
        self.checks.append(FakeCheck(self.seconds))
        return self.checks[-1]

    def causes(self, report):
        return ["the cause (%s)" % report["error"]]


@pytest.fixture
def quick_report_in(monkeypatch):
    """Grace and probing in tenths of seconds; returns the failure sounds played."""
    from collective.autorestart.supervisor import report_in

    monkeypatch.setattr(report_in, "GRACE_SECONDS", 0.4)
    monkeypatch.setattr(report_in, "PROBE_SECONDS", 0.05)
    played = []
    monkeypatch.setattr(Supervisor, "_play_failure", lambda self: played.append(time.time()))
    return played


@pytest.fixture
def port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def errors(caplog):
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_a_silent_runtime_is_one_error_with_its_cause_once_the_instance_serves(
    tmp_path, config, caplog, quick_report_in, port
):
    stub = Stub(tmp_path, ["sleep 0.3", "serve", "sleep 1.5", "exit 0"], port=port)
    diagnosis = FakeDiagnosis()
    started = time.time()
    status, took = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=diagnosis)
    assert status == 0
    [error] = errors(caplog)
    assert error.getMessage() == (
        "autoreload is off: the runtime did not start within 0.4 s of the instance serving on 127.0.0.1:%d,"
        " and Zope serves without it: the cause (ModuleNotFoundError: No module named 'collective.autorestart')" % port
    )
    # The grace counts from serving, not from the start, and the check was run once.
    assert started + 0.3 + 0.4 <= error.created < started + 0.3 + 0.4 + 0.5
    assert len(diagnosis.checks) == 1
    assert quick_report_in == [pytest.approx(error.created, abs=0.2)]
    assert took < 3


def test_a_port_open_before_zope_is_loaded_is_not_serving_yet(tmp_path, config, caplog, quick_report_in, port):
    """fast-listen: connections wait in the accept queue while Zope loads (a Plone site: seconds)."""
    stub = Stub(tmp_path, ["listen", "sleep 0.8", "accept", "sleep 1.5", "exit 0"], port=port)
    started = time.time()
    status, _ = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=FakeDiagnosis())
    assert status == 0
    [error] = errors(caplog)
    assert started + 0.8 + 0.4 <= error.created < started + 0.8 + 0.4 + 0.5


def test_ready_in_time_is_no_error_and_no_check(tmp_path, config, caplog, quick_report_in, port):
    stub = Stub(tmp_path, ["serve", "sleep 0.1", "ready", "sleep 0.8", "exit 0"], port=port)
    diagnosis = FakeDiagnosis()
    status, _ = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=diagnosis)
    assert status == 0
    assert errors(caplog) == []
    assert diagnosis.checks == [] and quick_report_in == []


def test_the_runtimes_own_reason_is_the_error_line(tmp_path, config, caplog, quick_report_in, port):
    stub = Stub(tmp_path, ["off Zope is not in debug mode", "serve", "sleep 0.8", "exit 0"], port=port)
    diagnosis = FakeDiagnosis()
    status, _ = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=diagnosis)
    assert status == 0
    assert [error.getMessage() for error in errors(caplog)] == ["autoreload is off: Zope is not in debug mode"]
    assert diagnosis.checks == []
    assert len(quick_report_in) == 1


def test_a_late_ready_says_autoreload_is_on_after_all(tmp_path, config, caplog, quick_report_in, port):
    stub = Stub(tmp_path, ["serve", "sleep 0.7", "ready", "sleep 0.2", "exit 0"], port=port)
    status, _ = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=FakeDiagnosis())
    assert status == 0
    assert len(errors(caplog)) == 1
    [late] = [message for message in messages(caplog) if message.startswith("autoreload is on after all")]
    assert re.fullmatch(r"autoreload is on after all: the runtime reported in 0\.\d s later", late)


def test_a_check_still_running_when_the_instance_ends_is_stopped(tmp_path, config, caplog, quick_report_in, port):
    stub = Stub(tmp_path, ["serve", "sleep 0.6", "exit 0"], port=port)
    diagnosis = FakeDiagnosis(seconds=10)
    status, took = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=diagnosis)
    assert status == 0
    [check] = diagnosis.checks
    assert check.stopped
    assert errors(caplog) == []
    assert took < 2


def test_a_hanging_check_is_bounded_and_never_blocks_the_loop(
    tmp_path, config, caplog, quick_report_in, port, monkeypatch
):
    from collective.autorestart.supervisor import diagnosis as diagnosis_module

    monkeypatch.setattr(diagnosis_module, "CHECK_TIMEOUT_SECONDS", 0.5)
    hangs = tmp_path / "interpreter"
    hangs.write_text("import time\ntime.sleep(30)\n")
    slug = tmp_path / "etc" / "package-includes" / contract.SLUG_NAME
    slug.parent.mkdir(parents=True)
    slug.write_text("")
    diagnosis = diagnosis_module.Diagnosis([sys.executable, str(hangs)], str(slug), str(tmp_path))
    # The instance ends 0.3 s after the check timed out: the loop saw both on time.
    stub = Stub(tmp_path, ["serve", "sleep 1.2", "exit 0"], port=port)
    status, took = supervise(stub, config, listen=("127.0.0.1", port), diagnosis=diagnosis)
    assert status == 0
    [error] = errors(caplog)
    assert error.getMessage().endswith("Zope serves without it: the import check did not end within 0.5 s")
    assert took < 1.2 + 0.5
    # (the autouse fixture: the check's process was ended and waited for, like the instance)


def test_without_a_known_address_the_grace_counts_from_the_start(
    tmp_path, config, caplog, quick_report_in, monkeypatch
):
    from collective.autorestart.supervisor import report_in

    monkeypatch.setattr(report_in, "NO_ADDRESS_SECONDS", 0.3)
    stub = Stub(tmp_path, ["sleep 0.8", "exit 0"])
    status, _ = supervise(stub, config, diagnosis=FakeDiagnosis())
    assert status == 0
    [error] = errors(caplog)
    assert error.getMessage().startswith(
        "autoreload is off: the runtime did not start within 0.3 s of the instance's start, and Zope serves"
    )
