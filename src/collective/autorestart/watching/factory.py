"""The one wiring of a watch service from the config, for the runtime and the supervisor."""

from __future__ import annotations

from collections.abc import Callable

from collective.autorestart.contract import Config
from collective.autorestart.watching.backend import WatchStats
from collective.autorestart.watching.batcher import Batch
from collective.autorestart.watching.filters import watch_filter
from collective.autorestart.watching.service import WatchService


def make_watch_service(
    config: Config,
    on_batch: Callable[[Batch], object],
    on_ready: Callable[[WatchStats], None] | None = None,
    changed_since: float | None = None,
) -> WatchService:
    """``changed_since``: when the code was last read (the instance's start), so that files
    saved between then and the watches being set are applied too."""
    path_filter = watch_filter(config.include, config.restart_on, config.exclude)
    return WatchService(
        config.watch,
        path_filter,
        config.debounce / 1000.0,
        on_batch,
        on_ready,
        changed_since=changed_since,
        watcher=config.watcher,
        poll_interval=config.poll_interval / 1000.0,
        where=config.where_to_set("watcher"),
    )
