"""Smoke test per maintained Plone 6 release, with the release's pins (pins/): a Plone site
with the demo add-on, bin/instance-autoreload, a Python save and a ZCML save served, Ctrl-C
ends everything. They run on one Python (conftest.PLONE_PYTHON)."""

import base64
import time

import pytest

from harness.buildouts import RESTARTS_AT_IMPORT
from harness.http import served
from harness.plone import RELEASES
from harness.ports import port_is_free
from harness.proc import wait_until_gone

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.plone]

# Plone's first page compiles its templates: seconds.
FIRST_PAGE_TIMEOUT = 120
# A clean Plone exit takes 1.2-2.1 s here; the supervisor must never need to kill it.
STOP_LIMIT = 8.0
AS_ADMIN = {"Authorization": "Basic " + base64.b64encode(b"admin:admin").decode()}

HELLO = """\
from Products.Five.browser import BrowserView


class Hello(BrowserView):
    def __call__(self):
        self.request.response.setHeader("Content-Type", "text/plain; charset=utf-8")
        return "hello %s from %s" % ({greeting!r}, self.context.getId())
{extra}"""

ADDED_VIEW = """

class Added(BrowserView):
    def __call__(self):
        return "added on " + self.context.Title()
"""

ADDED_PAGE = """\
  <browser:page
      name="added"
      for="Products.CMFCore.interfaces.ISiteRoot"
      class=".views.Added"
      permission="zope2.View"
      />

</configure>"""


@pytest.mark.parametrize("release", sorted(RELEASES), ids=lambda name: "plone-" + name)
def test_a_plone_site_reloads_python_and_zcml_and_stops_on_ctrl_c(servers, plone_sites, figures, release):
    site = plone_sites(release)
    server = servers([str(site.script)], site.directory, site.directory / "server.log", site.port, terminal=True)
    started = time.monotonic()
    served(server, "/Plone/@@hello", "Hello from demo.hello", restarting=True)
    server.wait_for_log(r"watching \d+ directories")
    figures.append("Plone %s: started and watching in %.1f s" % (release, time.monotonic() - started))
    status, body = server.get("/Plone", timeout=FIRST_PAGE_TIMEOUT)
    assert status == 200 and "Plone" in body
    # plone.autoinclude would load plone.reload's configure.zcml (our dependency): its
    # @@reload, for Managers over HTTP, is kept out by our meta.zcml.
    for path in ("/@@reload", "/Plone/@@reload"):
        assert server.get(path, headers=AS_ADMIN)[0] == 404, path

    views = site.code / "views.py"
    views.write_text(HELLO.format(greeting="python", extra=""))
    python_took = served(server, "/Plone/@@hello", "hello python from Plone")

    views.write_text(HELLO.format(greeting="python", extra=ADDED_VIEW))
    zcml = site.code / "configure.zcml"
    zcml.write_text(zcml.read_text().replace("</configure>", ADDED_PAGE))
    # Plone's full ZCML reload takes seconds, and requests wait for it.
    zcml_took = served(server, "/Plone/@@added", "added on Plone", timeout=60, request_timeout=60)
    server.wait_for_log(r"reloaded (.*, )?ZCML in")
    figures.append(
        "Plone %s: Python save live in %.0f ms, ZCML save in %.0f ms" % (release, python_took * 1000, zcml_took * 1000)
    )
    status, body = server.get("/Plone")
    assert status == 200 and "Plone" in body
    assert server.get("/Plone/@@hello") == (200, "hello python from Plone")

    # A restart, forked from the template once it is built.
    server.wait_for_log(r"template ready in", timeout=120)
    added = server.get("/Plone/@@added")
    mark = len(server.log())
    views.write_text(HELLO.format(greeting="restarted", extra=ADDED_VIEW + RESTARTS_AT_IMPORT))
    restart_took = served(server, "/Plone/@@hello", "hello restarted from Plone", restarting=True, timeout=60)
    line = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*", after=mark).group(0)
    assert "forked from the template" in line, line
    assert server.get("/Plone/@@added") == added
    figures.append(
        "Plone %s: restart forked from the template, save to served in %.0f ms" % (release, restart_took * 1000)
    )

    pids = server.processes()
    stopping = time.monotonic()
    server.send_to_terminal(b"\x03")  # Ctrl-C
    returncode = server.process.wait(STOP_LIMIT + 5)
    took = time.monotonic() - stopping
    figures.append("Plone %s: stop on Ctrl-C in %.0f ms" % (release, took * 1000))
    assert returncode == 0
    assert took < STOP_LIMIT
    assert wait_until_gone(pids, timeout=1.0) == []
    assert port_is_free(site.port)
    assert "killing it" not in server.log()
    assert "Traceback" not in server.log()
