"""The Python half of a batch: the changed modules reloaded in place, with the modules that
imported their names by value, and what they no longer define that something may still hold."""

from __future__ import annotations

import dataclasses
import gc
import importlib
import inspect
import linecache
import logging
import os
import sys
import types
from collections.abc import Container
from dataclasses import dataclass, field

from collective.autorestart.runtime import touchpoints
from collective.autorestart.runtime.python.checked_reload import CheckedReloader
from collective.autorestart.runtime.python.holders import held_elsewhere, young
from collective.autorestart.runtime.python.patches import PatchCheck
from collective.autorestart.runtime.python.registrations import registered_among
from collective.autorestart.watching.importers import STAR, ImportIndex
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import describe
from collective.autorestart.watching.roots import under_roots
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

log = logging.getLogger("collective.autorestart")
MISSING = object()
# Values no registry holds as a component: not worth looking for.
PLAIN_VALUES = (type(None), bool, int, float, complex, str, bytes, tuple, frozenset)


@dataclass
class Reloaded:
    """What a batch's modules no longer define, by (module, name), and what it replaced:
    id(old object) -> (old, new, dotted name)."""

    removed: dict[tuple[str, str], object] = field(default_factory=dict)
    replaced: dict[int, tuple[object, object, str]] = field(default_factory=dict)


class PythonReloader:
    def __init__(self, roots: tuple[str, ...]) -> None:
        self.roots = roots
        self.prefixes = under_roots(roots)
        self.imports = ImportIndex()
        # What each class body defined when it last ran (see CheckedReloader).
        self.bodies: dict[tuple[str, str], frozenset[str]] = {}
        # The sources modules were imported from, until their first reload: what their class
        # bodies defined, which start-up code may have added to since.
        self.sources: dict[str, bytes] = {}
        self.patches = PatchCheck()

    def remember_sources(self, imported_before: float) -> None:
        """Read the watched modules' files not changed since imported_before (a time.time())."""
        for _, _, filename in self._watched_modules():
            try:
                with open(filename, "rb") as stream:
                    if os.fstat(stream.fileno()).st_mtime <= imported_before:
                        self.sources[filename] = stream.read()
            except OSError:
                continue

    def reload(self, modules: tuple[str, ...], outcome: Outcome) -> Reloaded:
        """Reload the modules, then their importers where a cold start would run them again,
        into outcome."""
        # A file created within the directory's current mtime tick would stay invisible
        # to the import system's cached directory listing.
        importlib.invalidate_caches()
        reloaded = Reloaded()
        pending = list(modules)
        done: set[str] = set()
        while pending:
            name = pending.pop(0)
            if name in done or name not in sys.modules:
                continue
            done.add(name)
            for importer in self._reload_one(name, outcome, reloaded.removed, reloaded.replaced):
                if importer not in done and importer not in pending:
                    pending.append(importer)
        return reloaded

    def _reload_one(self, name: str, outcome: Outcome, removed: dict, replaced: dict) -> list[str]:
        """Reload one module into outcome; add what it no longer defines to removed, what it
        replaced to replaced.  Returns the importers to run again.  A method of its own so
        that no reference to the old objects outlives it (see _unreferenced)."""
        module = sys.modules[name]
        filename = os.path.abspath(getattr(module, "__file__", "") or name)
        linecache.checkcache(filename)
        defined = _definitions(module)
        old_source = self.sources.pop(filename, None)
        package = getattr(module, "__package__", None) or name.rpartition(".")[0]
        patching = self.patches.check(name, package, filename, old_source)
        if patching:
            # Not run at all: nothing gets patched twice, nor half-patched by a failure.
            outcome.unsafe.extend(patching)
            return []
        reloader = CheckedReloader(module, self.bodies, old_source)
        try:
            with young():
                reloader.reload()
        except (Exception, SystemExit) as error:  # noqa: B902 - user code, anything goes
            outcome.failed_modules[name] = describe(error, filename, self.roots)
            log.debug("reloading %s failed", name, exc_info=True)
            return []
        outcome.reloaded.append(name)
        outcome.unsafe.extend(dataclasses.replace(why, within=name) for why in reloader.unsafe)
        outcome.unsafe.extend(dataclasses.replace(why, within=name) for why in held_elsewhere(reloader.discarded, name))
        outcome.notes.extend(reloader.notes)
        outcome.notes.extend("updated the interface %s in place" % each for each in reloader.updated_interfaces)
        self._record_mtime(filename, module)
        namespace = vars(module)
        removed.update(((name, key), value) for key, value in defined.items() if key not in namespace)
        changed = {
            key: (value, namespace.get(key, MISSING))
            for key, value in reloader.before.items()
            if namespace.get(key, MISSING) is not value and not isinstance(value, types.ModuleType)
        }
        for key, (value, new) in changed.items():
            if new is not MISSING and not isinstance(value, PLAIN_VALUES):
                replaced[id(value)] = (value, new, "%s.%s" % (name, key))
        return self._update_importers(name, changed, outcome.notes)

    def _watched_modules(self):
        for name, module in list(sys.modules.items()):
            filename = getattr(module, "__file__", None) or ""
            if filename.endswith(".py") and filename.startswith(self.prefixes):
                yield name, module, filename

    def _update_importers(self, name: str, changed: dict, notes: list[str]) -> list[str]:
        """Give the modules that imported changed names of ``name`` by value what a cold
        start gives them: the new value, or a run of their own code where they used the old
        one while being imported.  Returns the modules to run again."""
        if not changed:
            return []
        again = []
        for importer, module, filename in self._watched_modules():
            if importer == name:
                continue
            package = getattr(module, "__package__", None) or ""
            for binding in self.imports.of(filename, package).get(name, ()):
                if binding.source == STAR:
                    hit = any(not key.startswith("_") for key in changed)
                else:
                    hit = binding.source in changed
                if not hit:
                    continue
                old, new = changed.get(binding.source, (MISSING, MISSING))
                if binding.used_at_import or new is MISSING:
                    again.append(importer)
                    notes.append("reloaded %s too: it uses %s of %s at import" % (importer, binding.local, name))
                    break
                if vars(module).get(binding.local, MISSING) is old:
                    setattr(module, binding.local, new)
                    notes.append("rebound %s in %s" % (binding.local, importer))
        return again

    def still_held(
        self, removed: dict[tuple[str, str], object], registry_rebuilt: bool, registry_updated: bool = False
    ) -> list[Unsafe]:
        """What a module no longer defines but something may still use.  xreload drops the
        name from the module; a ZCML registration or another module's import keeps the old
        object, and a later save that brings the name back can't reach it: then only a
        restart equals a cold start.  A full ZCML reload in the same batch rebuilt every
        registration; after an incremental one, the registry can be searched (the ZCML
        that used the name has just been applied); the importers we can look for; a
        function nothing refers to any more is gone as it is on a cold start."""
        for key in self._unreferenced(removed):
            del removed[key]
        if not removed:
            return []
        searchable = registry_rebuilt or registry_updated
        held = dict(removed) if not searchable else {}
        if registry_updated:
            held.update(registered_among(removed))
        if searchable:
            ids = {id(value): key for key, value in removed.items()}
            for _, module, _ in self._watched_modules():
                for value in list(vars(module).values()):
                    found = ids.get(id(value))
                    if found is not None and found[0] != module.__name__:
                        held[found] = value
        by_module: dict[str, list[str]] = {}
        for module_name, name in sorted(held):
            by_module.setdefault(module_name, []).append(name)
        return [
            Unsafe(UnsafeKind.REMOVED_STILL_HELD, module_name, ", ".join(names))
            for module_name, names in by_module.items()
        ]

    @staticmethod
    def _unreferenced(removed: dict[tuple[str, str], object]) -> list[tuple[str, str]]:
        """The removed functions no object refers to but removed itself (and frames, which
        end with their calls).  Classes are never free: their methods, descriptors and
        interface declarations refer to them."""
        functions = {id(value): key for key, value in removed.items() if inspect.isfunction(value)}
        if not functions:
            return []
        held = set()
        # Called with a tuple, CPython passes that very tuple as the arguments: it can be
        # told apart from the referrers (as can removed, and frames).
        targets = tuple(removed[key] for key in functions.values())
        for referrer in gc.get_referrers(*targets):
            if referrer is removed or referrer is targets or isinstance(referrer, types.FrameType):
                continue
            for value in _referents_among(referrer, functions):
                held.add(functions[value])
        return [key for key in functions.values() if key not in held]

    @staticmethod
    def _record_mtime(filename: str, module: object) -> None:
        """Keep plone.reload's bookkeeping in step, so its @@reload view does not reload
        what we already did."""
        try:
            mtime = int(os.stat(filename).st_mtime)
        except OSError:
            return
        touchpoints.record_mtime(filename, mtime, module)


def _referents_among(referrer: object, ids: Container[int]) -> list[int]:
    return [id(value) for value in gc.get_referents(referrer) if id(value) in ids]


def _definitions(module: object) -> dict[str, object]:
    """The classes and functions the module defines itself, by name."""
    name = getattr(module, "__name__", None)
    return {
        key: value
        for key, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(value, "__module__", None) == name
    }
