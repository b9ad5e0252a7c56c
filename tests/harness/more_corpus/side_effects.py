"""Side effects outside the module (issue 22, point 4): what a module's code does at import
to objects of other modules.  Run again by a reload, it registers a second class, patches
its own patch, or holds the new object the reload discards beside the one the module keeps,
where a cold start did it once: the engine must escalate, naming the holder or the patched
target.  What no other module holds stays in place, equal to the fresh import.
"""

from harness.corpus import page, source

TARGET = 'class Target:\n    def speak(self):\n        return "original"\n'
SHOW_TARGET = page(
    "from . import patches  # noqa\nfrom .target import Target\n\ndef show(view):\n    return Target().speak()\n"
)
MANY = 40


def _many_classes(text):
    """A module of MANY classes in the shapes add-ons have: interfaces declared, a chain of
    subclasses, an ABC, typing annotations (typing caches what they name), properties and
    classmethods, instances at import."""
    lines = [
        "import abc",
        "import typing",
        "from zope.interface import Interface, implementer",
        "",
        "class IThing(Interface):",
        "    pass",
        "",
        "class Base(abc.ABC):",
        "    @abc.abstractmethod",
        "    def text(self): ...",
        "",
    ]
    for number in range(MANY):
        base = "Base" if number == 0 else "Thing%d" % (number - 1)
        lines += [
            "@implementer(IThing)",
            "class Thing%d(%s):" % (number, base),
            "    def text(self) -> typing.Optional[str]:",
            "        return %r" % ("%s %d" % (text, number)),
            "",
            "    @property",
            "    def size(self) -> typing.List['Thing%d']:" % number,
            "        return [self]",
            "",
            "    @classmethod",
            "    def make(cls) -> 'Thing%d':" % number,
            "        return cls()",
            "",
        ]
    lines += ["", "LAST = Thing%d()" % (MANY - 1), "ISSUBCLASS = issubclass(Thing3, Base)"]
    return "\n".join(lines) + "\n"


CASES = {
    # __init_subclass__ in another module keeps a list of the subclasses.
    "init-subclass-registry-in-another-module": (
        {
            "base.py": source("""
            class Base:
                registry = []

                def __init_subclass__(cls, **keywords):
                    Base.registry.append(cls)
            """),
            "plugins.py": source("""
            from .base import Base

            class Plugin(Base):
                def name(self):
                    return "before"
            """),
            "views.py": page(
                "from . import plugins  # noqa\nfrom .base import Base\n\n"
                "def show(view):\n    return [plugin().name() for plugin in Base.registry]\n"
            ),
        },
        {
            "plugins.py": source("""
            from .base import Base

            class Plugin(Base):
                def name(self):
                    return "after"
            """),
        },
    ),
    # A metaclass of another module registers every class it makes, by name.
    "metaclass-registry": (
        {
            "meta.py": source("""
            REGISTRY = {}

            class Registered(type):
                def __init__(cls, name, bases, namespace):
                    type.__init__(cls, name, bases, namespace)
                    REGISTRY[name] = cls
            """),
            "shapes.py": source("""
            from .meta import Registered

            class Square(metaclass=Registered):
                sides = 4
            """),
            "views.py": page(
                "from .meta import REGISTRY\nfrom .shapes import Square\n\n"
                "def show(view):\n    return REGISTRY['Square'].sides, REGISTRY['Square'] is Square\n"
            ),
        },
        {
            "shapes.py": source("""
            from .meta import Registered

            class Square(metaclass=Registered):
                sides = 5
            """),
        },
    ),
    # A class decorator of another module registers the class in its dict.
    "class-decorator-registry-in-another-module": (
        {
            "registry.py": "HANDLERS = {}\n\ndef handler(cls):\n    HANDLERS[cls.__name__] = cls\n    return cls\n",
            "handlers.py": source("""
            from .registry import handler

            @handler
            class Save:
                def run(self):
                    return "before"
            """),
            "views.py": page(
                "from . import handlers  # noqa\nfrom .registry import HANDLERS\n\n"
                "def show(view):\n    return HANDLERS['Save']().run()\n"
            ),
        },
        {
            "handlers.py": source("""
            from .registry import handler

            @handler
            class Save:
                def run(self):
                    return "after"
            """),
        },
    ),
    # A module-level call of another module's function that appends to its list.
    "function-registered-by-call": (
        {
            "hooks.py": "HOOKS = []\n\ndef register(function):\n    HOOKS.append(function)\n",
            "listeners.py": source("""
            from .hooks import register

            def on_save():
                return "before"

            register(on_save)
            """),
            "views.py": page(
                "from . import listeners  # noqa\nfrom .hooks import HOOKS\n\n"
                "def show(view):\n    return [hook() for hook in HOOKS]\n"
            ),
        },
        {
            "listeners.py": source("""
            from .hooks import register

            def on_save():
                return "after"

            register(on_save)
            """),
        },
    ),
    # The same, appending itself: seen in the source, the module is not run again.
    "module-level-append": (
        {
            "hooks.py": "HOOKS = []\n",
            "listeners.py": source("""
            from . import hooks

            def on_save():
                return "before"

            hooks.HOOKS.append(on_save)
            """),
            "views.py": page(
                "from . import listeners  # noqa\nfrom .hooks import HOOKS\n\n"
                "def show(view):\n    return [hook() for hook in HOOKS]\n"
            ),
        },
        {
            "listeners.py": source("""
            from . import hooks

            def on_save():
                return "after"

            hooks.HOOKS.append(on_save)
            """),
        },
    ),
    # An entry the module puts in another module's dict.
    "dict-entry-in-another-module": (
        {
            "factories.py": "FACTORIES = {}\n",
            "makers.py": source("""
            from .factories import FACTORIES

            def make():
                return "before"

            FACTORIES["thing"] = make
            """),
            "views.py": page(
                "from . import makers  # noqa\nfrom .factories import FACTORIES\n\n"
                "def show(view):\n    return FACTORIES['thing']()\n"
            ),
        },
        {
            "makers.py": source("""
            from .factories import FACTORIES

            def make():
                return "after"

            FACTORIES["thing"] = make
            """),
        },
    ),
    # A monkey patch of an imported class's method, by setattr.
    "patch-method-by-setattr": (
        {
            "target.py": TARGET,
            "patches.py": source("""
            from .target import Target

            def speak(self):
                return "patched-before"

            setattr(Target, "speak", speak)
            """),
            "views.py": SHOW_TARGET,
        },
        {
            "patches.py": source("""
            from .target import Target

            def speak(self):
                return "patched-after"

            setattr(Target, "speak", speak)
            """),
        },
    ),
    # A monkey patch of another module's function.
    "patch-module-function": (
        {
            "helpers.py": 'def text():\n    return "original"\n',
            "patches.py": source("""
            from . import helpers

            def text():
                return "patched-before"

            helpers.text = text
            """),
            "views.py": page(
                "from . import patches  # noqa\nfrom . import helpers\n\ndef show(view):\n    return helpers.text()\n"
            ),
        },
        {
            "patches.py": source("""
            from . import helpers

            def text():
                return "patched-after"

            helpers.text = text
            """),
        },
    ),
    # The classic shape (Products.CMFPlone's earlypatches/security.py): run again, old_speak
    # would be the previous wrapper.
    "patch-chaining-the-original": (
        {
            "target.py": TARGET,
            "patches.py": source("""
            from . import target

            old_speak = target.Target.speak

            def speak(self):
                return "[" + old_speak(self) + "]"

            target.Target.speak = speak
            """),
            "views.py": SHOW_TARGET,
        },
        {
            "patches.py": source("""
            from . import target

            old_speak = target.Target.speak

            def speak(self):
                return "<" + old_speak(self) + ">"

            target.Target.speak = speak
            """),
        },
    ),
    # The patch in a function the module calls at import, importing its target itself.
    "patch-in-a-function-called-at-import": (
        {
            "target.py": TARGET,
            "patches.py": source("""
            def speak(self):
                return "patched-before"

            def apply():
                from .target import Target
                Target.speak = speak

            apply()
            """),
            "views.py": SHOW_TARGET,
        },
        {
            "patches.py": source("""
            def speak(self):
                return "patched-after"

            def apply():
                from .target import Target
                Target.speak = speak

            apply()
            """),
        },
    ),
    # The patch module's own source is unchanged, but it runs again (it uses the changed
    # helper at import).
    "patch-module-whose-helper-changed": (
        {
            "target.py": TARGET,
            "helpers.py": 'BRACKETS = "[]"\n',
            "patches.py": source("""
            from .helpers import BRACKETS
            from .target import Target

            OPEN, CLOSE = BRACKETS
            old_speak = Target.speak

            def speak(self):
                return OPEN + old_speak(self) + CLOSE

            Target.speak = speak
            """),
            "views.py": SHOW_TARGET,
        },
        {"helpers.py": 'BRACKETS = "<>"\n'},
    ),
    # The patch's code calls the changed helper only when it runs: nothing runs again, the
    # patch stays as it is and calls the new helper.
    "patch-calling-a-changed-helper": (
        {
            "target.py": TARGET,
            "helpers.py": 'def suffix():\n    return "before"\n',
            "patches.py": source("""
            from .helpers import suffix
            from .target import Target

            def speak(self):
                return "patched " + suffix()

            Target.speak = speak
            """),
            "views.py": SHOW_TARGET,
        },
        {"helpers.py": 'def suffix():\n    return "after"\n'},
    ),
    # zope.interface's classImplements on a class of another module.
    "class-implements-outside": (
        {
            "target.py": TARGET,
            "interfaces.py": "from zope.interface import Interface\n\nclass IA(Interface):\n    pass\n\n"
            "class IB(Interface):\n    pass\n",
            "patches.py": "from zope.interface import classImplements\nfrom .interfaces import IA\n"
            "from .target import Target\n\nclassImplements(Target, IA)\n",
            "views.py": page(
                "from . import patches  # noqa\nfrom .interfaces import IA, IB\nfrom .target import Target\n\n"
                "def show(view):\n    return IA.implementedBy(Target), IB.implementedBy(Target)\n"
            ),
        },
        {
            "patches.py": "from zope.interface import classImplements\nfrom .interfaces import IB\n"
            "from .target import Target\n\nclassImplements(Target, IB)\n",
        },
    ),
    # functools.singledispatch: the implementation registers in another module's function.
    "singledispatch-register-from-another-module": (
        {
            "render.py": source("""
            import functools

            @functools.singledispatch
            def render(obj):
                return "generic"
            """),
            "shapes.py": source("""
            from .render import render

            class Circle:
                pass

            @render.register
            def _(obj: Circle):
                return "circle before"
            """),
            "views.py": page(
                "from .render import render\nfrom .shapes import Circle\n\n"
                "def show(view):\n    return render(Circle())\n"
            ),
        },
        {
            "shapes.py": source("""
            from .render import render

            class Circle:
                pass

            @render.register
            def _(obj: Circle):
                return "circle after"
            """),
        },
    ),
    # What nothing outside the module holds stays in place: a class with methods that refer
    # to it, an interface declaration, an ABC, a dataclass, instances made at import.
    "class-nothing-else-holds": (
        {
            "things.py": source("""
            import abc
            import dataclasses
            from zope.interface import Interface, implementer

            class IThing(Interface):
                pass

            class Base(abc.ABC):
                @abc.abstractmethod
                def text(self): ...

            @implementer(IThing)
            class Thing(Base):
                def text(self):
                    return "before"

                @classmethod
                def make(cls):
                    return cls()

                @property
                def me(self):
                    return type(self)

            @dataclasses.dataclass
            class Point:
                x: int = 1

            THING = Thing.make()
            ALL = [Thing, Point]
            BY_NAME = {"thing": Thing()}
            CHECKED = isinstance(THING, Base), IThing.providedBy(THING)
            """),
            "views.py": page(
                "from .things import ALL, BY_NAME, THING, Thing\n\ndef show(view):\n"
                "    return THING.text(), BY_NAME['thing'].text(), ALL[0] is Thing, type(THING) is Thing\n"
            ),
        },
        {
            "things.py": source("""
            import abc
            import dataclasses
            from zope.interface import Interface, implementer

            class IThing(Interface):
                pass

            class Base(abc.ABC):
                @abc.abstractmethod
                def text(self): ...

            @implementer(IThing)
            class Thing(Base):
                def text(self):
                    return "after"

                @classmethod
                def make(cls):
                    return cls()

                @property
                def me(self):
                    return type(self)

            @dataclasses.dataclass
            class Point:
                x: int = 1

            THING = Thing.make()
            ALL = [Thing, Point]
            BY_NAME = {"thing": Thing()}
            CHECKED = isinstance(THING, Base), IThing.providedBy(THING)
            """),
        },
    ),
    # Annotations, defaults and tuples made of the module's own classes refer to the kept
    # classes, as on a cold start (typing's caches hold the discarded ones: no holder).
    "own-classes-in-annotations-and-tuples": (
        {
            "things.py": source("""
            import typing

            class Thing:
                def text(self):
                    return "before"

            def make(factory=Thing) -> typing.Optional[Thing]:
                return factory()

            PAIR = (Thing, Thing())
            """),
            "views.py": page(
                "from .things import PAIR, Thing, make\n\ndef show(view):\n"
                "    return make().text(), PAIR[0] is Thing, type(PAIR[1]) is Thing,"
                " make.__annotations__['return'] == typing.Optional[Thing]\n\nimport typing\n"
            ),
        },
        {
            "things.py": source("""
            import typing

            class Thing:
                def text(self):
                    return "after"

            def make(factory=Thing) -> typing.Optional[Thing]:
                return factory()

            PAIR = (Thing, Thing())
            """),
        },
    ),
    # An instance the module made at import and registered in another module's list: not
    # made an instance of the kept class behind the registry's back; its class is held.
    "own-instance-registered-in-another-module": (
        {
            "hooks.py": "HOOKS = []\n\ndef register(hook):\n    HOOKS.append(hook)\n",
            "listeners.py": source("""
            from .hooks import register

            class Listener:
                def __call__(self):
                    return "before"

            LISTENER = Listener()
            register(LISTENER)
            """),
            "views.py": page(
                "from . import listeners  # noqa\nfrom .hooks import HOOKS\n\n"
                "def show(view):\n    return [hook() for hook in HOOKS]\n"
            ),
        },
        {
            "listeners.py": source("""
            from .hooks import register

            class Listener:
                def __call__(self):
                    return "after"

            LISTENER = Listener()
            register(LISTENER)
            """),
        },
    ),
    # A list of its own classes the module made at import and registered in another module's
    # list: not given the kept classes behind the registry's back; the new classes are held.
    "own-list-registered-in-another-module": (
        {
            "hooks.py": "HOOKS = []\n\ndef register(hook):\n    HOOKS.append(hook)\n",
            "kinds.py": source("""
            from .hooks import register

            class Page:
                def text(self):
                    return "before"

            KINDS = [Page]
            register(KINDS)
            """),
            "views.py": page(
                "from . import kinds  # noqa\nfrom .hooks import HOOKS\n\n"
                "def show(view):\n    return [kind().text() for kinds in HOOKS for kind in kinds]\n"
            ),
        },
        {
            "kinds.py": source("""
            from .hooks import register

            class Page:
                def text(self):
                    return "after"

            KINDS = [Page]
            register(KINDS)
            """),
        },
    ),
    # Many classes, all discarded and held by nothing outside: no false escalation.
    "many-classes": (
        {
            "things.py": _many_classes("before"),
            "views.py": page("from .things import LAST\n\ndef show(view):\n    return LAST.text()\n"),
        },
        {"things.py": _many_classes("after")},
    ),
}

RESTARTS = {
    "init-subclass-registry-in-another-module": "base.Base.registry",
    "metaclass-registry": "meta.REGISTRY",
    "class-decorator-registry-in-another-module": "registry.HANDLERS",
    "function-registered-by-call": "hooks.HOOKS",
    "module-level-append": "hooks.HOOKS (append)",
    "dict-entry-in-another-module": "factories.FACTORIES",
    "patch-method-by-setattr": "target.Target.speak",
    "patch-module-function": "helpers.text",
    "patch-chaining-the-original": "target.Target.speak",
    "patch-in-a-function-called-at-import": "target.Target.speak",
    "patch-module-whose-helper-changed": "target.Target.speak",
    "class-implements-outside": "target.Target (its interface declaration)",
    "singledispatch-register-from-another-module": "render.render",
    "own-instance-registered-in-another-module": "hooks.HOOKS",
    "own-list-registered-in-another-module": "hooks.HOOKS",
}
