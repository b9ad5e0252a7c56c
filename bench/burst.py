"""Part `burst`: 500 files of the Plone-sized tree rewritten as fast as possible (a git
checkout, a search-and-replace): how many batches, that is reloads, it makes, whether a
change is lost, and when the last one is delivered."""

import time

import trees
from driver import Probe
from latency import sample_files
from stats import summary

from harness.edits import save_in_place

FILES = 500
REPEAT = 5
WATCHERS = ("ours", "watchfiles", "polling")
# Longer than the slowest watcher's grouping (watchfiles: 1.6 s, polling: 1 s + a scan):
# a second batch arriving later than that belongs to no burst.
SETTLE = 2.0
TIMEOUT = 10.0


def one_burst(probe, paths, version):
    wanted = {str(path) for path in paths}
    text = trees.module_text(0, version)
    started = time.monotonic()
    saved = [save_in_place(path, text) for path in paths]
    finished = time.monotonic()
    batches = 0
    seen = set()
    extra = set()
    last_delivered = None
    deadline = finished + TIMEOUT
    while True:
        # Until every change came, then until SETTLE seconds pass without a batch.
        wait = deadline - time.monotonic() if seen != wanted else SETTLE
        message = probe.next(max(0.0, wait))
        if message is None:
            break
        if "batch" not in message:
            continue
        batches += 1
        for changed, moment in message["batch"]:
            if changed in wanted:
                if changed not in seen:
                    last_delivered = moment
                seen.add(changed)
            else:
                extra.add(changed)
    return {
        "files": len(wanted),
        "batches": batches,
        "reported": len(seen),
        "lost": len(wanted - seen),
        "extra": len(extra),
        "write_ms": (finished - started) * 1000,
        # A pause between two saves longer than the debounce rightly splits the batch.
        "max_gap_ms": max(later - earlier for earlier, later in zip(saved, saved[1:])) * 1000,
        "last_delivered_ms": None if last_delivered is None else (last_delivered - started) * 1000,
    }


def run(config, repeat=None, log=print):
    repeat = repeat or REPEAT
    root = trees.ensure("plone")
    trees.warm("plone")
    paths = sample_files(FILES, offset=7)
    result = {"tree": "plone", "files": FILES, "debounce_ms": config["debounce_ms"]}
    for watcher in WATCHERS:
        runs = []
        with Probe(watcher, root, config, label="burst-%s" % watcher) as probe:
            probe.ready()
            for number in range(repeat):
                runs.append(one_burst(probe, paths, version=1000 + number))
            probe.stop()
        result[watcher] = {
            "batches": summary([run["batches"] for run in runs]),
            "lost_total": sum(run["lost"] for run in runs),
            "extra_total": sum(run["extra"] for run in runs),
            "write_ms": summary([run["write_ms"] for run in runs]),
            "max_gap_ms": summary([run["max_gap_ms"] for run in runs]),
            "last_delivered_ms": summary([run["last_delivered_ms"] for run in runs]),
            "runs": runs,
        }
        log(
            "burst: %s batches %s, lost %d" % (watcher, [run["batches"] for run in runs], result[watcher]["lost_total"])
        )
    return result
