"""What a reload did: the modules and ZCML it reloaded, and what failed where."""
from __future__ import annotations

from dataclasses import dataclass, field

from collective.autorestart.watching.report import Failure


@dataclass
class Outcome:
    reloaded: list[str] = field(default_factory=list)
    zcml_reloaded: bool = False
    failed_modules: dict[str, Failure] = field(default_factory=dict)
    zcml_failure: Failure | None = None
    # What the reload applied but could not make equal to a cold start (see the cycle).
    unsafe: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed_modules and self.zcml_failure is None

    @property
    def failures(self) -> list[Failure]:
        failures = list(self.failed_modules.values())
        if self.zcml_failure is not None:
            failures.append(self.zcml_failure)
        return failures
