"""Part `requests`: what requests to an unchanged page get while reloads run, on a real Zope
built with the autoreload part. CLIENTS threads GET /@@value-stable without pause while ZCML
saves (a full ZCML reload each) and then Python saves are applied; every answer that is not
a 200 with the page's text counts as failed."""

import time

from live_buildout import LOGS_DIRECTORY, START_TIMEOUT, Buildout

from harness.edits import save_in_place
from harness.http import Client, first_served
from harness.ports import free_port
from harness.processes import Server
from harness.traffic import Traffic

CLIENTS = 4
RELOADS = 20
STABLE = "value"
RELOADED = r"reloaded [^\n]*%s in "
RELOAD_TIMEOUT = 30


def run(reloads, log):
    reloads = reloads or RELOADS
    buildout = Buildout()
    buildout.build(free_port())
    app = buildout.app
    command = [buildout.script("instance-autoreload")]
    results = {"clients": CLIENTS}
    with Server(command, buildout.directory, LOGS_DIRECTORY / "requests.log") as server:
        server.wait_for_log(r"watching \d+ directories", timeout=START_TIMEOUT)
        client = Client(buildout.port)
        arrived, _ = first_served(client.get, "/@@" + STABLE, "value=0", START_TIMEOUT)
        client.close()
        if arrived is None:
            raise RuntimeError("the instance never served /@@%s" % STABLE)

        def zcml(number):
            save_in_place(app.zcml, app.zcml_with_page("page-%d" % number))
            return "ZCML"

        def python(number):
            # Only Named changes: /@@value keeps its text, so every miss is a reload's fault.
            text = app.views_text("0").replace('"view=" + self.__name__', '"view%d=" + self.__name__' % number)
            save_in_place(app.views, text)
            return r"benchapp\.live\.views"

        for kind, save in (("zcml", zcml), ("python", python)):
            results[kind] = hammered(server, buildout.port, save, reloads)
            log(
                "requests: %s reloads: %d of %d requests failed"
                % (kind, results[kind]["failed"], results[kind]["requests"])
            )
    return results


def hammered(server, port, save, reloads, path="/@@" + STABLE, expected="value=0"):
    """CLIENTS threads GET path while save(number) is called reloads times, each waited for
    until the log says it reloaded what save returned; what the clients got."""
    clients = [Traffic(port, path, expected, pause=0.0, name="hammer-%d" % number) for number in range(CLIENTS)]
    for client in clients:
        client.start()
    started = time.monotonic()
    applied = 0
    try:
        for number in range(reloads):
            mark = len(server.log())
            what = save(number)
            if server.search_log(RELOADED % what, after=mark, timeout=RELOAD_TIMEOUT) is not None:
                applied += 1
    finally:
        for client in clients:
            client.stop()
    misses = [miss for client in clients for miss in client.misses]
    return {
        "reloads": reloads,
        "applied": applied,
        "seconds": time.monotonic() - started,
        "requests": sum(client.requests for client in clients),
        "failed": len(misses),
        "statuses": sorted({str(miss.status) for miss in misses}),
    }
