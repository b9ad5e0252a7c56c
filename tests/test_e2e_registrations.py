"""End to end: after each ZCML save that adds, changes or removes a utility, an adapter, a
subscription adapter, an event handler and a page, the live process's global registrations
equal those of a cold start on the same files."""
import json
import textwrap

import pytest

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout, write
from harness.http import served
from harness.zope_side import SNAPSHOT_MODULE

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

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

ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser">
%s</configure>
"""

STEPS = [
    (
        "added",
        """\
  <utility component=".components.hello" name="hello" />
  <adapter for="*" factory=".components.GreetingFor" />
  <subscriber for="*" provides=".components.IChecker" factory=".components.Checker" />
  <subscriber for="zope.lifecycleevent.interfaces.IObjectModifiedEvent" handler=".components.on_modified" />
  <browser:page name="greet" for="*" class=".components.Greet" permission="zope.Public" />
""",
        "greet: utilities=hello adapter=GreetingFor",
        [
            "utility () -> autotest.app.components.IGreeting 'hello': instance of autotest.app.components.Greeting",
            "adapter (zope.interface.Interface) -> autotest.app.components.IGreeting '':"
            " autotest.app.components.GreetingFor",
            "subscription adapter (zope.interface.Interface) -> autotest.app.components.IChecker '':"
            " autotest.app.components.Checker",
            "handler (zope.lifecycleevent.interfaces.IObjectModifiedEvent) -> - '':"
            " autotest.app.components.on_modified",
        ],
    ),
    (
        "changed",
        """\
  <utility component=".components.bonjour" name="bonjour" />
  <adapter for="*" factory=".components.OtherGreetingFor" />
  <subscriber for="*" provides=".components.IChecker" factory=".components.OtherChecker" />
  <subscriber for="zope.lifecycleevent.interfaces.IObjectModifiedEvent" handler=".components.on_modified_too" />
  <browser:page name="greet" for="*" class=".components.GreetAgain" permission="zope.Public" />
""",
        "again: utilities=bonjour adapter=OtherGreetingFor",
        [
            "utility () -> autotest.app.components.IGreeting 'bonjour': instance of autotest.app.components.Greeting",
            "handler (zope.lifecycleevent.interfaces.IObjectModifiedEvent) -> - '':"
            " autotest.app.components.on_modified_too",
        ],
    ),
    ("removed", "", None, []),
]


def ours(lines):
    return [line for line in lines if "autotest.app" in line]


def snapshot(server):
    status, body = server.get("/@@registry-snapshot", timeout=30)
    assert status == 200, body[:500]
    return json.loads(body)


@pytest.fixture
def registry_buildout(tmp_path):
    buildout = Buildout(tmp_path / "buildout")
    buildout.write_package()
    write(buildout.code / "registry_snapshot.py", SNAPSHOT_MODULE)
    write(buildout.code / "components.py", COMPONENTS)
    write(buildout.code / "components.zcml", ZCML % "")
    configure = buildout.code / "configure.zcml"
    configure.write_text(
        configure.read_text().replace(
            "</configure>",
            '  <browser:page name="registry-snapshot" for="*" class=".registry_snapshot.RegistrySnapshot"\n'
            '                permission="zope.Public" />\n'
            '  <include file="components.zcml" />\n'
            "</configure>",
        )
    )
    buildout.run(autoreload=WATCH_SRC_SILENTLY)
    return buildout


def test_registrations_after_each_zcml_save_equal_a_cold_start(servers, registry_buildout, figures):
    buildout = registry_buildout
    start = lambda name: servers(  # noqa: E731
        [str(buildout.script)], buildout.directory, buildout.directory / (name + ".log"), buildout.port
    )
    server = start("first")
    served(server, "/@@value", "value=0", restarting=True)
    server.wait_for_log(r"watching \d+ directories")
    for name, directives, page, expected in STEPS:
        mark = len(server.log())
        (buildout.code / "components.zcml").write_text(ZCML % directives)
        server.wait_for_log(r"reloaded (.*, )?ZCML in", after=mark, timeout=30)
        if page is None:
            assert server.get("/@@greet")[0] == 404
        else:
            served(server, "/@@greet", page)
        live = snapshot(server)
        for line in expected:
            assert line in live
        server.stop()
        server = start("cold-" + name)
        served(server, "/@@value", "value=0", restarting=True)
        cold = snapshot(server)
        assert ours(cold) == ours(live), name
        assert cold == live, name
        figures.append("registrations %s: %d, equal to a cold start's" % (name, len(live)))
