"""Saving ZCML step by step into a live instance and comparing its global registrations,
after each step, with those of a cold start on the same files (zope_side.registry_snapshot
serves them)."""

import json
import re
from dataclasses import dataclass

from .http import served


@dataclass
class Step:
    """One save of the ZCML file: its directives; then checks, each (path, a text the body
    holds or None for a 404, request headers or None); lines that must be registered."""

    name: str
    directives: str
    checks: tuple
    registered: tuple = ()


def snapshot(server, path):
    status, body = server.get(path, timeout=60)
    assert status == 200, body[:500]
    return json.loads(body)


def compare_steps(
    start, server, ready, zcml, template, steps, snapshot_path, reload_timeout=30, figures=None, reload_says=None
):
    """For each step: save zcml (template % directives), wait for the ZCML reload (its log
    line must match reload_says, a regular expression), check what it serves, take the live
    snapshot, stop the server, start a cold one (start(name)) and compare. ready(server)
    waits until a started server serves. Returns the last server."""
    __tracebackhide__ = True
    for step in steps:
        mark = len(server.log())
        zcml.write_text(template % step.directives)
        reloaded = server.wait_for_log(r"reloaded (.*, )?ZCML in .*", after=mark, timeout=reload_timeout).group(0)
        assert reload_says is None or re.search(reload_says, reloaded), (step.name, reloaded)
        for path, expected, headers in step.checks:
            if expected is None:
                status, _ = server.get(path, timeout=reload_timeout, headers=headers)
                assert status == 404, (step.name, path, status)
            else:
                served(server, path, expected, timeout=reload_timeout, request_timeout=reload_timeout, headers=headers)
        live = snapshot(server, snapshot_path)
        missing = [line for line in step.registered if line not in live]
        assert not missing, (step.name, missing)
        server.stop()
        server = start("cold-" + step.name)
        ready(server)
        cold = snapshot(server, snapshot_path)
        only_live = sorted(set(live) - set(cold))
        only_cold = sorted(set(cold) - set(live))
        listed = ["\n  " + line for line in only_live[:30]], ["\n  " + line for line in only_cold[:30]]
        assert (only_live, only_cold) == ([], []), "%s: live and cold start differ:\nonly live:%s\nonly cold:%s" % (
            step.name,
            "".join(listed[0]),
            "".join(listed[1]),
        )
        assert live == cold, "%s: the same registrations, not as many times" % step.name
        if figures is not None:
            figures.append("registrations %s: %d, equal to a cold start's" % (step.name, len(live)))
    return server
