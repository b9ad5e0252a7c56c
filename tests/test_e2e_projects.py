"""End to end without buildout: ``runwsgi-autoreload`` in real projects made as their
developers make them (tests/harness/projects.py): a cookieplone add-on on Plone 6.2, installed
with uv and with pip, and a bare Zope project with an instance from ``mkwsgiinstance``.

Each test saves Python, ZCML and a restart-on file, restarts once from the template, and stops
with Ctrl-C, with the checks of the buildout tests; then the registrations of the live process
are compared with those of a cold start by plain ``runwsgi``, the command the developer would
run otherwise, which must also leave our runtime inert."""

import base64
import json
import re
import time

import pytest

from harness.buildouts import RESTARTS_AT_IMPORT
from harness.http import served
from harness.ports import port_is_free
from harness.proc import wait_until_gone
from harness.projects import CHECKOUT_PACKAGE, CHECKOUT_VIEW, CHECKOUT_VIEWS
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

pytestmark = [pytest.mark.zope]

AS_ADMIN = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}
# Plone's first page compiles its templates; a cold Plone start takes 6-9 s here.
START_TIMEOUT = 180
STOP_LIMIT = 8.0

VIEWS = """\
from Products.Five.browser import BrowserView


class Hello(BrowserView):
    def __call__(self):
        return "hello %s" % {greeting!r}
{extra}"""

ADDED = """

class Added(BrowserView):
    def __call__(self):
        return "added %s" % {greeting!r}
"""

HELLO_PAGE = (
    '  <browser:page name="autoreload-hello" for="*" class=".autoreload_views.Hello" permission="zope.Public" />\n'
)
ADDED_PAGE = (
    '  <browser:page name="autoreload-added" for="*" class=".autoreload_views.Added" permission="zope.Public" />\n'
)
BROWSER = 'xmlns:browser="http://namespaces.zope.org/browser"'


def prepare(code):
    """The package's code directory gets a views module of ours, its page and the registry
    snapshot page, before the first start (as a developer's code is there already)."""
    (code / "autoreload_views.py").write_text(VIEWS.format(greeting="start", extra=""))
    configure = code / "configure.zcml"
    text = configure.read_text()
    if BROWSER not in text:
        text = text.replace("<configure", "<configure\n    " + BROWSER, 1)
    configure.write_text(text)
    add_snapshot(code, HELLO_PAGE)


def save_views(code, greeting, extra=""):
    (code / "autoreload_views.py").write_text(
        VIEWS.format(greeting=greeting, extra=extra.replace("{greeting!r}", repr(greeting)))
    )


def add_page(code, page):
    configure = code / "configure.zcml"
    configure.write_text(configure.read_text().replace("</configure>", page + "</configure>"))


# What our configure.zcml registers: its subscriber, and (zope.component's subscriber
# directive does it) the event's interface as a utility.
OUR_LINES = re.compile(r"collective\.autorestart|'zope\.processlifetime\.IProcessStarting'")
# A path into the environment, however it is spelled (the venv behind a symlink).
SITE_PACKAGES = re.compile(r"/\S*/site-packages/")


def ours(registry):
    return [line for line in registry if OUR_LINES.search(line)]


def normal(registry):
    return [SITE_PACKAGES.sub("site-packages/", line) for line in registry if not OUR_LINES.search(line)]


def exercise(project, servers, figures, name, path_prefix="", more_saves=None):
    """The session of a developer; returns the registry the live process ends with.
    more_saves(server): what else the project's session saves, after the ZCML save."""
    code = project.package_source
    hello, added = path_prefix + "/@@autoreload-hello", path_prefix + "/@@autoreload-added"
    server = servers(
        [str(project.bin / "runwsgi-autoreload"), "instance/etc/zope.ini", "--sound", "off"],
        project.directory,
        project.directory / ("%s.log" % name),
        project.port,
        terminal=True,
    )
    started = time.monotonic()
    served(server, hello, "hello start", restarting=True, timeout=START_TIMEOUT)
    watching = server.wait_for_log(r"watching \d+ directories, \d+ files under (\S+)").group(1)
    figures.append("%s: started and watching in %.1f s" % (name, time.monotonic() - started))
    # The default watch: the project, installed in development mode; never the virtualenv.
    assert watching.rstrip(",") == str(project.directory.resolve()), watching
    for path in ("/@@reload", path_prefix + "/@@reload"):
        assert server.get(path, headers=AS_ADMIN)[0] == 404, path

    save_views(code, "python")
    python_took = served(server, hello, "hello python")
    server.wait_for_log(r"reloaded \S*autoreload_views in")

    save_views(code, "zcml", ADDED)
    add_page(code, ADDED_PAGE)
    zcml_took = served(server, added, "added zcml", timeout=60, request_timeout=60)
    server.wait_for_log(r"reloaded (.*, )?ZCML in")
    figures.append(
        "%s: Python save live in %.0f ms, ZCML save in %.0f ms" % (name, python_took * 1000, zcml_took * 1000)
    )
    if more_saves is not None:
        more_saves(server)

    mark = len(server.log())
    pyproject = project.directory / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency would go here\n")
    line = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*", after=mark, timeout=START_TIMEOUT).group(0)
    assert "cold start: a restart-on file changed" in line and "pyproject.toml changed" in line, line
    served(server, added, "added zcml", restarting=True, timeout=START_TIMEOUT)

    server.wait_for_log(r"template ready in", after=mark, timeout=START_TIMEOUT)
    mark = len(server.log())
    save_views(code, "forked", ADDED + RESTARTS_AT_IMPORT)
    restart_took = served(server, hello, "hello forked", restarting=True, timeout=START_TIMEOUT)
    line = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*", after=mark).group(0)
    assert "forked from the template" in line, line
    # The instance took the template's parse of the site (a cookieplone add-on's ZCML
    # includes CMFCore's permissions.zcml, which the template parsed later: moved into it).
    assert "the whole ZCML is parsed" not in server.log()
    figures.append("%s: restart forked from the template, save to served in %.0f ms" % (name, restart_took * 1000))
    registry = server.get(SNAPSHOT_PATH, timeout=60)
    assert registry[0] == 200

    pids = server.processes()
    stopping = time.monotonic()
    server.send_to_terminal(b"\x03")  # Ctrl-C
    returncode = server.process.wait(STOP_LIMIT + 5)
    took = time.monotonic() - stopping
    assert returncode == 0
    assert took < STOP_LIMIT
    assert wait_until_gone(pids, timeout=1.0) == []
    assert port_is_free(project.port)
    assert "killing it" not in server.log()
    assert "Traceback" not in server.log()
    return registry[1]


def cold_runwsgi(project, servers, name, path_prefix=""):
    """Plain runwsgi on the same sources: the registrations a cold start makes, and proof
    that our runtime stays inert there."""
    server = servers(
        [str(project.bin / "runwsgi"), "instance/etc/zope.ini"],
        project.directory,
        project.directory / ("%s-runwsgi.log" % name),
        project.port,
    )
    served(server, path_prefix + "/@@autoreload-hello", "hello forked", restarting=True, timeout=START_TIMEOUT)
    registry = server.get(SNAPSHOT_PATH, timeout=60)
    assert registry[0] == 200
    assert server.get("/@@reload", headers=AS_ADMIN)[0] == 404
    server.stop()
    assert "collective.autorestart" not in server.log()
    return registry[1]


def compare_with_runwsgi(live_body, cold_body, loaded_by_autoinclude):
    live, cold = json.loads(live_body), json.loads(cold_body)
    # The runtime's own registration: autoinclude loads it in plain runwsgi too on Plone;
    # on a bare Zope only runwsgi-autoreload loads it.
    assert ours(live), live
    assert bool(ours(cold)) is loaded_by_autoinclude
    live_rest, cold_rest = normal(live), normal(cold)
    only_live = sorted(set(live_rest) - set(cold_rest))
    only_cold = sorted(set(cold_rest) - set(live_rest))
    assert (only_live[:20], only_cold[:20]) == ([], [])
    assert live_rest == cold_rest


def save_in_the_checkout(project):
    """A save in the add-on mxdev checked out into sources/ (uv's project has one), which
    only plone.autoinclude loads."""
    views = project.directory.joinpath("sources", CHECKOUT_PACKAGE, "src", *CHECKOUT_PACKAGE.split("."), "views.py")

    def save(server):
        assert server.get("/Plone/@@" + CHECKOUT_VIEW) == (200, "checkout 1")
        views.write_text(CHECKOUT_VIEWS % "checkout 2")
        served(server, "/Plone/@@" + CHECKOUT_VIEW, "checkout 2")
        server.wait_for_log(r"reloaded %s\.views in" % re.escape(CHECKOUT_PACKAGE))

    return save


@pytest.mark.plone
@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_a_cookieplone_project(servers, cookieplone_projects, figures, installer):
    project = cookieplone_projects(installer)
    prepare(project.package_source)
    name = "cookieplone (%s)" % installer
    # uv's project is made as cookieplone's Makefile makes it, with an mxdev checkout.
    more = save_in_the_checkout(project) if installer == "uv" else None
    live = exercise(project, servers, figures, name, path_prefix="/Plone", more_saves=more)
    compare_with_runwsgi(live, cold_runwsgi(project, servers, name, "/Plone"), loaded_by_autoinclude=True)


@pytest.mark.smoke
def test_a_bare_zope_project(servers, zope_pip_project, figures):
    project = zope_pip_project
    prepare(project.package_source)
    live = exercise(project, servers, figures, "bare Zope (pip)")
    compare_with_runwsgi(live, cold_runwsgi(project, servers, "bare Zope (pip)"), loaded_by_autoinclude=False)
