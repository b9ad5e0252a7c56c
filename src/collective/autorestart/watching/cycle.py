"""One batch of changes: plan it, apply it, report it, remember what to retry."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from collective.autorestart.watching.batcher import Batch
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.planner import Policy, make_plan
from collective.autorestart.watching.report import Failure
from collective.autorestart.watching.sound import FAILURE, SUCCESS

log = logging.getLogger("collective.autorestart")
DEFAULT_POLICY = Policy()


class Applier(Protocol):
    def apply(self, modules: tuple[str, ...], zcml: tuple[str, ...]) -> Outcome: ...


class Player(Protocol):
    def play(self, kind: str) -> None: ...


class ReloadCycle:
    def __init__(
        self,
        index: ModuleIndex,
        applier: Applier,
        player: Player,
        policy: Policy = DEFAULT_POLICY,
        restart: Callable[[str], None] | None = None,
        restart_on_error: bool = False,
        restart_on_unsafe: bool = True,
        restart_fresh: Callable[[str], None] | None = None,
    ) -> None:
        self.index = index
        # For a restart-on file: a restart that must not fork from the template.
        self.restart_fresh = restart_fresh
        self.applier = applier
        self.player = player
        self.policy = policy
        self.restart = restart
        self.restart_on_error = restart_on_error
        self.restart_on_unsafe = restart_on_unsafe
        self.retry_modules: set[str] = set()
        self.retry_zcml: tuple[str, ...] = ()
        # Set once a reload hung: its thread may still change the code, so nothing more is
        # applied in this process, which is being restarted.
        self.untrusted: str | None = None

    def __call__(self, batch: Batch) -> Outcome | None:
        if self.untrusted is not None:
            log.warning("not applying this save: %s; the restart will load it", self.untrusted)
            return None
        if batch.overflowed:
            log.warning("inotify dropped events (queue overflow): reloading everything watched")
        plan = make_plan(
            batch.changes,
            self.index.refresh(),
            self.policy,
            self.retry_modules,
            self.retry_zcml,
            everything=batch.overflowed,
        )
        for path in plan.buildout_files:
            log.warning("%s changed: run bin/buildout to apply it, then start again", path)
        for profile, paths in plan.profiles.items():
            log.warning(
                "%s changed: no reload applies a GenericSetup profile; %s",
                _some(paths),
                _applies_profile(profile),
            )
        if plan.restart is not None and self.restart is not None:
            request = self.restart_fresh if plan.restart_fresh and self.restart_fresh else self.restart
            request(plan.restart)
            return None
        for name in plan.vanished:
            log.warning("module %s: its file was deleted; the loaded code stays until a restart", name)
        if plan.ignored and log.isEnabledFor(logging.DEBUG):
            log.debug("nothing to reload for %s", ", ".join(plan.ignored))
        if not plan.needs_reload:
            return None
        started = time.monotonic()
        outcome = self.applier.apply(plan.modules, plan.zcml)
        finished = time.monotonic()
        self.retry_modules = set(outcome.failed_modules)
        if outcome.aborted is not None:
            # It stopped part-way: what it did not reach, and what it left half done.
            self.retry_modules.update(plan.modules)
        self.retry_zcml = () if outcome.zcml_reloaded else plan.zcml
        # Decided before anything is said: the lines must not promise that the previous code
        # keeps serving when a restart follows at once.
        restart = self._restart_reason(outcome)
        self._report(outcome, finished - started, finished - batch.first_seen, restarting=restart is not None)
        if outcome.hung is not None:
            hung = outcome.hung
            self.untrusted = "a reload hung at %s" % _where(hung)
        if restart is not None and self.restart is not None:
            self.restart(restart)
        elif outcome.unsafe:
            why = "; ".join(map(str, outcome.unsafe))
            log.warning("%s: registrations or imports may still use the old code until a restart", why)
        return outcome

    def _restart_reason(self, outcome: Outcome) -> str | None:
        """Why this outcome restarts the process, or None when it does not."""
        if self.restart is None:
            return None
        if outcome.hung is not None:
            hung = outcome.hung
            return "%s, stuck at %s: a process whose import hangs can't be trusted" % (hung.message, _where(hung))
        if outcome.unsafe and self.restart_on_unsafe:
            why = "; ".join(map(str, outcome.unsafe))
            return "%s: what still holds the old code can't be updated in place" % why
        if not outcome.ok and self.restart_on_error:
            return "reload failed: %s" % outcome.failures[0]
        return None

    def _report(self, outcome: Outcome, took: float, since_save: float, restarting: bool) -> None:
        what = list(outcome.reloaded)
        if outcome.zcml_reloaded:
            what.append("ZCML")
        timing = "in %.1f ms, %.1f ms after the save" % (took * 1000, since_save * 1000)
        if outcome.notes:
            timing += " (%s)" % "; ".join(outcome.notes)
        if outcome.ok:
            if what:
                log.info("reloaded %s %s", ", ".join(what), timing)
            elif restarting:
                log.info("not applied in place (checked %s): the restart applies the save", timing)
            else:
                log.info("nothing reloaded %s", timing)
            # The success sound is for a save that is live; a restart's comes with it.
            if what and not restarting:
                self.player.play(SUCCESS)
            return
        # What follows a failure: the restart (whose line says why), or the previous code.
        then = (
            "the restart loads the saved code" if restarting else "the previous code keeps serving; save again to retry"
        )
        for failure in outcome.failures:
            log.error("%s -- reload failed, %s", failure, then)
        log.info(
            "reload failed %s%s",
            timing,
            "; reloaded anyway: %s" % ", ".join(what) if what else "",
        )
        self.player.play(FAILURE)


def _where(failure: Failure) -> str:
    return failure.filename if failure.line is None else "%s:%d" % (failure.filename, failure.line)


def _some(paths: tuple[str, ...]) -> str:
    return paths[0] if len(paths) == 1 else "%s (and %d more)" % (paths[0], len(paths) - 1)


def _applies_profile(profile: str) -> str:
    """What does apply it: the profile's steps imported again in the site, or an upgrade
    step for the sites that have it installed."""
    which = "the profile %s" % profile if ":" in profile else "the profile in %s" % profile
    return (
        "import %s again in the site's portal_setup (Import tab: select it, Import all steps),"
        " or write an upgrade step and run it (Add-ons control panel)" % which
    )
