"""How a batch's changed ZCML is applied: only the changed files' directives where that is
shown to be safe (incremental), else all ZCML again (full)."""

from __future__ import annotations

import dataclasses
import logging

from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml import incremental
from collective.autorestart.runtime.zcml.full import minimize_zodb_caches, reload_zcml_despite_requests
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.planner import ALL_ZCML
from collective.autorestart.watching.report import describe
from collective.autorestart.watching.roots import under_roots

log = logging.getLogger("collective.autorestart")


class ZcmlReloader:
    def __init__(self, roots: tuple[str, ...], quiet: RepeatedWarnings) -> None:
        self.roots = roots
        self.quiet = quiet
        self.prefixes = under_roots(roots)
        # What the last full reload registered again that was made outside ZCML.
        self.restored_before: list[str] = []

    def reload(self, zcml: tuple[str, ...], outcome: Outcome) -> bool:
        """Apply the changed ZCML files into outcome. Returns whether all ZCML ran again,
        which rebuilt the whole registry."""
        try:
            rebuilt = self._reload(zcml, outcome)
        except (Exception, SystemExit) as error:  # noqa: B902
            outcome.zcml_failure = describe(error, "ZCML", self.roots)
            log.debug("reloading ZCML failed", exc_info=True)
            return False
        outcome.zcml_reloaded = True
        minimize_zodb_caches()
        return rebuilt

    def _reload(self, zcml: tuple[str, ...], outcome: Outcome) -> bool:
        if ALL_ZCML in zcml:
            why = "events were lost"
        else:
            try:
                with self.quiet.applied():
                    applied = incremental.reload_changed(zcml)
            except incremental.Fallback as fallback:
                why = str(fallback)
                if fallback.internal is not None:
                    log.warning(
                        "collective.autorestart's incremental ZCML reload failed (an internal error, not yours:"
                        " please report it); reloading all ZCML instead",
                        exc_info=fallback.internal,
                    )
                if fallback.unsafe is not None:
                    outcome.unsafe.append(dataclasses.replace(fallback.unsafe, within="ZCML"))
            else:
                if applied.files:
                    outcome.notes.append(
                        "ZCML of %s: %d actions taken back, %d done"
                        % (", ".join(self.relative(path) for path in applied.files), applied.undone, applied.done)
                    )
                else:
                    outcome.notes.append("no ZCML the site loaded changed")
                return False
        outcome.notes.append("all ZCML again: %s" % why)
        restored = reload_zcml_despite_requests(self.quiet)
        if restored:
            # Named the first time; every reload of the same site would repeat them.
            named = "" if restored == self.restored_before else " (%s)" % ", ".join(restored)
            outcome.notes.append("kept %d registrations made outside ZCML%s" % (len(restored), named))
            self.restored_before = restored
        return True

    def relative(self, path: str) -> str:
        for prefix in self.prefixes:
            if path.startswith(prefix):
                return path[len(prefix) :]
        return path
