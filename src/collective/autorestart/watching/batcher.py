"""Coalesce bursts of changes: flush after a quiet period, never later than a cap."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Change(enum.Enum):
    CHANGED = "changed"
    DELETED = "deleted"


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

    def __init__(self, quiet: float, cap: float) -> None:
        self.quiet = quiet
        self.cap = max(cap, quiet)
        self._pending = Batch()
        self._last_seen = 0.0

    def _touch(self, now: float) -> None:
        if not self._pending.changes and not self._pending.overflowed:
            self._pending.first_seen = now
        self._last_seen = now

    def add(self, path: str, change: Change, now: float) -> None:
        self._touch(now)
        # The last event wins: a rename-save deletes, then creates the file again.
        self._pending.changes.pop(path, None)
        self._pending.changes[path] = change

    def overflow(self, now: float) -> None:
        """The kernel dropped events: the next batch must assume anything changed."""
        self._touch(now)
        self._pending.overflowed = True

    def deadline(self) -> float | None:
        if not self._pending.changes and not self._pending.overflowed:
            return None
        return min(self._last_seen + self.quiet, self._pending.first_seen + self.cap)

    def take(self, now: float) -> Batch | None:
        deadline = self.deadline()
        if deadline is None or now < deadline:
            return None
        batch, self._pending = self._pending, Batch()
        return batch
