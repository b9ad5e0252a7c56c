"""A slice of Products.PythonScripts' public history replayed into a running Zope, each commit
compared with a cold start of the same commit (harness.history; bench/history.py replays all of
tests/history/*.commits): what the process holds of the add-on must be what a cold start holds.

The add-on's repository is the bundle in tests/history (or a session's mirror of it:
harness.history.MIRRORS)."""

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
