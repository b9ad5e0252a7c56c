"""The incremental ZCML reload in-process, judged against a cold start (the ZCML side of
harness.engine): edit() writes a package (its Python fixed, PACKAGE_CODE; its ZCML the
caller's) into a directory on sys.path, executes a site.zcml that includes it as Zope's
start-up does, with the runtime's recorder around the execution (what the slug's
``autorestart:config`` directive installs), saves the changed ZCML files and hands their
paths to the incremental reload as production does (zcml/strategy.py), and lists the global
registry. Then it empties the registry (zope.testing's cleanUp, as between two processes) and
executes the final files afresh: the cold start. The caller compares.

Every import of the engine is here, so that moving its modules takes one edit.
"""

import contextlib
import importlib
import itertools
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import zope.component
import zope.component.event  # noqa: F401 - zope.event.notify reaches handlers, as in Zope
import zope.event
from zope.configuration import xmlconfig
from zope.configuration.config import ConfigurationMachine
from zope.testing.cleanup import cleanUp

from collective.autorestart.runtime.zcml import actions, outside, recorder
from collective.autorestart.runtime.zcml.incremental import Applied, Fallback, reload_changed  # noqa: F401
from collective.autorestart.watching.report import describe
from collective.autorestart.watching.roots import WatchedFiles
from collective.autorestart.watching.unsafe import UnsafeKind  # noqa: F401 - for the tests
from harness.zope_side.registry_snapshot import registered

# Where ZCML names the package: replaced by its name, which is new for each edit.
PKG = "PKG"
ZOPE = "http://namespaces.zope.org/zope"
NAMESPACES = {
    "": ZOPE,
    "i18n": "http://namespaces.zope.org/i18n",
    "pkg": "http://namespaces.example.org/pkg",
    "zcml": "http://namespaces.zope.org/zcml",
}
# The site's ZCML, outside the watched package as Zope's site.zcml is.
SITE = (
    '<configure xmlns="%s">\n'
    '  <include package="zope.component" file="meta.zcml" />\n'
    '  <include package="zope.i18n" file="meta.zcml" />\n'
    '  <include package="%s" />\n'
    "</configure>\n"
)
COMPONENTS = '''\
from zope.interface import Interface, implementer

# What the handlers of IPing did, in the order they ran.
CALLS = []


class IGreeter(Interface):
    """A utility's interface."""


class IThing(Interface):
    """What adapters and subscription adapters adapt."""


class IShout(Interface):
    """What adapters provide."""


class IListener(Interface):
    """What subscription adapters provide."""


class IPing(Interface):
    """An event handlers are subscribed to."""


@implementer(IGreeter)
class Greeter:
    pass


class Loud(Greeter):
    pass


greeter = Greeter()
loud = Loud()


class Shout:
    def __init__(self, context):
        self.context = context


class Whisper(Shout):
    pass


class Listener(Shout):
    pass


class OtherListener(Shout):
    pass


@implementer(IThing)
class Thing:
    pass


@implementer(IPing)
class Ping:
    pass


def on_ping(event):
    CALLS.append("on_ping")


def on_ping_too(event):
    CALLS.append("on_ping_too")


def refuse_broken(event):
    """Subscribed to zope.interface's IRegistered: a registration that fails when it runs."""
    if getattr(event.object, "name", None) == "broken":
        raise ValueError("no utility may be named broken")
'''
SUB_THINGS = """\
from ..components import Greeter


class SubGreeter(Greeter):
    pass


sub_greeter = SubGreeter()
"""
# A directive of the package's own (meta.zcml): its action's callable is not one the engine
# knows how to take back.
DIRECTIVES = """\
from zope.interface import Interface
from zope.schema import TextLine

REMEMBERED = []


class IRemember(Interface):
    name = TextLine(title="name")


def remember(_context, name):
    _context.action(discriminator=("remember", name), callable=note, args=(name,))


def note(name):
    REMEMBERED.append(name)
"""
META = """\
<configure xmlns:meta="http://namespaces.zope.org/meta">
  <meta:directive namespace="http://namespaces.example.org/pkg" name="remember"
                  schema=".directives.IRemember" handler=".directives.remember" />
</configure>
"""
# An empty gettext catalog (the magic number, revision 0, no messages), for i18n:registerTranslations.
EMPTY_MO = struct.pack("<7I", 0x950412DE, 0, 0, 28, 28, 0, 28)
PACKAGE_CODE = {
    "__init__.py": "",
    "components.py": COMPONENTS,
    "directives.py": DIRECTIVES,
    "meta.zcml": META,
    "sub/__init__.py": "",
    "sub/things.py": SUB_THINGS,
    # A Python package too: names in a file it holds, included by file=, are still relative
    # to the includer's package.
    "more/__init__.py": "",
}
MODULES = ("components", "directives", "sub.things")
CATALOG = "locales/de/LC_MESSAGES/pkgdomain.mo"
_numbers = itertools.count()


def configure(*directives):
    """A ZCML file holding the directives, one a line, each namespace declared."""
    declared = " ".join('xmlns%s="%s"' % (":" + prefix if prefix else "", uri) for prefix, uri in NAMESPACES.items())
    return "<configure %s>\n%s</configure>\n" % (declared, "".join("  %s\n" % each for each in directives))


def line_of(text, directive):
    """The line of the file where the directive is, counted from 1."""
    return [line.strip() for line in text.splitlines()].index(directive.strip()) + 1


@dataclass
class Edit:
    package: Path  # where the package is
    name: str  # the package's name, which the lines show as PKG
    before: list  # the registry's lines after the start-up, in the registry's order
    outcome: object  # what reload_changed returned, or the exception it raised
    live: list  # the registry's lines after the reload
    cold: object  # those of a fresh execution of the final files, or the exception it raised

    @property
    def failure(self):
        """The reload's error as the developer reads it (runtime/zcml/strategy.py, with the
        package's directory as the watch root)."""
        return describe(self.outcome, "ZCML", (str(self.package.parent),))

    @property
    def cold_failure(self):
        return describe(self.cold, "ZCML", (str(self.package.parent),))


def edit(directory, before, after, reload=reload_changed):
    """before: the package's ZCML files (path relative to it -> text, PKG for its name);
    after: those the edit saves. reload(paths) -> Applied is the incremental reload; the
    tests of this harness pass one that does nothing."""
    number = next(_numbers)
    root = Path(os.path.realpath(directory)) / "live"
    name = "zcml_engine_%d" % number
    package = root / name
    site = root.parent / "site.zcml"
    sys.path.insert(0, str(root))
    try:
        with _runtime_state():
            cleanUp()
            _write(package, dict(PACKAGE_CODE, **{CATALOG: EMPTY_MO}), name)
            _write(package, before, name)
            site.write_text(SITE % (ZOPE, name))
            importlib.invalidate_caches()
            for module in MODULES:
                importlib.import_module("%s.%s" % (name, module))
            _start(site, WatchedFiles((str(root),)))
            lines_before = _lines(name)
            changed = _write(package, after, name)
            try:
                outcome = reload(tuple(changed))
            except Exception as error:  # noqa: B902 - Fallback or the user's error: the test judges it
                outcome = error
            live = _lines(name)
            cleanUp()
            try:
                _start(site, None)
                cold = _lines(name)
            except Exception as error:  # noqa: B902 - the cold start's own failure, compared
                cold = error
            return Edit(package, name, lines_before, outcome, live, cold)
    finally:
        cleanUp()
        sys.path.remove(str(root))
        for module in [module for module in sys.modules if module.split(".")[0] == name]:
            del sys.modules[module]


def _write(package, files, name):
    """Returns the paths written, as the watcher reports them."""
    paths = []
    for path, content in files.items():
        target = package / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content.replace(PKG, name))
        paths.append(os.path.realpath(target))
    return paths


def _start(site, watched):
    """Zope's start-up (Zope2.App.zcml.load_site): a machine with the common directives, the
    site's ZCML parsed and executed. watched: the prefixes the slug's directive records."""
    machine = ConfigurationMachine()
    xmlconfig.registerCommonDirectives(machine)
    if watched is not None:
        # As runtime/directive.py's config_directive does when the slug is parsed.
        recorder.record_execution(machine, watched)
    xmlconfig.file(str(site), context=machine, execute=True)


def _lines(name):
    """The global registry's lines (harness.zope_side.registry_snapshot), in its order; then
    what runs, in which order, when an IPing is notified and IThing's IListeners are asked."""
    components = sys.modules[name + ".components"]
    del components.CALLS[:]
    zope.event.notify(components.Ping())
    listeners = zope.component.subscribers((components.Thing(),), components.IListener)
    runs = [
        "notify(Ping()) runs: %s" % ", ".join(components.CALLS),
        "subscribers((Thing(),), IListener): %s" % ", ".join(type(each).__name__ for each in listeners),
    ]
    return [line.replace(name, PKG) for line in registered()] + runs


@contextlib.contextmanager
def _runtime_state():
    """Put back the runtime's records of the last execution, module globals the start-up
    sets once in a process, as they were before."""
    saved = (actions._executed, outside._made_by_zcml, outside._outside)
    actions._executed = outside._made_by_zcml = outside._outside = None
    try:
        yield
    finally:
        actions._executed, outside._made_by_zcml, outside._outside = saved
