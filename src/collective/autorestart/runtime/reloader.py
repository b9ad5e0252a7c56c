"""Apply a plan inside Zope with plone.reload's machinery."""
from __future__ import annotations

import importlib
import inspect
import linecache
import logging
import os
import sys

import plone.reload.code
from plone.reload.xreload import Reloader
from plone.reload.zcml import reload_zcml

from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import describe, raced_with_a_request


log = logging.getLogger("collective.autorestart")


class CodeReloader:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots

    def apply(self, modules: tuple[str, ...], zcml: bool) -> Outcome:
        outcome = Outcome()
        # A file created within the directory's current mtime tick would stay invisible
        # to the import system's cached directory listing.
        importlib.invalidate_caches()
        for name in modules:
            module = sys.modules.get(name)
            if module is None:
                continue
            filename = os.path.abspath(getattr(module, "__file__", "") or name)
            linecache.checkcache(filename)
            defined = _definitions(module)
            try:
                Reloader(module).reload()
            except (Exception, SystemExit) as error:  # noqa: B902 - user code, anything goes
                outcome.failed_modules[name] = describe(error, filename, self.roots)
                log.debug("reloading %s failed", name, exc_info=True)
                continue
            outcome.reloaded.append(name)
            self._record_mtime(filename, module)
            removed = sorted(defined - set(vars(module)))
            if removed:
                # xreload drops them from the module, but a ZCML registration or another
                # module's import still holds the old object, and a later save that brings
                # the name back can't reach it: only a restart equals a cold start.
                outcome.unsafe.append("%s no longer defines %s" % (name, ", ".join(removed)))
        if zcml:
            try:
                _reload_zcml_despite_requests()
            except (Exception, SystemExit) as error:  # noqa: B902
                outcome.zcml_failure = describe(error, "ZCML", self.roots)
                log.debug("reloading ZCML failed", exc_info=True)
            else:
                outcome.zcml_reloaded = True
                _minimize_zodb_caches()
        return outcome

    @staticmethod
    def _record_mtime(filename: str, module: object) -> None:
        """Keep plone.reload's bookkeeping in step, so its @@reload view does not reload
        what we already did."""
        try:
            mtime = int(os.stat(filename).st_mtime)
        except OSError:
            return
        plone.reload.code.MOD_TIMES[filename] = (mtime, module)


# A ZCML reload rebuilds the global registry while requests are served from it; now and
# then zope.interface trips over that ("dictionary changed size during iteration").
# plone.reload rolls the registry back, so trying again is safe.
ZCML_ATTEMPTS = 3


def _reload_zcml_despite_requests() -> None:
    for attempt in range(1, ZCML_ATTEMPTS + 1):
        try:
            reload_zcml()
            return
        except Exception as error:  # noqa: B902 - re-raised unless it is a race
            if attempt == ZCML_ATTEMPTS or not raced_with_a_request(error):
                raise
            log.debug("ZCML reload raced with a request (%s), trying again", error)


def _definitions(module: object) -> set[str]:
    """Names of the classes and functions the module defines itself."""
    name = getattr(module, "__name__", None)
    return {
        key
        for key, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(value, "__module__", None) == name
    }


def _minimize_zodb_caches() -> None:
    # As plone.reload's view does: cached persistent objects may hold the old registrations.
    import Zope2

    if Zope2.DB is not None:
        Zope2.DB.cacheMinimize()
