"""A buildout of our own with Zope and the recipe, the Zope processes we start from it,
and an HTTP client for them."""
import base64
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from app import App

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATE = BENCH / "buildout.cfg.in"
DIRECTORY = BENCH / ".work" / "buildout"
LOGS_DIRECTORY = BENCH / ".work" / "logs"
# The venv's buildout: .venv-bench has zc.buildout pinned like versions.cfg.
BUILDOUT = Path(sys.executable).parent / "buildout"
BUILDOUT_TIMEOUT = 900
START_TIMEOUT = 120
STOP_TIMEOUT = 10


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Buildout:
    def __init__(self, directory=DIRECTORY):
        self.directory = Path(directory)
        self.app = App(self.directory / "src" / "benchapp.live")
        self.port = None

    def build(self, port):
        """Run bin/buildout for this port; returns how long it took."""
        self.port = port
        self.directory.mkdir(parents=True, exist_ok=True)
        self.app.write()
        config = TEMPLATE.read_text().format(repo=REPO, port=port)
        (self.directory / "buildout.cfg").write_text(config)
        started = time.monotonic()
        result = subprocess.run(
            [str(BUILDOUT), "-c", "buildout.cfg"],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=BUILDOUT_TIMEOUT,
        )
        if result.returncode != 0:
            raise RuntimeError("bin/buildout failed:\n" + result.stdout[-6000:])
        return time.monotonic() - started

    def script(self, name):
        return str(self.directory / "bin" / name)


class Server:
    """A process group we started (bin/instance-autoreload or bin/instance fg), its output
    in a log file. Use as a context manager: the whole group always ends."""

    def __init__(self, command, cwd, log_path):
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern, after=0, timeout=START_TIMEOUT):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = regex.search(self.log(), after)
            if match:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("no log line matching %r; log:\n%s" % (pattern, self.log()[-6000:]))

    def check_alive(self):
        if self.process.poll() is not None:
            raise RuntimeError(
                "server exited with %s; log:\n%s" % (self.process.returncode, self.log()[-6000:])
            )

    def stop(self):
        """SIGINT to the group, as Ctrl-C does, then SIGKILL for what is left; returns how
        long the SIGINT took to end the process (None if it had ended or had to be killed).
        Safe to call again."""
        if self._log.closed:
            return None
        started = time.monotonic()
        took = None
        if self.process.poll() is None:
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
        self._log.close()
        return took


class Client:
    """GET over one kept-alive connection, so that polling measures Zope, not connects."""

    def __init__(self, port, user=None):
        self.port = port
        self.headers = {}
        if user is not None:
            token = base64.b64encode(user.encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self._connection = None

    def get(self, path, timeout=10):
        """(status, body); raises OSError when nothing listens."""
        for attempt in (1, 2):
            if self._connection is None:
                self._connection = http.client.HTTPConnection(
                    "127.0.0.1", self.port, timeout=timeout
                )
            try:
                self._connection.request("GET", path, headers=self.headers)
                response = self._connection.getresponse()
                body = response.read().decode(errors="replace")
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 2:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, body

    def close(self):
        if self._connection is not None:
            self._connection.close()
            self._connection = None
