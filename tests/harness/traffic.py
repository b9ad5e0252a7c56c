"""Steady traffic to a server while something else happens (reloads, restarts): a thread
that GETs one page in a loop and keeps every answer that was not the expected one."""

import threading
import time
from dataclasses import dataclass

from .http import Client

# Requests that never end are bounded by the client's timeout; the whole run by these.
REQUEST_TIMEOUT = 10
LIMIT = 1_000_000
SECONDS = 3600.0


@dataclass(frozen=True)
class Miss:
    """One request that did not get a 200 holding the expected text. started and ended are
    time.time() (wall clock, to compare with a log's timestamps); status is None when the
    request raised (nothing listened, the connection broke), detail says what came."""

    started: float
    ended: float
    status: int | None
    detail: str


class Traffic:
    """GET path from 127.0.0.1:port over one kept-alive connection, pause seconds apart, in
    a daemon thread, until stop(), limit requests or seconds, whichever comes first."""

    def __init__(self, port, path, expected, pause=0.02, limit=LIMIT, seconds=SECONDS, name="traffic"):
        self.client = Client(port)
        self.path = path
        self.expected = expected
        self.pause = pause
        self.limit = limit
        self.seconds = seconds
        self.requests = 0
        self.misses = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def start(self):
        self._thread.start()

    def stop(self, timeout=REQUEST_TIMEOUT + 1):
        """Signal, wait for the request under way; returns whether the thread ended."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        self.client.close()
        return not self._thread.is_alive()

    def _run(self):
        deadline = time.monotonic() + self.seconds
        while not self._stopping.is_set() and self.requests < self.limit:
            if time.monotonic() > deadline:
                return
            started = time.time()
            try:
                status, body = self.client.get(self.path, timeout=REQUEST_TIMEOUT)
            except OSError as error:
                status, body = None, "%s: %s" % (type(error).__name__, error)
            self.requests += 1
            if status != 200 or self.expected not in body:
                self.misses.append(Miss(started, time.time(), status, body[:200]))
            self._stopping.wait(self.pause)
