"""A slice of Products.PythonScripts' public history replayed into a running Zope, each commit
compared with a cold start of the same commit (harness.history; bench/history.py replays all of
tests/history/*.commits): what the process holds of the add-on must be what a cold start holds.

The add-on's repository is the bundle in tests/history (or a session's mirror of it:
harness.history.MIRRORS)."""

import pytest

from harness.history import ADDONS, Replay, read_commits

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

ADDON = ADDONS["Products.PythonScripts"]
# 2018-2019: the start, a commit that changes PythonScript's bases (a restart), then three edits
# of its methods, each applied in place.
SLICE = ("418a27ebeb", "0639244283", "b9ba63c574", "ad1a2726e7", "736550af86")


def test_a_slice_of_history_leaves_the_process_as_a_cold_start_would(tmp_path):
    _, commits = read_commits(ADDON)
    chosen = [commit for commit in commits if commit[0].startswith(SLICE)]
    assert [commit[:10] for commit, _ in chosen] == list(SLICE)
    outcomes = Replay(ADDON, tmp_path / "buildout").run(chosen)
    assert [(outcome.commit, outcome.how, outcome.cold) for outcome in outcomes] == [
        (SLICE[0], "start", "ok"),
        (SLICE[1], "escalated", "ok"),
        (SLICE[2], "in place", "ok"),
        (SLICE[3], "in place", "ok"),
        (SLICE[4], "in place", "ok"),
    ]
    assert "the bases of PythonScript changed" in outcomes[1].logged
    assert {outcome.commit: outcome.drifts for outcome in outcomes if outcome.drifts} == {}
