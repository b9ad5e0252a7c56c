"""Cells, closures and the objects a module makes of its own classes at import: what a
method's ``__class__`` cell (``super()``), a closure, a default or ``__wrapped__`` refers to
must be the module's kept object after a reload, as on a cold start, for new instances and
for instances made before the edit."""

from harness.corpus import page, source


def _views(before, after):
    """A case whose views.py is a page of body, before and after."""
    return ({"views.py": page(source(before))}, {"views.py": page(source(after))})


CASES = {
    "super-init": _views(
        """
        class Base:
            def __init__(self, context):
                self.context = context
                self.parts = ["base"]

        class Child(Base):
            def __init__(self, context):
                super().__init__(context)
                self.parts.append("before")

        def show(view):
            return Child(view).parts
        """,
        """
        class Base:
            def __init__(self, context):
                self.context = context
                self.parts = ["base"]

        class Child(Base):
            def __init__(self, context):
                super().__init__(context)
                self.parts.append("after")

        def show(view):
            return Child(view).parts
        """,
    ),
    "super-update-in-a-view": _views(
        """
        class BaseView:
            def __init__(self, context=None):
                self.context = context

            def update(self):
                self.items = ["base"]

        class ListingView(BaseView):
            def update(self):
                super().update()
                self.items.append("before")

            def render(self):
                self.update()
                return self.items

        def show(view):
            return ListingView(view).render()
        """,
        """
        class BaseView:
            def __init__(self, context=None):
                self.context = context

            def update(self):
                self.items = ["base"]

        class ListingView(BaseView):
            def update(self):
                super().update()
                self.items.extend(["after", len(self.items)])

            def render(self):
                self.update()
                return self.items

        def show(view):
            return ListingView(view).render()
        """,
    ),
    "super-in-a-classmethod": _views(
        """
        class Base:
            @classmethod
            def make(cls):
                return [cls.__name__]

        class Child(Base):
            @classmethod
            def make(cls):
                return super().make() + ["before"]

        def show(view):
            return Child.make()
        """,
        """
        class Base:
            @classmethod
            def make(cls):
                return [cls.__name__]

        class Child(Base):
            @classmethod
            def make(cls):
                return super().make() + ["after"]

        def show(view):
            return Child.make()
        """,
    ),
    "super-in-a-property": _views(
        """
        class Base:
            @property
            def title(self):
                return "base"

        class Child(Base):
            @property
            def title(self):
                return super().title + " before"

        def show(view):
            return Child().title
        """,
        """
        class Base:
            @property
            def title(self):
                return "base"

        class Child(Base):
            @property
            def title(self):
                return super().title + " after"

            @title.setter
            def title(self, value):
                raise AttributeError(super().__class__.__name__)

        def show(view):
            return Child().title
        """,
    ),
    "super-in-a-new-method": _views(
        """
        class Base:
            def label(self):
                return "base"

        class Child(Base):
            pass

        def show(view):
            return Child().label()
        """,
        """
        class Base:
            def label(self):
                return "base"

        class Child(Base):
            def label(self):
                return super().label() + " after"

        def show(view):
            return Child().label()
        """,
    ),
    "nested-function-closure": _views(
        """
        def make_greeter(greeting):
            def greet(name):
                return "%s %s%s" % (greeting, name, PUNCTUATION)
            return greet

        PUNCTUATION = "."
        hello = make_greeter("hello")

        def show(view):
            return hello("world")
        """,
        """
        def make_greeter(greeting):
            def greet(name):
                return "%s, %s%s" % (greeting, name, PUNCTUATION)
            return greet

        PUNCTUATION = "!"
        hello = make_greeter("hello")

        def show(view):
            return hello("world")
        """,
    ),
    "decorated-method-with-super": _views(
        """
        import functools

        def logged(method):
            @functools.wraps(method)
            def wrapper(self, *args):
                return ["logged"] + method(self, *args)
            return wrapper

        class Base:
            def items(self):
                return ["base"]

        class Child(Base):
            @logged
            def items(self):
                return super().items() + ["before"]

        def show(view):
            return Child().items()
        """,
        """
        import functools

        def logged(method):
            @functools.wraps(method)
            def wrapper(self, *args):
                return ["logged"] + method(self, *args)
            return wrapper

        class Base:
            def items(self):
                return ["base"]

        class Child(Base):
            @logged
            def items(self):
                return super().items() + ["after"]

        def show(view):
            return Child().items()
        """,
    ),
    "wrapped-module-function": _views(
        """
        import functools

        def cached(function):
            results = {}

            @functools.wraps(function)
            def wrapper():
                if "value" not in results:
                    results["value"] = function()
                return results["value"]
            return wrapper

        @cached
        def compute():
            return "before"

        def show(view):
            return compute(), compute.__wrapped__()
        """,
        """
        import functools

        def cached(function):
            results = {}

            @functools.wraps(function)
            def wrapper():
                if "value" not in results:
                    results["value"] = function()
                return results["value"]
            return wrapper

        @cached
        def compute():
            return "after"

        def show(view):
            return compute(), compute.__wrapped__()
        """,
    ),
    "instance-made-at-import": _views(
        """
        class Greeter:
            def greet(self):
                return "hello"

        class LoudGreeter(Greeter):
            def greet(self):
                return super().greet().upper()

        greeter = LoudGreeter()

        def show(view):
            return greeter.greet(), type(greeter) is LoudGreeter
        """,
        """
        class Greeter:
            def greet(self):
                return "hello"

        class LoudGreeter(Greeter):
            def greet(self):
                return super().greet().upper() + "!"

        greeter = LoudGreeter()

        def show(view):
            return greeter.greet(), type(greeter) is LoudGreeter
        """,
    ),
    "module-list-of-instances": _views(
        """
        class Addon:
            def __init__(self, name):
                self.name = name

            def label(self):
                return self.name.title()

        ADDONS = [Addon("one"), Addon("two")]
        BY_NAME = {addon.name: addon for addon in ADDONS}
        KINDS = (Addon,)

        def show(view):
            return [addon.label() for addon in ADDONS], all(isinstance(a, Addon) for a in BY_NAME.values())
        """,
        """
        class Addon:
            def __init__(self, name):
                self.name = name

            def label(self):
                return self.name.upper()

        ADDONS = [Addon("one"), Addon("two")]
        BY_NAME = {addon.name: addon for addon in ADDONS}
        KINDS = (Addon,)

        def show(view):
            return [addon.label() for addon in ADDONS], all(isinstance(a, Addon) for a in BY_NAME.values())
        """,
    ),
    "classes-referring-to-each-other": _views(
        """
        class Row:
            def cells(self):
                return ["row"]

        class Table:
            def rows(self, factory=Row):
                return [factory().cells(), isinstance(factory(), Row)]

        class Header(Row):
            def cells(self):
                return super().cells() + [Table().rows()[0]]

        def show(view):
            return Table().rows(), Header().cells()
        """,
        """
        class Row:
            def cells(self):
                return ["row", "after"]

        class Table:
            def rows(self, factory=Row):
                return [factory().cells(), isinstance(factory(), Row), "after"]

        class Header(Row):
            def cells(self):
                return super().cells() + [Table().rows()[0]]

        def show(view):
            return Table().rows(), Header().cells()
        """,
    ),
    "class-held-by-a-closure": _views(
        """
        def factory_for(cls):
            def make():
                return cls()
            return make

        class Circle:
            def name(self):
                return "circle"

        make_circle = factory_for(Circle)

        def show(view):
            return make_circle().name(), type(make_circle()) is Circle
        """,
        """
        def factory_for(cls):
            def make():
                return cls()
            return make

        class Circle:
            def name(self):
                return "round circle"

        make_circle = factory_for(Circle)

        def show(view):
            return make_circle().name(), type(make_circle()) is Circle
        """,
    ),
    "dataclass-with-super": _views(
        """
        import dataclasses

        @dataclasses.dataclass
        class Item:
            title: str = "item"

            def describe(self):
                return [self.title]

        @dataclasses.dataclass
        class Document(Item):
            body: str = ""

            def describe(self):
                return super().describe() + ["before"]

        def show(view):
            return Document().describe(), repr(Document())
        """,
        """
        import dataclasses

        @dataclasses.dataclass
        class Item:
            title: str = "item"

            def describe(self):
                return [self.title]

        @dataclasses.dataclass
        class Document(Item):
            body: str = ""

            def describe(self):
                return super().describe() + ["after", len(self.body)]

        def show(view):
            return Document().describe(), repr(Document())
        """,
    ),
    "class-docstring-with-super": _views(
        '''
        class Base:
            def help(self):
                return "base"

        class Child(Base):
            """Before."""

            def help(self):
                return super().help() + " " + Child.__doc__

        def show(view):
            return Child().help()
        ''',
        '''
        class Base:
            def help(self):
                return "base"

        class Child(Base):
            """After."""

            def help(self):
                return super().help() + " " + Child.__doc__

        def show(view):
            return Child().help()
        ''',
    ),
    "init-subclass-registry-in-the-same-module": _views(
        """
        PLUGINS = []

        class Plugin:
            def __init_subclass__(cls, **keywords):
                super().__init_subclass__(**keywords)
                PLUGINS.append(cls)

            def run(self):
                return "plugin"

        class Search(Plugin):
            def run(self):
                return super().run() + " search"

        def show(view):
            return [plugin().run() for plugin in PLUGINS], PLUGINS[0] is Search
        """,
        """
        PLUGINS = []

        class Plugin:
            def __init_subclass__(cls, **keywords):
                super().__init_subclass__(**keywords)
                PLUGINS.append(cls)

            def run(self):
                return "plugin"

        class Search(Plugin):
            def run(self):
                return super().run() + " search after"

        def show(view):
            return [plugin().run() for plugin in PLUGINS], PLUGINS[0] is Search
        """,
    ),
    "class-attribute-naming-another-class": _views(
        """
        class Widget:
            def render(self):
                return "widget"

        class Form:
            widget_factory = Widget
            factories = {"default": Widget}

            def render(self):
                return [self.widget_factory().render(), self.factories["default"] is Widget]

        def show(view):
            return Form().render()
        """,
        """
        class Widget:
            def render(self):
                return "widget after"

        class Form:
            widget_factory = Widget
            factories = {"default": Widget}

            def render(self):
                return [self.widget_factory().render(), self.factories["default"] is Widget]

        def show(view):
            return Form().render()
        """,
    ),
    "implementer-class-with-super": _views(
        """
        from zope.interface import Interface, implementer

        class IItem(Interface):
            pass

        class Base:
            def title(self):
                return "base"

        @implementer(IItem)
        class Item(Base):
            def title(self):
                return super().title() + " before"

        def show(view):
            return Item().title(), IItem.providedBy(Item())
        """,
        """
        from zope.interface import Interface, implementer

        class IItem(Interface):
            pass

        class Base:
            def title(self):
                return "base"

        @implementer(IItem)
        class Item(Base):
            def title(self):
                return super().title() + " after"

        def show(view):
            return Item().title(), IItem.providedBy(Item())
        """,
    ),
    "staticmethod-and-kwdefaults": _views(
        """
        class Formatter:
            def format(self, value):
                return str(value)

        class Report:
            @staticmethod
            def build(*, formatter=Formatter):
                return formatter().format(1)

        def show(view):
            return Report.build(), Report.build.__kwdefaults__["formatter"] is Formatter
        """,
        """
        class Formatter:
            def format(self, value):
                return "#%s" % value

        class Report:
            @staticmethod
            def build(*, formatter=Formatter):
                return formatter().format(2)

        def show(view):
            return Report.build(), Report.build.__kwdefaults__["formatter"] is Formatter
        """,
    ),
    "added-function-uses-a-class-of-the-module": _views(
        """
        class Widget:
            pass

        class Form:
            pass

        def show(view):
            return "before"
        """,
        """
        class Widget:
            pass

        class Form:
            def make(self):
                return Widget()

        def helper():
            return Widget()

        def show(view):
            return isinstance(Form().make(), Widget), isinstance(helper(), Widget)
        """,
    ),
    "lru-cached-function-uses-a-class-of-the-module": _views(
        """
        import functools

        class Widget:
            pass

        @functools.lru_cache(maxsize=None)
        def shared():
            return Widget()

        def show(view):
            return "before"
        """,
        """
        import functools

        class Widget:
            def label(self):
                return "widget"

        @functools.lru_cache(maxsize=None)
        def shared():
            return Widget()

        def show(view):
            return isinstance(shared(), Widget), shared().label()
        """,
    ),
    "set-and-frozenset-of-classes": _views(
        """
        class Folder:
            pass

        class Document:
            pass

        CONTAINERS = {Folder}
        KINDS = frozenset([Folder, Document])

        def show(view):
            return Folder in CONTAINERS, Document in KINDS
        """,
        """
        class Folder:
            pass

        class Document:
            def title(self):
                return "after"

        CONTAINERS = {Folder, Document}
        KINDS = frozenset([Folder, Document])

        def show(view):
            return Folder in CONTAINERS, Document in CONTAINERS, Document in KINDS, len(KINDS)
        """,
    ),
    "interface-invariant-and-constraint": _views(
        """
        from zope.interface import Attribute, Interface, invariant, Invalid

        def is_short(value):
            return len(value) < 5

        class IItem(Interface):
            title = Attribute("t")

            @invariant
            def check(obj):
                if not is_short(obj.title):
                    raise Invalid("long")

        class Item:
            title = "x"

        def show(view):
            try:
                IItem.validateInvariants(Item())
                return "ok"
            except Invalid as e:
                return "invalid"
        """,
        """
        from zope.interface import Attribute, Interface, invariant, Invalid

        def is_short(value):
            return len(value) < 5

        class Marker:
            pass

        class IItem(Interface):
            title = Attribute("t")
            more = Attribute("m")

            @invariant
            def check(obj):
                if not is_short(obj.title) or isinstance(obj, Marker):
                    raise Invalid("long")

        class Item:
            title = "x"

        def show(view):
            try:
                IItem.validateInvariants(Item())
                return "ok", sorted(IItem.names())
            except Invalid as e:
                return "invalid"
        """,
    ),
    "nested-class-super": _views(
        """
        class Outer:
            class Inner(dict):
                def keys(self):
                    return sorted(super().keys())

        def show(view):
            return Outer.Inner(a=1).keys()
        """,
        """
        class Outer:
            class Inner(dict):
                def keys(self):
                    return sorted(super().keys()) + ["after"]

        def show(view):
            return Outer.Inner(a=1).keys()
        """,
    ),
    "enum-method-super": _views(
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return "red"

        def show(view):
            return Color.RED.label()
        """,
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return "red after " + super().__str__()

        def show(view):
            return Color.RED.label()
        """,
    ),
    "class-decorator-registry-in-the-same-module": _views(
        """
        REGISTRY = {}

        def register(cls):
            REGISTRY[cls.__name__] = cls
            return cls

        @register
        class Tool:
            def run(self):
                return "before"

        def show(view):
            return REGISTRY["Tool"]().run(), REGISTRY["Tool"] is Tool
        """,
        """
        REGISTRY = {}

        def register(cls):
            REGISTRY[cls.__name__] = cls
            return cls

        @register
        class Tool:
            def run(self):
                return "after"

        def show(view):
            return REGISTRY["Tool"]().run(), REGISTRY["Tool"] is Tool
        """,
    ),
    "module-docstring-and-class-doc-decorated": _views(
        '''
        """Module before."""
        from zope.interface import implementer, Interface

        class IX(Interface):
            pass

        @implementer(IX)
        class Thing:
            """Thing before."""

        def show(view):
            return __doc__, Thing.__doc__
        ''',
        '''
        """Module after."""
        from zope.interface import implementer, Interface

        class IX(Interface):
            pass

        @implementer(IX)
        class Thing:
            """Thing after."""

        def show(view):
            return __doc__, Thing.__doc__
        ''',
    ),
    "partial-of-a-class": _views(
        """
        import functools

        class Widget:
            def __init__(self, size):
                self.size = size

        make_big = functools.partial(Widget, 10)

        def show(view):
            return isinstance(make_big(), Widget)
        """,
        """
        import functools

        class Widget:
            def __init__(self, size):
                self.size = size * 2

        make_big = functools.partial(Widget, 10)

        def show(view):
            return isinstance(make_big(), Widget), make_big().size
        """,
    ),
    "property-setter-super": _views(
        """
        class Base:
            def __init__(self, context=None):
                self._title = "t"

            @property
            def title(self):
                return self._title

            @title.setter
            def title(self, value):
                self._title = value

        class Child(Base):
            @Base.title.setter
            def title(self, value):
                Base.title.fset(self, value.upper())

        def show(view):
            child = Child()
            child.title = "x"
            return child.title
        """,
        """
        class Base:
            def __init__(self, context=None):
                self._title = "t"

            @property
            def title(self):
                return self._title

            @title.setter
            def title(self, value):
                self._title = value

        class Child(Base):
            @Base.title.setter
            def title(self, value):
                super(Child, type(self)).title.fset(self, value.upper() + "!")

        def show(view):
            child = Child()
            child.title = "x"
            return child.title
        """,
    ),
    "frozen-dataclass-instance": _views(
        """
        import dataclasses

        @dataclasses.dataclass(frozen=True)
        class Settings:
            size: int = 1

            def double(self):
                return self.size * 2

        DEFAULTS = Settings()

        def show(view):
            return DEFAULTS.double()
        """,
        """
        import dataclasses

        @dataclasses.dataclass(frozen=True)
        class Settings:
            size: int = 1

            def double(self):
                return self.size * 3

        DEFAULTS = Settings()

        def show(view):
            return DEFAULTS.double(), isinstance(DEFAULTS, Settings)
        """,
    ),
    "enum-member-at-module-level": _views(
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return "red"

        DEFAULT = Color.RED
        BY_NAME = {"red": Color.RED}

        def show(view):
            return DEFAULT.label()
        """,
        """
        import enum

        class Color(enum.Enum):
            RED = 1

            def label(self):
                return "red after"

        DEFAULT = Color.RED
        BY_NAME = {"red": Color.RED}

        def show(view):
            return DEFAULT.label(), DEFAULT is Color.RED, BY_NAME["red"] is Color.RED
        """,
    ),
}
RESTARTS: dict = {}
