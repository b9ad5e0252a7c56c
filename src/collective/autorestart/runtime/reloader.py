"""Apply a plan inside Zope: the Python engine (with what its modules register at import),
then the ZCML engine (the changed files, and those whose actions hold what the Python
reload changed), then what the registry still holds of the objects the Python reload
replaced or removed."""

from __future__ import annotations

from collective.autorestart.runtime.caches import CacheClearer
from collective.autorestart.runtime.python.at_import import ImportRegistrations
from collective.autorestart.runtime.python.batch import PythonReloader
from collective.autorestart.runtime.python.holders import young
from collective.autorestart.runtime.python.registrations import swap_replaced
from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml.derived import DerivedRegistrations
from collective.autorestart.runtime.zcml.strategy import ZcmlReloader
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.planner import ALL_ZCML


class CodeReloader:
    def __init__(self, roots: tuple[str, ...], loaded: ModuleIndex | None = None) -> None:
        self.roots = roots
        self.python = PythonReloader(roots, loaded)
        self.zcml = ZcmlReloader(roots, RepeatedWarnings(roots))
        self.caches = CacheClearer(self.python.loaded)
        self.derived = DerivedRegistrations(roots, self.python.loaded.watched)
        self.at_import = ImportRegistrations(roots, self.python.loaded.watched)

    def remember_sources(self, imported_before: float) -> None:
        """At the runtime's start, off the reload path: what the start-up configured."""
        self.python.remember_sources(imported_before)
        self.caches.index()
        self.derived.prepare()

    def apply(self, modules: tuple[str, ...], zcml: tuple[str, ...]) -> Outcome:
        outcome = Outcome()
        if modules:
            # What ZCML derived from the code, read before the reload changes it in place
            # (already read, unless the start-up's ZCML was not recorded in time).
            self.derived.prepare()
        with young():
            with self.at_import.recording():
                reloaded = self.python.reload(modules, outcome, check_held=False)
            outcome.notes.extend(self.at_import.reconcile(outcome.reloaded))
            outcome.unsafe.extend(self.at_import.unsafe)
            # Now that the registrations recorded at import no longer hold the new runs' objects.
            outcome.unsafe.extend(self.python.held_elsewhere(reloaded))
        if outcome.failed_modules:
            # The Python half was taken back: so is the ZCML half, by not applying it (the
            # cycle retries both with the next save); half a batch is no cold start.
            return outcome
        zcml = zcml + self._derived_again(outcome, reloaded.replaced, zcml) if modules else zcml
        rebuilt = self.zcml.reload(zcml, outcome) if zcml else False
        if outcome.zcml_reloaded:
            # Read again now, on the ZCML path, rather than on the next Python reload's.
            self.derived.prepare()
        if reloaded.replaced and not rebuilt:
            # What unchanged ZCML outside the watched files, or code, registered still holds
            # the objects the reload replaced.
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

    def _derived_again(self, outcome: Outcome, replaced: dict, saved: tuple[str, ...]) -> tuple[str, ...]:
        """The unchanged ZCML files that derived something from what the reload changed, to
        run again as a cold start would; the reason of each in the notes."""
        if ALL_ZCML in saved:
            return ()
        again = {
            path: why
            for path, why in self.derived.to_run_again(outcome.reloaded, replaced).items()
            if path not in saved
        }
        for path, why in sorted(again.items()):
            outcome.notes.append("ZCML of %s again: %s" % (self.zcml.relative(path), why))
        return tuple(sorted(again))
