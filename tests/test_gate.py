"""Unit tests of the request gate and the bounded applier, with real threads and short
patience."""

import logging
import threading
import time

from collective.autorestart.runtime.gate import GatedApplier, RequestGate
from collective.autorestart.watching.bounded import BoundedApplier
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import Failure

WAIT = 5.0


class Recorder:
    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def __call__(self, event):
        with self.lock:
            self.events.append(event)


def in_thread(target):
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_a_reload_waits_for_the_request_in_flight_and_says_so():
    gate = RequestGate()
    record = Recorder()
    entered, release = threading.Event(), threading.Event()

    def request():
        with gate.request("GET /slow"):
            entered.set()
            release.wait(WAIT)
            record("request done")

    thread = in_thread(request)
    assert entered.wait(WAIT)
    threading.Timer(0.05, release.set).start()
    with gate.reload() as passage:
        record("reloading")
    thread.join(WAIT)
    assert record.events == ["request done", "reloading"]
    assert passage.waited_for == 1 and passage.waited >= 0.04
    assert passage.notes()[0].startswith("waited ") and passage.notes()[0].endswith(" ms for 1 request(s)")


def test_a_request_that_arrives_during_a_reload_waits_for_its_end():
    gate = RequestGate()
    record = Recorder()
    with gate.reload():
        thread = in_thread(lambda: gate.request("GET /").__enter__() or record("request served"))
        time.sleep(0.05)
        record("reload done")
    thread.join(WAIT)
    assert record.events == ["reload done", "request served"]


def test_new_requests_wait_behind_a_waiting_reload():
    gate = RequestGate()
    record = Recorder()
    entered, release = threading.Event(), threading.Event()

    def first_request():
        with gate.request("GET /first"):
            entered.set()
            release.wait(WAIT)

    def second_request():
        with gate.request("GET /second"):
            record("second request")

    def reload():
        with gate.reload():
            record("reload")

    first = in_thread(first_request)
    assert entered.wait(WAIT)
    reloading = in_thread(reload)
    time.sleep(0.05)
    second = in_thread(second_request)
    time.sleep(0.05)
    assert record.events == []  # the reload waits for the first, the second for the reload
    release.set()
    for thread in (first, reloading, second):
        thread.join(WAIT)
    assert record.events == ["reload", "second request"]


def test_a_request_that_runs_too_long_does_not_hold_a_reload_back():
    gate = RequestGate(reload_patience=0.1)
    entered, release = threading.Event(), threading.Event()

    def request():
        with gate.request("GET /debugger"):
            entered.set()
            release.wait(WAIT)

    thread = in_thread(request)
    assert entered.wait(WAIT)
    started = time.monotonic()
    with gate.reload() as passage:
        took = time.monotonic() - started
    release.set()
    thread.join(WAIT)
    assert 0.09 <= took < 1.0
    (still_running,) = passage.still_running
    assert still_running.startswith("GET /debugger (running for 0.")
    assert passage.notes()[-1] == "went ahead while still running: " + still_running


def test_a_gate_kept_closed_lets_requests_through_after_their_patience():
    gate = RequestGate(request_patience=0.1)
    gate.keep_closed()
    started = time.monotonic()
    with gate.request():
        pass
    assert 0.09 <= time.monotonic() - started < 1.0


def test_a_nested_request_in_the_same_thread_does_not_wait_for_a_waiting_reload():
    gate = RequestGate(reload_patience=WAIT)
    nested = threading.Event()
    entered = threading.Event()

    def request():
        with gate.request("GET /outer"):
            entered.set()
            time.sleep(0.05)  # meanwhile the reload starts waiting
            with gate.request("GET /inner"):
                nested.set()

    thread = in_thread(request)
    assert entered.wait(WAIT)
    with gate.reload():
        assert nested.is_set()
    thread.join(WAIT)


class FakeApplier:
    def __init__(self, outcome=None, action=None):
        self.outcome = outcome or Outcome(reloaded=["pkg.views"])
        self.action = action

    def apply(self, modules, zcml):
        if self.action is not None:
            self.action()
        return self.outcome


def test_the_gated_applier_notes_what_the_reload_waited_for():
    gate = RequestGate(reload_patience=0.05)
    entered, release = threading.Event(), threading.Event()

    def request():
        with gate.request("GET /slow"):
            entered.set()
            release.wait(WAIT)

    thread = in_thread(request)
    assert entered.wait(WAIT)
    outcome = GatedApplier(FakeApplier(), gate).apply(("pkg.views",), False)
    release.set()
    thread.join(WAIT)
    assert outcome.reloaded == ["pkg.views"]
    assert outcome.notes[0].endswith("for 1 request(s)")
    assert outcome.notes[1].startswith("went ahead while still running: GET /slow (running for ")


def test_the_gated_applier_keeps_the_gate_closed_after_a_reload_that_hung():
    gate = RequestGate(request_patience=0.1)
    hung = Outcome(hung=Failure("/src/pkg/views.py", 3, "the reload did not finish within 1.0 s"))
    GatedApplier(FakeApplier(hung), gate).apply(("pkg.views",), False)
    started = time.monotonic()
    with gate.request():
        pass
    assert time.monotonic() - started >= 0.09


def stuck_at_import():
    time.sleep(WAIT)


def test_a_keyboard_interrupt_in_the_user_code_is_an_aborted_reload():
    def interrupted():
        raise KeyboardInterrupt

    outcome = BoundedApplier(FakeApplier(action=interrupted), 1.0, (__file__.rsplit("/", 1)[0],)).apply(
        ("pkg.views",), False
    )
    assert not outcome.ok and outcome.reloaded == []
    assert outcome.aborted.filename == __file__
    assert outcome.aborted.message == "KeyboardInterrupt"


def test_a_reload_that_hangs_is_reported_with_where_it_is_stuck(caplog):
    applier = BoundedApplier(FakeApplier(action=stuck_at_import), 0.2, (__file__.rsplit("/", 1)[0],))
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, "collective.autorestart"):
        outcome = applier.apply(("pkg.views",), False)
    assert time.monotonic() - started < 1.0
    line = stuck_at_import.__code__.co_firstlineno + 1
    assert (outcome.hung.filename, outcome.hung.line) == (__file__, line)
    (error,) = [record.getMessage() for record in caplog.records]
    assert error.startswith("the reload did not finish within 0.2 s; it is stuck at %s:%d, in:" % (__file__, line))
    assert "in stuck_at_import" in error


def test_a_reload_within_its_bound_is_passed_through():
    outcome = Outcome(reloaded=["pkg.views"], zcml_reloaded=True)
    assert BoundedApplier(FakeApplier(outcome), 1.0, ("/src",)).apply(("pkg.views",), True) is outcome
