"""The watchers under comparison, behind one small interface.

``load()`` imports the watcher's library (timed apart by the probe), ``start()`` returns
once watching is active, ``on_batch`` receives ``[(path, monotonic time), ...]`` once per
batch the watcher would act on (a reload, a restart), ``stop()`` waits until it stopped.
"""

import os
import threading
import time

# The polling watchers' interval (bench/polling.py), in seconds.
POLL_INTERVAL = 1.0


class Ours:
    """collective.autorestart's WatchService, as the runtime builds it inside Zope."""

    name = "ours"
    # WatchService's back-end options beyond its defaults (OursPolling's).
    service_options: dict = {}

    @staticmethod
    def load():
        import collective.autorestart.watching.service  # noqa: F401 - pulls in pyinotify

    def __init__(self, tree, config, on_batch, on_raw=None):
        from collective.autorestart.watching.filters import PathFilter
        from collective.autorestart.watching.service import WatchService

        self.stats = None
        self.on_batch_paths = on_batch
        self.service = WatchService(
            (str(tree),),
            PathFilter(tuple(config["include"]), tuple(config["exclude"])),
            config["debounce_ms"] / 1000.0,
            self._batch,
            on_ready=self._ready,
            **self.service_options,
        )
        if on_raw is not None:
            for backend in self.service.backends:
                # The raw back-end callback, before the debounce; the batcher still gets it.
                def raw(path, change, forward=backend.on_change):
                    on_raw(path, time.monotonic())
                    forward(path, change)

                backend.on_change = raw

    def _ready(self, stats):
        self.stats = stats

    def _batch(self, batch):
        now = time.monotonic()
        self.on_batch_paths([(path, now) for path in batch.changes])

    def start(self):
        self.service.start()
        if not self.service.ready.wait(120):
            raise RuntimeError("WatchService not ready after 120 s")
        if self.stats is None:
            raise RuntimeError("WatchService failed to start (see its log on stderr)")
        return {
            "directories": self.stats.directories,
            "files": self.stats.files,
            "limit_reached": self.stats.limit_reached,
            # Which back-end watches the tree, and why (auto probes the root).
            "backends": [[choice.backend, choice.reason] for choice in self.service.choices],
        }

    def stop(self):
        self.service.stop()
        self.service.join(5)


class Polling:
    """The stat loop of Django's StatReloader and hupper's fallback: every second, walk
    the tree and compare the modification time of each matching file."""

    name = "polling"

    @staticmethod
    def load():
        import collective.autorestart.watching.filters  # noqa: F401

    def __init__(self, tree, config, on_batch, interval=1.0):
        from collective.autorestart.watching.filters import PathFilter

        self.tree = str(tree)
        # The same files as ours, so that both do the same work per file.
        self.filter = PathFilter(tuple(config["include"]), tuple(config["exclude"]))
        self.interval = interval
        self.on_batch = on_batch
        self.mtimes = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="polling", daemon=True)

    def _scan(self, report):
        found = {}
        changed = []
        for directory, subdirectories, names in os.walk(self.tree):
            subdirectories[:] = [
                name for name in subdirectories if not self.filter.excludes_directory(os.path.join(directory, name))
            ]
            for name in names:
                path = os.path.join(directory, name)
                if not self.filter.accepts_file(path):
                    continue
                try:
                    mtime = os.stat(path).st_mtime_ns
                except OSError:
                    continue
                found[path] = mtime
                # A stat loop acts on the first change it meets, so this is when it knows.
                if report and self.mtimes.get(path) != mtime:
                    changed.append((path, time.monotonic()))
        if report:
            now = time.monotonic()
            changed.extend((path, now) for path in self.mtimes.keys() - found.keys())
        self.mtimes = found
        return changed

    def start(self):
        self._scan(report=False)
        self._thread.start()
        return {"directories": None, "files": len(self.mtimes)}

    def _run(self):
        while not self._stopping.wait(self.interval):
            changed = self._scan(report=True)
            if changed:
                self.on_batch(changed)

    def stop(self):
        self._stopping.set()
        self._thread.join(30)


class Watchfiles:
    """watchfiles (Rust notify) as ``watchfiles.watch`` runs it: RustNotify's own loop,
    then its DefaultFilter. RustNotify is used directly so that set-up can be timed."""

    name = "watchfiles"
    # watch()'s defaults; poll_delay_ms only counts when polling.
    force_polling = False
    poll_delay_ms = 300

    @staticmethod
    def load():
        import watchfiles  # noqa: F401

    def __init__(self, tree, config, on_batch, step_ms=50, debounce_ms=1600):
        self.tree = str(tree)
        self.on_batch = on_batch
        self.step_ms = step_ms
        self.debounce_ms = debounce_ms
        self.notify = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="watchfiles", daemon=True)

    def start(self):
        from watchfiles._rust_notify import RustNotify

        # Returns once notify has added a watch on every directory below the tree.
        self.notify = RustNotify([self.tree], False, self.force_polling, self.poll_delay_ms, True, False)
        self._thread.start()
        return {"directories": None, "files": None}

    def _run(self):
        from watchfiles import Change, DefaultFilter

        keep = DefaultFilter()
        while True:
            # watchfiles.watch's default rust_timeout; stop_event is checked every step.
            raw = self.notify.watch(self.debounce_ms, self.step_ms, 5000, self._stopping)
            if raw == "stop":
                return
            if isinstance(raw, str):
                continue
            now = time.monotonic()
            paths = sorted({path for kind, path in raw if keep(Change(kind), path)})
            if paths:
                self.on_batch([(path, now) for path in paths])

    def stop(self):
        self._stopping.set()
        self._thread.join(30)
        self.notify.close()


class OursPolling(Ours):
    """Our polling back-end, driven by the same WatchService (the ``watcher = polling``
    option), at a 1 s interval."""

    name = "ours-polling"
    service_options = {"watcher": "polling", "poll_interval": POLL_INTERVAL}

    def __init__(self, tree, config, on_batch):
        super().__init__(tree, config, on_batch)


class WatchfilesPolling(Watchfiles):
    """watchfiles as ``watch(..., force_polling=True, poll_delay_ms=1000)`` runs it: notify's
    PollWatcher, then watch()'s own loop (debounce 1.6 s, step 50 ms)."""

    name = "watchfiles-polling"
    force_polling = True
    poll_delay_ms = int(POLL_INTERVAL * 1000)


class WatchdogPolling:
    """watchdog's PollingObserver(timeout=1): a DirectorySnapshot of the tree every second,
    diffed with the last one; each event goes to the handler as the observer dispatches it."""

    name = "watchdog-polling"

    @staticmethod
    def load():
        import watchdog.events  # noqa: F401
        import watchdog.observers.polling  # noqa: F401

    def __init__(self, tree, config, on_batch):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers.polling import PollingObserver

        from collective.autorestart.watching.filters import PathFilter

        # The files ours would take: watchdog reports everything, the directories too.
        path_filter = PathFilter(tuple(config["include"]), tuple(config["exclude"]))

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.is_directory:
                    return
                now = time.monotonic()
                paths = {event.src_path, getattr(event, "dest_path", "") or event.src_path}
                changed = [(path, now) for path in sorted(paths) if path_filter.accepts_file(path)]
                if changed:
                    on_batch(changed)

        self.observer = PollingObserver(timeout=POLL_INTERVAL)
        self.observer.schedule(Handler(), str(tree), recursive=True)

    def start(self):
        # The emitter takes its first snapshot in start(), before its thread runs.
        self.observer.start()
        return {"directories": None, "files": None}

    def stop(self):
        self.observer.stop()
        self.observer.join(30)


WATCHERS = {
    watcher.name: watcher for watcher in (Ours, Polling, Watchfiles, OursPolling, WatchfilesPolling, WatchdogPolling)
}
