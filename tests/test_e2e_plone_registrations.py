"""End to end on a Plone 6.2 site: the add-on's ZCML adds, changes and removes a browser view,
an adapter, a subscriber, a named vocabulary, a behavior and a REST service; after each save
every one is served as the files say, and the global registrations equal a cold start's."""

import base64
import textwrap

import pytest

from harness.buildouts import write
from harness.http import served
from harness.registrations import Step, compare_steps
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.plone]

COMPONENTS = textwrap.dedent(
    """\
    from plone.autoform.interfaces import IFormFieldProvider
    from plone.behavior.interfaces import IBehavior
    from plone.restapi.services import Service
    from plone.supermodel import model
    from Products.Five.browser import BrowserView
    from zope import schema
    from zope.component import queryAdapter, queryUtility
    from zope.interface import Interface, implementer, provider
    from zope.schema.interfaces import IVocabularyFactory
    from zope.schema.vocabulary import SimpleVocabulary


    class IGreeting(Interface):
        \"\"\"A greeting for the site.\"\"\"


    @implementer(IGreeting)
    class GreetingFor:
        def __init__(self, context):
            self.context = context


    class OtherGreetingFor(GreetingFor):
        pass


    @provider(IFormFieldProvider)
    class IGreetingBehavior(model.Schema):
        greeting = schema.TextLine(title="Greeting", required=False)


    @provider(IFormFieldProvider)
    class IFarewellBehavior(model.Schema):
        farewell = schema.TextLine(title="Farewell", required=False)


    @provider(IVocabularyFactory)
    def colours(context):
        return SimpleVocabulary.fromValues(["red", "green"])


    @provider(IVocabularyFactory)
    def shades(context):
        return SimpleVocabulary.fromValues(["dark", "light"])


    def on_modified(obj, event):
        pass


    def on_modified_too(obj, event):
        pass


    class GreetingService(Service):
        def reply(self):
            return {"greeting": "hello"}


    class FarewellService(Service):
        def reply(self):
            return {"greeting": "goodbye"}


    class Greet(BrowserView):
        prefix = "greet"

        def __call__(self):
            adapter = queryAdapter(self.context, IGreeting)
            vocabulary = queryUtility(IVocabularyFactory, "demo.colours")
            terms = ",".join(term.value for term in vocabulary(self.context)) if vocabulary else None
            behavior = queryUtility(IBehavior, "demo.greeting")
            return "%s: adapter=%s colours=%s behavior=%s" % (
                self.prefix,
                type(adapter).__name__,
                terms,
                behavior.interface.__name__ if behavior else None,
            )


    class GreetAgain(Greet):
        prefix = "again"
    """
)

ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser"
    xmlns:plone="http://namespaces.plone.org/plone">
%s</configure>
"""

SITE = "Products.CMFCore.interfaces.ISiteRoot"
MODIFIED = "plone.dexterity.interfaces.IDexterityContent zope.lifecycleevent.interfaces.IObjectModifiedEvent"
# plone.restapi needs its permission, which Anonymous lacks: the Zope manager asks.
JSON = {"Accept": "application/json", "Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}


def directives(page_class, adapter, handler, vocabulary, behavior, service):
    return textwrap.indent(
        textwrap.dedent(
            """\
            <browser:page name="greet" for="{site}" class=".components.{page_class}" permission="zope2.View" />
            <adapter for="{site}" factory=".components.{adapter}" />
            <subscriber for="{modified}" handler=".components.{handler}" />
            <utility component=".components.{vocabulary}" name="demo.colours"
                     provides="zope.schema.interfaces.IVocabularyFactory" />
            <plone:behavior name="demo.greeting" title="Greeting" provides=".components.{behavior}" />
            <plone:service method="GET" name="@greeting" for="{site}"
                           factory=".components.{service}" permission="zope2.View" />
            """
        ).format(
            site=SITE,
            modified=MODIFIED,
            page_class=page_class,
            adapter=adapter,
            handler=handler,
            vocabulary=vocabulary,
            behavior=behavior,
            service=service,
        ),
        "  ",
    )


STEPS = [
    Step(
        "added",
        directives("Greet", "GreetingFor", "on_modified", "colours", "IGreetingBehavior", "GreetingService"),
        (
            ("/Plone/@@greet", "greet: adapter=GreetingFor colours=red,green behavior=IGreetingBehavior", None),
            ("/Plone/@greeting", '"hello"', JSON),
        ),
        (
            "utility () -> zope.schema.interfaces.IVocabularyFactory 'demo.colours': demo.hello.components.colours",
            "handler (plone.dexterity.interfaces.IDexterityContent,"
            " zope.lifecycleevent.interfaces.IObjectModifiedEvent) -> - '': demo.hello.components.on_modified",
        ),
    ),
    Step(
        "changed",
        directives(
            "GreetAgain", "OtherGreetingFor", "on_modified_too", "shades", "IFarewellBehavior", "FarewellService"
        ),
        (
            ("/Plone/@@greet", "again: adapter=OtherGreetingFor colours=dark,light behavior=IFarewellBehavior", None),
            ("/Plone/@greeting", '"goodbye"', JSON),
        ),
        ("utility () -> zope.schema.interfaces.IVocabularyFactory 'demo.colours': demo.hello.components.shades",),
    ),
    Step("removed", "", (("/Plone/@@greet", None, None), ("/Plone/@greeting", None, JSON))),
]


def test_a_plone_add_on_s_registrations_after_each_save_equal_a_cold_start(servers, plone_sites, figures):
    site = plone_sites("6.2")
    write(site.code / "components.py", COMPONENTS)
    write(site.code / "components.zcml", ZCML % "")
    add_snapshot(site.code, '  <include file="components.zcml" />\n')

    def start(name):
        return servers([str(site.script)], site.directory, site.directory / (name + ".log"), site.port)

    def ready(server):
        served(server, "/Plone/@@hello", "Hello from demo.hello", restarting=True)
        server.wait_for_log(r"watching \d+ directories")

    server = start("first")
    ready(server)
    compare_steps(
        start,
        server,
        ready,
        site.code / "components.zcml",
        ZCML,
        STEPS,
        SNAPSHOT_PATH,
        reload_timeout=60,
        figures=figures,
        reload_says=r"\(ZCML of demo\.hello/src/demo/hello/components\.zcml: \d+ actions taken back, \d+ done",
    )
