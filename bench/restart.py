"""Part `restart`: a restart forked from the template (fast-restart, the default) beside a cold
restart (``fast-restart = off``), in one run, on a bare Zope buildout and on a Plone 6.2 site.

Each subject runs two sessions of bin/instance-autoreload on the same files, one per
setting (written into the slug, as a buildout run with the option would). In each:

- restarts: a save of a watched module that patches at import something it imported
  (``os.getcwdb = os.getcwdb``): the reloader can't run it again in place, so every save of it
  restarts. Timed from the save to the first response carrying the new text; the
  supervisor's ``restarted in N ms (stop A ms, start B ms, how)`` line is kept beside it.
- crash recovery: a save that makes start-up fail (the module raises at import; with
  ``on-reload-error = restart`` the failed reload restarts into the crash), then the save
  that fixes it, timed from the fixing save to served.
- memory (/proc/PID/smaps_rollup): the template and a child forked from it, or a cold child.
- with the template: its build time (its ``template ready in X s`` line) and the time from
  the supervisor's start until that line; restarts are measured only once it is ready.
"""

import re
import time
from dataclasses import dataclass
from typing import Callable

import memory
from app import VIEWS_PY, App
from live_buildout import BENCH, LOGS_DIRECTORY, Buildout
from plone_site import VIEWS, Site
from stats import summary

from collective.autorestart.contract import TEMPLATE_MODULE
from harness.buildouts import slug_with
from harness.edits import save_in_place
from harness.http import Client, first_served
from harness.ports import free_port, wait_for_free_port
from harness.proc import children as proc_children
from harness.processes import Server

RESTARTS = 10
CRASHES = 3
START_TIMEOUT = 180
RESTART_TIMEOUT = 60
# Between polls while the old instance still answers: a tight loop would take a core from
# the starting one (the machine has two). It bounds what the timing adds.
POLL_PAUSE = 0.01
QUIET = 0.5
SLUG = "parts/instance/etc/package-includes/999-collective.autorestart-configure.zcml"

# Appended to a watched module: running it again would patch its own patch, so each save restarts.
PATCH = """
import os  # noqa: E402

# Patches at import what it imported: the reloader restarts instead of running it again.
os.getcwdb = os.getcwdb
"""
# Appended to make start-up fail: the module raises at import.
BROKEN = "\nRATIO = 1 / 0\n"

TEMPLATE_READY = re.compile(r"template ready in ([\d.]+) s .*$", re.MULTILINE)
RESTARTED = re.compile(
    r"restarted in (\d+) ms \(stop (\d+) ms, start (\d+) ms(?:, (forked from the template|cold start: .*?))?\): (.*)$",
    re.MULTILINE,
)
CRASHED = r"before it was ready\. Fix the error above and save"
STARTED_AGAIN = re.compile(r"instance ready in (\d+) ms(?: \((.*)\))?$", re.MULTILINE)
FORKED = "forked from the template"


class RestartApp(App):
    """The live part's package, its views module patching at import."""

    @staticmethod
    def views_text(value):
        return VIEWS_PY % value + PATCH


@dataclass
class Subject:
    """One instance to restart: how to start it and which module to save."""

    name: str
    directory: object
    command: list
    port: int
    views: object
    views_text: Callable[[str], str]
    path: str
    expected: Callable[[str], str]

    @property
    def slug(self):
        return self.directory / SLUG

    def save(self, marker, broken=False):
        return save_in_place(self.views, self.views_text(marker) + (BROKEN if broken else ""))


def zope_subject(log):
    buildout = Buildout(BENCH / ".work" / "restart-zope", app=RestartApp)
    build_s = buildout.build(free_port())
    log("restart: Zope buildout in %.1f s" % build_s)
    subject = Subject(
        "zope",
        buildout.directory,
        [buildout.script("instance-autoreload")],
        buildout.port,
        buildout.app.views,
        RestartApp.views_text,
        "/@@value",
        lambda marker: "value=" + marker,
    )
    return subject, build_s


def plone_subject(log):
    site = Site(BENCH / ".work" / "restart-plone")
    build_s = site.build()
    log("restart: Plone %s site built in %.0f s" % (site.built.release.plone, build_s))
    subject = Subject(
        "plone",
        site.built.directory,
        [str(site.built.script)],
        site.built.port,
        site.views,
        lambda marker: VIEWS % marker + PATCH,
        "/Plone/@@hello",
        lambda marker: "hello " + marker,
    )
    return subject, build_s, site.built.release.plone


def served(client, server, path, expected, timeout):
    """time.monotonic() when a 200 holding expected was read, or None; fails if the
    supervisor ended."""
    arrived, _ = first_served(client.get, path, expected, timeout, pause=POLL_PAUSE, refused=server.check_alive)
    return arrived


def milliseconds(start, end):
    return None if end is None else (end - start) * 1000


def session(subject, fast, restarts, crashes, log):
    """The figures of one bin/instance-autoreload session, fast-restart on or off."""
    label = "template" if fast else "cold"
    written = subject.slug.read_text()
    subject.slug.write_text(slug_with(written, fast_restart=fast, on_reload_error="restart"))
    subject.save("start")
    wait_for_free_port(subject.port)
    log_path = LOGS_DIRECTORY / ("restart-%s-%s.log" % (subject.name, label))
    figures = {"fast_restart": fast}
    try:
        with Server(subject.command, subject.directory, log_path, subject.port) as server:
            client = Client(subject.port)
            first = served(client, server, subject.path, subject.expected("start"), START_TIMEOUT)
            figures["first_served_s"] = None if first is None else first - server.started
            if fast:
                figures["template"] = template_ready(server, 0)
                log("restart: %s: %s" % (subject.name, figures["template"]["line"]))
            server.wait_until_quiet(QUIET)
            figures.update(timed_restarts(server, client, subject, label, restarts, fast, log))
            server.wait_until_quiet(QUIET)
            figures["memory"] = _memory(server)
            figures.update(_crashes(server, client, subject, label, crashes))
            client.close()
            figures["stop_s"] = server.stop()
    finally:
        subject.slug.write_text(written)
    return figures


def template_ready(server, after):
    """Wait for the template's ready line: its figures."""
    line = server.search_log(TEMPLATE_READY, after=after, timeout=START_TIMEOUT)
    seen = time.monotonic()
    if line is None:
        return {"ready_s": None, "start_to_ready_s": None, "line": "no template ready line"}
    return {
        "ready_s": float(line.group(1)),
        "start_to_ready_s": seen - server.started,
        "line": line.group(0).split("] ", 1)[-1],
    }


def _restart_once(server, client, subject, marker):
    """One save that restarts: (save to served in ms or None, the supervisor's restart line or None)."""
    mark = len(server.log())
    saved = subject.save(marker)
    arrived = served(client, server, subject.path, subject.expected(marker), RESTART_TIMEOUT)
    line = server.search_log(RESTARTED, after=mark, timeout=RESTART_TIMEOUT)
    return milliseconds(saved, arrived), line


def timed_restarts(server, client, subject, label, count, fast, log):
    # The first restart stops the first instance, which is a cold start in both sessions: it
    # is kept apart, so that the counted ones stop an instance that started as they start.
    took, line = _restart_once(server, client, subject, "%s-first" % label)
    first = {"save_to_served_ms": took, "line": None if line is None else line.group(0).split("] ", 1)[-1]}
    server.wait_until_quiet(QUIET)
    save_to_served, total, stop, start, how, fallbacks = [], [], [], [], [], []
    for number in range(1, count + 1):
        took, line = _restart_once(server, client, subject, "%s-%d" % (label, number))
        save_to_served.append(took)
        if line is None:
            how.append("no restart line")
            continue
        total.append(float(line.group(1)))
        stop.append(float(line.group(2)))
        start.append(float(line.group(3)))
        how.append(line.group(4) or "cold start")
        if fast and line.group(4) != FORKED:
            # A cold start is not what is measured here: say why, and wait for the rebuilt template.
            fallbacks.append(line.group(4))
            log("restart: %s: restart %d fell back: %s" % (subject.name, number, line.group(4)))
            template_ready(server, line.end())
        server.wait_until_quiet(QUIET)
    log(
        "restart: %s, %s: save-to-served median %s ms"
        % (subject.name, label, _short(summary(save_to_served)["median"]))
    )
    return {
        "first_restart": first,
        "save_to_served_ms": summary(save_to_served),
        "failed": sum(value is None for value in save_to_served),
        # The supervisor's own line: restart requested to ready, and its two halves.
        "restart_ms": summary(total),
        "stop_ms": summary(stop),
        "start_ms": summary(start),
        "how": how,
        "cold_fallbacks": fallbacks,
    }


def _memory(server):
    """The instance (forked or cold) and the template, as they are after the restarts."""
    children = proc_children(server.process.pid)
    # A forked child runs the template's command line too, and is younger than the template.
    templates = [pid for pid in children if TEMPLATE_MODULE in memory.command_line(pid).split()][:1]
    instances = [pid for pid in children if pid not in templates]
    figures = {
        "instance": memory.rollup(instances[0]) if len(instances) == 1 else None,
        "instance_forked": bool(instances) and TEMPLATE_MODULE in memory.command_line(instances[0]).split(),
    }
    if templates:
        figures["template"] = memory.rollup(templates[0])
    return figures


def _crashes(server, client, subject, label, count):
    recovery, start, how = [], [], []
    for number in range(1, count + 1):
        mark = len(server.log())
        subject.save("%s-broken-%d" % (label, number), broken=True)
        if server.search_log(CRASHED, after=mark, timeout=RESTART_TIMEOUT) is None:
            how.append("did not crash")
            continue
        mark = len(server.log())
        marker = "%s-fixed-%d" % (label, number)
        saved = subject.save(marker)
        recovery.append(
            milliseconds(saved, served(client, server, subject.path, subject.expected(marker), RESTART_TIMEOUT))
        )
        line = server.search_log(STARTED_AGAIN, after=mark, timeout=RESTART_TIMEOUT)
        if line is not None:
            start.append(float(line.group(1)))
            how.append(line.group(2) or "cold start")
        server.wait_until_quiet(QUIET)
    return {
        "crash_recovery_ms": summary(recovery),
        "crash_recovery_failed": sum(value is None for value in recovery),
        # The supervisor's line: from starting the fixed instance to ready.
        "crash_start_ms": summary(start),
        "crash_how": how,
    }


def _short(value):
    return "n/a" if value is None else "%.0f" % value


def compare(subject, restarts, crashes, log):
    """Both sessions of one subject, the template first, and the ratio of their medians."""
    figures = {}
    for fast in (True, False):
        figures["template" if fast else "cold"] = session(subject, fast, restarts, crashes, log)
    template = figures["template"]["save_to_served_ms"]["median"]
    cold = figures["cold"]["save_to_served_ms"]["median"]
    figures["cold_over_template"] = cold / template if cold and template else None
    return figures


def run(log, repeat=None):
    restarts = repeat or RESTARTS
    crashes = repeat or CRASHES
    results = {"restarts": restarts, "crashes": crashes}
    subject, build_s = zope_subject(log)
    results["zope"] = dict(compare(subject, restarts, crashes, log), build_s=build_s)
    subject, build_s, plone = plone_subject(log)
    results["plone"] = dict(compare(subject, restarts, crashes, log), build_s=build_s, plone=plone)
    return results
