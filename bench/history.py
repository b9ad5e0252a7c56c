"""Part `history`: the public history of maintained Zope and Plone 6.2 add-ons (tests/history/*.commits),
replayed commit by commit into a running Zope under bin/instance-autoreload, each commit
compared with a cold start of the same commit (tests/harness/history.py). Reports commits
replayed, applied in place, escalated (by reason), failed to apply, and the drifts with
their paths. About 10 s a commit (the cold start): ~15 minutes for all of them."""

from live_buildout import BENCH

from harness.history import ADDONS, REPLAYS, read_commits, summary

DIRECTORY = BENCH / ".work" / "history"


def run(log, repeat=None):
    """repeat: replay that many commits of each add-on (default: all listed)."""
    results = {"addons": {}}
    everything = []
    for name, addon in ADDONS.items():
        _, commits = read_commits(addon)
        commits = commits[: repeat + 1] if repeat else commits
        replay = REPLAYS[addon.site](addon, DIRECTORY / name, log=log)

        def report(outcome, name=name):
            log(
                "history: %s %s: %s%s, %d drifts%s"
                % (
                    name,
                    outcome.commit,
                    outcome.how,
                    " (%s)" % outcome.logged[:100] if outcome.how == "escalated" else "",
                    len(outcome.drifts),
                    "" if outcome.cold == "ok" else "; " + outcome.cold[:120],
                )
            )

        try:
            outcomes = replay.run(commits, report=report)
        except AssertionError as error:
            # One add-on that cannot be built or started costs only its own figures.
            results["addons"][name] = {"error": str(error)[-3000:]}
            log("history: %s FAILED: %s" % (name, str(error)[-500:]))
            continue
        everything.extend(outcomes)
        results["addons"][name] = dict(summary(outcomes), outcomes=[outcome.as_dict() for outcome in outcomes])
    results.update(summary(everything))
    return results
