"""End to end: the incremental ZCML reload on a real Zope. A saved file's directives are
taken back and run again in the context the file was included from (by file, by package);
what it can't take back, and a change of includes, reload all ZCML and say why; a broken
save is reported at the user's file and line and leaves the registrations as they were."""

import textwrap

import pytest

from harness.buildouts import write
from harness.http import served
from harness.processes import Server

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

PAGES = textwrap.dedent(
    """\
    from Products.Five.browser import BrowserView
    from zope.interface import Interface


    class IMarked(Interface):
        \"\"\"Declared on Thing by ZCML.\"\"\"


    class Thing:
        pass


    def broken_factory():
        raise ValueError("the factory fails")


    class Page(BrowserView):
        text = "page"

        def __call__(self):
            return "%s: %s" % (self.text, IMarked.implementedBy(Thing))


    class Other(Page):
        text = "other"
    """
)

SUB_PAGES = textwrap.dedent(
    """\
    from Products.Five.browser import BrowserView


    class SubPage(BrowserView):
        def __call__(self):
            return "sub-page"
    """
)

ZCML = """\
<configure
    xmlns="http://namespaces.zope.org/zope"
    xmlns:browser="http://namespaces.zope.org/browser">
%s</configure>
"""

# Included by file from the package's configure.zcml: its dotted names are the package's.
BROWSER_FIRST = '  <browser:page name="first" for="*" class=".browser.pages.Page" permission="zope.Public" />\n'
# Included by package (".sub"): its dotted names are the subpackage's.
SUB_FIRST = '  <browser:page name="sub-first" for="*" class=".pages.SubPage" permission="zope.Public" />\n'
INCLUDES = '  <include file="browser/configure.zcml" />\n  <include package=".sub" />\n'


class Site:
    def __init__(self, buildout, server):
        self.buildout = buildout
        self.server = server
        self.browser_zcml = buildout.code / "browser" / "configure.zcml"
        self.sub_zcml = buildout.code / "sub" / "configure.zcml"

    def save(self, path, directives, expect):
        """Save path (ZCML % directives); returns the reload's log line, which must match
        expect."""
        mark = len(self.server.log())
        path.write_text(ZCML % directives)
        line = self.server.wait_for_log(r"(reloaded|reload failed) .*", after=mark).group(0)
        assert expect in line, line
        return line, mark


@pytest.fixture(scope="module")
def site(built):
    buildout = built
    buildout.reset_package()
    code = buildout.code
    write(code / "browser" / "__init__.py", "")
    write(code / "browser" / "pages.py", PAGES)
    write(code / "browser" / "configure.zcml", ZCML % BROWSER_FIRST)
    write(code / "sub" / "__init__.py", "")
    write(code / "sub" / "pages.py", SUB_PAGES)
    write(code / "sub" / "configure.zcml", ZCML % SUB_FIRST)
    write(code / "unused.zcml", ZCML % "")
    configure = code / "configure.zcml"
    configure.write_text(configure.read_text().replace("</configure>", INCLUDES + "</configure>"))
    server = Server([str(buildout.script)], buildout.directory, buildout.directory / "server.log", buildout.port)
    try:
        served(server, "/@@first", "page: False", restarting=True)
        server.wait_for_log(r"watching \d+ directories")
        yield Site(buildout, server)
    finally:
        server.stop()
        buildout.reset_package()


@pytest.fixture
def live(site, request):
    yield site
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("--- server log ---\n" + site.server.log()[-10000:])
    for path, directives in ((site.browser_zcml, BROWSER_FIRST), (site.sub_zcml, SUB_FIRST)):
        if path.read_text() != ZCML % directives:
            mark = len(site.server.log())
            path.write_text(ZCML % directives)
            site.server.wait_for_log(r"reloaded .*ZCML", after=mark)
    served(site.server, "/@@first", "page: False", restarting=True)


def test_a_file_included_by_file_resolves_names_in_its_includers_package(live):
    line, _ = live.save(
        live.browser_zcml,
        BROWSER_FIRST + BROWSER_FIRST.replace('name="first"', 'name="second"').replace("Page", "Other"),
        "(ZCML of autotest.app/src/autotest/app/browser/configure.zcml: ",
    )
    assert "all ZCML again" not in line
    served(live.server, "/@@second", "other: False")
    assert live.server.get("/@@first") == (200, "page: False")


def test_a_file_included_by_package_resolves_names_in_that_package(live):
    live.save(
        live.sub_zcml,
        SUB_FIRST.replace('name="sub-first"', 'name="sub-renamed"'),
        "(ZCML of autotest.app/src/autotest/app/sub/configure.zcml: ",
    )
    served(live.server, "/@@sub-renamed", "sub-page")
    assert live.server.get("/@@sub-first")[0] == 404


def test_a_directive_it_cannot_take_back_reloads_all_zcml_and_says_why(live):
    implements = '  <class class=".browser.pages.Thing"><implements interface=".browser.pages.IMarked" /></class>\n'
    line, _ = live.save(live.browser_zcml, BROWSER_FIRST + implements, "all ZCML again: ")
    assert "zope.interface.declarations.classImplements" in line, line
    served(live.server, "/@@first", "page: True")
    # Left as it is while it stays in the file: the rest of the file is reloaded alone.
    live.save(
        live.browser_zcml,
        BROWSER_FIRST.replace('name="first"', 'name="renamed"') + implements + BROWSER_FIRST,
        "(ZCML of autotest.app/src/autotest/app/browser/configure.zcml: ",
    )
    served(live.server, "/@@renamed", "page: True")
    # Neither reload takes a declaration back: only a restart gives what a cold start gives.
    _, mark = live.save(live.browser_zcml, BROWSER_FIRST, "all ZCML again: ")
    live.server.wait_for_log(r"restarting the instance: ZCML: .*classImplements.* and is gone", after=mark)
    served(live.server, "/@@first", "page: False", restarting=True)


def test_a_changed_include_reloads_all_zcml(live):
    live.save(
        live.browser_zcml,
        BROWSER_FIRST + '  <include package="autotest.app.sub" />\n',
        "all ZCML again: the includes of %s changed" % live.browser_zcml,
    )
    served(live.server, "/@@first", "page: False")


def test_a_conflict_is_reported_at_the_users_file_and_the_site_keeps_its_pages(live):
    second = '  <browser:page name="first" for="*" class=".browser.pages.Other" permission="zope.Public" />\n'
    _, mark = live.save(live.browser_zcml, BROWSER_FIRST + second, "reload failed")
    error = live.server.wait_for_log(r"ERROR .*? (\S+\.zcml):(\d+): (.*)", after=mark)
    assert error.group(1) == str(live.browser_zcml), error.group(0)
    assert error.group(2) == "5", error.group(0)
    assert error.group(3).startswith(
        "Conflicting configuration actions: this directive registers the same as %s:4" % live.browser_zcml
    ), error.group(0)
    assert live.server.get("/@@first") == (200, "page: False")


def test_an_action_that_fails_leaves_the_registrations_as_they_were_and_the_fix_is_live(live):
    new_page = '  <browser:page name="second" for="*" class=".browser.pages.Other" permission="zope.Public" />\n'
    broken = '  <utility factory=".browser.pages.broken_factory" provides="zope.interface.Interface" name="x" />\n'
    _, mark = live.save(
        live.browser_zcml,
        BROWSER_FIRST.replace('name="first"', 'name="renamed"') + new_page + broken,
        "reload failed",
    )
    error = live.server.wait_for_log(r"ERROR .*? (\S+\.zcml):(\d+): (.*)", after=mark)
    assert (error.group(1), int(error.group(2))) == (str(live.browser_zcml), 6), error.group(0)
    assert "the factory fails" in error.group(3), error.group(0)
    # As before the save: no page of it, the one it renamed still there.
    assert live.server.get("/@@first") == (200, "page: False")
    assert live.server.get("/@@renamed")[0] == 404
    assert live.server.get("/@@second")[0] == 404
    live.save(live.browser_zcml, BROWSER_FIRST.replace('name="first"', 'name="renamed"') + new_page, "reloaded")
    served(live.server, "/@@second", "other: False")
    assert live.server.get("/@@renamed") == (200, "page: False")
    assert live.server.get("/@@first")[0] == 404


def test_a_file_no_zcml_includes_changes_nothing(live):
    line, _ = live.save(
        live.buildout.code / "unused.zcml",
        '  <browser:page name="unused" for="*" class=".browser.pages.Other" permission="zope.Public" />\n',
        "no ZCML the site loaded changed",
    )
    assert live.server.get("/@@unused")[0] == 404


def test_after_a_failed_full_reload_the_fix_is_live(live):
    """plone.reload keeps the machine of the last good execution when a full reload fails,
    its record of the files read emptied: the next save must still find the saved file."""
    include = '  <include package="autotest.app.sub" />\n'
    broken = '  <browser:page name="bad" for="*" class=".browser.pages.DoesNotExist" permission="zope.Public" />\n'
    line, _ = live.save(live.browser_zcml, BROWSER_FIRST + include + broken, "reload failed")
    assert live.server.get("/@@first") == (200, "page: False")
    live.save(live.browser_zcml, BROWSER_FIRST.replace('name="first"', 'name="fixed"') + include, "reloaded")
    served(live.server, "/@@fixed", "page: False")
    assert live.server.get("/@@first")[0] == 404
