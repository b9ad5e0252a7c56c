"""What a reload did: the modules and ZCML it reloaded, and what failed where."""

from __future__ import annotations

from dataclasses import dataclass, field

from collective.autorestart.watching.report import Failure
from collective.autorestart.watching.unsafe import Unsafe


@dataclass
class Outcome:
    reloaded: list[str] = field(default_factory=list)
    zcml_reloaded: bool = False
    failed_modules: dict[str, Failure] = field(default_factory=dict)
    zcml_failure: Failure | None = None
    # What the reload applied but could not make equal to a cold start (see the cycle).
    unsafe: list[Unsafe] = field(default_factory=list)
    # The user's code raised what is not an Exception (KeyboardInterrupt, SystemExit, ...)
    # and the reload stopped there: a module may be half updated, so all of it is retried.
    aborted: Failure | None = None
    # The reload did not finish within its bound: whatever it still does, the process can't
    # be trusted any more.
    hung: Failure | None = None
    # Said at the end of the batch's log line (what the reload waited for, ...).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_modules and self.zcml_failure is None and self.aborted is None and self.hung is None

    @property
    def failures(self) -> list[Failure]:
        failures = list(self.failed_modules.values())
        for failure in (self.zcml_failure, self.aborted, self.hung):
            if failure is not None:
                failures.append(failure)
        return failures
