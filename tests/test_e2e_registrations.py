"""End to end: after each ZCML save that adds, changes or removes a utility, an adapter, a
subscription adapter, an event handler and a page, the live process's global registrations
equal those of a cold start on the same files, a utility registered by code at import too."""

import textwrap

import pytest

from harness.buildouts import write
from harness.http import served
from harness.registrations import Step, compare_steps
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.smoke]

# The log line of an incremental ZCML reload: only the saved file's directives again.
INCREMENTAL = r"\(ZCML of autotest\.app/src/autotest/app/components\.zcml: \d+ actions taken back, \d+ done"

COMPONENTS = textwrap.dedent(
    """\
    from Products.Five.browser import BrowserView
    from zope.component import getUtilitiesFor, queryAdapter
    from zope.interface import Interface, implementer


    class IGreeting(Interface):
        \"\"\"A greeting.\"\"\"


    class IChecker(Interface):
        \"\"\"One of several checks (subscription adapters).\"\"\"


    @implementer(IGreeting)
    class Greeting:
        def __init__(self, text):
            self.text = text


    hello = Greeting("hello")
    bonjour = Greeting("bonjour")


    @implementer(IGreeting)
    class GreetingFor:
        def __init__(self, context):
            self.context = context


    class OtherGreetingFor(GreetingFor):
        pass


    @implementer(IChecker)
    class Checker:
        def __init__(self, context):
            self.context = context


    class OtherChecker(Checker):
        pass


    def on_modified(event):
        pass


    def on_modified_too(event):
        pass


    class Greet(BrowserView):
        prefix = "greet"

        def __call__(self):
            utilities = ",".join(sorted(name for name, _ in getUtilitiesFor(IGreeting)))
            adapter = queryAdapter(self.context, IGreeting)
            return "%s: utilities=%s adapter=%s" % (self.prefix, utilities, type(adapter).__name__)


    class GreetAgain(Greet):
        prefix = "again"
    """
)

# Registers by code at import, as some packages do: a full ZCML reload does not import the
# module again. The package's configure.zcml imports it, whatever the steps do.
AT_IMPORT = textwrap.dedent(
    """\
    from zope.component import provideUtility

    from .components import Greeting, IGreeting

    provideUtility(Greeting("at import"), IGreeting, "at-import")


    def on_start(event):
        pass
    """
)

ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser">
%s</configure>
"""

STEPS = [
    Step(
        "added",
        """\
  <utility component=".components.hello" name="hello" />
  <adapter for="*" factory=".components.GreetingFor" />
  <subscriber for="*" provides=".components.IChecker" factory=".components.Checker" />
  <subscriber for="zope.lifecycleevent.interfaces.IObjectModifiedEvent" handler=".components.on_modified" />
  <browser:page name="greet" for="*" class=".components.Greet" permission="zope.Public" />
""",
        (("/@@greet", "greet: utilities=at-import,hello adapter=GreetingFor", None),),
        (
            "utility () -> autotest.app.components.IGreeting 'hello': instance of autotest.app.components.Greeting",
            "utility () -> autotest.app.components.IGreeting 'at-import': instance of autotest.app.components.Greeting",
            "adapter (zope.interface.Interface) -> autotest.app.components.IGreeting '':"
            " autotest.app.components.GreetingFor",
            "subscription adapter (zope.interface.Interface) -> autotest.app.components.IChecker '':"
            " autotest.app.components.Checker",
            "handler (zope.lifecycleevent.interfaces.IObjectModifiedEvent) -> - '':"
            " autotest.app.components.on_modified",
        ),
    ),
    Step(
        "changed",
        """\
  <utility component=".components.bonjour" name="bonjour" />
  <adapter for="*" factory=".components.OtherGreetingFor" />
  <subscriber for="*" provides=".components.IChecker" factory=".components.OtherChecker" />
  <subscriber for="zope.lifecycleevent.interfaces.IObjectModifiedEvent" handler=".components.on_modified_too" />
  <browser:page name="greet" for="*" class=".components.GreetAgain" permission="zope.Public" />
""",
        (("/@@greet", "again: utilities=at-import,bonjour adapter=OtherGreetingFor", None),),
        (
            "utility () -> autotest.app.components.IGreeting 'bonjour': instance of autotest.app.components.Greeting",
            "handler (zope.lifecycleevent.interfaces.IObjectModifiedEvent) -> - '':"
            " autotest.app.components.on_modified_too",
        ),
    ),
    Step("removed", "", (("/@@greet", None, None),)),
]


@pytest.fixture
def registry_buildout(package):
    buildout = package
    write(buildout.code / "components.py", COMPONENTS)
    write(buildout.code / "at_import.py", AT_IMPORT)
    write(buildout.code / "components.zcml", ZCML % "")
    add_snapshot(
        buildout.code,
        '  <subscriber for="zope.processlifetime.IProcessStarting" handler=".at_import.on_start" />\n'
        '  <include file="components.zcml" />\n',
    )
    return buildout


def test_registrations_after_each_zcml_save_equal_a_cold_start(servers, registry_buildout, figures):
    buildout = registry_buildout

    def start(name):
        return servers([str(buildout.script)], buildout.directory, buildout.directory / (name + ".log"), buildout.port)

    def ready(server):
        served(server, "/@@value", "value=0", restarting=True)
        server.wait_for_log(r"watching \d+ directories")

    server = start("first")
    ready(server)
    compare_steps(
        start,
        server,
        ready,
        buildout.code / "components.zcml",
        ZCML,
        STEPS,
        SNAPSHOT_PATH,
        figures=figures,
        reload_says=INCREMENTAL,
    )
