"""Apply a plan inside Zope: the Python engine, then the ZCML engine, then what the registry
still holds of the objects the Python reload replaced or removed."""

from __future__ import annotations

from collective.autorestart.runtime.caches import CacheClearer
from collective.autorestart.runtime.python.batch import PythonReloader
from collective.autorestart.runtime.python.registrations import swap_replaced
from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml.strategy import ZcmlReloader
from collective.autorestart.watching.outcome import Outcome


class CodeReloader:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots
        self.python = PythonReloader(roots)
        self.zcml = ZcmlReloader(roots, RepeatedWarnings(roots))
        self.caches = CacheClearer(self.python.prefixes)

    def remember_sources(self, imported_before: float) -> None:
        self.python.remember_sources(imported_before)
        self.caches.index()

    def apply(self, modules: tuple[str, ...], zcml: tuple[str, ...]) -> Outcome:
        outcome = Outcome()
        reloaded = self.python.reload(modules, outcome)
        rebuilt = self.zcml.reload(zcml, outcome) if zcml else False
        if reloaded.replaced and not rebuilt:
            # What unchanged ZCML registered still holds the objects the reload replaced.
            outcome.notes.extend(swap_replaced(reloaded.replaced))
        outcome.unsafe.extend(
            self.python.still_held(
                reloaded.removed, registry_rebuilt=rebuilt, registry_updated=outcome.zcml_reloaded and not rebuilt
            )
        )
        if outcome.reloaded or outcome.zcml_reloaded:
            # What caches computed with the old code, a cold start would compute again.
            cleared = self.caches.clear(outcome.reloaded)
            if cleared:
                outcome.notes.append(cleared)
        return outcome
