"""Part `live`: from a save to the first HTTP response carrying the new code, on a real
Zope built by a buildout with the autoreload part, beside the two ways without it:
restarting ``bin/instance fg``, and plone.reload's ``@@reload?action=code``.

Every time starts when the save's content became readable (see tests/harness/edits.py)
and ends when the response carrying the new code has been read. HTTP is polled in a tight
loop over one kept-alive connection.
"""

import re
import time
from contextlib import contextmanager

from live_buildout import LOGS_DIRECTORY, START_TIMEOUT, Buildout
from stats import summary

from harness.edits import save_by_rename, save_in_place, sleep_into_next_second
from harness.http import Client, first_served
from harness.ports import free_port, wait_for_free_port
from harness.processes import Server

SAVES = 15
RESTARTS = 5
LIVE_TIMEOUT = 5.0
# Outside the timing, between saves: lets the previous reload finish logging.
PAUSE = 0.3
WATCHING = r"watching \d+ directories, \d+ files"
RELOADED = r"(reloaded .+?|reload failed) in ([\d.]+) ms, ([\d.]+) ms after the save"
ERROR = re.compile(r"^\S+ \S+ ERROR +\[collective\.autorestart[^\]]*\]\[[^\]]*\] (.*)$", re.MULTILINE)


def served(client, path, expected, timeout=LIVE_TIMEOUT, server=None):
    """time.monotonic() when a 200 response whose body holds expected was read, or None.
    While nothing listens: fails if server was given and has ended."""
    refused = server.check_alive if server is not None else (lambda: None)
    arrived, _ = first_served(client.get, path, expected, timeout, refused=refused)
    return arrived


def milliseconds(start, end):
    return None if end is None else (end - start) * 1000


def autoreload_session(buildout, saves, log):
    """Save-to-live through bin/instance-autoreload: in-place, rename and ZCML saves."""
    command = [buildout.script("instance-autoreload")]
    with started(command, buildout.directory, buildout.port, "autoreload.log") as (server, client, figures):
        kinds = [(kind, saves) for kind in ("in_place", "rename", "zcml")]
        figures.update(timed_saves(server, client, save_kinds(buildout.app), kinds, "live", log))
        figures["stop_s"] = server.stop()
    return figures


@contextmanager
def started(command, directory, port, log_name, prefix="", timeout=START_TIMEOUT):
    """Start command (an autoreload command) in directory: (its Server, a Client, the start
    figures) once it serves the app's first value at prefix + /@@value and watches."""
    client = Client(port)
    with Server(command, directory, LOGS_DIRECTORY / log_name, port) as server:
        first = served(client, prefix + "/@@value", "value=0", timeout=timeout, server=server)
        line = server.wait_for_log(WATCHING, timeout=timeout)
        figures = {
            "watching_s": time.monotonic() - server.started,
            "serving_s": None if first is None else first - server.started,
            "log_line": line.group(0),
        }
        try:
            yield server, client, {"start": figures}
        finally:
            client.close()


def save_kinds(app, prefix=""):
    """{kind: save(marker)}, each saving app's files and returning (when the save was
    readable, the path that shows it, what that path then serves); prefix: of the paths."""

    def in_place(marker):
        return save_in_place(app.views, app.views_text(marker)), prefix + "/@@value", "value=" + marker

    def rename(marker):
        return save_by_rename(app.views, app.views_text(marker)), prefix + "/@@value", "value=" + marker

    def zcml(marker):
        # A page of a new name for a class that is already loaded: a ZCML change only.
        written = save_in_place(app.zcml, app.zcml_with_page(marker))
        return written, prefix + "/@@" + marker, "view=" + marker

    return {"in_place": in_place, "rename": rename, "zcml": zcml}


def timed_saves(server, client, saves, kinds, part, log):
    """{kind: figures} of count saves of each (kind, count) in kinds, saves from save_kinds."""
    figures = {}
    for kind, count in kinds:
        figures[kind] = _saves(server, client, saves[kind], kind.replace("_", "-"), count)
        log("%s: %s save-to-live median %s ms" % (part, kind, _short(figures[kind]["save_to_live_ms"])))
    return figures


def _saves(server, client, save, kind, count):
    latencies, event_to_reloaded, reload_only = [], [], []
    kind_mark = len(server.log())
    for number in range(count):
        time.sleep(PAUSE)
        mark = len(server.log())
        written, path, expected = save("%s-%d" % (kind, number))
        latencies.append(milliseconds(written, served(client, path, expected)))
        line = server.search_log(RELOADED, after=mark, timeout=5)
        ok = line is not None and line.group(1).startswith("reloaded")
        reload_only.append(float(line.group(2)) if ok else None)
        event_to_reloaded.append(float(line.group(3)) if ok else None)
    return {
        "save_to_live_ms": summary(latencies),
        "failed": sum(value is None for value in latencies),
        # The runtime's own log line: the reload alone, and from the first event to reloaded.
        "reload_ms": summary(reload_only),
        "event_to_reloaded_ms": summary(event_to_reloaded),
        "errors_logged": ERROR.findall(server.log(), kind_mark),
    }


def plain_sessions(buildout, saves, restarts, log):
    """bin/instance fg: cold starts, and plone.reload's manual reload in the first one."""
    app = buildout.app
    app.write()
    client = Client(buildout.port)
    admin = Client(buildout.port, user="admin:admin")
    cold, stops, manual, reload_request = [], [], [], []
    manual_failed = 0
    for number in range(restarts):
        marker = "cold-%d" % number
        save_in_place(app.views, app.views_text(marker))
        wait_for_free_port(buildout.port)
        command = [buildout.script("instance"), "fg"]
        with Server(command, buildout.directory, LOGS_DIRECTORY / "instance-fg.log") as server:
            arrived = served(client, "/@@value", "value=" + marker, timeout=START_TIMEOUT, server=server)
            cold.append(milliseconds(server.started, arrived))
            log("live: cold start %d: %s ms" % (number + 1, _short(cold[-1])))
            for attempt in range(saves if number == 0 else 0):
                # plone.reload compares whole-second mtimes: each save must start a new second.
                sleep_into_next_second()
                marker = "manual-%d" % attempt
                written = save_in_place(app.views, app.views_text(marker))
                requested = time.monotonic()
                status, body = admin.get("/@@reload?action=code")
                reload_request.append(milliseconds(requested, time.monotonic()))
                if status != 200 or "views.py" not in body:
                    manual_failed += 1
                arrived = served(client, "/@@value", "value=" + marker)
                manual.append(milliseconds(written, arrived))
            client.close()
            admin.close()
            stops.append(server.stop())
    return {
        "cold_start_ms": summary(cold),
        "stop_s": summary(stops),
        "plone_reload": {
            "save_to_live_ms": summary(manual),
            "reload_request_ms": summary(reload_request),
            "failed": manual_failed + sum(value is None for value in manual),
        },
    }


def _short(figures):
    value = figures.get("median") if isinstance(figures, dict) else figures
    return "n/a" if value is None else "%.1f" % value


def run(saves=None, restarts=None, log=print):
    saves = saves or SAVES
    restarts = restarts or RESTARTS
    buildout = Buildout()
    buildout_s = buildout.build(free_port())
    log("live: bin/buildout took %.1f s" % buildout_s)
    result = {"buildout_s": buildout_s, "saves": saves, "restarts": restarts}
    result["autoreload"] = autoreload_session(buildout, saves, log)
    result.update(plain_sessions(buildout, saves, restarts, log))
    ours = result["autoreload"]["in_place"]["save_to_live_ms"]["median"]
    cold = result["cold_start_ms"]["median"]
    manual = result["plone_reload"]["save_to_live_ms"]["median"]
    result["restart_over_save"] = cold / ours if ours and cold else None
    result["plone_reload_over_save"] = manual / ours if ours and manual else None
    return result
