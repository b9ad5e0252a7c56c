"""Caches a cold start has empty: each case's page is shown once before the edit (which
fills the cache with what the old code computed), then compared after the reload with a
fresh import, whose caches are empty."""

from harness.corpus import page, source

CASES = {
    # The cached function itself changes: its module is reloaded.
    "lru-cache-body": (
        {
            "views.py": page(
                source("""
            import functools

            @functools.lru_cache(maxsize=32)
            def label(number):
                return "before %d" % number

            def show(view):
                return label(1)
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import functools

            @functools.lru_cache(maxsize=32)
            def label(number):
                return "after %d" % number

            def show(view):
                return label(1)
            """)
            )
        },
    ),
    # What the cached function calls changes, in another module: the cache's module is not
    # reloaded, and its results came from the old code.
    "lru-cache-of-a-changed-callee": (
        {
            "texts.py": 'def word():\n    return "before"\n',
            "labels.py": source("""
                import functools

                from .texts import word

                @functools.lru_cache
                def label():
                    return word().upper()
                """),
            "views.py": page("from .labels import label\n\ndef show(view):\n    return label()\n"),
        },
        {"texts.py": 'def word():\n    return "after"\n'},
    ),
    # functools.cache on a method, of an instance made at import by a module not reloaded.
    "cache-on-a-method": (
        {
            "texts.py": 'def word():\n    return "before"\n',
            "tools.py": source("""
                import functools

                from . import texts

                class Tools:
                    @functools.cache
                    def title(self):
                        return texts.word().title()

                TOOLS = Tools()
                """),
            "views.py": page("from .tools import TOOLS\n\ndef show(view):\n    return TOOLS.title()\n"),
        },
        {"texts.py": 'def word():\n    return "after"\n'},
    ),
    # A staticmethod cached with functools.cache, whose own body changes.
    "cache-on-a-staticmethod": (
        {
            "views.py": page(
                source("""
            import functools

            class Kinds:
                @staticmethod
                @functools.cache
                def names():
                    return ("page", "before")

            def show(view):
                return Kinds.names()
            """)
            )
        },
        {
            "views.py": page(
                source("""
            import functools

            class Kinds:
                @staticmethod
                @functools.cache
                def names():
                    return ("page", "after")

            def show(view):
                return Kinds.names()
            """)
            )
        },
    ),
    # The package's own memoize, one dict per decorated function in the decorator's
    # closure: the reload runs the decorator again, and the kept wrapper's cell gets the
    # new, empty dict, as a cold start's wrapper has it.
    "package-memoize-in-a-closure": (
        {
            "memo.py": source("""
                import functools

                def memoize(function):
                    results = {}

                    @functools.wraps(function)
                    def wrapper(*args):
                        if args not in results:
                            results[args] = function(*args)
                        return results[args]
                    return wrapper
                """),
            "helpers.py": 'from .memo import memoize\n\n@memoize\ndef label():\n    return "before"\n',
            "views.py": page("from .helpers import label\n\ndef show(view):\n    return label()\n"),
        },
        {"helpers.py": 'from .memo import memoize\n\n@memoize\ndef label():\n    return "after"\n'},
    ),
    # The package's own memoize storing in its module's dict (plone.memoize.forever's
    # shape), and the decorator's module edited: the reload makes the dict again, empty as
    # on a cold start, and the kept wrappers find the new one (a global of their module).
    "package-memoize-module-dict-edited": (
        {
            "memo.py": source("""
                import functools

                RESULTS = {}

                def memoize(function):
                    @functools.wraps(function)
                    def wrapper(*args):
                        key = (function.__module__, function.__qualname__) + args
                        if key not in RESULTS:
                            RESULTS[key] = function(*args)
                        return RESULTS[key]
                    return wrapper

                def prefix():
                    return "before"
                """),
            "helpers.py": source("""
                from . import memo

                @memo.memoize
                def label():
                    return memo.prefix() + "!"
                """),
            "views.py": page("from .helpers import label\n\ndef show(view):\n    return label()\n"),
        },
        {
            "memo.py": source("""
                import functools

                RESULTS = {}

                def memoize(function):
                    @functools.wraps(function)
                    def wrapper(*args):
                        key = (function.__module__, function.__qualname__) + args
                        if key not in RESULTS:
                            RESULTS[key] = function(*args)
                        return RESULTS[key]
                    return wrapper

                def prefix():
                    return "after"
                """)
        },
    ),
    # The same memoize, and a function it wraps edited: the dict in the decorator's module,
    # which is not reloaded, holds what the old code returned, where a cold start's is empty.
    "package-memoize-module-dict": (
        {
            "memo.py": source("""
                import functools

                RESULTS = {}

                def memoize(function):
                    @functools.wraps(function)
                    def wrapper(*args):
                        key = (function.__module__, function.__qualname__) + args
                        if key not in RESULTS:
                            RESULTS[key] = function(*args)
                        return RESULTS[key]
                    return wrapper
                """),
            "helpers.py": 'from .memo import memoize\n\n@memoize\ndef label():\n    return "before"\n',
            "views.py": page("from .helpers import label\n\ndef show(view):\n    return label()\n"),
        },
        {"helpers.py": 'from .memo import memoize\n\n@memoize\ndef label():\n    return "after"\n'},
    ),
    # A cached_property computed before the edit, on an instance a module not reloaded
    # made: a cold start has no value cached (the instance is made anew, or loaded from
    # the database with what was stored, and this one is not persistent), so the next
    # access computes it with the new code.
    "cached-property-on-a-kept-instance": (
        {
            "things.py": source("""
                import functools

                class Thing:
                    @functools.cached_property
                    def label(self):
                        return "before"
                """),
            "holder.py": "from .things import Thing\n\nTHING = Thing()\n",
            "views.py": page("from .holder import THING\n\ndef show(view):\n    return THING.label\n"),
        },
        {
            "things.py": source("""
                import functools

                class Thing:
                    @functools.cached_property
                    def label(self):
                        return "after"
                """)
        },
    ),
}


def _plone_memoize_cases():
    """plone.memoize where the engine's tests have it (requirements-engine.txt)."""
    try:
        import plone.memoize.ram  # noqa: F401 - only whether it imports
    except ImportError:
        return {}
    return {
        # plone.memoize.ram: results in zope.ramcache's process-wide storage, keyed by the
        # function's dotted name, which the reload keeps.
        "plone-memoize-ram": (
            {
                "views.py": page(
                    source("""
                from plone.memoize import ram

                @ram.cache(lambda function, number: number)
                def label(number):
                    return "before %d" % number

                def show(view):
                    return label(1)
                """)
                )
            },
            {
                "views.py": page(
                    source("""
                from plone.memoize import ram

                @ram.cache(lambda function, number: number)
                def label(number):
                    return "after %d" % number

                def show(view):
                    return label(1)
                """)
                )
            },
        ),
        # plone.memoize.forever: results in its module-level dict, for the process's life.
        "plone-memoize-forever": (
            {
                "texts.py": 'def word():\n    return "before"\n',
                "views.py": page(
                    source("""
                from plone.memoize import forever

                from .texts import word

                @forever.memoize
                def label():
                    return word()

                def show(view):
                    return label()
                """)
                ),
            },
            {"texts.py": 'def word():\n    return "after"\n'},
        ),
    }


CASES.update(_plone_memoize_cases())
RESTARTS = {}
