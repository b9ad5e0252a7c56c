"""Every name of another package the reload engine relies on that the package does not
promise to keep: private attributes, name-mangled ones, module globals it patches.

The engine reads them through this module, and ``TOUCHPOINTS`` lists each with where it is
used. ``problems()`` probes them in the running process (the tests run it inside a real
Zope), so that an upgrade which removes one fails a test that names the package, its version
and the name, instead of breaking a reload in a way that looks like the user's mistake.
Nothing is imported here at module level: the list must be readable without Zope.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import struct
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

# zope.configuration's ConfigurationMachine: the directives the site defined, their
# documentation, the features provided, and the files read (parsed once only).
DIRECTIVES = "_registry"
DIRECTIVE_DOCS = "_docRegistry"
FEATURES = "_features"
SEEN_FILES = "_seen_files"
# zope.interface's InterfaceClass: its attributes and methods, and its tagged values
# (invariants, form hints), behind name mangling.
INTERFACE_ATTRIBUTES = "_InterfaceClass__attrs"
TAGGED_VALUES = "_Element__tagged_values"
# zope.i18n's GettextMessageCatalog: the .mo file it read.
CATALOG_FILE = "_path_to_file"


def seen_files(machine) -> set[str]:
    return getattr(machine, SEEN_FILES)


def machine_like(machine, seen: set[str]):
    """A new ConfigurationMachine that knows the site's directives and features and has
    read the files ``seen``, to parse files again as the site's parse would."""
    from zope.configuration.config import ConfigurationMachine

    fresh = ConfigurationMachine()
    setattr(fresh, DIRECTIVES, getattr(machine, DIRECTIVES))
    setattr(fresh, DIRECTIVE_DOCS, getattr(machine, DIRECTIVE_DOCS))
    setattr(fresh, FEATURES, set(getattr(machine, FEATURES)))
    setattr(fresh, SEEN_FILES, seen)
    return fresh


def record_mtime(filename: str, mtime: int, module: object) -> None:
    """plone.reload's bookkeeping of reloaded modules, which its @@reload view reads."""
    import plone.reload.code

    plone.reload.code.MOD_TIMES[filename] = (mtime, module)


@dataclass(frozen=True)
class Touchpoint:
    package: str  # the distribution, for its version
    module: str  # where the name is found
    name: str  # the name, as the probe looks for it
    used_in: str  # our modules that rely on it
    # Given the imported module: whether the name is there as the engine uses it.
    present: Callable[[ModuleType], bool]

    def problem(self) -> str | None:
        """None when the name is there; else what is missing, in which release."""
        try:
            module = importlib.import_module(self.module)
            if self.present(module):
                return None
            why = "it is missing"
        except Exception as error:  # noqa: B902 - whatever the probe meets, it is the answer
            why = "probing it failed (%s: %s)" % (type(error).__name__, error)
        return "%s %s: %s (%s), which %s relies on" % (
            self.package,
            _version(self.package),
            self.name,
            why,
            self.used_in,
        )


def _version(package: str) -> str:
    if package == "Python":
        return platform.python_version()
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "(version unknown)"


def _in_vars(name: str, make: Callable[[ModuleType], object]) -> Callable[[ModuleType], bool]:
    """The name must be in the instance's own __dict__: the engine reads and writes it there."""
    return lambda module: name in vars(make(module))


def _interface(module):
    interface = module.InterfaceClass("IProbe", (), {"attribute": module.Attribute("probe")})
    interface.setTaggedValue("probe", True)
    return interface


def _catalog(module):
    """A message catalog read from an empty .mo file."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "probe.mo")
        with open(path, "wb") as stream:
            stream.write(struct.pack("<7I", 0x950412DE, 0, 0, 28, 28, 0, 28))
        return module.GettextMessageCatalog("en", "probe", path)


def _machine(module):
    return module.ConfigurationMachine()


CONFIGURATION = "zope.configuration.config"
TOUCHPOINTS = (
    Touchpoint(
        "zope.configuration",
        CONFIGURATION,
        "ConfigurationMachine()." + DIRECTIVES,
        "runtime/touchpoints.py machine_like (the incremental ZCML reload)",
        _in_vars(DIRECTIVES, _machine),
    ),
    Touchpoint(
        "zope.configuration",
        CONFIGURATION,
        "ConfigurationMachine()." + DIRECTIVE_DOCS,
        "runtime/touchpoints.py machine_like (the incremental ZCML reload)",
        _in_vars(DIRECTIVE_DOCS, _machine),
    ),
    Touchpoint(
        "zope.configuration",
        CONFIGURATION,
        "ConfigurationMachine()." + FEATURES,
        "runtime/touchpoints.py machine_like (the incremental ZCML reload)",
        _in_vars(FEATURES, _machine),
    ),
    Touchpoint(
        "zope.configuration",
        CONFIGURATION,
        "ConfigurationMachine()." + SEEN_FILES,
        "runtime/zcml/actions.py and the incremental ZCML reload",
        _in_vars(SEEN_FILES, _machine),
    ),
    Touchpoint(
        "zope.interface",
        "zope.interface.interface",
        "InterfaceClass()." + INTERFACE_ATTRIBUTES,
        "runtime/python/checked_reload.py _update_interface",
        _in_vars(INTERFACE_ATTRIBUTES, _interface),
    ),
    Touchpoint(
        "zope.interface",
        "zope.interface.interface",
        "InterfaceClass()." + TAGGED_VALUES,
        "runtime/python/checked_reload.py _update_interface",
        _in_vars(TAGGED_VALUES, _interface),
    ),
    Touchpoint(
        "zope.i18n",
        "zope.i18n.gettextmessagecatalog",
        "GettextMessageCatalog()." + CATALOG_FILE,
        "runtime/zcml/undo.py same_effect (an unchanged i18n:registerTranslations)",
        _in_vars(CATALOG_FILE, _catalog),
    ),
    Touchpoint(
        "plone.reload",
        "plone.reload.code",
        "MOD_TIMES",
        "runtime/touchpoints.py record_mtime",
        lambda module: isinstance(getattr(module, "MOD_TIMES", None), dict),
    ),
    # The request gate replaces load_app: publish_module must look it up at each request.
    Touchpoint(
        "Zope",
        "ZPublisher.WSGIPublisher",
        "load_app, looked up by publish_module",
        "runtime/gate.py install",
        lambda module: (
            callable(getattr(module, "load_app", None)) and "load_app" in module.publish_module.__code__.co_names
        ),
    ),
    Touchpoint(
        "Zope", "Zope2", "DB", "runtime/zcml/full.py minimize_zodb_caches", lambda module: hasattr(module, "DB")
    ),
    # Replaced while a module's new source runs, to keep its interfaces (see checked_reload).
    Touchpoint(
        "Python",
        "builtins",
        "__build_class__",
        "runtime/python/checked_reload.py _reload",
        lambda module: callable(getattr(module, "__build_class__", None)),
    ),
)


def problems(touchpoints: tuple[Touchpoint, ...] = TOUCHPOINTS) -> list[str]:
    return [problem for problem in (touchpoint.problem() for touchpoint in touchpoints) if problem is not None]
