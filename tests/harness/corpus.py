"""Typical edits of a Zope add-on, for judging reloads against a cold start (the e2e test
test_e2e_corpus and bench's part corpus).

Each case lives in a subpackage of its own (autotest.app.corpus.<case>) of the test package
(harness.buildouts) with a page @@case-<case> that shows what the edit changes; no edit
touches another case's files, so one cold start after all edits stands for every case's.
"""

import json
import re
import textwrap
import time

from .history import ZOPE_SIDE

# A views.py is PAGE_HEAD + the case's body + PAGE_TAIL; harness.engine swaps these two for
# plain Python to run the same bodies without Zope.
PAGE_HEAD = "from Products.Five.browser import BrowserView\n"
PAGE_TAIL = "\n\nclass Page(BrowserView):\n    def __call__(self):\n        return repr(show(self))\n"


# The package the corpus's cases are subpackages of (harness.buildouts' test package).
CORPUS_PACKAGE = "autotest.app.corpus"


def page(body):
    """A views.py whose Page class renders what body returns from show(self)."""
    return PAGE_HEAD + textwrap.dedent(body) + PAGE_TAIL


def source(text):
    return textwrap.dedent(text).lstrip()


# name: (files before, files after), paths relative to the case's package; "views.py" holds
# show(view).  A case with "configure.zcml" gets it included.
CASES = {
    "view-body": (
        {"views.py": page('def show(view):\n    return "before"\n')},
        {"views.py": page('def show(view):\n    return "after"\n')},
    ),
    "helper-function": (
        {
            "helpers.py": 'def text():\n    return "before"\n',
            "views.py": page("from .helpers import text\n\ndef show(view):\n    return text()\n"),
        },
        {"helpers.py": 'def text():\n    return "after"\n'},
    ),
    "module-constant": (
        {"views.py": page("LIMIT = 1\n\ndef show(view):\n    return LIMIT\n")},
        {"views.py": page("LIMIT = 2\n\ndef show(view):\n    return LIMIT\n")},
    ),
    "constant-imported-by-value": (
        {
            "config.py": "TIMEOUT = 1\n",
            "views.py": page("from .config import TIMEOUT\n\ndef show(view):\n    return TIMEOUT\n"),
        },
        {"config.py": "TIMEOUT = 2\n"},
    ),
    "constant-derived-at-import": (
        {
            "config.py": "TIMEOUT = 1\n",
            "views.py": page(
                "from .config import TIMEOUT\nDOUBLE = TIMEOUT * 2\n\ndef show(view):\n    return DOUBLE\n"
            ),
        },
        {"config.py": "TIMEOUT = 5\n"},
    ),
    "constant-through-module": (
        {
            "config.py": "TIMEOUT = 1\n",
            "views.py": page("from . import config\n\ndef show(view):\n    return config.TIMEOUT\n"),
        },
        {"config.py": "TIMEOUT = 3\n"},
    ),
    "closure-decorator": (
        {
            "views.py": page(
                source("""
            import functools

            def logged(function):
                @functools.wraps(function)
                def wrapper(*args):
                    return function(*args)
                return wrapper

            @logged
            def show(view):
                return "before"
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import functools

            def logged(function):
                @functools.wraps(function)
                def wrapper(*args):
                    return function(*args)
                return wrapper

            @logged
            def show(view):
                return "after"
            """)
            )
        },
    ),
    "classmethod": (
        {
            "views.py": page(
                source("""
            class Maker:
                @classmethod
                def make(cls):
                    return "before"

            def show(view):
                return Maker.make()
            """)
            )
        },
        {
            "views.py": page(
                source("""
            class Maker:
                @classmethod
                def make(cls):
                    return "after"

            def show(view):
                return Maker.make()
            """)
            )
        },
    ),
    "staticmethod-and-property": (
        {
            "views.py": page(
                source("""
            class Thing:
                @staticmethod
                def kind():
                    return "before"

                @property
                def label(self):
                    return "label-before"

            def show(view):
                return Thing.kind(), Thing().label
            """)
            )
        },
        {
            "views.py": page(
                source("""
            class Thing:
                @staticmethod
                def kind():
                    return "after"

                @property
                def label(self):
                    return "label-after"

            def show(view):
                return Thing.kind(), Thing().label
            """)
            )
        },
    ),
    "method-removed": (
        {
            "views.py": page(
                source("""
            class Thing:
                def kept(self):
                    return "kept"

                def dropped(self):
                    return "dropped"

            def show(view):
                return sorted(name for name in ("kept", "dropped") if hasattr(Thing, name))
            """)
            )
        },
        {
            "views.py": page(
                source("""
            class Thing:
                def kept(self):
                    return "kept"

            def show(view):
                return sorted(name for name in ("kept", "dropped") if hasattr(Thing, name))
            """)
            )
        },
    ),
    "class-attribute-removed": (
        {
            "views.py": page(
                source("""
            class Thing:
                color = "red"
                size = 1

            def show(view):
                return getattr(Thing, "color", "no color"), Thing.size
            """)
            )
        },
        {
            "views.py": page(
                source("""
            class Thing:
                size = 2

            def show(view):
                return getattr(Thing, "color", "no color"), Thing.size
            """)
            )
        },
    ),
    "keyword-only-default": (
        {
            "views.py": page(
                source("""
            def greet(*, greeting="hello"):
                return greeting

            def show(view):
                return greet()
            """)
            )
        },
        {
            "views.py": page(
                source("""
            def greet(*, greeting="goodbye"):
                return greeting

            def show(view):
                return greet()
            """)
            )
        },
    ),
    "base-class-in-another-module": (
        {
            "base.py": 'class Base:\n    def greet(self):\n        return "before"\n',
            "views.py": page(
                "from .base import Base\n\nclass Thing(Base):\n    pass\n\n"
                "def show(view):\n    return Thing().greet()\n"
            ),
        },
        {"base.py": 'class Base:\n    def greet(self):\n        return "after"\n'},
    ),
    "changed-bases": (
        {
            "views.py": page(
                source("""
            class Plain:
                label = "plain"

            class Fancy:
                label = "fancy"

            class Thing(Plain):
                pass

            def show(view):
                return Thing.label, [base.__name__ for base in Thing.__mro__]
            """)
            )
        },
        {
            "views.py": page(
                source("""
            class Plain:
                label = "plain"

            class Fancy:
                label = "fancy"

            class Thing(Fancy):
                pass

            def show(view):
                return Thing.label, [base.__name__ for base in Thing.__mro__]
            """)
            )
        },
    ),
    "changed-bases-with-interfaces": (
        {
            "bases.py": source("""
            from zope.interface import Interface, implementer

            class IPlain(Interface):
                pass

            class IFancy(Interface):
                pass

            @implementer(IPlain)
            class Plain:
                label = "plain"

            @implementer(IFancy)
            class Fancy:
                label = "fancy"

            @implementer(Interface)
            class Thing(Plain):
                pass
            """),
            "views.py": page(
                source("""
            from .bases import IFancy, IPlain, Thing

            class Sub(Thing):
                pass

            def show(view):
                return (
                    Sub.label, [base.__name__ for base in Sub.__mro__],
                    [interface.__name__ for interface in (IPlain, IFancy) if interface.providedBy(Sub())],
                )
            """)
            ),
        },
        {
            "bases.py": source("""
            from zope.interface import Interface, implementer

            class IPlain(Interface):
                pass

            class IFancy(Interface):
                pass

            @implementer(IPlain)
            class Plain:
                label = "plain"

            @implementer(IFancy)
            class Fancy:
                label = "fancy"

            @implementer(Interface)
            class Thing(Fancy):
                pass
            """)
        },
    ),
    "dataclass-field-added": (
        {
            "views.py": page(
                source("""
            import dataclasses

            @dataclasses.dataclass
            class Point:
                x: int = 1

            def show(view):
                return repr(Point()), [field.name for field in dataclasses.fields(Point)]
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import dataclasses

            @dataclasses.dataclass
            class Point:
                x: int = 1
                y: int = 2

            def show(view):
                return repr(Point()), [field.name for field in dataclasses.fields(Point)]
            """)
            )
        },
    ),
    "enum-member-added": (
        {
            "views.py": page(
                source("""
            import enum

            class Color(enum.Enum):
                RED = "red"

            def show(view):
                return [member.value for member in Color]
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import enum

            class Color(enum.Enum):
                RED = "red"
                BLUE = "blue"

            def show(view):
                return [member.value for member in Color]
            """)
            )
        },
    ),
    "interface-attribute-added": (
        {
            "views.py": page(
                source("""
            from zope.interface import Attribute, Interface

            class IThing(Interface):
                name = Attribute("a name")

            def show(view):
                return sorted(IThing.names())
            """)
            )
        },
        {
            "views.py": page(
                source("""
            from zope.interface import Attribute, Interface

            class IThing(Interface):
                name = Attribute("a name")
                size = Attribute("a size")

            def show(view):
                return sorted(IThing.names())
            """)
            )
        },
    ),
    "interface-implemented-in-the-same-module": (
        {
            "views.py": page(
                source("""
            from zope.interface import Interface, implementer

            class IThing(Interface):
                pass

            @implementer(IThing)
            class Thing:
                label = "before"

            def show(view):
                return IThing.providedBy(Thing()), IThing.implementedBy(Thing), Thing.label
            """)
            )
        },
        {
            "views.py": page(
                source("""
            from zope.interface import Interface, implementer

            class IThing(Interface):
                pass

            @implementer(IThing)
            class Thing:
                label = "after"

            def show(view):
                return IThing.providedBy(Thing()), IThing.implementedBy(Thing), Thing.label
            """)
            )
        },
    ),
    "schema-field-added": (
        {
            "schemas.py": source("""
            from zope import schema
            from zope.interface import Interface, invariant

            class IThing(Interface):
                title = schema.TextLine(title="Title")
            """),
            "views.py": page(
                source("""
            from zope.schema import getFieldsInOrder
            from .schemas import IThing

            def show(view):
                fields = getFieldsInOrder(IThing)
                return (
                    [(name, type(field).__name__, field.title, field.interface is IThing) for name, field in fields],
                    IThing.queryTaggedValue("invariants"),
                )
            """)
            ),
        },
        {
            "schemas.py": source("""
            from zope import schema
            from zope.interface import Interface, invariant

            class IThing(Interface):
                title = schema.TextLine(title="Title")
                count = schema.Int(title="Count", default=3)
                summary = schema.Text(title="Summary")
            """)
        },
    ),
    "interface-base-changed": (
        {
            "schemas.py": source("""
            from zope.interface import Attribute, Interface

            class INamed(Interface):
                name = Attribute("a name")

            class ISized(Interface):
                size = Attribute("a size")

            class IThing(INamed):
                pass

            class IDerived(IThing):
                pass
            """),
            "views.py": page(
                source("""
            from .schemas import IDerived, ISized, IThing

            def show(view):
                return sorted(IThing.names(all=True)), sorted(IDerived.names(all=True)), IDerived.isOrExtends(ISized)
            """)
            ),
        },
        {
            "schemas.py": source("""
            from zope.interface import Attribute, Interface

            class INamed(Interface):
                name = Attribute("a name")

            class ISized(Interface):
                size = Attribute("a size")

            class IThing(INamed, ISized):
                pass

            class IDerived(IThing):
                pass
            """)
        },
    ),
    "adapter-for-an-edited-interface": (
        {
            "schemas.py": source("""
            from zope.interface import Attribute, Interface

            class IThing(Interface):
                name = Attribute("a name")

            class ILabel(Interface):
                pass
            """),
            "adapters.py": source("""
            from zope.component import adapter
            from zope.interface import implementer
            from .schemas import ILabel, IThing

            @implementer(ILabel)
            @adapter(IThing)
            class Label:
                def __init__(self, context):
                    self.context = context
            """),
            "configure.zcml": '<configure xmlns="http://namespaces.zope.org/zope">\n'
            '  <adapter factory=".adapters.Label" />\n'
            "</configure>\n",
            "views.py": page(
                source("""
            from zope.interface import alsoProvides
            from .schemas import ILabel, IThing

            class Thing:
                pass

            def show(view):
                thing = Thing()
                alsoProvides(thing, IThing)
                return type(ILabel(thing, None)).__name__, sorted(IThing.names())
            """)
            ),
        },
        {
            "schemas.py": source("""
            from zope.interface import Attribute, Interface

            class IThing(Interface):
                name = Attribute("a name")
                size = Attribute("a size")

            class ILabel(Interface):
                pass
            """)
        },
    ),
    "utility-instance": (
        {
            "utils.py": source("""
            from zope.interface import Interface, implementer

            class IGreeter(Interface):
                pass

            @implementer(IGreeter)
            class Greeter:
                def __init__(self, text):
                    self.text = text

            greeter = Greeter("hello")
            """),
            "configure.zcml": '<configure xmlns="http://namespaces.zope.org/zope">\n'
            '  <utility component=".utils.greeter" provides=".utils.IGreeter" name="corpus" />\n'
            "</configure>\n",
            "views.py": page(
                source("""
            from zope.component import getUtility
            from .utils import IGreeter

            def show(view):
                return getUtility(IGreeter, name="corpus").text
            """)
            ),
        },
        {
            "utils.py": source("""
            from zope.interface import Interface, implementer

            class IGreeter(Interface):
                pass

            @implementer(IGreeter)
            class Greeter:
                def __init__(self, text):
                    self.text = text

            greeter = Greeter("goodbye")
            """)
        },
    ),
    "adapter-body": (
        {
            "adapters.py": source("""
            from zope.component import adapter
            from zope.interface import Interface, implementer

            class IDescribed(Interface):
                pass

            @implementer(IDescribed)
            @adapter(Interface)
            class Describer:
                def __init__(self, context):
                    self.context = context

                def describe(self):
                    return "before"
            """),
            "configure.zcml": '<configure xmlns="http://namespaces.zope.org/zope">\n'
            '  <adapter factory=".adapters.Describer" name="corpus" />\n'
            "</configure>\n",
            "views.py": page(
                source("""
            from zope.component import getAdapter
            from .adapters import IDescribed

            def show(view):
                return getAdapter(view.context, IDescribed, name="corpus").describe()
            """)
            ),
        },
        {
            "adapters.py": source("""
            from zope.component import adapter
            from zope.interface import Interface, implementer

            class IDescribed(Interface):
                pass

            @implementer(IDescribed)
            @adapter(Interface)
            class Describer:
                def __init__(self, context):
                    self.context = context

                def describe(self):
                    return "after"
            """)
        },
    ),
    "subscriber-body": (
        {
            "events.py": source("""
            from zope.interface import Interface, implementer

            class IPing(Interface):
                pass

            @implementer(IPing)
            class Ping:
                def __init__(self):
                    self.heard = []

            def on_ping(event):
                event.heard.append("before")
            """),
            "configure.zcml": '<configure xmlns="http://namespaces.zope.org/zope">\n'
            '  <subscriber for=".events.IPing" handler=".events.on_ping" />\n'
            "</configure>\n",
            "views.py": page(
                source("""
            from zope.event import notify
            from .events import Ping

            def show(view):
                ping = Ping()
                notify(ping)
                return ping.heard
            """)
            ),
        },
        {
            "events.py": source("""
            from zope.interface import Interface, implementer

            class IPing(Interface):
                pass

            @implementer(IPing)
            class Ping:
                def __init__(self):
                    self.heard = []

            def on_ping(event):
                event.heard.append("after")
            """)
        },
    ),
    "vocabulary": (
        {
            "vocabularies.py": source("""
            from zope.interface import provider
            from zope.schema.interfaces import IVocabularyFactory
            from zope.schema.vocabulary import SimpleVocabulary

            @provider(IVocabularyFactory)
            def colors(context):
                return SimpleVocabulary.fromValues(["red"])
            """),
            "configure.zcml": '<configure xmlns="http://namespaces.zope.org/zope">\n'
            '  <utility component=".vocabularies.colors" name="corpus.colors" />\n'
            "</configure>\n",
            "views.py": page(
                source("""
            from zope.component import getUtility
            from zope.schema.interfaces import IVocabularyFactory

            def show(view):
                return [term.value for term in getUtility(IVocabularyFactory, "corpus.colors")(None)]
            """)
            ),
        },
        {
            "vocabularies.py": source("""
            from zope.interface import provider
            from zope.schema.interfaces import IVocabularyFactory
            from zope.schema.vocabulary import SimpleVocabulary

            @provider(IVocabularyFactory)
            def colors(context):
                return SimpleVocabulary.fromValues(["red", "green"])
            """)
        },
    ),
    "package-init": (
        {
            "__init__.py": "FLAG = 1\n",
            "views.py": page(
                source("""
            import importlib

            def show(view):
                package = importlib.import_module(__name__.rpartition(".")[0])
                return package.FLAG, hasattr(package, "views")
            """)
            ),
        },
        {"__init__.py": "FLAG = 2\n"},
    ),
    "monkey-patch": (
        {
            "target.py": 'class Target:\n    def speak(self):\n        return "original"\n',
            "patches.py": source("""
            from .target import Target

            def speak(self):
                return "patched-before"

            Target.speak = speak
            """),
            "views.py": page(
                "from . import patches  # noqa\nfrom .target import Target\n\n"
                "def show(view):\n    return Target().speak()\n"
            ),
        },
        {
            "patches.py": source("""
            from .target import Target

            def speak(self):
                return "patched-after"

            Target.speak = speak
            """)
        },
    ),
    "new-module-imported": (
        {"views.py": page('def show(view):\n    return "no extra"\n')},
        {
            "extra.py": 'TEXT = "extra"\n',
            "views.py": page("from .extra import TEXT\n\ndef show(view):\n    return TEXT\n"),
        },
    ),
    "function-removed": (
        {
            "views.py": page(
                source("""
            import sys

            def helper():
                return 1

            def show(view):
                return hasattr(sys.modules[__name__], "helper")
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import sys

            def show(view):
                return hasattr(sys.modules[__name__], "helper")
            """)
            )
        },
    ),
    "function-removed-but-held": (
        {
            "holder.py": "KEPT = []\n",
            "views.py": page(
                source("""
            from .holder import KEPT

            def helper():
                return 1

            KEPT.append(helper)

            def show(view):
                return [function.__name__ for function in KEPT]
            """)
            ),
        },
        {
            "views.py": page(
                source("""
            from .holder import KEPT

            def show(view):
                return [function.__name__ for function in KEPT]
            """)
            )
        },
    ),
    "template": (
        {
            "page.pt": "<p>before</p>\n",
            "views.py": page(
                source("""
            from Products.Five.browser.pagetemplatefile import ViewPageTemplateFile

            template = ViewPageTemplateFile("page.pt")

            def show(view):
                return template(view).strip()
            """)
            ),
        },
        {"page.pt": "<p>after</p>\n"},
    ),
}
# A restart per case costs seconds on Plone: these the engine must apply in place (the others
# it must escalate, in test_e2e_corpus and in test_engine_corpus alike).
IN_PLACE = {
    "view-body",
    "helper-function",
    "module-constant",
    "constant-imported-by-value",
    "constant-derived-at-import",
    "constant-through-module",
    "classmethod",
    "staticmethod-and-property",
    "method-removed",
    "class-attribute-removed",
    "keyword-only-default",
    "base-class-in-another-module",
    "dataclass-field-added",
    "utility-instance",
    "adapter-body",
    "subscriber-body",
    "vocabulary",
    "package-init",
    "new-module-imported",
    "function-removed",
    "interface-attribute-added",
    "interface-implemented-in-the-same-module",
    "schema-field-added",
    "interface-base-changed",
    "adapter-for-an-edited-interface",
    "changed-bases",
    "changed-bases-with-interfaces",
    "closure-decorator",
}
# Files that no reload follows (Five re-reads a template in debug mode): the tool logs nothing.
NOT_RELOADED = {"template"}
OUTCOME = r"reloaded |restarting the instance|reload failed|ERROR"


def write_case(built, name, files):
    directory = built.code / "corpus" / name.replace("-", "_")
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        (directory / path).write_text(text)


def write_corpus(built):
    (built.code / "corpus").mkdir()
    (built.code / "corpus" / "__init__.py").write_text("")
    lines = ['<configure xmlns="http://namespaces.zope.org/zope" xmlns:browser="http://namespaces.zope.org/browser">']
    for name, (before, _) in CASES.items():
        files = {"__init__.py": ""}
        files.update(before)
        write_case(built, name, files)
        package = name.replace("-", "_")
        if "configure.zcml" in before:
            lines.append('  <include package=".%s" />' % package)
        lines.append(
            '  <browser:page name="case-%s" for="*" class=".%s.views.Page" permission="zope.Public" />'
            % (name, package)
        )
    # The oracle inside Zope (harness.history's fingerprint page), to compare the structure
    # of what the live process holds with a cold start's, not only the pages.
    for module, path in ZOPE_SIDE.items():
        (built.code / "corpus" / module).write_text(path.read_text())
    lines.append(
        '  <browser:page name="corpus-fingerprint" for="*" class=".history_fingerprint.HistoryFingerprint"'
        ' permission="zope.Public" />'
    )
    lines.append("</configure>")
    (built.code / "corpus" / "configure.zcml").write_text("\n".join(lines) + "\n")
    zcml = built.code / "configure.zcml"
    zcml.write_text(zcml.read_text().replace("</configure>", '  <include package=".corpus" />\n</configure>'))


def fingerprint_of(server):
    """What the process holds of the corpus's cases (harness.history.compare reads it)."""
    status, body = server.get("/@@corpus-fingerprint?package=" + CORPUS_PACKAGE, timeout=60)
    assert status == 200, (status, body[-3000:])
    # The pages are compared by the test itself, each case's.
    return dict(json.loads(body), pages={})


def page_of(server, name):
    status, body = server.get("/@@case-" + name)
    # An error page holds a traceback, which differs between processes: its status is
    # what a developer sees first.
    return status, body if status == 200 else ""


def apply_edit(server, built, name):
    """Save the case's edit, wait until the tool is done with it; what it did, as logged
    (a restart's line, else the reload's), and the seconds from the save to that line's end."""
    mark = len(server.log())
    saved = time.monotonic()
    write_case(built, name, CASES[name][1])
    if name in NOT_RELOADED:
        server.wait_until_quiet(quiet=0.3)
        return "nothing to reload", None
    server.wait_for_log(OUTCOME, after=mark, timeout=30)
    took = time.monotonic() - saved
    server.wait_until_quiet(quiet=0.3)
    if "restarting the instance" in server.log()[mark:]:
        server.wait_for_log(r"restarted in \d+ ms", after=mark, timeout=90)
        took = time.monotonic() - saved
        server.wait_until_quiet(quiet=0.3)
    lines = [line for line in server.log()[mark:].splitlines() if re.search(OUTCOME, line)]
    restarts = [line for line in lines if "restarting the instance" in line]
    return (restarts or lines)[0].split("] ", 1)[-1], took
