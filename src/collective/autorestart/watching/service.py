"""The watcher thread: the back-ends' changes -> batcher -> one reload cycle per batch."""

from __future__ import annotations

import dataclasses
import logging
import os
import select
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from collective.autorestart.contract import AUTO, INOTIFY, NATIVE, POLLING
from collective.autorestart.watching.backend import WatchStats
from collective.autorestart.watching.batcher import Batch, Batcher, Change
from collective.autorestart.watching.choose import Choice, InotifyProbe, choose
from collective.autorestart.watching.filters import PathFilter

if TYPE_CHECKING:
    from collective.autorestart.watching.backend import Backend

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
        watcher: str = AUTO,
        poll_interval: float = 1.0,
        where: str = "watcher",
    ) -> None:
        """``watcher``: the option (auto, inotify, native, polling); ``where`` says where it is
        set, for the error when the back-end it forces can't run here."""
        self.roots = roots
        self.filter = path_filter
        self.mode = watcher
        self.poll_interval = poll_interval
        self.where = where
        self.debounce = debounce
        self.clock = clock
        self.changed_since = changed_since
        self.batcher = Batcher(quiet=debounce, cap=max(MINIMUM_CAP_SECONDS, 20 * debounce))
        # Chosen and made here, as Zope starts, so that a back-end that can't start (no
        # inotify instance left, watcher = native without watchdog) keeps the runtime off
        # with one line; probing a root takes about 1.5 ms, walking the tree is the thread's.
        started = time.perf_counter()
        self.choices: list[Choice] = []
        self.backends: list[Backend] = self._build_backends()
        self._choose_seconds = time.perf_counter() - started
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

    def _build_backends(self) -> list[Backend]:
        probe = InotifyProbe()
        try:
            self.choices = choose(self.roots, self.mode, self.where, inotify_probe=probe)
            by_backend: dict[str, list[str]] = {}
            for choice in self.choices:
                by_backend.setdefault(choice.backend, []).append(choice.root)
            backends: list[Backend] = []
            try:
                for kind, roots in by_backend.items():
                    backends.append(self._backend(kind, tuple(roots), probe))
            except BaseException:  # noqa: B902 - re-raised, without leaking what was made
                for backend in backends:
                    backend.close()
                raise
            return backends
        finally:
            probe.close()  # unless the inotify watcher took its manager over

    def _backend(self, kind: str, roots: tuple[str, ...], probe: InotifyProbe) -> Backend:
        if kind == INOTIFY:
            from collective.autorestart.watching.watcher import Watcher

            manager, probe.manager = probe.manager, None
            return Watcher(roots, self.filter, self._on_change, self._on_overflow, manager=manager)
        if kind == NATIVE:
            from collective.autorestart.watching.native import NativeWatcher

            return NativeWatcher(roots, self.filter, self._on_change, self._on_overflow)
        assert kind == POLLING, kind
        from collective.autorestart.watching.polling import PollingWatcher

        return PollingWatcher(
            roots,
            self.filter,
            self._on_change,
            self._on_overflow,
            interval=self.poll_interval,
            clock=self.clock,
            # Before the batch is due: a checkout still being written joins it.
            settle=self.debounce / 2,
        )

    def _start_backends(self) -> WatchStats:
        all_stats = []
        for backend in self.backends:
            all_stats.append(backend.start(self.changed_since))
        return WatchStats(
            sum(stats.directories for stats in all_stats),
            sum(stats.files for stats in all_stats),
            sum(stats.seconds for stats in all_stats),
            any(stats.limit_reached for stats in all_stats),
            sum(stats.changed_before for stats in all_stats),
            tuple(path for stats in all_stats for path in stats.followed),
        )

    def _run(self) -> None:
        try:
            stats = self._start_backends()
            # The choice and the probes are part of the set-up the start-up line times.
            stats = dataclasses.replace(stats, seconds=stats.seconds + self._choose_seconds)
            if self.on_ready is not None:
                self.on_ready(stats)
            self.ready.set()
            self._loop()
        except Exception:  # noqa: B902
            # Whatever goes wrong here must not take Zope down with it.
            log.exception("the watcher failed; autoreload is off until the next start")
        finally:
            self.ready.set()
            for backend in self.backends:
                backend.close()
            with self._wake_lock:
                self._stopping.set()
                os.close(self._wake_read)
                os.close(self._wake_write)

    def _loop(self) -> None:
        poller = select.poll()
        readers: dict[int, Backend] = {}
        for backend in self.backends:
            fd = backend.fileno()
            if fd is not None:
                readers[fd] = backend
                poller.register(fd, select.POLLIN)
        poller.register(self._wake_read, select.POLLIN)
        scanners = [backend for backend in self.backends if backend.fileno() is None]
        while not self._stopping.is_set():
            now = self.clock()
            deadline = self.batcher.deadline()
            wait = IDLE_WAIT_SECONDS if deadline is None else max(0.0, deadline - now)
            for backend in scanners:
                due = backend.due()
                if due is not None:
                    wait = min(wait, max(0.0, due - now))
            if any(backend.missing_roots for backend in self.backends):
                wait = min(wait, MISSING_ROOT_WAIT_SECONDS)
            for fd, _ in poller.poll(wait * 1000):
                if fd == self._wake_read:
                    return
                readers[fd].read()
            now = self.clock()
            for backend in scanners:
                due = backend.due()
                if due is not None and now >= due:
                    backend.tick(now)
            for backend in self.backends:
                if backend.missing_roots:
                    backend.check_missing_roots()
            batch = self.batcher.take(self.clock())
            if batch is not None:
                # Changes that arrive meanwhile wait in the kernel's queue for the next batch.
                self._apply(batch)

    def _apply(self, batch: Batch) -> None:
        try:
            self.on_batch(batch)
        except Exception:  # noqa: B902 - logged; the watcher must go on
            log.exception("applying changes failed; the next save retries")
