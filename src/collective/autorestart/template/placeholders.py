"""Keep the template from executing the developer's code.

A watched module imported while the template loads (``<include package="my.addon" />`` in a
buildout's ZCML slug imports the package; ``five:loadProducts`` imports every product) is
created from its spec but not executed: a placeholder with the right ``__file__`` and
``__path__``.  Each child executes the placeholders in place, in the order the template met
them, so whatever took hold of one in the template holds the real module in the child.

Anything more than a look at the placeholder's file (an attribute the module would define)
is recorded: the code that asked depends on watched code and can't be part of the template.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from dataclasses import dataclass
from typing import Any

from collective.autorestart.watching.roots import WatchedFiles


@dataclass(frozen=True)
class Use:
    """A placeholder's attribute asked for while the modules ``importing`` were imported."""

    placeholder: str
    attribute: str
    importing: tuple[str, ...]


def initializing_modules() -> tuple[str, ...]:
    """The modules whose import is under way, outermost first (sys.modules keeps the order in
    which their imports began)."""
    return tuple(
        name
        for name, module in list(sys.modules.items())
        if getattr(getattr(module, "__spec__", None), "_initializing", False)
    )


class Placeholders:
    def __init__(self, roots, exclude=()):
        # The watcher's files: under a root, not in an excluded directory or a .venv.
        self._watched = WatchedFiles(tuple(os.path.realpath(root) for root in roots), tuple(exclude))
        self.created: list[str] = []
        self.uses: list[Use] = []
        self._finder = _Finder(self)

    def watched(self, path: str | None) -> bool:
        return path is not None and self._watched(os.path.realpath(path))

    def install(self) -> None:
        sys.meta_path.insert(0, self._finder)

    def uninstall(self) -> None:
        if self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)

    def swallowed_uses(self) -> list[Use]:
        """Uses whose importer got over the AttributeError and was imported all the same:
        it now holds what a cold start would not have given it."""
        return [
            use
            for use in self.uses
            if any(name in sys.modules and not _initializing(sys.modules[name]) for name in use.importing)
        ]

    def realize(self) -> list[str]:
        """In a child: execute every placeholder still in place, parents first; returns their
        names.  When one fails to import, it and the placeholders not run yet are taken out of
        sys.modules, so that whatever imports them next imports them as a cold start would
        (and fails there as it would), and the error is raised."""
        realized = []
        for name in self.created:
            module = sys.modules.get(name)
            spec: Any = getattr(module, "__spec__", None)
            if module is None or spec is None or not isinstance(spec.loader, _PlaceholderLoader):
                continue
            loader = spec.loader.real
            spec.loader = loader
            module.__loader__ = loader
            del module.__getattr__
            spec._initializing = True
            try:
                loader.exec_module(module)
            except BaseException:  # noqa: B902 - re-raised, as a failed import is
                self._forget(self.created[self.created.index(name) :])
                raise
            finally:
                spec._initializing = False
            realized.append(name)
        return realized

    def _forget(self, names) -> None:
        """Take these out of sys.modules, and off their parent packages, as if never
        imported: the first failed to run, the others are placeholders not run yet."""
        for index, name in enumerate(names):
            module = sys.modules.get(name)
            loader = getattr(getattr(module, "__spec__", None), "loader", None)
            if module is None or (index and not isinstance(loader, _PlaceholderLoader)):
                continue
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent and getattr(sys.modules.get(parent), child, None) is module:
                delattr(sys.modules[parent], child)


def _initializing(module) -> bool:
    return getattr(getattr(module, "__spec__", None), "_initializing", False)


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, placeholders: Placeholders) -> None:
        self.placeholders = placeholders

    def find_spec(self, name, path=None, target=None):
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        # A namespace package has no code of its own to keep from running.
        if spec.loader is not None and spec.has_location and self.placeholders.watched(spec.origin):
            spec.loader = _PlaceholderLoader(spec.loader, self.placeholders)
        return spec


class _PlaceholderLoader(importlib.abc.Loader):
    def __init__(self, real, placeholders: Placeholders) -> None:
        self.real = real
        self.placeholders = placeholders

    def get_resource_reader(self, name):
        """The package's files, as its own loader finds them: plone.autoinclude looks for an
        add-on's configure.zcml with importlib.resources, which without this finds nothing
        and includes nothing, without a word."""
        return self.real.get_resource_reader(name)

    def __getattr__(self, name):
        # The rest of the real loader's interface (get_filename, get_data, is_package...).
        return getattr(self.real, name)

    def create_module(self, spec):
        return None  # a plain module, as the source loader makes

    def exec_module(self, module) -> None:
        name = module.__name__
        placeholders = self.placeholders

        def __getattr__(attribute):
            if not (attribute.startswith("__") and attribute.endswith("__")):
                importing = tuple(other for other in initializing_modules() if other != name)
                use = Use(name, attribute, importing)
                if use not in placeholders.uses:  # `from m import x` asks twice
                    placeholders.uses.append(use)
            raise AttributeError("module %r is watched: the template of collective.autorestart does not run it" % name)

        module.__getattr__ = __getattr__
        placeholders.created.append(name)
