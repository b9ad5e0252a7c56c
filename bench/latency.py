"""Part `latency`: from a save returning to the watcher's callback, per watcher.

The saves come from this process, the callbacks happen in the probe's; both read
CLOCK_MONOTONIC. Each save rewrites a different file of the Plone-sized tree.
"""

import random
import time

import trees
from driver import Probe
from stats import summary

from harness.edits import save_in_place

EVENTS = 200
# Per save, after which it counts as lost.
TIMEOUT = 5.0
# Saves to an event-driven watcher wait for the previous one to arrive, then a random
# pause, so that they fall at any phase of watchfiles' 50 ms step.
PAUSE = (0.02, 0.08)
# A 1 s stat loop would make one save after the other cost a second each; saves at random
# times, five a second, measure the same thing: each is found by the next scan.
POLLING_SAVES_PER_SECOND = 5.0

SUBJECTS = (
    # label, watcher, probe options
    ("ours", "ours", {"raw": True}),
    ("watchfiles", "watchfiles", {"step_ms": 50}),
    ("watchfiles-step1", "watchfiles", {"step_ms": 1}),
    ("polling", "polling", {}),
)


def sample_files(count, offset=0):
    """count files spread over the whole tree."""
    everything = trees.files("plone")
    stride = max(1, len(everything) // count)
    return [everything[(offset + index * stride) % len(everything)] for index in range(count)]


def one_after_another(probe, paths, rng, version):
    raw_ms, batch_ms = [], []
    for path in paths:
        time.sleep(rng.uniform(*PAUSE))
        wanted = str(path)
        written = save_in_place(path, trees.module_text(0, version))
        raw_at = batch_at = None
        deadline = written + TIMEOUT
        while batch_at is None:
            message = probe.next(max(0.0, deadline - time.monotonic()))
            if message is None:
                break
            if message.get("raw") == wanted and raw_at is None:
                raw_at = message["t"]
            for changed, moment in message.get("batch", ()):
                if changed == wanted:
                    batch_at = moment
        raw_ms.append(None if raw_at is None else (raw_at - written) * 1000)
        batch_ms.append(None if batch_at is None else (batch_at - written) * 1000)
    return raw_ms, batch_ms


def at_random_times(probe, paths, rng, version):
    spread = len(paths) / POLLING_SAVES_PER_SECOND
    offsets = sorted(rng.uniform(0, spread) for _ in paths)
    start = time.monotonic() + 0.1
    written = {}
    for path, offset in zip(paths, offsets):
        time.sleep(max(0.0, start + offset - time.monotonic()))
        written[str(path)] = save_in_place(path, trees.module_text(0, version))
    found = {}
    deadline = time.monotonic() + TIMEOUT
    while len(found) < len(written):
        message = probe.next(max(0.0, deadline - time.monotonic()))
        if message is None:
            break
        for changed, moment in message.get("batch", ()):
            if changed in written and changed not in found:
                found[changed] = moment
    return [(found[path] - moment) * 1000 if path in found else None for path, moment in written.items()]


def run(config, events=None, log=print):
    events = events or EVENTS
    root = trees.ensure("plone")
    trees.warm("plone")
    rng = random.Random(6)
    result = {"tree": "plone", "events": events}
    for number, (label, watcher, options) in enumerate(SUBJECTS):
        # Other files for each subject, so that none starts on files another just saved.
        paths = sample_files(events, offset=number)
        with Probe(watcher, root, config, label="latency-%s" % label, **options) as probe:
            probe.ready()
            if watcher == "polling":
                delivered = at_random_times(probe, paths, rng, version=number + 1)
                raw = None
            else:
                raw, delivered = one_after_another(probe, paths, rng, version=number + 1)
            probe.stop()
        figures = {
            "delivered_ms": summary(delivered),
            "lost": sum(value is None for value in delivered),
        }
        if options.get("raw"):
            figures["raw_ms"] = summary(raw)
        result[label] = figures
        log("latency: %s median %.1f ms" % (label, figures["delivered_ms"]["median"] or -1))
    return result
