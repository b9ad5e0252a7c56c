"""End to end, judged against a cold start: typical edits of a Zope add-on
(harness.corpus), each saved into a running instance; what each page serves right after its
edit must be what a cold start on the final sources serves.  The comparison is the
assertion: no case says what it expects to see.
"""

import re
import statistics
import time

import pytest

from harness.corpus import CASES, CORPUS_PACKAGE, IN_PLACE, apply_edit, fingerprint_of, page_of, write_corpus
from harness.history import Outcome as Compared
from harness.history import compare
from harness.http import served

pytestmark = [pytest.mark.buildout, pytest.mark.zope, pytest.mark.smoke, pytest.mark.usefixtures("package")]

AFTER_THE_SAVE = re.compile(r"([\d.]+) ms after the save")


def test_every_edit_serves_what_a_cold_start_serves(servers, built, figures):
    write_corpus(built)
    server = servers([str(built.script)], built.directory, built.directory / "corpus.log", built.port)
    server.wait_for_log(r"watching \d+ directories")
    served(server, "/@@case-view-body", "before", restarting=True)
    before = {name: page_of(server, name) for name in CASES}
    assert all(status == 200 for status, _ in before.values()), before
    live, how = {}, {}
    for name in CASES:
        how[name], _ = apply_edit(server, built, name)
        live[name] = page_of(server, name)
        time.sleep(0.05)
    live_structure = fingerprint_of(server)
    server.stop()
    cold_server = servers([str(built.script)], built.directory, built.directory / "corpus-cold.log", built.port)
    cold_server.wait_for_log(r"watching \d+ directories")
    served(cold_server, "/@@case-view-body", "after", restarting=True)
    cold = {name: page_of(cold_server, name) for name in CASES}
    compared = Compared("every edit", "")
    compare(live_structure, fingerprint_of(cold_server), compared, CORPUS_PACKAGE)
    restarted = sorted(name for name in CASES if "restarting" in how[name])
    in_place = [float(match.group(1)) for match in map(AFTER_THE_SAVE.search, how.values()) if match]
    figures.append(
        "corpus: %d edits, %d in place (median %.1f ms after the save), %d restarted (%s)"
        % (len(CASES), len(CASES) - len(restarted), statistics.median(in_place), len(restarted), ", ".join(restarted))
    )
    stale = {
        name: "before %s, live %s, cold start %s; the tool: %s" % (before[name], live[name], cold[name], how[name])
        for name in CASES
        if live[name] != cold[name]
    }
    assert not stale, "\n".join("%s: %s" % item for item in sorted(stale.items()))
    # What the live process holds of the cases (modules, classes, closures, registrations),
    # path by path, is a cold start's too.
    assert len(live_structure["modules"]) > 2 * len(CASES), live_structure["modules"]  # every case's views and more
    assert not compared.drifts, "\n".join(compared.drifts)
    unchanged = sorted(name for name in CASES if before[name] == cold[name])
    assert not unchanged, "these edits change nothing a page shows, the case is no test: %s" % unchanged
    not_in_place = sorted(name for name in IN_PLACE if not how[name].startswith("reloaded "))
    assert not not_in_place, {name: how[name] for name in not_in_place}
