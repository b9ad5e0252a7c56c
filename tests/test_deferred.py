"""runtime.deferred: our threads start only once the start-up notification has returned."""

import threading
import time

from collective.autorestart.runtime import deferred


def notify(subscribers):
    """Stands for zope.event.notify: calls each subscriber in turn."""
    for subscriber in subscribers:
        subscriber()


def test_without_a_notification_in_progress_the_action_runs_at_once():
    ran = []
    assert deferred.after_notify(lambda: ran.append(True), notify=notify) is None
    assert ran == [True]


def test_the_action_waits_for_the_subscribers_after_ours():
    events = []
    started = []

    def ours():
        started.append(deferred.after_notify(lambda: events.append("action"), notify=notify))

    def a_slow_one_after_ours():
        time.sleep(0.3)  # plone.reload's walk over sys.modules
        events.append("later subscriber done")

    notify([ours, a_slow_one_after_ours])
    events.append("notify returned")
    thread = started[0]
    assert isinstance(thread, threading.Thread) and thread.daemon
    thread.join(5)
    assert events[0] == "later subscriber done"
    assert sorted(events[1:]) == ["action", "notify returned"]


def test_a_failing_action_is_logged_not_raised(caplog):
    def fail():
        raise OSError("no inotify instance left")

    started = []
    notify([lambda: started.append(deferred.after_notify(fail, notify=notify))])
    started[0].join(5)
    assert "starting autoreload failed" in caplog.text and "no inotify instance left" in caplog.text
