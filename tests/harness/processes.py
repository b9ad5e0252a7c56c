"""The servers we start (bin/instance-autoreload, bin/instance fg, ...): each leads a session
of its own, so that stopping it reaches every process it started, and its output goes to a
log file."""

import fcntl
import os
import re
import signal
import socket
import subprocess
import termios
import threading
import time
import urllib.error
from pathlib import Path

from . import http, proc

START_TIMEOUT = 90
STOP_TIMEOUT = 10
LOG_POLL = 0.02
# How much of the log a failure message quotes.
LOG_TAIL = 8000


class Server:
    """A process we started, in a session of its own, and its log. Use as a context manager,
    or call stop(): the whole process group always ends.

    terminal: start it as a shell in a terminal would, with a pseudo-terminal as its
    controlling terminal (its output still goes to the log); send_to_terminal() types."""

    def __init__(self, command, cwd, log_path, port=None, env=None, terminal=False):
        self.port = port
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.terminal = None
        self._copier = None
        self.started = time.monotonic()
        if terminal:
            self.process = self._start_in_a_terminal(command, cwd, env)
        else:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=env,
            )

    def _start_in_a_terminal(self, command, cwd, env):
        master, slave = os.openpty()
        try:
            process = subprocess.Popen(
                command,
                cwd=cwd,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                preexec_fn=_own_the_terminal,
            )
        finally:
            os.close(slave)
        self.terminal = master
        self._copier = threading.Thread(target=self._copy_terminal, name="terminal to log", daemon=True)
        self._copier.start()
        return process

    def _copy_terminal(self):
        while True:
            try:
                chunk = os.read(self.terminal, 65536)
            except OSError:  # EIO: every process holding the terminal has ended
                return
            if not chunk:
                return
            self._log.write(chunk)
            self._log.flush()

    def send_to_terminal(self, data):
        """Type data into the terminal: b"\\x03" is Ctrl-C."""
        os.write(self.terminal, data)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path.lstrip("/"))

    def get(self, path, timeout=5, headers=None):
        """(status, body) of a GET on a new connection; raises OSError when nothing listens."""
        return http.get(self.url(path), timeout=timeout, headers=headers)

    def search_log(self, pattern, after=0, timeout=START_TIMEOUT):
        """The first match of pattern in the log from offset after, waiting up to timeout
        seconds for it; None if none came (or the process ended first)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.log(), after)
            if match:
                return match
            if self.process.poll() is not None or time.monotonic() > deadline:
                return None
            time.sleep(LOG_POLL)

    def wait_for_log(self, pattern, after=0, timeout=START_TIMEOUT):
        """search_log, failing with the log when no line matches."""
        match = self.search_log(pattern, after=after, timeout=timeout)
        if match is None:
            raise AssertionError("no log line matching %r; log:\n%s" % (pattern, self.log()[-LOG_TAIL:]))
        return match

    def wait_until_quiet(self, quiet=0.5, timeout=http.LIVE_TIMEOUT):
        """Until the log has not grown for quiet seconds (or timeout seconds passed)."""
        deadline = time.monotonic() + timeout
        size = -1
        while size != len(self.log()) and time.monotonic() < deadline:
            size = len(self.log())
            time.sleep(quiet)

    def check_alive(self):
        if self.process.poll() is not None:
            raise AssertionError("server exited with %s; log:\n%s" % (self.process.returncode, self.log()[-LOG_TAIL:]))

    def wait_until_serving(self, path="/", timeout=START_TIMEOUT):
        """The first response at path, whatever its status, once the server listens."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                return self.get(path, timeout=2)
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.1)
        raise AssertionError("server not serving after %ss; log:\n%s" % (timeout, self.log()[-LOG_TAIL:]))

    def processes(self):
        """PIDs of our process and all its living descendants, ours first."""
        return proc.tree(self.process.pid)

    def stop(self):
        """SIGINT to the group, as Ctrl-C does, then SIGKILL for what is left; returns how
        long the SIGINT took to end the process (None if it had ended or had to be killed).
        Safe to call again, whatever state the process is in."""
        if self._log.closed:
            return None
        took = None
        if self.process.poll() is None:
            started = time.monotonic()
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(STOP_TIMEOUT)
                took = time.monotonic() - started
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(STOP_TIMEOUT)
        if self._copier is not None:
            self._copier.join(STOP_TIMEOUT)
            os.close(self.terminal)
        self._log.close()
        return took


def _own_the_terminal():
    """In the child: lead a new session whose controlling terminal is stdin (the pty), so
    that the instance, in the same process group, can read it (pdb) and gets its Ctrl-C."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
