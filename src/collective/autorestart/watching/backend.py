"""What the watch service asks of a watcher back-end (inotify, the platform's native events
through watchdog, polling): it only finds changed paths and hands them on.  Batching,
filtering, planning and everything after are the service's and the cycle's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collective.autorestart.watching.batcher import Change

# What a back-end calls: on_change(path, change) for a file that passes the filter, and
# on_overflow() when events were lost and anything may have changed.
OnChange = Callable[[str, Change], None]
OnOverflow = Callable[[], None]


@dataclass(frozen=True)
class WatchStats:
    directories: int
    files: int
    seconds: float
    limit_reached: bool
    changed_before: int = 0  # files found changed since the time given to start()
    followed: tuple[str, ...] = ()  # real paths of symlinked directories outside the roots


if TYPE_CHECKING:  # only for the type checker: a Protocol costs a millisecond of start-up
    from typing import Protocol

    class Backend(Protocol):
        """Built with ``(roots, path_filter, on_change, on_overflow)``; driven by one thread,
        the service's, which calls everything below but ``close`` from that thread alone."""

        name: str  # as the start-up line says it: "inotify", "native (FSEvents)", "polling"
        roots: tuple[str, ...]  # real paths
        followed: list[str]
        # Roots that were moved away or deleted: the service calls check_missing_roots() often
        # while there are any.
        missing_roots: set[str]

        def start(self, changed_since: float | None = None) -> WatchStats:
            """Watch; with ``changed_since`` (a time.time()), also report files modified since."""

        def fileno(self) -> int | None:
            """A descriptor that is readable when read() has something to deliver; None if the
            back-end has none (polling)."""

        def read(self) -> None:
            """Deliver what is pending; called when fileno() is readable."""

        def due(self) -> float | None:
            """The service clock's time at which tick() wants to run next; None: never."""

        def tick(self, now: float) -> None:
            """Look for changes (a polling scan); called once due() has passed."""

        def check_missing_roots(self) -> None: ...

        def close(self) -> None: ...
