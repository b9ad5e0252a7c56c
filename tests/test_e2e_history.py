"""A slice of Products.PythonScripts' public history replayed into a running Zope, each commit
compared with a cold start of the same commit (harness.history; bench/history.py replays all of
tests/history/*.commits): what the process holds of the add-on must be what a cold start holds.

The add-on's repository is the bundle in tests/history (or a session's mirror of it:
harness.history.MIRRORS)."""

import re

import pytest

from harness.history import ADDONS, Replay, read_commits

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

ADDON = ADDONS["Products.PythonScripts"]
# Stretches of 2017-2020 whose reloads differed from a cold start before issue 22: the
# package's __init__ bringing back an import (Zope's _m on the package was lost), a jump over
# three years that removes a method with its security declaration (left behind), a method
# renamed with its old name kept as an alias in the class body (named after the alias).
SLICE = ("d5b91decd0", "c42c8d3afe", "441349779b", "ffe8893fb0", "1da4e34328")


def test_a_slice_of_history_leaves_the_process_as_a_cold_start_would(tmp_path):
    _, commits = read_commits(ADDON)
    chosen = [commit for commit in commits if commit[0].startswith(SLICE)]
    assert [commit[:10] for commit, _ in chosen] == list(SLICE)
    outcomes = Replay(ADDON, tmp_path / "buildout").run(chosen)
    assert [(outcome.commit, outcome.cold) for outcome in outcomes] == [(commit, "ok") for commit in SLICE]
    assert {outcome.commit: outcome.drifts for outcome in outcomes if outcome.drifts} == {}
    how = {outcome.commit: outcome.how for outcome in outcomes}
    assert how["c42c8d3afe"] == how["ffe8893fb0"] == how["1da4e34328"] == "in place", how
    # A method removed with its security declaration: the module's or ZCML's, the source
    # does not say: a restart.
    assert how["441349779b"] == "escalated", how
    assert "ZPythonScriptHTML_changePrefs__roles__ is gone from the class body" in outcomes[2].logged


# Its IPubFailure subscriber is in the product's ZCML, which five:loadProducts includes for
# every product Zope imported: the template must import the products as a cold start does,
# or the instances forked from it lose the product's whole ZCML (it did).
SITE_ERROR_LOG = ADDONS["Products.SiteErrorLog"]
SITE_ERROR_LOG_SLICE = ("50f21a9711", "6986b46101", "747eae6a92")


def test_a_watched_product_keeps_its_zcml_in_an_instance_forked_from_the_template(tmp_path):
    _, commits = read_commits(SITE_ERROR_LOG)
    chosen = [commit for commit in commits if commit[0].startswith(SITE_ERROR_LOG_SLICE)]
    replay = Replay(SITE_ERROR_LOG, tmp_path / "buildout")
    outcomes = replay.run(chosen)
    assert [(outcome.commit, outcome.cold) for outcome in outcomes] == [(c, "ok") for c in SITE_ERROR_LOG_SLICE]
    assert {outcome.commit: outcome.drifts for outcome in outcomes if outcome.drifts} == {}
    # initialize() changed: a restart, which forked from the template.
    assert outcomes[1].how == "escalated", outcomes[1]
    live = "".join(path.read_text() for path in sorted((tmp_path / "buildout" / "logs").glob("live-*.log")))
    assert re.search(
        r"restarted in \d+ ms \(stop \d+ ms, start \d+ ms, forked from the template\): "
        r"Products\.SiteErrorLog\.initialize changed",
        live,
    ), live[-3000:]
