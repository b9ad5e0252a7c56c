"""Coalesce bursts of changes: flush after a quiet period, never later than a cap."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Change(enum.Enum):
    CHANGED = "changed"
    # Created, and maybe still being written: a tool that writes a new file in two steps
    # must not have its first half reloaded.
    CREATED = "created"
    DELETED = "deleted"


# How long a created file may stay open for writing before its batch goes ahead anyway (a
# hard link, say, is created and never written).
WRITE_BOUND_SECONDS = 1.0


@dataclass
class Batch:
    changes: dict[str, Change] = field(default_factory=dict)
    overflowed: bool = False
    first_seen: float = 0.0


class Batcher:
    """Pure bookkeeping with the clock passed in, so that tests need no sleeping.

    ``quiet`` is the debounce: a batch is due once no change arrived for that long.  A
    stream that never pauses is still applied ``cap`` seconds after its first change.
    """

    def __init__(self, quiet: float, cap: float, write_bound: float = WRITE_BOUND_SECONDS) -> None:
        self.quiet = quiet
        self.cap = max(cap, quiet)
        self.write_bound = write_bound
        self._pending = Batch()
        self._last_seen = 0.0
        # Created files not yet closed after writing, and when they were created.
        self._being_written: dict[str, float] = {}

    def _touch(self, now: float) -> None:
        if not self._pending.changes and not self._pending.overflowed:
            self._pending.first_seen = now
        self._last_seen = now

    def add(self, path: str, change: Change, now: float) -> None:
        self._touch(now)
        # The last event wins: a rename-save deletes, then creates the file again.
        self._pending.changes.pop(path, None)
        self._pending.changes[path] = change
        if change is Change.CREATED:
            self._being_written[path] = now
        else:
            self._being_written.pop(path, None)

    def overflow(self, now: float) -> None:
        """The kernel dropped events: the next batch must assume anything changed."""
        self._touch(now)
        self._pending.overflowed = True

    def deadline(self) -> float | None:
        if not self._pending.changes and not self._pending.overflowed:
            return None
        due = min(self._last_seen + self.quiet, self._pending.first_seen + self.cap)
        if self._being_written:
            due = max(due, max(self._being_written.values()) + self.write_bound)
        return due

    def take(self, now: float) -> Batch | None:
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return None
        batch, self._pending = self._pending, Batch()
        self._being_written.clear()
        return batch
