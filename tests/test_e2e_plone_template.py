"""End to end on a Plone 6.2 site: an instance forked from the template has the global
registrations of a cold start (the whole registry, in order), the same GenericSetup profiles
and steps, and the same translations, and serves the same pages."""

import json
import re
import textwrap

import pytest

from harness.buildouts import RESTARTS_AT_IMPORT
from harness.http import served
from harness.registrations import snapshot
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.plone]

# What a cold start derives from ZCML beside the component registry.
FACTS = textwrap.dedent(
    """\
    import json

    from Products.Five.browser import BrowserView
    from Products.GenericSetup.registry import _export_step_registry, _import_step_registry, _profile_registry
    from zope.component import getUtilitiesFor
    from zope.i18n.interfaces import ITranslationDomain


    class Facts(BrowserView):
        def __call__(self):
            self.request.response.setHeader("Content-Type", "application/json")
            return json.dumps(
                {
                    "profiles": sorted(
                        "%s %s %s" % (info["id"], info["type"], info.get("for"))
                        for info in _profile_registry.listProfileInfo()
                    ),
                    "import steps": sorted(_import_step_registry.listSteps()),
                    "export steps": sorted(_export_step_registry.listSteps()),
                    "translations": sorted(
                        "%s %s" % (name, sorted(getattr(domain, "_catalogs", {})))
                        for name, domain in getUtilitiesFor(ITranslationDomain)
                    ),
                }
            )
    """
)
FACTS_PAGE = '  <browser:page name="template-facts" for="*" class=".template_facts.Facts" permission="zope.Public" />\n'

VIEWS = """\
from Products.Five.browser import BrowserView


class Hello(BrowserView):
    def __call__(self):
        return "hello %s" % {greeting!r}
"""


def facts(server):
    status, body = server.get("/@@template-facts", timeout=60)
    assert status == 200, body[:500]
    return json.loads(body)


def test_a_forked_plone_instance_has_a_cold_starts_registrations_profiles_and_translations(
    servers, plone_sites, figures
):
    site = plone_sites("6.2")
    (site.code / "template_facts.py").write_text(FACTS)
    add_snapshot(site.code, FACTS_PAGE)
    server = servers([str(site.script)], site.directory, site.directory / "template.log", site.port)
    served(server, "/Plone/@@hello", "Hello from demo.hello", restarting=True, timeout=120)
    server.wait_for_log(r"template ready in", timeout=120)
    mark = len(server.log())
    (site.code / "views.py").write_text(VIEWS.format(greeting="forked") + RESTARTS_AT_IMPORT)
    took = served(server, "/Plone/@@hello", "hello forked", restarting=True, timeout=60)
    line = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*", after=mark).group(0)
    assert "forked from the template" in line, line
    figures.append("Plone 6.2: restart forked from the template, save to served in %.0f ms" % (took * 1000))
    live_registry, live_facts = snapshot(server, SNAPSHOT_PATH), facts(server)
    live_page = server.get("/Plone", timeout=120)
    server.stop()

    cold = servers([str(site.script)], site.directory, site.directory / "cold.log", site.port)
    served(cold, "/Plone/@@hello", "hello forked", restarting=True, timeout=120)
    assert "forked" not in cold.log()
    cold_registry = snapshot(cold, SNAPSHOT_PATH)
    only_live = sorted(set(live_registry) - set(cold_registry))
    only_cold = sorted(set(cold_registry) - set(live_registry))
    assert (only_live[:20], only_cold[:20]) == ([], [])
    # The order too: handlers and subscribers run in the order they were registered.
    assert live_registry == cold_registry
    assert facts(cold) == live_facts
    # Not empty: Plone's profiles, and its own translation domain with its catalogs.
    assert len(live_facts["profiles"]) > 100
    assert any(re.match(r"plone \[.*'de'", entry) for entry in live_facts["translations"]), live_facts["translations"]
    cold_page = cold.get("/Plone", timeout=120)
    assert live_page[0] == cold_page[0] == 200
    # The front page, but for what differs between any two requests (tokens, timestamps).
    assert _stable(live_page[1]) == _stable(cold_page[1])


def _stable(page):
    return re.sub(r"[0-9a-f]{32,}|\d{10,}|\d{4}-\d\d-\d\dT[\d:.+-]+", "*", page)
