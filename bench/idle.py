"""Part `idle`: CPU a watcher uses while nothing changes, on the Plone-sized tree."""

import time

import trees
from driver import Probe

WATCHERS = ("ours", "polling", "watchfiles")
SECONDS = 30.0
# Before counting: what set-up leaves behind (thread start, first timeouts) is not idling.
SETTLE = 2.0


def run(config, seconds=None, log=print):
    seconds = seconds or SECONDS
    root = trees.ensure("plone")
    trees.warm("plone")
    result = {"tree": "plone", "seconds": seconds}
    # One after the other: a stat loop walking the tree beside an inotify watcher could
    # wake it (directory reads), and the machine has only two cores.
    for watcher in WATCHERS:
        with Probe(watcher, root, config, label="idle-%s" % watcher) as probe:
            probe.ready()
            time.sleep(SETTLE)
            probe.mark()
            time.sleep(seconds)
            done = probe.stop()
        result[watcher] = dict(done, percent_of_core=100.0 * done["cpu_s"] / done["wall_s"])
        log("idle: %s %.3f %% of a core" % (watcher, result[watcher]["percent_of_core"]))
    return result
