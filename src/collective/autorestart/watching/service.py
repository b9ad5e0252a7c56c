"""The watcher thread: inotify events -> batcher -> one reload cycle per batch."""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable

from collective.autorestart.watching.batcher import Batch, Batcher, Change
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.watcher import Watcher, WatchStats

log = logging.getLogger("collective.autorestart")

# Idle wake-ups are bounded, though stopping does not wait for them (see the wake pipe).
IDLE_WAIT_SECONDS = 1.0
# How often a watch root that went away is looked for (stat calls, only while it is gone).
MISSING_ROOT_WAIT_SECONDS = 0.2
# A stream of changes that never pauses is still applied this long after its first change.
MINIMUM_CAP_SECONDS = 1.0


class WatchService:
    def __init__(
        self,
        roots: tuple[str, ...],
        path_filter: PathFilter,
        debounce: float,
        on_batch: Callable[[Batch], object],
        on_ready: Callable[[WatchStats], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        changed_since: float | None = None,
    ) -> None:
        self.clock = clock
        self.changed_since = changed_since
        self.batcher = Batcher(quiet=debounce, cap=max(MINIMUM_CAP_SECONDS, 20 * debounce))
        self.watcher = Watcher(roots, path_filter, self._on_change, self._on_overflow)
        self.on_batch = on_batch
        self.on_ready = on_ready
        self.ready = threading.Event()
        self._stopping = threading.Event()
        # Guards the wake pipe: once the thread has closed it, its fd numbers may be reused.
        self._wake_lock = threading.Lock()
        self._wake_read, self._wake_write = os.pipe()
        self._thread = threading.Thread(target=self._run, name="collective.autorestart watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Only signals; safe to call more than once and from any thread."""
        with self._wake_lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
            os.write(self._wake_write, b"x")

    def join(self, timeout: float) -> bool:
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _on_change(self, path: str, change: Change) -> None:
        self.batcher.add(path, change, self.clock())

    def _on_overflow(self) -> None:
        self.batcher.overflow(self.clock())

    def _run(self) -> None:
        try:
            stats = self.watcher.start(self.changed_since)
            if self.on_ready is not None:
                self.on_ready(stats)
            self.ready.set()
            self._loop()
        except Exception:  # noqa: B902
            # Whatever goes wrong here must not take Zope down with it.
            log.exception("the watcher failed; autoreload is off until the next start")
        finally:
            self.ready.set()
            self.watcher.close()
            with self._wake_lock:
                self._stopping.set()
                os.close(self._wake_read)
                os.close(self._wake_write)

    def _loop(self) -> None:
        poller = select.poll()
        inotify_fd = self.watcher.fileno()
        poller.register(inotify_fd, select.POLLIN)
        poller.register(self._wake_read, select.POLLIN)
        while not self._stopping.is_set():
            deadline = self.batcher.deadline()
            wait = IDLE_WAIT_SECONDS if deadline is None else max(0.0, deadline - self.clock())
            if self.watcher.missing_roots:
                wait = min(wait, MISSING_ROOT_WAIT_SECONDS)
            for fd, _ in poller.poll(wait * 1000):
                if fd == self._wake_read:
                    return
                self.watcher.read()
            if self.watcher.missing_roots:
                self.watcher.check_missing_roots()
            batch = self.batcher.take(self.clock())
            if batch is not None:
                # Changes that arrive meanwhile wait in the kernel's queue for the next batch.
                self._apply(batch)

    def _apply(self, batch: Batch) -> None:
        try:
            self.on_batch(batch)
        except Exception:  # noqa: B902 - logged; the watcher must go on
            log.exception("applying changes failed; the next save retries")
