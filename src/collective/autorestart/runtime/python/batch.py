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
from collective.autorestart.runtime.python.holders import Discarded, held_elsewhere, young
from collective.autorestart.runtime.python.journal import Journal
from collective.autorestart.runtime.python.patches import PatchCheck
from collective.autorestart.runtime.python.products import initializer, initializer_changed
from collective.autorestart.runtime.python.registrations import registered_among
from collective.autorestart.watching.importers import STAR, ImportIndex, Rerun, to_run_again
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.report import describe
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind, error_detail

log = logging.getLogger("collective.autorestart")
MISSING = object()
# Values no registry holds as a component: not worth looking for.
PLAIN_VALUES = (type(None), bool, int, float, complex, str, bytes, tuple, frozenset)


@dataclass
class Reloaded:
    """What a batch's modules no longer define, by (module, name), what it replaced:
    id(old object) -> (old, new, dotted name), and what each module's new run made and the
    reload discarded (see holders)."""

    removed: dict[tuple[str, str], object] = field(default_factory=dict)
    replaced: dict[int, tuple[object, object, str]] = field(default_factory=dict)
    discarded: list[tuple[str, Discarded]] = field(default_factory=list)


class PythonReloader:
    def __init__(self, roots: tuple[str, ...], loaded: ModuleIndex | None = None) -> None:
        """loaded: the index of the watched modules the watch cycle refreshes too, so that
        a batch looks at sys.modules once (its own otherwise)."""
        self.roots = roots
        self.imports = ImportIndex()
        # What each class body defined when it last ran (see CheckedReloader).
        self.bodies: dict[tuple[str, str], frozenset[str]] = {}
        # The sources modules were imported from, until their first reload: what their class
        # bodies defined, which start-up code may have added to since.
        self.sources: dict[str, bytes] = {}
        # The modules of a batch taken back because another of its modules failed: reloaded
        # with the next batch, whatever it changes (their files changed all the same).
        self.taken_back: set[str] = set()
        self.patches = PatchCheck()
        self.loaded = loaded if loaded is not None else ModuleIndex(roots)

    def remember_sources(self, imported_before: float) -> None:
        """Read the watched modules' files not changed since imported_before (a time.time()),
        and what each uses of the others (ImportIndex): at start-up, not at the first save,
        which would otherwise parse the whole tree and compare its own module with nothing."""
        for name, module, filename in self._watched_modules():
            try:
                with open(filename, "rb") as stream:
                    stat = os.fstat(stream.fileno())
                    if stat.st_mtime > imported_before:
                        continue
                    source = stream.read()
            except OSError:
                continue
            self.sources[filename] = source
            self.imports.remember(filename, name, getattr(module, "__package__", None) or "", source, stat)

    def reload(self, modules: tuple[str, ...], outcome: Outcome, check_held: bool = True) -> Reloaded:
        """Reload the modules, then their importers where a cold start would run them again,
        into outcome; then (check_held) what of their new runs something outside them still
        holds, which a caller that still holds some of it itself (the registrations recorded
        at import) checks with held_elsewhere once it no longer does."""
        with young():
            reloaded = self._reload_batch(modules, outcome)
            if check_held:
                outcome.unsafe.extend(self.held_elsewhere(reloaded))
        return reloaded

    @staticmethod
    def held_elsewhere(reloaded: Reloaded) -> list[Unsafe]:
        """What the batch's new runs made and discarded that something still holds, named
        (holders.held_elsewhere): once the batch is over, its journal gone."""
        discarded, reloaded.discarded = reloaded.discarded, []
        return [dataclasses.replace(why, within=name) for name, each in discarded for why in held_elsewhere(each, name)]

    def _reload_batch(self, modules: tuple[str, ...], outcome: Outcome) -> Reloaded:
        # A file created within the directory's current mtime tick would stay invisible
        # to the import system's cached directory listing.
        importlib.invalidate_caches()
        reloaded = Reloaded()
        pending = self._import_order(list(modules) + sorted(self.taken_back - set(modules)))
        done: set[str] = set()
        journal = Journal()
        sources = dict(self.sources)
        try:
            while pending:
                name = pending.pop(0)
                if name in done or name not in sys.modules:
                    continue
                done.add(name)
                for importer in self._reload_one(name, outcome, reloaded, journal):
                    if importer not in done and importer not in pending:
                        pending.append(importer)
        except BaseException:  # noqa: B902 - taken back, then raised again
            # Stopped part-way (KeyboardInterrupt, SystemExit raised by the user's code...).
            self._take_back(journal, sources, outcome, reloaded)
            raise
        if outcome.failed_modules:
            self._take_back(journal, sources, outcome, reloaded)
            return Reloaded()
        self.taken_back.clear()
        for name in outcome.reloaded:
            module = sys.modules[name]
            self._record_mtime(os.path.abspath(module.__file__ or name), module)
        return reloaded

    def _import_order(self, names: list[str]) -> list[str]:
        """names, each after those of them it imports from, as a cold start runs them (a
        package's __init__ doing ``from .patches import applied`` runs after the new
        patches); otherwise, and within import cycles, in the order given."""
        if len(names) < 2:
            return names
        needs = {name: self._imported_from(name) & set(names) - {name} for name in names}
        ordered: list[str] = []
        while len(ordered) < len(names):
            ready = [name for name in names if name not in ordered and not needs[name] - set(ordered)]
            if not ready:  # a cycle: the first left, as given
                ready = [next(name for name in names if name not in ordered)]
            ordered.append(ready[0])
        return ordered

    def _imported_from(self, name: str) -> set[str]:
        """The modules name imports names from at module level (``from . import patches``:
        the submodule, not the package)."""
        module = sys.modules.get(name)
        filename = getattr(module, "__file__", None)
        if not filename:
            return set()
        found = set()
        uses = self.imports.of(filename, name, getattr(module, "__package__", None) or "")
        for origin, names in uses.bindings.items():
            for binding in names:
                submodule = "%s.%s" % (origin, binding.source)
                found.add(submodule if submodule in sys.modules else origin)
        return found

    def _take_back(self, journal: Journal, sources: dict[str, bytes], outcome: Outcome, reloaded: Reloaded) -> None:
        """The process as it was before the batch: a module of it failed, and half a batch is
        a process no cold start ever makes (a module's new code calling what another's old
        code still defines)."""
        # Taking back what a class's own code refused leaves a half batch: only a restart is sure.
        failed: list[Unsafe] = []
        try:
            journal.rollback()
        except Exception as error:  # noqa: B902 - whatever a class does on setattr
            failed.append(Unsafe(UnsafeKind.NOT_UPDATABLE, "the batch", "taking it back: %s" % error_detail(error)))
        self.sources = sources
        if outcome.reloaded:
            outcome.notes.append("took back the reload of %s" % ", ".join(outcome.reloaded))
        self.taken_back.update(outcome.reloaded)
        outcome.reloaded.clear()
        outcome.unsafe[:] = failed
        reloaded.removed.clear()
        reloaded.replaced.clear()
        reloaded.discarded.clear()

    def _reload_one(self, name: str, outcome: Outcome, reloaded: Reloaded, journal: Journal) -> list[str]:
        """Reload one module into outcome; add what it no longer defines, what it replaced and
        what it discarded to reloaded.  Returns the importers to run again.  A method of its own so
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
        reloader = CheckedReloader(module, self.bodies, old_source, journal)
        initialize_before = initializer(module)
        try:
            reloader.reload()
        except (Exception, SystemExit) as error:  # noqa: B902 - user code, anything goes
            outcome.failed_modules[name] = describe(error, filename, self.roots)
            log.debug("reloading %s failed", name, exc_info=True)
            return []
        outcome.reloaded.append(name)
        outcome.unsafe.extend(dataclasses.replace(why, within=name) for why in reloader.unsafe)
        initialize_changed = initializer_changed(module, initialize_before)
        if initialize_changed is not None:
            outcome.unsafe.append(initialize_changed)
        reloaded.discarded.append((name, reloader.discarded))
        outcome.notes.extend(reloader.notes)
        outcome.notes.extend("updated the interface %s in place" % each for each in reloader.updated_interfaces)
        namespace = vars(module)
        reloaded.removed.update(((name, key), value) for key, value in defined.items() if key not in namespace)
        changed = {
            key: (value, namespace.get(key, MISSING))
            for key, value in reloader.before.items()
            if namespace.get(key, MISSING) is not value and not isinstance(value, types.ModuleType)
        }
        for key, (value, new) in changed.items():
            if new is not MISSING and not isinstance(value, PLAIN_VALUES):
                reloaded.replaced[id(value)] = (value, new, "%s.%s" % (name, key))
        return self._update_importers(name, changed, outcome.notes, journal)

    def _watched_modules(self):
        """The loaded modules under the roots, with their files: from a ModuleIndex, which
        looks only at modules new since its last refresh (a scan of Plone's ten thousand
        modules took 2.5 ms, at each module a batch reloads)."""
        for name in list(self.loaded.refresh().values()):
            module = sys.modules.get(name)
            filename = getattr(module, "__file__", None)
            if filename:
                yield name, module, filename

    def _update_importers(self, name: str, changed: dict, notes: list[str], journal: Journal) -> list[str]:
        """Give the modules that used names of ``name`` what a cold start gives them: a new
        binding of a value they copied (``from m import X``, used only in function bodies),
        or a run of their own code where they used a changed name while being imported,
        through whatever reference (importers.to_run_again).  changed: the names whose
        values were replaced or removed; the functions and classes updated in place are
        those whose statements differ from the version parsed before.  Returns the modules
        to run again, dependencies first."""
        watched = list(self._watched_modules())
        own = next(((module, filename) for importer, module, filename in watched if importer == name), None)
        in_place: set[str] | None = set()
        if own is not None:
            self.imports.of(own[1], name, getattr(own[0], "__package__", None) or "")
            in_place = self.imports.changed_definitions(own[1])
        replaced = {key for key, (old, new) in changed.items() if not _same_plain_value(old, new)}
        if not replaced and in_place == set():
            # Run again for its imports and made the same: nothing of it reaches further.
            return []
        uses = {
            importer: self.imports.of(filename, importer, getattr(module, "__package__", None) or "")
            for importer, module, filename in watched
        }
        if in_place is None:
            # Never parsed before this save: any of its definitions may have changed.
            in_place = set(uses[name].definitions)
        graph = self.imports.graph.update(uses)
        again = to_run_again(graph, name, replaced, in_place, [importer for importer, _, _ in watched])
        chosen = {rerun.module for rerun in again}
        paths = {importer: filename for importer, _, filename in watched}
        for rerun in again:
            self.imports.ran_again(paths[rerun.module])
            origin, used = rerun.uses
            notes.append("reloaded %s too: it uses %s of %s at import" % (rerun.module, used, origin))
        for importer, module, _ in watched:
            if importer == name or importer in chosen:
                continue
            for binding in uses[importer].bindings.get(name, ()):
                if importer in chosen:
                    break
                keys = (
                    [key for key in changed if not key.startswith("_")] if binding.source == STAR else [binding.source]
                )
                for key in keys:
                    old, new = changed.get(key, (MISSING, MISSING))
                    local = key if binding.source == STAR else binding.local
                    if old is MISSING or vars(module).get(local, MISSING) is not old:
                        continue
                    if new is MISSING:
                        # Removed: a cold start fails to import it; running it again says so.
                        again.append(Rerun(importer, (name, key)))
                        chosen.add(importer)
                        self.imports.ran_again(paths[importer])
                        notes.append("reloaded %s too: it imports %s of %s, which is gone" % (importer, key, name))
                        break
                    journal.setitem(vars(module), local, new)
                    notes.append("rebound %s in %s" % (local, importer))
                if binding.source == STAR and importer not in chosen:
                    _bind_new_exports(sys.modules.get(name), module, set(changed), notes, journal)
        return [rerun.module for rerun in again]

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


def _bind_new_exports(
    exporter: object, importer: types.ModuleType, known: set[str], notes: list[str], journal: Journal
) -> None:
    """What ``from exporter import *`` gives a cold start that the importer lacks: the names
    the exporter's new code added."""
    namespace = vars(exporter) if exporter is not None else {}
    exported = namespace.get("__all__")
    names = list(exported) if isinstance(exported, (list, tuple)) else [key for key in namespace if key[:1] != "_"]
    for key in names:
        if key not in known and key in namespace and key not in vars(importer):
            journal.setitem(vars(importer), key, namespace[key])
            notes.append("bound %s in %s" % (key, importer.__name__))


def _same_plain_value(old: object, new: object) -> bool:
    """A constant the new run made again equal (a string is a new object each time): no
    importer needs it again."""
    if type(old) is not type(new) or not isinstance(old, PLAIN_VALUES):
        return False
    try:
        return bool(old == new)
    except Exception:  # noqa: B902 - a tuple's items compare with the user's __eq__
        return False


def _definitions(module: object) -> dict[str, object]:
    """The classes and functions the module defines itself, by name."""
    name = getattr(module, "__name__", None)
    return {
        key: value
        for key, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(value, "__module__", None) == name
    }
