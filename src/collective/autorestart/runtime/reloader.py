"""Apply a plan inside Zope with plone.reload's machinery."""
from __future__ import annotations

import importlib
import inspect
import linecache
import logging
import os
import sys

import plone.reload.code
from collective.autorestart.runtime.checked_reload import CheckedReloader
from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml import minimize_zodb_caches, reload_zcml_despite_requests
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import describe


log = logging.getLogger("collective.autorestart")


class CodeReloader:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots
        self.quiet = RepeatedWarnings(roots)

    def apply(self, modules: tuple[str, ...], zcml: bool) -> Outcome:
        outcome = Outcome()
        # A file created within the directory's current mtime tick would stay invisible
        # to the import system's cached directory listing.
        importlib.invalidate_caches()
        removed: dict[tuple[str, str], object] = {}
        for name in modules:
            module = sys.modules.get(name)
            if module is None:
                continue
            filename = os.path.abspath(getattr(module, "__file__", "") or name)
            linecache.checkcache(filename)
            defined = _definitions(module)
            reloader = CheckedReloader(module)
            try:
                reloader.reload()
            except (Exception, SystemExit) as error:  # noqa: B902 - user code, anything goes
                outcome.failed_modules[name] = describe(error, filename, self.roots)
                log.debug("reloading %s failed", name, exc_info=True)
                continue
            outcome.reloaded.append(name)
            outcome.unsafe.extend("%s: %s" % (name, why) for why in reloader.unsafe)
            self._record_mtime(filename, module)
            namespace = vars(module)
            removed.update(((name, key), value) for key, value in defined.items() if key not in namespace)
        if zcml:
            try:
                reload_zcml_despite_requests(self.quiet)
            except (Exception, SystemExit) as error:  # noqa: B902
                outcome.zcml_failure = describe(error, "ZCML", self.roots)
                log.debug("reloading ZCML failed", exc_info=True)
            else:
                outcome.zcml_reloaded = True
                minimize_zodb_caches()
        outcome.unsafe.extend(self._still_held(removed, registry_rebuilt=outcome.zcml_reloaded))
        return outcome

    def _still_held(self, removed: dict[tuple[str, str], object], registry_rebuilt: bool) -> list[str]:
        """What a module no longer defines but something may still use.  xreload drops the
        name from the module; a ZCML registration or another module's import keeps the old
        object, and a later save that brings the name back can't reach it: then only a
        restart equals a cold start.  A ZCML reload in the same batch rebuilt every
        registration; the importers we can look for."""
        if not removed:
            return []
        held = dict(removed) if not registry_rebuilt else {}
        if registry_rebuilt:
            prefixes = tuple(
                os.path.join(resolve(root), "")
                for root in self.roots
                for resolve in (os.path.abspath, os.path.realpath)
            )
            ids = {id(value): key for key, value in removed.items()}
            for module in list(sys.modules.values()):
                if not (getattr(module, "__file__", None) or "").startswith(prefixes):
                    continue
                for value in list(vars(module).values()):
                    key = ids.get(id(value))
                    if key is not None and key[0] != module.__name__:
                        held[key] = value
        by_module: dict[str, list[str]] = {}
        for module_name, name in sorted(held):
            by_module.setdefault(module_name, []).append(name)
        return ["%s no longer defines %s" % (module_name, ", ".join(names)) for module_name, names in by_module.items()]

    @staticmethod
    def _record_mtime(filename: str, module: object) -> None:
        """Keep plone.reload's bookkeeping in step, so its @@reload view does not reload
        what we already did."""
        try:
            mtime = int(os.stat(filename).st_mtime)
        except OSError:
            return
        plone.reload.code.MOD_TIMES[filename] = (mtime, module)


def _definitions(module: object) -> dict[str, object]:
    """The classes and functions the module defines itself, by name."""
    name = getattr(module, "__name__", None)
    return {
        key: value
        for key, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(value, "__module__", None) == name
    }
