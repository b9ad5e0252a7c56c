"""End to end: no request sees a half-applied reload, and ZCML errors name the user's file."""

import re
import textwrap

import pytest

from harness.buildouts import PACKAGE_FILES, value_module, write
from harness.http import served
from harness.traffic import Traffic

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.usefixtures("package")]

WATCHING = r"watching \d+ directories"
CLIENTS = 4
ZCML_SAVES = 8
PYTHON_SAVES = 12
CONFIGURE = "src/autotest/app/configure.zcml"


def start(servers, built, name, command=None):
    server = servers(command or [str(built.script)], built.directory, built.directory / name, built.port)
    if command is None:
        server.wait_for_log(WATCHING)
    served(server, "/@@value", "value=0", restarting=True)
    return server


def reloaded(server, mark, what):
    server.wait_for_log(r"reloaded [^\n]*%s in " % what, after=mark, timeout=30)


def test_requests_during_reloads_never_see_one_half_applied(servers, built):
    server = start(servers, built, "atomic.log")
    configure = built.package / CONFIGURE
    clients = [
        Traffic(built.port, "/@@debug-mode", "debug-mode=True", pause=0.0, name="client-%d" % number)
        for number in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        for number in range(ZCML_SAVES):
            mark = len(server.log())
            configure.write_text(PACKAGE_FILES[CONFIGURE] + "<!-- save %d -->\n" % number)
            reloaded(server, mark, "ZCML")
        for number in range(PYTHON_SAVES):
            mark = len(server.log())
            (built.code / "views.py").write_text(value_module("python-%d" % number))
            reloaded(server, mark, r"autotest\.app\.views")
    finally:
        stopped = [client.stop() for client in clients]
    assert all(stopped)
    misses = [miss for client in clients for miss in client.misses]
    requests = sum(client.requests for client in clients)
    assert requests > 100, "too little traffic to tell: %d requests" % requests
    assert misses == [], "%d of %d requests failed during reloads, the first: %r" % (
        len(misses),
        requests,
        misses[:3],
    )
    served(server, "/@@value", "value=python-%d" % (PYTHON_SAVES - 1))


MALFORMED = textwrap.dedent(
    """\
    <configure
        xmlns="http://namespaces.zope.org/zope"
        xmlns:browser="http://namespaces.zope.org/browser">
      <browser:page name="extra" for="*" class=".views.Value" permission="zope.Public">
    </configure>
    """
)
WELL_FORMED = MALFORMED.replace('permission="zope.Public">', 'permission="zope.Public" />')


def test_a_malformed_zcml_file_is_reported_at_its_own_line(servers, built):
    extra = built.code / "extra.zcml"
    write(extra, WELL_FORMED)
    configure = built.package / CONFIGURE
    include = '  <include file="extra.zcml" />\n</configure>'
    configure.write_text(PACKAGE_FILES[CONFIGURE].replace("</configure>", include))
    server = start(servers, built, "malformed.log")
    served(server, "/@@extra", "value=0")
    mark = len(server.log())
    extra.write_text(MALFORMED)
    line = server.wait_for_log(r"ERROR [^\n]*reload failed", after=mark, timeout=30)
    where = r"%s:5: SAXParseException: mismatched tag -- reload failed" % re.escape(str(extra))
    assert re.search(where, line.group(0)), line.group(0)
    served(server, "/@@value", "value=0")  # the previous registrations serve on
    mark = len(server.log())
    extra.write_text(WELL_FORMED.replace('name="extra"', 'name="extra-fixed"'))
    reloaded(server, mark, "ZCML")
    served(server, "/@@extra-fixed", "value=0")


GATE_PROBE = textwrap.dedent(
    """\
    from Products.Five.browser import BrowserView
    from ZPublisher import WSGIPublisher


    class Gate(BrowserView):
        def __call__(self):
            return "load_app=%s" % WSGIPublisher.load_app.__name__
    """
)
GATE_PAGE = '  <browser:page name="gate" for="*" class=".gate.Gate" permission="zope.Public" />\n</configure>'


@pytest.mark.parametrize(
    "command, expected",
    [(None, "load_app=load_app_through_gate"), (["bin/instance", "fg"], "load_app=load_app\n")],
    ids=["instance-autoreload", "plain instance"],
)
def test_requests_pass_the_gate_only_under_instance_autoreload(servers, built, command, expected):
    write(built.code / "gate.py", GATE_PROBE)
    (built.package / CONFIGURE).write_text(PACKAGE_FILES[CONFIGURE].replace("</configure>", GATE_PAGE))
    if command is not None:
        command = [str(built.directory / command[0])] + command[1:]
    server = start(servers, built, "gate.log", command)
    served(server, "/@@gate", expected.strip())
    status, body = server.get("/@@gate")
    assert body == expected.strip()
