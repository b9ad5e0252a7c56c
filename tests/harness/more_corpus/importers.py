"""Import-time users of a changed name (issue 22, point 3): a module that used a name of
another while it was imported (a decorator, a base class, a class body, a default argument,
a module-level call, an annotation) keeps what the old code gave it unless it runs again,
whatever form its reference takes.  A function updated in place (same object, new code) is
a change too where it was called at import."""

from harness.corpus import page, source

DECO = source("""
    def tag(function):
        function.tag = "before"
        return function
    """)
DECO_AFTER = DECO.replace('"before"', '"after"')
HELPERS = source("""
    def make_title():
        return "before"
    """)
HELPERS_AFTER = HELPERS.replace('"before"', '"after"')
B_CYCLE = "from . import a\n\ndef title():\n    return 'before'\n\ndef both():\n    return a.TITLE + title()\n"


def _decorated(imports, decorator):
    return page(
        source(
            """
        %s

        @%s
        def show(view):
            return show.tag
        """
        )
        % (imports, decorator)
    )


CASES = {
    # The brief's own example: a decorator edited in its module re-decorates elsewhere.
    "decorator-from-import": (
        {"deco.py": DECO, "views.py": _decorated("from .deco import tag", "tag")},
        {"deco.py": DECO_AFTER},
    ),
    "decorator-from-import-as": (
        {"deco.py": DECO, "views.py": _decorated("from .deco import tag as mark", "mark")},
        {"deco.py": DECO_AFTER},
    ),
    "decorator-through-module": (
        {"deco.py": DECO, "views.py": _decorated("from . import deco", "deco.tag")},
        {"deco.py": DECO_AFTER},
    ),
    "decorator-through-module-alias": (
        {"deco.py": DECO, "views.py": _decorated("from . import deco as decorators", "decorators.tag")},
        {"deco.py": DECO_AFTER},
    ),
    "decorator-through-subpackage": (
        {
            "utils/__init__.py": "",
            "utils/deco.py": DECO,
            "views.py": _decorated("from . import utils\nfrom .utils import deco  # noqa", "utils.deco.tag"),
        },
        {"utils/deco.py": DECO_AFTER},
    ),
    "decorator-factory-through-module": (
        {
            "deco.py": source("""
                def tag(value):
                    def decorate(function):
                        function.tag = value + "-before"
                        return function
                    return decorate
                """),
            "views.py": _decorated("from . import deco", 'deco.tag("x")'),
        },
        {
            "deco.py": source("""
                def tag(value):
                    def decorate(function):
                        function.tag = value + "-after"
                        return function
                    return decorate
                """),
        },
    ),
    # tag's own statement is unchanged: what it calls changed, which a cold start runs.
    "decorator-whose-helper-changed": (
        {
            "deco.py": source("""
                def _label():
                    return "before"

                def tag(function):
                    function.tag = _label()
                    return function
                """),
            "views.py": _decorated("from .deco import tag", "tag"),
        },
        {
            "deco.py": source("""
                def _label():
                    return "after"

                def tag(function):
                    function.tag = _label()
                    return function
                """),
        },
    ),
    "decorator-star-import": (
        {"deco.py": DECO, "views.py": _decorated("from .deco import *  # noqa", "tag")},
        {"deco.py": DECO_AFTER},
    ),
    # A name the module gains reaches its star importers, as on a cold start.  (A constant:
    # harness.engine's "as kept" paths say a function added by an edit is missing.)
    "star-import-gains-a-name": (
        {
            "helpers.py": HELPERS,
            "views.py": page(
                "from .helpers import *  # noqa\n\ndef show(view):\n    return sorted(k for k in globals() if 'TITLE' in k)\n"
            ),
        },
        {"helpers.py": HELPERS + "\n\nSUBTITLE = 'new'\n"},
    ),
    # TITLE = helpers.make_title(): a module-level call of a function whose body changed.
    "module-level-call-through-module": (
        {
            "helpers.py": HELPERS,
            "views.py": page(
                "from . import helpers\n\nTITLE = helpers.make_title()\n\ndef show(view):\n    return TITLE\n"
            ),
        },
        {"helpers.py": HELPERS_AFTER},
    ),
    # Two levels: views called middle.title() at import, whose body calls the changed function.
    "module-level-call-two-levels": (
        {
            "helpers.py": HELPERS,
            "middle.py": "from .helpers import make_title\n\ndef title():\n    return make_title() + '!'\n",
            "views.py": page("from . import middle\n\nTITLE = middle.title()\n\ndef show(view):\n    return TITLE\n"),
        },
        {"helpers.py": HELPERS_AFTER},
    ),
    # Called by a function of views' own that views called while imported.
    "module-level-setup-function": (
        {
            "helpers.py": HELPERS,
            "views.py": page(
                source("""
                from . import helpers

                TITLES = []

                def _setup():
                    TITLES.append(helpers.make_title())

                _setup()

                def show(view):
                    return TITLES
                """)
            ),
        },
        {"helpers.py": HELPERS_AFTER},
    ),
    # class X(m.Base): Base's __init_subclass__ (run when X was made) changed.
    "base-class-through-module": (
        {
            "base.py": source("""
                class Base:
                    def __init_subclass__(cls, **keywords):
                        cls.label = cls.__name__.lower()
                """),
            "views.py": page(
                "from . import base\n\nclass Thing(base.Base):\n    pass\n\ndef show(view):\n    return Thing.label\n"
            ),
        },
        {
            "base.py": source("""
                class Base:
                    def __init_subclass__(cls, **keywords):
                        cls.label = cls.__name__.upper()
                """),
        },
    ),
    # def show(view, limit=config.LIMIT): the default was evaluated at import.
    "default-argument-through-module": (
        {
            "config.py": "LIMIT = 10\n",
            "views.py": page("from . import config\n\ndef show(view, limit=config.LIMIT):\n    return limit\n"),
        },
        {"config.py": "LIMIT = 20\n"},
    ),
    "class-body-through-module": (
        {
            "config.py": "LIMIT = 10\n",
            "views.py": page(
                "from . import config\n\nclass Thing:\n    limit = config.LIMIT * 2\n\n"
                "def show(view):\n    return Thing.limit\n"
            ),
        },
        {"config.py": "LIMIT = 20\n"},
    ),
    # An attribute of a class updated in place, read at import.
    "class-attribute-through-module": (
        {
            "config.py": "class Settings:\n    timeout = 10\n",
            "views.py": page(
                "from . import config\n\nTIMEOUT = config.Settings.timeout\n\ndef show(view):\n    return TIMEOUT\n"
            ),
        },
        {"config.py": "class Settings:\n    timeout = 30\n"},
    ),
    "annotation-through-module": (
        {
            "config.py": 'KIND = "before"\n',
            "views.py": page(
                "from . import config\n\ndef greet(name: config.KIND):\n    return name\n\n"
                "def show(view):\n    return greet.__annotations__\n"
            ),
        },
        {"config.py": 'KIND = "after"\n'},
    ),
    # Only read inside a function body: the in-place update reaches it, views must not run
    # again (test_importers checks the outcome says so).
    "used-only-in-function-bodies": (
        {
            "helpers.py": HELPERS,
            "views.py": page(
                "from . import helpers\nfrom .helpers import make_title\n\n"
                "def show(view):\n    return helpers.make_title() + make_title()\n"
            ),
        },
        {"helpers.py": HELPERS_AFTER},
    ),
    # An import cycle: a calls b at import, b uses a only in a function body.
    "import-cycle": (
        {
            "a.py": "from . import b\n\nTITLE = b.title()\n",
            "b.py": B_CYCLE,
            "views.py": page("from . import b\n\ndef show(view):\n    return b.both()\n"),
        },
        {"b.py": B_CYCLE.replace("before", "after")},
    ),
    # Plone's shape: @implementer(interfaces.IThing) holds the interface itself, which the
    # reload updates in place: nothing to run again, and the page shows the new field.
    "implementer-through-module": (
        {
            "interfaces.py": source("""
                from zope.interface import Attribute, Interface

                class IThing(Interface):
                    title = Attribute("before")
                """),
            "views.py": page(
                source("""
                from zope.interface import implementer
                from . import interfaces

                @implementer(interfaces.IThing)
                class Thing:
                    pass

                def show(view):
                    return [interfaces.IThing[name].__doc__ for name in interfaces.IThing]
                """)
            ),
        },
        {
            "interfaces.py": source("""
                from zope.interface import Attribute, Interface

                class IThing(Interface):
                    title = Attribute("after")
                """),
        },
    ),
}
RESTARTS = {}
