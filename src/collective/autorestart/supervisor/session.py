"""Supervise the instance: restart it when it asks, wait for a fix when it crashes.

One loop in the main thread waits on a single wake-up pipe, written by signal handlers
(``signal.set_wakeup_fd``), by the crash-time watcher, and beside it on the instance's
control pipe.  Our own process is not Zope, so installing signal handlers here is fine.
While the instance runs, ``report_in`` makes sure that autoreload is never silently off.
"""

import fnmatch
import logging
import os
import selectors
import signal
import time

from collective.autorestart.contract import (
    FD_VARIABLE,
    OFF,
    READY,
    RESTART,
    RESTART_FRESH,
    STARTED_VARIABLE,
    TEMPLATE_OFF,
)
from collective.autorestart.supervisor.child import Child, exit_status
from collective.autorestart.supervisor.forked import ForkedChild, become_subreaper, reap_strays
from collective.autorestart.supervisor.ports import holder_of, port_in_use
from collective.autorestart.supervisor.report_in import ReportIn

log = logging.getLogger("collective.autorestart.supervisor")

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# Only a backstop: every event that matters writes to the wake-up pipe.
WAIT_SECONDS = 1.0
READY_TIMEOUT_SECONDS = 10.0
# A clean exit, or a command-line usage error (optparse and argparse exit with 2): no change
# to the code can fix the latter, so waiting for one would only hang.
ENDS_THE_SESSION = (0, 2)


class Run:
    """How one child process ended."""

    def __init__(self, returncode=None, signum=None, restart=None, ready=False):
        self.returncode = returncode
        self.signum = signum
        self.restart = restart
        self.ready = ready


class Supervisor:
    def __init__(self, command, env, config, crash_watch, listen=None, diagnosis=None, template=None):
        self.command = command
        self.listen = listen  # (host, port) the instance serves on, if known
        # Finds out why the runtime never reported in (diagnosis.Diagnosis), if given.
        self.diagnosis = diagnosis
        self.env = env
        self.config = config
        # Makes the watcher used while the instance is down: (on_batch, changed_since).
        self.crash_watch = crash_watch
        self.child_started = None
        self.signals = []
        self.selector = selectors.DefaultSelector()
        self._wake_read, self._wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._player = None
        # The preloaded process restarts fork from (template.Template), if fast-restart is on.
        self.template = template
        self._template_sock = None
        # The next start must be cold: what changed may be held by the template.
        self._fresh = False
        self._first_start = True

    def run(self):
        previous = self._install_signals()
        self.selector.register(self._wake_read, selectors.EVENT_READ)
        subreaper = self.template is not None and become_subreaper()
        if self.template is not None and not subreaper:
            log.warning("restarts are cold starts: this system has no child subreapers (Linux 3.4)")
            self.template = None
        try:
            restarting = None
            while True:
                run = self._run_child(restarting)
                if run.signum is not None:
                    return exit_status(run.returncode)
                if run.restart is not None:
                    restarting = run.restart
                    continue
                restarting = None
                if run.returncode in ENDS_THE_SESSION:
                    return run.returncode
                if not self._wait_for_a_fix(run):
                    return exit_status(run.returncode)
        finally:
            if self.template is not None:
                self.template.stop()
            if subreaper:
                become_subreaper(False)
            self.selector.close()
            self._restore_signals(previous)
            os.close(self._wake_read)
            os.close(self._wake_write)

    def _install_signals(self):
        previous: dict[int | str, object] = {
            signum: signal.getsignal(signum) for signum in STOP_SIGNALS + (signal.SIGCHLD,)
        }
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._record_signal)
        # SIGCHLD only needs to wake the loop up: its handler does nothing.
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        previous["wakeup"] = signal.set_wakeup_fd(self._wake_write, warn_on_full_buffer=False)
        return previous

    def _restore_signals(self, previous):
        signal.set_wakeup_fd(previous.pop("wakeup"))
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    def _record_signal(self, signum, frame):
        self.signals.append(signum)

    def _drain_wake(self):
        try:
            while os.read(self._wake_read, 4096):
                pass
        except BlockingIOError:
            pass

    def _run_child(self, restarting):
        control_read, control_write = os.pipe2(os.O_CLOEXEC)
        self.child_started = time.time()
        env = dict(self.env, **{FD_VARIABLE: str(control_write), STARTED_VARIABLE: repr(self.child_started)})
        started = time.monotonic()
        try:
            child, how = self._start_instance(env, control_write)
        except Exception:  # noqa: B902 - whatever keeps it from starting, the pipe is ours
            os.close(control_read)
            raise
        finally:
            os.close(control_write)
        self.selector.register(control_read, selectors.EVENT_READ)
        pending = b""
        ready = False
        report_in = ReportIn(self.listen, self.diagnosis, self._say_off, started)
        try:
            while True:
                wait = min(WAIT_SECONDS, report_in.wait_seconds(time.monotonic()))
                for key, _ in self.selector.select(wait):
                    if key.fd == self._wake_read:
                        self._drain_wake()
                        self._reap_strays(child)
                    elif key.fileobj is self._template_sock:
                        self._read_template()
                    elif key.fd == control_read:
                        chunk = os.read(control_read, 4096)
                        if not chunk:
                            self.selector.unregister(control_read)
                        pending += chunk
                if self.signals:
                    signum = self.signals[0]
                    returncode = child.stop(child.sigint_came_from_terminal(signum))
                    return Run(returncode, signum=signum)
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    word, _, reason = line.decode("utf-8", "replace").partition(" ")
                    if word == READY:
                        ready = True
                        # First: the serving probe's connection is closed by the time the
                        # line is logged, so that a settled supervisor holds only its own fds.
                        report_in.ready(time.monotonic())
                        self._report_ready(started, restarting, how)
                        self._build_template()
                    elif word == OFF:
                        report_in.off(reason, time.monotonic())
                    elif word in (RESTART, RESTART_FRESH):
                        self._fresh = self._fresh or word == RESTART_FRESH
                        return self._restart(child, reason)
                    elif word == TEMPLATE_OFF:
                        return self._restart(child, self._template_off(reason))
                returncode = child.poll()
                if returncode is not None:
                    return Run(returncode, ready=ready)
                report_in.tick(time.monotonic())
        finally:
            report_in.close()
            if control_read in self.selector.get_map():
                self.selector.unregister(control_read)
            os.close(control_read)

    def _start_instance(self, env, control_write):
        """The instance, forked from the template if it can be; and how it started, for the
        line that says it is ready (None: the first start, cold as it has to be)."""
        grace = self.config.stop_grace / 1000
        grace_where = self.config.where_to_set("stop-grace")
        how = None
        first, self._first_start = self._first_start, False
        if self.template is not None and not first:
            if self._fresh:
                self.template.stop()
                self._sync_template()
                self.template.state = "off"
                self.template.reason = "a restart-on file changed, which the template may hold"
            else:
                pid = self.template.fork(env, control_write, os.getpid())
                self._sync_template()
                if pid is not None:
                    return ForkedChild(pid, grace, grace_where), "forked from the template"
            how = "cold start: %s" % self.template.reason
        self._fresh = False
        return Child(self.command, env, pass_fds=(control_write,), grace=grace, grace_where=grace_where), how

    def _template_off(self, reason):
        """A forked instance can't be shown to equal a cold start: cold starts from now on."""
        log.warning(
            "restarts are cold starts until %s starts again: in an instance forked from the template, %s",
            self.config.command,
            reason,
        )
        if self.template is not None:
            self.template.stop()
            self.template = None
        self._sync_template()
        return "a forked instance may differ from a cold start"

    def _build_template(self):
        """After a cold start is ready (so that the two don't share the CPU): build a
        template if there is none."""
        if self.template is not None and self.template.state in ("off", "failed", "stale"):
            self.template.start()
            self._sync_template()

    def _read_template(self):
        self.template.read()
        self._sync_template()
        if self.template.wants_rebuilding:
            self.template.start()
            self._sync_template()

    def _sync_template(self):
        """Keep the selector on the template's current socket.  By the socket, not its
        number: a new template's socket may get the number of the one just closed."""
        sock = self.template.sock if self.template is not None else None
        if sock is self._template_sock:
            return
        if self._template_sock is not None:
            try:
                self.selector.unregister(self._template_sock)
            except (KeyError, ValueError):
                pass
        self._template_sock = sock
        if sock is not None:
            self.selector.register(sock, selectors.EVENT_READ)

    def _reap_strays(self, child):
        if self.template is not None:
            process = self.template.process
            known = {child.pid} | ({process.pid} if process is not None else set())
            reap_strays(known)

    def _report_ready(self, started, restarting, how=None):
        now = time.monotonic()
        if restarting is None:
            log.info("instance ready in %.0f ms%s", (now - started) * 1000, " (%s)" % how if how else "")
        else:
            reason, requested = restarting
            log.info(
                "restarted in %.0f ms (stop %.0f ms, start %.0f ms%s): %s",
                (now - requested) * 1000,
                (started - requested) * 1000,
                (now - started) * 1000,
                ", %s" % how if how else "",
                reason,
            )

    def _restart(self, child, reason):
        requested = time.monotonic()
        log.info("restarting the instance: %s", reason)
        returncode = child.stop()
        if self.signals:
            return Run(returncode, signum=self.signals[0])
        return Run(returncode, restart=(reason, requested))

    def _wait_for_a_fix(self, run):
        """After a crash: never spin, wait for a change under the watch roots."""
        changes: list[str] = []

        def on_batch(batch):
            # After lost events (a queue overflow) anything may have changed.
            changes.extend(batch.changes or (["(lost events)"] if batch.overflowed else []))
            os.write(self._wake_write, b"\0")

        # A save made while the instance started and crashed may be the fix already.
        service = self.crash_watch(on_batch, self.child_started)
        service.start()
        try:
            # Only once the watches are set is a save sure to be seen: then say "save".
            service.ready.wait(READY_TIMEOUT_SECONDS)
            blocked = self._port_taken(run)
            log.error("%s: watching %s", self._why_it_stopped(run, blocked), ", ".join(self.config.watch))
            self._play_failure()
            while not changes:
                for key, _ in self.selector.select(WAIT_SECONDS):
                    if key.fileobj is self._template_sock:
                        self._read_template()
                    else:
                        self._drain_wake()
                if self.signals:
                    return False
                if blocked is not None and not port_in_use(*blocked):
                    log.info("port %d is free again: starting the instance", blocked[1])
                    return True
        finally:
            service.stop()
            service.join(WAIT_SECONDS)
        log.info("%s changed: starting the instance again", ", ".join(sorted(changes)[:3]))
        restart_on = self.config.restart_on
        if any(fnmatch.fnmatchcase(os.path.basename(path), pattern) for path in changes for pattern in restart_on):
            self._fresh = True
        return True

    def _port_taken(self, run):
        """The address the instance could not bind, if another process holds it now."""
        if self.listen is None or run.returncode is None or run.returncode <= 0:
            return None
        return self.listen if port_in_use(*self.listen) else None

    def _why_it_stopped(self, run, blocked):
        if run.returncode is not None and run.returncode < 0:
            name = signal.Signals(-run.returncode).name
            return (
                "the instance was killed by %s, which no error in your code does (the out-of-memory"
                " killer? another tool?). Save any file to start it again, or press Ctrl-C" % name
            )
        status = "the instance exited with status %s%s" % (
            exit_status(run.returncode),
            "" if run.ready else " before it was ready",
        )
        if blocked is not None:
            host, port = blocked
            holder = holder_of(port)
            who = "PID %d (%s)" % holder if holder is not None else "another process"
            return (
                "%s: port %d on %s is in use by %s. Stop that process, and the instance starts"
                " again once the port is free, or change %s" % (status, port, host, who, self.config.where_to_listen)
            )
        return status + ". Fix the error above and save"

    def _say_off(self, message):
        log.error("%s", message)
        self._play_failure()

    def _play_failure(self):
        from collective.autorestart.watching.sound import FAILURE, make_player

        if self._player is None:
            config = self.config
            self._player = make_player(
                config.sound, config.success_sound, config.failure_sound, where=config.where_to_set("sound")
            )
        self._player.play(FAILURE)
