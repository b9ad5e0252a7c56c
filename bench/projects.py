"""Part `projects`: save-to-live through ``runwsgi-autoreload`` (issue 24) in projects made
without buildout, as their developers make them (tests/harness/projects.py): a bare Zope 6.3
project (pip, an instance from mkwsgiinstance) and a cookieplone add-on on Plone 6.2 (its own
.venv made by uv, as cookieplone's Makefile does, and its Plone site).

Each project's package gets the `live` part's views module and pages (app.py); then, as
`live` measures the buildout (live.py): the cold start of the command to the first correct
response, in-place saves of the views module and ZCML saves adding a page, each timed from
the save to the first response carrying it over one kept-alive connection, with the
runtime's own ``reloaded ... in X ms, Y ms after the save`` figures; then a forked restart
as the `restart` part times it. The saves start once the template of fast restarts is
ready (the buildout parts start while it is built: seconds on Plone, on two cores).

The buildout's figures they are judged against are read from the results files of the
`live`, `plone` and `restart` parts, not measured again."""

import re
import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import record
import restart
from app import App
from live import save_kinds, started, timed_saves
from live_buildout import BENCH

from harness import project_envs
from harness.ports import wait_for_free_port
from harness.projects import SITE_ID, cookieplone_project, create_site, install_autorestart, zope_project

DIRECTORY = BENCH / ".work" / "projects"
START_TIMEOUT = 180
SAVES = 15
ZCML_SAVES = {"zope": 10, "plone": 10}
QUIET = 0.5
BROWSER = 'xmlns:browser="http://namespaces.zope.org/browser"'
FULL_ZCML_RELOAD = re.compile(r"reloaded ZCML in .*\(all ZCML again")
WHOLE_ZCML = re.compile(r"the whole ZCML is parsed in this start: (.*)$", re.MULTILINE)


class ProjectApp(App):
    """The `live` part's views module and pages in a project's own package: views.py beside
    the package's configure.zcml, the pages added at the end of what that file registers."""

    def __init__(self, code):
        self.code = Path(code)
        self.views = self.code / "views.py"
        self.zcml = self.code / "configure.zcml"
        self.added = []
        text = self.zcml.read_text()
        if BROWSER not in text:
            text = text.replace("<configure", "<configure\n    " + BROWSER, 1)
        self.zcml_base = text

    def write(self):
        self.views.write_text(self.views_text("0"))
        self.added = []
        self.zcml.write_text(self.zcml_text())

    def zcml_text(self):
        return self.zcml_base.replace("</configure>", self.pages() + "</configure>")


def make_zope(directory, held):
    """The bare Zope project, in the cached Zope venv (held while the part runs)."""
    held.enter_context(project_envs.using(project_envs.zope_venv("pip")))
    project = zope_project(directory, "pip")
    install_autorestart(project.venv, "pip")
    return project


def make_plone(directory, held):
    """The cookieplone add-on with its own .venv (uv) and its Plone site."""
    project = cookieplone_project(directory, "uv", venv_in_project=True)
    install_autorestart(project.venv, "uv")
    create_site(project)
    return project


# name -> (what it is, how it is made, the prefix of its pages' paths)
SUBJECTS = {
    "zope": ("bare Zope 6.3 project (pip, mkwsgiinstance)", make_zope, ""),
    "plone": (
        "cookieplone add-on, Plone %s (uv, .venv in the project)" % project_envs.PLONE_VERSION,
        make_plone,
        "/" + SITE_ID,
    ),
}


def session(name, saves, zcml_saves, log):
    """Make the project, then one session of runwsgi-autoreload in it: its figures."""
    what, make, prefix = SUBJECTS[name]
    directory = DIRECTORY / name
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with ExitStack() as held:
        made = time.monotonic()
        project = make(directory, held)
        app = ProjectApp(project.package_source)
        app.write()
        results = {"project": what, "made_s": time.monotonic() - made}
        log("projects: %s made in %.0f s" % (what, results["made_s"]))
        command = [str(project.bin / "runwsgi-autoreload"), "instance/etc/zope.ini", "--sound", "off"]
        wait_for_free_port(project.port)
        log_name = "projects-%s.log" % name
        with started(command, project.directory, project.port, log_name, prefix, START_TIMEOUT) as running:
            server, client, figures = running
            results.update(figures)
            results["template"] = restart.template_ready(server, 0)
            log("projects: %s: %s" % (name, results["template"]["line"]))
            server.wait_until_quiet(QUIET)
            kinds = [("in_place", saves), ("zcml", zcml_saves)]
            results.update(timed_saves(server, client, save_kinds(app, prefix), kinds, "projects: " + name, log))
            results["zcml"]["full_reloads"] = len(FULL_ZCML_RELOAD.findall(server.log()))
            server.wait_until_quiet(QUIET)
            subject = restart.Subject(
                name,
                project.directory,
                command,
                project.port,
                app.views,
                lambda marker: app.views_text(marker) + restart.PATCH,
                prefix + "/@@value",
                lambda marker: "value=" + marker,
            )
            # The first restart stops the cold-started instance; the second, one forked as it is.
            results["restart"] = restart.timed_restarts(server, client, subject, "forked", 1, True, log)
            whole = WHOLE_ZCML.search(server.log())
            # Why a forked instance may take longer than the buildout's: the supervisor says.
            results["restart"]["whole_zcml_parsed"] = None if whole is None else whole.group(1)
            results["stop_s"] = server.stop()
            results["tracebacks"] = server.log().count("Traceback")
    return results


def buildout_figures(directory=record.DIRECTORY):
    """The buildout's figures of the same measures, from the results files of the `live`,
    `plone` and `restart` parts (their last runs), and which runs they come from."""
    records = {part: found for part, (_path, found) in record.read(("live", "plone", "restart"), directory).items()}
    sources = {
        part: {"date": found["date"], "commit": (found["machine"].get("commit") or "")[:7]}
        for part, found in records.items()
    }
    live = _get(records, "live", "parts", "live") or {}
    plone = _get(records, "plone", "parts", "plone") or {}
    restarts = _get(records, "restart", "parts", "restart") or {}
    serving = _get(live, "autoreload", "start", "serving_s")
    return {
        "sources": sources,
        "zope": {
            "in_place_ms": _get(live, "autoreload", "in_place", "save_to_live_ms"),
            "zcml_ms": _get(live, "autoreload", "zcml", "save_to_live_ms"),
            "in_place_event_to_reloaded_ms": _get(live, "autoreload", "in_place", "event_to_reloaded_ms"),
            "zcml_event_to_reloaded_ms": _get(live, "autoreload", "zcml", "event_to_reloaded_ms"),
            "cold_start_ms": None if serving is None else serving * 1000,
            "forked_restart_ms": _get(restarts, "zope", "template", "save_to_served_ms"),
        },
        "plone": {
            "in_place_ms": plone.get("python_ms"),
            "zcml_ms": plone.get("zcml_ms"),
            "cold_start_ms": plone.get("cold_start_ms"),
            "forked_restart_ms": _get(restarts, "plone", "template", "save_to_served_ms"),
        },
    }


def _get(values, *keys):
    for key in keys:
        if not isinstance(values, dict) or key not in values:
            return None
        values = values[key]
    return values


def run(log, repeat=None, results_directory=record.DIRECTORY):
    saves = repeat or SAVES
    results = {"saves": saves, "zcml_saves": {name: repeat or count for name, count in ZCML_SAVES.items()}}
    for name in SUBJECTS:
        results[name] = session(name, saves, results["zcml_saves"][name], log)
    results["buildout"] = buildout_figures(results_directory)
    return results
