"""The template process, as the supervisor sees it: built in the background after an
instance is ready, asked for a child at each restart, replaced when it is out of date.

Every way it can't help (still loading, failed, out of date, gone) is a reason, which the
restart line gives, and the restart is a cold start.
"""

import json
import logging
import os
import signal
import socket
import subprocess
import time

from collective.autorestart.contract import FD_VARIABLE, TEMPLATE_FD_VARIABLE
from collective.autorestart.supervisor.child import owns_terminal, prepare_child

log = logging.getLogger("collective.autorestart.supervisor")

FORK_TIMEOUT_SECONDS = 5.0
STALE_AGAIN_SECONDS = 60.0
STOP_SECONDS = 2.0


class Template:
    def __init__(self, command, env):
        self.command = command
        self.env = env
        self.process = None
        self.sock = None
        self.state = "off"  # off, loading, ready, stale (build another now), failed
        self.reason: str | None = "it is not built yet"
        self.stats = {}
        self.started = 0.0
        self._pending = b""

    def start(self):
        """Start building a template in the background; the previous one, if any, goes."""
        self.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = dict(self.env, **{TEMPLATE_FD_VARIABLE: str(theirs.fileno())})
        try:
            self.process = subprocess.Popen(
                self.command,
                env=env,
                pass_fds=(theirs.fileno(),),
                process_group=None if owns_terminal() else 0,
                # It dies with us (it holds nothing to close); a hung-up terminal does not end it.
                preexec_fn=prepare_child(os.getpid(), signal.SIGKILL),
            )
        except OSError as error:
            ours.close()
            self.state, self.reason = "failed", "the template could not start (%s)" % error
            return
        finally:
            theirs.close()
        log.info("building a template (PID %d) for fast restarts", self.process.pid)
        self._pending = b""  # the previous template's unread words are not this one's
        self.sock = ours
        self.sock.setblocking(False)
        self.state, self.reason = "loading", "the template is still loading"
        self.started = time.monotonic()

    def read(self):
        """Take in what the template said (the supervisor's loop calls this when its socket
        is readable); log its state changes."""
        if self.sock is None:
            return
        try:
            chunk = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._gone()
            return
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        for line in lines:
            self._take(line.decode("utf-8", "replace"))

    def _take(self, line):
        word, _, detail = line.partition(" ")
        if word == "ready":
            self.state, self.reason = "ready", None
            self.stats = json.loads(detail)
            log.info("%s", self._ready_line())
        elif word == "failed":
            self.state, self.reason = "failed", "the template could not be built: %s" % detail
            log.warning("restarts are cold starts: %s", self.reason)
        elif word == "cold":
            self.state, self.reason = "failed", detail
        elif word == "stale":
            self.state, self.reason = "stale", "the template is out of date (%s)" % detail
            log.info("%s: building another", self.reason)

    def _ready_line(self):
        stats = self.stats
        parts = ["%d modules" % stats["modules"]]
        if stats.get("zcml_split"):
            parts.append("ZCML parsed in each child (%s)" % stats["zcml_split"])
        else:
            parts.append("ZCML parsed but for %d watched file(s)" % len(stats.get("watched_zcml", ())))
        if stats.get("in_each_child"):
            count = stats.get("in_each_child_count", len(stats["in_each_child"]))
            more = " and %d more" % (count - len(stats["in_each_child"])) if count > len(stats["in_each_child"]) else ""
            parts.append(
                "%d module(s) imported in each instance: %s%s" % (count, ", ".join(stats["in_each_child"]), more)
            )
        return "template ready in %.1f s (%s): restarts fork from it" % (stats["seconds"], "; ".join(parts))

    @property
    def wants_rebuilding(self):
        """Out of date while idle, and it was not the one just built: a new one is built at
        once (one that goes stale within a minute of its start waits for the next cold start,
        so that a file that keeps changing can't keep a build running)."""
        return self.state == "stale" and time.monotonic() - self.started > STALE_AGAIN_SECONDS

    def _gone(self):
        if self.state in ("loading", "ready"):
            code = self.process.poll() if self.process is not None else None
            self.state, self.reason = "failed", "the template exited (status %s)" % code
            log.warning("restarts are cold starts: %s", self.reason)
        self._close()

    def fork(self, env, control_fd, supervisor_pid):
        """A new instance's PID, or None when a cold start must do (self.reason says why)."""
        if self.state != "ready":
            return None
        request = {
            "env": {key: value for key, value in env.items() if os.environ.get(key) != value},
            "fd_variable": FD_VARIABLE,
            "supervisor": supervisor_pid,
            "own_group": not owns_terminal(),
        }
        data = ("fork %s\n" % json.dumps(request)).encode("utf-8")
        sock = self.sock
        assert sock is not None  # ready means connected
        try:
            sock.settimeout(FORK_TIMEOUT_SECONDS)
            socket.send_fds(sock, [data], [control_fd])
            answer = self._answer(sock)
        except OSError as error:
            answer = "cold the template did not answer (%s)" % error
        finally:
            if self.sock is not None:
                self.sock.setblocking(False)
        word, _, detail = answer.partition(" ")
        if word == "child":
            return int(detail)
        self.state, self.reason = "failed", detail or "the template is gone"
        self.stop()
        return None

    def _answer(self, sock):
        deadline = time.monotonic() + FORK_TIMEOUT_SECONDS
        while b"\n" not in self._pending:
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                return "cold the template exited"
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode("utf-8", "replace")

    def stop(self):
        """Kill it first: with its socket closed under it, it would report the reset."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            # It holds no database and no port: nothing to close cleanly.
            process.send_signal(signal.SIGKILL)
            process.wait(STOP_SECONDS)
        self._close()

    def _close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
