"""Part `plone`: a real Plone 6.2 site (tests/harness/plone.py: the release's pins, the demo
add-on, our part) under bin/instance-autoreload. Cold start, Python and ZCML save-to-live,
a restart-on save; then 4 clients hammer an unchanged page during ZCML and Python reloads;
and the global registrations after the ZCML saves are compared with a cold start's."""

import json
import re
import shutil
import time
from functools import partial

from hammer import CLIENTS, hammered
from live_buildout import BENCH, LOGS_DIRECTORY
from stats import summary

from harness.edits import save_in_place
from harness.http import Client, first_served
from harness.plone import RELEASES, PloneBuildout
from harness.ports import free_port
from harness.processes import Server
from harness.zope_side import SNAPSHOT_PATH, add_snapshot

DIRECTORY = BENCH / ".work" / "plone"
RELEASE = "6.2"
START_TIMEOUT = 180
LIVE_TIMEOUT = 60
COLD_STARTS = 3
PYTHON_SAVES = 10
ZCML_SAVES = 5
FULL_ZCML_SAVES = 3
RESTARTS = 2
HAMMER_ZCML = 20
HAMMER_PYTHON = 50

VIEWS = """\
from Products.Five.browser import BrowserView


class Hello(BrowserView):
    def __call__(self):
        return "hello %s"


class Stable(BrowserView):
    def __call__(self):
        return "stable page"
"""

PAGES = """\
  <browser:page name="stable" for="*" class=".views.Stable" permission="zope.Public" />
%s</configure>"""

EXTRA_PAGE = '  <browser:page name="page-%d" for="*" class=".views.Stable" permission="zope.Public" />\n'
# An include of a package the site has read already: it adds nothing, but a changed include
# is what makes the incremental reload hand over to the full one.
INCLUDE = '  <include package="plone.app.dexterity" />\n'


class Site:
    """directory: built afresh there (the `restart` part builds its own, beside this part's)."""

    def __init__(self, directory=DIRECTORY):
        shutil.rmtree(directory, ignore_errors=True)
        self.built = PloneBuildout(directory, RELEASES[RELEASE], port=free_port())
        self.starts = 0

    def build(self):
        started = time.monotonic()
        self.built.build()
        code = self.built.code
        add_snapshot(code)
        self.views = code / "views.py"
        self.views.write_text(VIEWS % "0")
        self.zcml = code / "configure.zcml"
        self.zcml_base = self.zcml.read_text()
        self.save_zcml(0)
        self.built.create_site()
        return time.monotonic() - started

    def zcml_text(self, pages, include=False):
        extra = "".join(EXTRA_PAGE % n for n in range(1, pages + 1)) + (INCLUDE if include else "")
        return self.zcml_base.replace("</configure>", PAGES % extra)

    def save_zcml(self, pages, include=False):
        return save_in_place(self.zcml, self.zcml_text(pages, include))

    def start(self):
        self.starts += 1
        return Server(
            [str(self.built.script)],
            self.built.directory,
            LOGS_DIRECTORY / ("plone-%d.log" % self.starts),
            self.built.port,
        )

    def served(self, client, path, expected, started, timeout=LIVE_TIMEOUT):
        arrived, _ = first_served(client.get, path, expected, timeout, refused=lambda: time.sleep(0.05))
        return None if arrived is None else (arrived - started) * 1000


def snapshot(client):
    status, body = client.get(SNAPSHOT_PATH, timeout=LIVE_TIMEOUT)
    return json.loads(body) if status == 200 else None


def run(log, repeat=None):
    site = Site()
    results = {"release": RELEASE, "plone": RELEASES[RELEASE].plone, "clients": CLIENTS}
    results["build_s"] = site.build()
    log("plone: Plone %s site built in %.0f s" % (RELEASES[RELEASE].plone, results["build_s"]))
    cold_ms = []
    for _ in range(repeat or COLD_STARTS):
        with site.start() as server:
            client = Client(site.built.port)
            cold_ms.append(site.served(client, "/Plone/@@hello", "hello 0", server.started, START_TIMEOUT))
            client.close()
    results["cold_start_ms"] = summary(cold_ms)
    pages = 0
    with site.start() as server:
        client = Client(site.built.port)
        site.served(client, "/Plone/@@hello", "hello 0", server.started, START_TIMEOUT)
        server.wait_for_log(r"watching \d+ directories", timeout=START_TIMEOUT)
        python_ms, zcml_ms, restart_ms = [], [], []
        for number in range(1, (repeat or PYTHON_SAVES) + 1):
            saved = save_in_place(site.views, VIEWS % ("python-%d" % number))
            python_ms.append(site.served(client, "/Plone/@@hello", "hello python-%d" % number, saved))
            time.sleep(0.2)
        for _ in range(repeat or ZCML_SAVES):
            pages += 1
            saved = site.save_zcml(pages)
            zcml_ms.append(site.served(client, "/Plone/@@page-%d" % pages, "stable page", saved))
            server.wait_until_quiet(quiet=0.3)
        full_zcml_ms = []
        for number in range(repeat or FULL_ZCML_SAVES):
            pages += 1
            saved = site.save_zcml(pages, include=number % 2 == 0)
            full_zcml_ms.append(site.served(client, "/Plone/@@page-%d" % pages, "stable page", saved))
            server.wait_until_quiet(quiet=0.3)
        incremental = len(re.findall(r"reloaded ZCML in .*\(ZCML of ", server.log()))
        full = len(re.findall(r"reloaded ZCML in .*\(all ZCML again: the includes of ", server.log()))
        if (incremental, full) != (len(zcml_ms), len(full_zcml_ms)):
            log(
                "plone: WARNING: %d incremental and %d full ZCML reloads, not %d and %d"
                % (incremental, full, len(zcml_ms), len(full_zcml_ms))
            )
        setup_py = site.built.package / "setup.py"
        for number in range(1, (repeat or RESTARTS) + 1):
            # One batch: setup.py restarts, so the view's new text comes with the new process.
            saved = save_in_place(setup_py, setup_py.read_text() + "\n")
            save_in_place(site.views, VIEWS % ("restart-%d" % number))
            restart_ms.append(site.served(client, "/Plone/@@hello", "hello restart-%d" % number, saved, START_TIMEOUT))
            server.wait_until_quiet(quiet=0.5)
        results.update(
            python_ms=summary(python_ms),
            zcml_ms=summary(zcml_ms),
            full_zcml_ms=summary(full_zcml_ms),
            restart_ms=summary(restart_ms),
        )
        log(
            "plone: save-to-live medians: Python %.0f ms, ZCML %.0f ms"
            % (results["python_ms"]["median"] or -1, results["zcml_ms"]["median"] or -1)
        )

        def save(kind, number):
            nonlocal pages
            if kind == "zcml":
                pages += 1
                site.save_zcml(pages)
                return "ZCML"
            save_in_place(site.views, VIEWS % ("hammer-%d" % number))
            return r"demo\.hello\.views"

        for kind, reloads in (("zcml", HAMMER_ZCML), ("python", HAMMER_PYTHON)):
            results[kind + "_requests"] = hammered(
                server, site.built.port, partial(save, kind), repeat or reloads, "/Plone/@@stable", "stable page"
            )
            log(
                "plone: %s reloads: %d of %d requests failed"
                % (kind, results[kind + "_requests"]["failed"], results[kind + "_requests"]["requests"])
            )
        server.wait_until_quiet(quiet=0.5)
        live = snapshot(client)
        client.close()
    with site.start() as cold:
        client = Client(site.built.port)
        site.served(client, "/Plone/@@hello", "hello", cold.started, START_TIMEOUT)
        cold_registrations = snapshot(client)
        client.close()
    differ = sorted(set(live or ()) ^ set(cold_registrations or ()))
    results["registrations"] = {
        "live": None if live is None else len(live),
        "cold": None if cold_registrations is None else len(cold_registrations),
        "differ": None if live is None or cold_registrations is None else len(differ),
        "examples": differ[:10],
    }
    return results
