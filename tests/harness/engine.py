"""The reload engine in-process, judged against a fresh import of the new sources (the
style of jurigged's and plone.reload's tests): edit() writes a package into a directory on
sys.path, imports it (and registers its configure.zcml in a fresh global registry), keeps
what real code keeps (importers' names, instances made before the edit, the registry's
components, the old functions and classes themselves), saves the new sources (Python and
ZCML), reloads
them as production does (a ModuleIndex, make_plan, CodeReloader.apply with the directory as
the watch root), and describes what the live package is and serves; then it imports the
final sources under another package name and describes that.  The caller compares.

Every import of the engine is here, so that moving its modules takes one edit.
"""

import importlib
import importlib.util
import inspect
import itertools
import os
import sys
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

import plone.reload.code
import zope.component.event  # noqa: F401 - zope.event.notify reaches handlers, as in Zope
from zope.component import getGlobalSiteManager
from zope.configuration import xmlconfig
from zope.configuration.config import ConfigurationMachine
from zope.testing.cleanup import cleanUp

from collective.autorestart.runtime.reloader import CodeReloader
from collective.autorestart.runtime.zcml import actions, outside, recorder
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.outcome import Outcome  # noqa: F401 - for the tests
from collective.autorestart.watching.planner import make_plan
from collective.autorestart.watching.roots import WatchedFiles
from harness.corpus import PAGE_HEAD, PAGE_TAIL
from harness.fingerprint import Describer

# The page of harness.corpus without Five: the same show(view), rendered the same way.
PLAIN_PAGE_TAIL = (
    "\n\nclass Page:\n    def __init__(self, context):\n        self.context = context\n\n"
    "    def __call__(self):\n        return repr(show(self))\n"
)
ZCML = (
    '<configure xmlns="http://namespaces.zope.org/zope">\n'
    '  <include package="zope.component" file="meta.zcml" />\n'
    '  <include package="%s" />\n'
    "</configure>\n"
)
_numbers = itertools.count()


def without_zope(files):
    """A corpus case's files with the page on a plain class instead of Five's BrowserView."""
    plain = {}
    for path, text in files.items():
        if text.startswith(PAGE_HEAD) and text.endswith(PAGE_TAIL):
            text = text[len(PAGE_HEAD) : -len(PAGE_TAIL)] + PLAIN_PAGE_TAIL
        plain[path] = text
    return plain


@dataclass
class Edit:
    outcome: object  # the engine's Outcome
    before: object  # what the page served before the edit
    live: dict = field(default_factory=dict)  # path -> description, after the reload
    cold: dict = field(default_factory=dict)  # path -> description, on a fresh import


def production_apply(root, changes):
    """What the watch service does with a batch of saved files (runtime.startup._build and
    watching.cycle): the loaded modules' index, the plan, the reload."""
    reloader, index = root
    plan = make_plan(changes, index.refresh())
    assert plan.restart is None, plan
    return reloader.apply(plan.modules, plan.zcml)


def edit(directory, before, after, apply=production_apply, fresh=None):
    """before: the files (path relative to the package -> text); after: those the edit
    saves.  apply(state, changes) -> Outcome reloads; the tests of this harness pass one
    that does nothing.  fresh: the files of the fresh import to compare with, when not the
    final sources (a batch that fails is taken back: compared with before)."""
    number = next(_numbers)
    # Real paths, as the watcher reports them and the ZCML engine knows its files.
    directory = os.path.realpath(directory)
    live_root, cold_root = Path(directory) / "live", Path(directory) / "cold"
    live_name, cold_name = "engine_live_%d" % number, "engine_cold_%d" % number
    sys.path[:0] = [str(live_root), str(cold_root)]
    saved = (actions._executed, outside._made_by_zcml, outside._outside)
    actions._executed = outside._made_by_zcml = outside._outside = None
    cleanUp()
    try:
        live_modules = _load(live_root, live_name, dict(before), watched=WatchedFiles((str(live_root),)))
        instances = _instances(live_modules)
        # Weakly: what a strong reference holds, the engine must (and does) escalate for.
        held = {path: weakref.ref(value) for path, value in _definitions(live_modules).items()}
        page_before = _page(live_modules, live_name)
        # As runtime.startup wires them: one index of the watched modules.
        index = ModuleIndex((str(live_root),))
        reloader = CodeReloader((str(live_root),), index)
        index.refresh()
        reloader.remember_sources(time.time())
        changes = _write(live_root / live_name, after)
        outcome = apply((reloader, index), changes)
        kept = {path: ref() for path, ref in held.items() if ref() is not None}
        live = _snapshot(_package_modules(live_name), live_name, instances, kept)
        cleanUp()
        final = dict(before)
        final.update(after if fresh is None else fresh)
        cold_modules = _load(cold_root, cold_name, final)
        # As kept, and made before the edit: of what was defined before it (a class the edit
        # adds has no instance made before it).
        was = {path.replace(live_name, cold_name, 1) for path in held}
        definitions = {path: value for path, value in _definitions(cold_modules).items() if path in was}
        made = {path: value for path, value in _instances(cold_modules).items() if path in was}
        cold = _snapshot(cold_modules, cold_name, made, definitions)
        return Edit(outcome, page_before, live, cold)
    finally:
        cleanUp()
        actions._executed, outside._made_by_zcml, outside._outside = saved
        for name in [name for name in sys.modules if name.split(".")[0] in (live_name, cold_name)]:
            del sys.modules[name]
        for filename in [name for name in plone.reload.code.MOD_TIMES if name.startswith(str(directory))]:
            del plone.reload.code.MOD_TIMES[filename]
        for root in (live_root, cold_root):
            sys.path.remove(str(root))


def _write(package, files):
    """Returns the changes as the watcher reports them."""
    changes = {}
    for path, text in files.items():
        target = package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        changes[os.path.realpath(target)] = Change.CHANGED if target.exists() else Change.CREATED
        target.write_text(text)
    return changes


def _load(root, name, files, watched=None):
    """Import every module of the package (in name order), then its ZCML, as Zope's start-up
    does (Zope2.App.zcml.load_site); watched: the path prefixes whose ZCML the runtime's
    recorder keeps (what the slug's directive installs), None on a cold start."""
    files.setdefault("__init__.py", "")
    _write(root / name, files)
    importlib.invalidate_caches()
    for path in sorted(files):
        if path.endswith(".py"):
            module = path[: -len(".py")].replace("/", ".")
            if module == "__init__" or module.endswith(".__init__"):  # a package: its own name
                module = module[: -len("__init__")].rstrip(".")
            importlib.import_module("%s.%s" % (name, module) if module else name)
    if "configure.zcml" in files:
        machine = ConfigurationMachine()
        xmlconfig.registerCommonDirectives(machine)
        if watched is not None:
            recorder.record_execution(machine, watched)
        xmlconfig.string(ZCML % name, context=machine)
    if watched is not None:
        # What the runtime notes at its start (runtime.startup): made outside ZCML.
        outside.remember_outside()
    return _package_modules(name)


def _package_modules(name):
    return {key: module for key, module in sys.modules.items() if key == name or key.startswith(name + ".")}


def _definitions(modules):
    """The functions and classes at module level, by path: what a decorator's registry, a
    class attribute or a monkey patch may go on holding."""
    return {
        "%s.%s" % (name, key): value
        for name, module in modules.items()
        for key, value in vars(module).items()
        if inspect.isfunction(value) or inspect.isclass(value)
    }


def _at_home(path, value):
    """Whether path is where value was defined (not an importer's name for it)."""
    return path == "%s.%s" % (value.__module__, value.__qualname__)


def _instances(modules):
    """An instance of each class of the package that takes no arguments, by class path."""
    made = {}
    for path, value in _definitions(modules).items():
        if inspect.isclass(value) and value.__module__ == path.rpartition(".")[0]:
            made[path] = _call(value)
    return made


def _call(function, *args):
    try:
        return function(*args)
    except Exception as error:  # noqa: B902 - the user's code: what it raises is its behaviour
        return Raised(type(error).__name__, str(error))


@dataclass(frozen=True)
class Raised:
    kind: str
    message: str


class Context:
    """What the page is shown on."""


def _page(modules, name):
    views = modules.get(name + ".views")
    page = getattr(views, "Page", None)
    return None if page is None else _call(lambda: page(Context())())


def _snapshot(modules, name, instances, definitions):
    """What the package is (the describer's paths), serves (the page, what functions,
    classes and instances return when called without arguments) and registered."""
    describer = Describer(modules, name)
    described = describer.modules_described()
    served = {"PKG.views.Page(context)()": _page(modules, name)}
    current = _definitions(modules)
    for path, value in current.items():
        if inspect.isfunction(value) and _takes_no_arguments(value):
            served[path + "()"] = _call(value)
        if inspect.isclass(value):
            served.update(_members(path, value, "class"))
    for path, instance in instances.items():
        if path in current:
            served.update(_members(path, instance, "an instance made before the edit"))
    for path, result in served.items():
        described["%s returns" % describer.normal(path)] = describer.describe(result)
    for path, value in definitions.items():
        # The very objects of before the edit (held by whatever kept them) where the module
        # still defines the name; on the fresh import, what those names hold.
        if path in current and _at_home(path, value):
            described["%s (as kept)" % describer.normal(path)] = describer.describe(value, top=True)
    described.update(_registrations(describer))
    return described


def _members(path, owner, what):
    """What each public attribute of owner is, or returns when it is a method called
    without arguments."""
    if isinstance(owner, Raised):
        return {"%s (%s)" % (path, what): owner}
    found = {"%s (%s) repr" % (path, what): _call(repr, owner)}
    for name in dir(owner):
        if name.startswith("_"):
            continue
        value = _call(getattr, owner, name)
        if inspect.ismethod(value) or inspect.isfunction(value):
            value = _call(value) if _takes_no_arguments(value) else ("takes arguments",)
        found["%s (%s).%s" % (path, what, name)] = value
    return found


def _takes_no_arguments(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(
        parameter.default is not parameter.empty or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        for parameter in parameters
    )


def _registrations(describer):
    """The global registry in full, described: one path per utility and adapter slot, and
    one per group of subscription adapters or handlers (same kind, required, provided),
    whose order is the order they run in; a duplicate shows in its group."""
    registry = getGlobalSiteManager()
    found = {}
    kinds = (
        ("utility", registry.registeredUtilities(), ("component", "factory")),
        ("adapter", registry.registeredAdapters(), ("factory",)),
        ("subscription adapter", registry.registeredSubscriptionAdapters(), ("factory",)),
        ("handler", registry.registeredHandlers(), ("handler",)),
    )
    for kind, registrations, held in kinds:
        for registration in registrations:
            where = (
                kind,
                describer.describe(tuple(getattr(registration, "required", ()))),
                describer.describe(getattr(registration, "provided", None)),
            )
            what = tuple(describer.describe(getattr(registration, name, None)) for name in held)
            if kind in ("utility", "adapter"):
                found["registry: %r" % (where + (describer.normal(registration.name),),)] = what
            else:
                group = found.setdefault("registry: subscribers %r" % (where,), [])
                group.append((describer.normal(registration.name), what))
    return found
