"""Registrations derived from changed code: what ZCML read of a class or function when it ran
(what it adapts, implements, provides, is named), what it built by calling the code
(``<utility factory=...>``), what a module registers at import (``provideAdapter``,
``classImplements``); and the edits that must stay a plain reload in place (a method body of
a registered class: the registry holds the class, updated in place).

``IN_PLACE_ONLY`` names the cases whose reload must do no ZCML work and register nothing
again; ``ZCML_AGAIN`` those that must run their unchanged ZCML again (test_engine_registrations).
"""

from zope.component.zcml import handler
from zope.configuration.fields import GlobalObject
from zope.interface import Interface
from zope.schema import TextLine

from harness.corpus import page, source


class IPageDirective(Interface):
    name = TextLine(title="name")
    class_ = GlobalObject(title="class")


def page_directive(_context, name, class_):
    """A page as Five's browser:page makes it, without Zope: a class made from the user's
    (its base), given what it may publish, read from the user's class when ZCML runs."""
    public = tuple(key for key in dir(class_) if not key.startswith("_"))
    # As protectName does: the roles of each name it may publish, on the made class.
    namespace = {"%s__roles__" % key: ("Manager",) for key in public}
    made = type(class_.__name__, (class_,), dict(namespace, __name__=name, __allowed__=public))
    _context.action(
        discriminator=("corpus:page", name),
        callable=handler,
        args=("registerAdapter", made, (Interface, Interface), Interface, name, _context.info),
    )


PAGE_META = (
    '<configure xmlns:meta="http://namespaces.zope.org/meta">\n'
    '  <meta:directive namespace="http://namespaces.example.org/corpus" name="page"'
    ' schema="harness.more_corpus.registrations.IPageDirective"'
    ' handler="harness.more_corpus.registrations.page_directive" />\n'
    "</configure>\n"
)
PAGE_ZCML = (
    '<configure xmlns="http://namespaces.zope.org/zope" xmlns:corpus="http://namespaces.example.org/corpus">\n'
    '  <include file="meta.zcml" />\n'
    '  <corpus:page name="summary" class=".pages.Summary" />\n'
    "</configure>\n"
)
PAGE_VIEWS = page(
    source("""
    from zope.component import getMultiAdapter
    from zope.interface import Interface

    def show(view):
        shown = getMultiAdapter((object(), object()), Interface, name="summary")
        return type(shown).__allowed__, shown()
    """)
)


def summary(*methods):
    return "class Summary:\n    def __init__(self, context, request):\n        pass\n" + "".join(
        "\n    def %s(self):\n        return %r\n" % (name, text) for name, text in methods
    )


INTERFACES = source("""
    from zope.interface import Interface

    class IThing(Interface):
        pass

    class IOther(Interface):
        pass

    class ILabel(Interface):
        pass

    class ITitle(Interface):
        pass

    class IGreeter(Interface):
        pass

    class IPing(Interface):
        pass
    """)


def zcml(*directives):
    return (
        '<configure xmlns="http://namespaces.zope.org/zope">\n'
        + "".join("  %s\n" % each for each in directives)
        + "</configure>\n"
    )


def label_adapter(adapts, implements, body='return "label"'):
    return source(
        """
        from zope.component import adapter
        from zope.interface import implementer
        from .interfaces import ILabel, IOther, IThing, ITitle

        @implementer(%s)
        @adapter(%s)
        class Label:
            def __init__(self, context):
                self.context = context

            def text(self):
                %s
        """
        % (implements, adapts, body)
    )


# What the page shows of the registry: which adapters each kind of thing gets.
ADAPTER_VIEWS = page(
    source("""
    from zope.component import queryAdapter
    from zope.interface import alsoProvides
    from .interfaces import ILabel, IOther, IThing, ITitle

    class Thing:
        pass

    def show(view):
        shown = []
        for marker in (IThing, IOther):
            thing = Thing()
            alsoProvides(thing, marker)
            for provided in (ILabel, ITitle):
                found = queryAdapter(thing, provided)
                shown.append((marker.__name__, provided.__name__, found and found.text()))
        return shown
    """)
)

# Its __init__ takes an argument: no instance is made of it before the edit (harness.engine),
# what ZCML built is the one instance that can be stale.
GREETER = source("""
    from zope.interface import implementer
    from .interfaces import IGreeter

    @implementer(IGreeter)
    class Greeter:
        def __init__(self, text):
            self.text = text.upper()

    def make_greeter():
        return Greeter("hello")
    """)

DEFAULT = source("""
    from zope.interface import implementer
    from .interfaces import IGreeter

    @implementer(IGreeter)
    class Default:
        text = "default"
    """)

UTILITY_VIEWS = page(
    source("""
    from zope.component import getUtility
    from .interfaces import IGreeter

    def show(view):
        greeter = getUtility(IGreeter)
        return type(greeter).__name__, greeter.text
    """)
)

PING_VIEWS = page(
    source("""
    from zope.event import notify
    from zope.interface import alsoProvides
    from .interfaces import IOther, IPing

    class Event:
        def __init__(self):
            self.heard = []

    def show(view):
        shown = []
        for marker in (IPing, IOther):
            event = Event()
            alsoProvides(event, marker)
            notify(event)
            shown.append((marker.__name__, event.heard))
        return shown
    """)
)


def handlers(adapts, first="first", second="second"):
    return source(
        """
        from zope.component import adapter
        from .interfaces import %s

        @adapter(%s)
        def on_first(event):
            event.heard.append(%r)

        @adapter(%s)
        def on_second(event):
            event.heard.append(%r)
        """
        % (adapts, adapts, first, adapts, second)
    )


VOCABULARY = source("""
    from zope.interface import implementer
    from zope.schema.interfaces import IVocabularyFactory
    from zope.schema.vocabulary import SimpleVocabulary

    @implementer(IVocabularyFactory)
    class Colors:
        def __init__(self, values):
            self.values = list(values)

        def __call__(self, context):
            return SimpleVocabulary.fromValues(self.values)

    def make_colors():
        return Colors(["red", "green"])
    """)

CASES = {
    # <adapter factory=...> without for: what the class adapts, read when ZCML ran.
    "zcml-adapter-adapts-changed": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel"),
            "configure.zcml": zcml('<adapter factory=".adapters.Label" />'),
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IOther", "ILabel")},
    ),
    # <adapter factory=...> without provides: what the class implements.
    "zcml-adapter-implementer-changed": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel"),
            "configure.zcml": zcml('<adapter factory=".adapters.Label" />'),
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IThing", "ITitle")},
    ),
    # The same, with a method body edited too.
    "zcml-adapter-both-changed-and-body": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel"),
            "configure.zcml": zcml('<adapter factory=".adapters.Label" />'),
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IOther", "ITitle", body='return "title"')},
    ),
    # A method body of a registered class: the registry holds the class, updated in place.
    "zcml-adapter-method-body": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel"),
            "configure.zcml": zcml('<adapter factory=".adapters.Label" />'),
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IThing", "ILabel", body='return "changed"')},
    ),
    # A view-ish class (a named multi-adapter, as Five's pages are), its render edited.
    "zcml-view-class-body": (
        {
            "interfaces.py": INTERFACES,
            "pages.py": source("""
                class Summary:
                    def __init__(self, context, request):
                        self.context, self.request = context, request

                    def __call__(self):
                        return "summary before"
                """),
            "configure.zcml": zcml(
                '<adapter factory=".pages.Summary" for="* *" provides="zope.interface.Interface" name="summary" />'
            ),
            "views.py": page(
                source("""
                from zope.component import getMultiAdapter
                from zope.interface import Interface

                def show(view):
                    return getMultiAdapter((object(), object()), Interface, name="summary")()
                """)
            ),
        },
        {
            "pages.py": source("""
                class Summary:
                    def __init__(self, context, request):
                        self.context, self.request = context, request

                    def __call__(self):
                        return "summary after, %s" % self.title()

                    def title(self):
                        return "with a title"
                """)
        },
    ),
    # A page class (Five's browser:page makes one from it): a method body edited in place.
    "page-class-method-body": (
        {
            "pages.py": summary(("__call__", "before")),
            "meta.zcml": PAGE_META,
            "configure.zcml": PAGE_ZCML,
            "views.py": PAGE_VIEWS,
        },
        {"pages.py": summary(("__call__", "after"))},
    ),
    # A method added to a page class: what the made class may publish was read from it.
    "page-class-method-added": (
        {
            "pages.py": summary(("__call__", "before")),
            "meta.zcml": PAGE_META,
            "configure.zcml": PAGE_ZCML,
            "views.py": PAGE_VIEWS,
        },
        {"pages.py": summary(("__call__", "before"), ("title", "a title"))},
    ),
    # <utility factory=...>: the instance was built by the old __init__ when ZCML ran.
    "zcml-utility-factory-init-changed": (
        {
            "interfaces.py": INTERFACES,
            "greeters.py": GREETER,
            "configure.zcml": zcml('<utility factory=".greeters.make_greeter" provides=".interfaces.IGreeter" />'),
            "views.py": UTILITY_VIEWS,
        },
        {"greeters.py": GREETER.replace("text.upper()", 'text.title() + "!"')},
    ),
    # <utility factory=...> whose class implements another interface: provides is derived.
    "zcml-utility-factory-implementer-changed": (
        {
            "interfaces.py": INTERFACES,
            "defaults.py": DEFAULT,
            "configure.zcml": zcml('<utility factory=".defaults.Default" />'),
            "views.py": page(
                source("""
                from zope.component import queryUtility
                from .interfaces import IGreeter, ILabel

                def show(view):
                    return [type(queryUtility(each)).__name__ for each in (IGreeter, ILabel)]
                """)
            ),
        },
        {"defaults.py": DEFAULT.replace("IGreeter", "ILabel")},
    ),
    # <utility component=...>: a module-level instance, made again with other arguments.
    "zcml-utility-component-instance": (
        {
            "interfaces.py": INTERFACES,
            "greeters.py": GREETER,
            "instances.py": "from .greeters import Greeter\n\ngreeter = Greeter('hello')\n",
            "configure.zcml": zcml('<utility component=".instances.greeter" />'),
            "views.py": UTILITY_VIEWS,
        },
        {"instances.py": "from .greeters import Greeter\n\ngreeter = Greeter('good morning')\n"},
    ),
    # A vocabulary factory: the component is an instance whose __init__ builds its terms.
    "zcml-vocabulary-factory-init": (
        {
            "vocabularies.py": VOCABULARY,
            "configure.zcml": zcml(
                '<utility factory=".vocabularies.make_colors" name="colors"'
                ' provides="zope.schema.interfaces.IVocabularyFactory" />'
            ),
            "views.py": page(
                source("""
                from zope.component import getUtility
                from zope.schema.interfaces import IVocabularyFactory

                def show(view):
                    return [term.value for term in getUtility(IVocabularyFactory, "colors")(None)]
                """)
            ),
        },
        {"vocabularies.py": VOCABULARY.replace("list(values)", "list(values) + [value.upper() for value in values]")},
    ),
    # <subscriber handler=...> without for: what the handler adapts.
    "zcml-subscriber-adapts-changed": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing"),
            "configure.zcml": zcml(
                '<subscriber handler=".handlers.on_first" />', '<subscriber handler=".handlers.on_second" />'
            ),
            "views.py": PING_VIEWS,
        },
        {"handlers.py": handlers("IOther")},
    ),
    # Two handlers of one event in two files: the one made again keeps its place.
    "zcml-subscriber-order-kept": (
        {
            "interfaces.py": INTERFACES,
            "make.py": "def make(text):\n    def heard(event):\n        event.heard.append(text)\n    return heard\n",
            "handlers.py": "from .make import make\n\non_first = make('first')\n",
            "others.py": "def on_second(event):\n    event.heard.append('second')\n",
            "configure.zcml": zcml(
                '<subscriber handler=".handlers.on_first" for=".interfaces.IPing" />',
                '<include file="more.zcml" />',
            ),
            "more.zcml": zcml('<subscriber handler=".others.on_second" for=".interfaces.IPing" />'),
            "views.py": PING_VIEWS,
        },
        {"handlers.py": "from .make import make\n\non_first = make('the first')\n"},
    ),
    # A handler renamed, its ZCML saved with it.
    "zcml-handler-renamed-with-zcml": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing"),
            "configure.zcml": zcml(
                '<subscriber handler=".handlers.on_first" />', '<subscriber handler=".handlers.on_second" />'
            ),
            "views.py": PING_VIEWS,
        },
        {
            "handlers.py": handlers("IPing").replace("on_first", "on_start"),
            "configure.zcml": zcml(
                '<subscriber handler=".handlers.on_start" />', '<subscriber handler=".handlers.on_second" />'
            ),
        },
    ),
    # provideAdapter at import: the registration follows the module's code.
    "import-provide-adapter-changed": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel") + "\n\nprovideAdapter(Label, (IThing,), ILabel)\n",
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IThing", "ILabel") + "\n\nprovideAdapter(Label, (IOther,), ILabel)\n"},
    ),
    # provideAdapter at import, only the class body edited: registered once, as at a cold start.
    "import-provide-adapter-body": (
        {
            "interfaces.py": INTERFACES,
            "adapters.py": label_adapter("IThing", "ILabel") + "\n\nprovideAdapter(Label)\n",
            "views.py": ADAPTER_VIEWS,
        },
        {"adapters.py": label_adapter("IThing", "ILabel", body='return "changed"') + "\n\nprovideAdapter(Label)\n"},
    ),
    # provideHandler at import: one handler after the reload, not two.
    "import-provide-handler-body": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing") + "\n\nprovideHandler(on_first)\n",
            "views.py": PING_VIEWS,
        },
        {"handlers.py": handlers("IPing", first="first, changed") + "\n\nprovideHandler(on_first)\n"},
    ),
    # provideHandler at import, for another event: the old registration is taken back.
    "import-provide-handler-retargeted": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing") + "\n\nprovideHandler(on_first)\nprovideHandler(on_second)\n",
            "views.py": PING_VIEWS,
        },
        {"handlers.py": handlers("IOther") + "\n\nprovideHandler(on_first)\nprovideHandler(on_second)\n"},
    ),
    # provideHandler at import removed from the module: a cold start has no such handler.
    "import-provide-handler-removed": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing") + "\n\nprovideHandler(on_first)\nprovideHandler(on_second)\n",
            "views.py": PING_VIEWS,
        },
        {"handlers.py": handlers("IPing") + "\n\nprovideHandler(on_second)\n"},
    ),
    # Handlers of one event, one registered at import, one by ZCML: the one registered at
    # import runs first, as on a cold start, after its module changed it.
    "import-and-zcml-handlers-order": (
        {
            "interfaces.py": INTERFACES,
            "handlers.py": handlers("IPing") + "\n\nprovideHandler(on_first)\n",
            "configure.zcml": zcml('<subscriber handler=".handlers.on_second" />'),
            "views.py": PING_VIEWS,
        },
        {
            "handlers.py": handlers("IPing")
            + "\n\ndef on_early(event):\n    event.heard.append('early')\n\n"
            + "provideHandler(on_early, (IPing,))\nprovideHandler(on_first)\n"
        },
    ),
    # provideUtility at import of a module-level instance.
    "import-provide-utility-changed": (
        {
            "interfaces.py": INTERFACES,
            "greeters.py": GREETER,
            "instances.py": source("""
                from zope.component import provideUtility
                from .greeters import Greeter

                provideUtility(Greeter("hello"))
                """),
            "views.py": UTILITY_VIEWS,
        },
        {
            "instances.py": source("""
                from zope.component import provideUtility
                from .greeters import Greeter

                provideUtility(Greeter("hi there"))
                """)
        },
    ),
    # classImplements at import, on a class of another module: a cold start declares only
    # what the new code does.
    "import-class-implements-elsewhere": (
        {
            "interfaces.py": INTERFACES,
            "things.py": "class Thing:\n    pass\n",
            "declarations.py": source("""
                from zope.interface import classImplements
                from .interfaces import IThing
                from .things import Thing

                classImplements(Thing, IThing)
                """),
            "views.py": page(
                source("""
                from .interfaces import IOther, IThing
                from .things import Thing

                def show(view):
                    return IThing.providedBy(Thing()), IOther.providedBy(Thing())
                """)
            ),
        },
        {
            "declarations.py": source("""
                from zope.interface import classImplements
                from .interfaces import IOther
                from .things import Thing

                classImplements(Thing, IOther)
                """)
        },
    ),
    # The same through a helper of another module that calls zope.interface's classImplements:
    # not in the module's source, found while it runs.
    "import-class-implements-elsewhere-by-a-helper": (
        {
            "interfaces.py": INTERFACES,
            "things.py": "class Thing:\n    pass\n",
            "helpers.py": source("""
                import zope.interface

                def declare(cls, *interfaces):
                    zope.interface.classImplements(cls, *interfaces)
                """),
            "declarations.py": source("""
                from .helpers import declare
                from .interfaces import IThing
                from .things import Thing

                declare(Thing, IThing)
                """),
            "views.py": page(
                source("""
                from . import declarations  # noqa
                from .interfaces import IOther, IThing
                from .things import Thing

                def show(view):
                    return IThing.providedBy(Thing()), IOther.providedBy(Thing())
                """)
            ),
        },
        {
            "declarations.py": source("""
                from .helpers import declare
                from .interfaces import IOther
                from .things import Thing

                declare(Thing, IOther)
                """)
        },
    ),
    # classImplements at import, on the module's own class.
    "import-class-implements-changed": (
        {
            "interfaces.py": INTERFACES,
            "things.py": source("""
                from zope.interface import classImplements
                from .interfaces import IThing

                class Thing:
                    pass

                classImplements(Thing, IThing)
                """),
            "views.py": page(
                source("""
                from .interfaces import IOther, IThing
                from .things import Thing

                def show(view):
                    return IThing.providedBy(Thing()), IOther.providedBy(Thing())
                """)
            ),
        },
        {
            "things.py": source("""
                from zope.interface import classImplements
                from .interfaces import IOther

                class Thing:
                    pass

                classImplements(Thing, IOther)
                """)
        },
    ),
}
for _name in ("import-provide-adapter-changed", "import-provide-adapter-body"):
    _before, _after = CASES[_name]
    for _files in (_before, _after):
        _files["adapters.py"] = _files["adapters.py"].replace(
            "from zope.component import adapter", "from zope.component import adapter, provideAdapter"
        )
for _name in (
    "import-provide-handler-body",
    "import-provide-handler-retargeted",
    "import-provide-handler-removed",
    "import-and-zcml-handlers-order",
):
    for _files in CASES[_name]:
        _files["handlers.py"] = _files["handlers.py"].replace(
            "from zope.component import adapter", "from zope.component import adapter, provideHandler"
        )

RESTARTS = {
    # Found in the source before the module runs again (patches: a declaration on another
    # module's class is a patch of it), as side_effects' class-implements-outside is; at_import's
    # DECLARED_ON_ANOTHER_MODULE is for a declaration made where that reading does not reach.
    "import-class-implements-elsewhere": "things.Thing (its interface declaration)",
    "import-class-implements-elsewhere-by-a-helper": "a class of another module, was declared to implement",
}
IN_PLACE_ONLY = {
    "page-class-method-body",
    "zcml-adapter-method-body",
    "zcml-view-class-body",
    "import-provide-adapter-body",
    "import-provide-handler-body",
    "import-class-implements-changed",
}
ZCML_AGAIN = {name for name in CASES if name.startswith(("zcml-", "page-"))} - IN_PLACE_ONLY
ZCML_AGAIN.remove("zcml-handler-renamed-with-zcml")
