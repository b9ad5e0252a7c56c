"""Part `setup`: time until watching is active, and RSS added, per watcher and tree.

Both are measured from before the watcher's library is imported (the import is part of
what a watcher adds to Zope) to watching active; the import's share is kept apart too.
"""

import trees
from driver import Probe
from stats import summary

WATCHERS = ("ours", "polling", "watchfiles")
TREES = ("plone", "large")
REPEAT = 5


def run(config, repeat=None, log=print):
    repeat = repeat or REPEAT
    roots = {name: trees.ensure(name) for name in TREES}
    for name in TREES:
        trees.warm(name)
    samples = {(tree, watcher): [] for tree in TREES for watcher in WATCHERS}
    # Watchers take turns, each round in another order, so that a slow spell of the machine
    # or a cache cooling down hits all of them alike.
    for round_number in range(repeat):
        shift = round_number % len(WATCHERS)
        order = WATCHERS[shift:] + WATCHERS[:shift]
        for tree in TREES:
            for watcher in order:
                with Probe(watcher, roots[tree], config, label="setup-%s" % watcher) as probe:
                    ready = probe.ready()
                    probe.stop()
                samples[(tree, watcher)].append(ready)
        log("setup: round %d/%d done" % (round_number + 1, repeat))
    result = {}
    for (tree, watcher), runs in samples.items():
        directories, files = trees.TREES[tree]
        result.setdefault(tree, {"directories": directories, "files": files})[watcher] = {
            "total_s": summary([run["total_s"] for run in runs]),
            "import_s": summary([run["import_s"] for run in runs]),
            "setup_s": summary([run["setup_s"] for run in runs]),
            "rss_added_mb": summary([run["rss_added_kb"] / 1024 for run in runs]),
            "rss_import_mb": summary([run["rss_import_kb"] / 1024 for run in runs]),
            "rss_setup_mb": summary([run["rss_setup_kb"] / 1024 for run in runs]),
            "cpu_s": summary([run["cpu_s"] for run in runs]),
            "runs": runs,
        }
    return result
