"""Part `polling`: our polling back-end beside watchfiles' and watchdog's polling, all at a 1 s
interval on the Plone-sized tree (12,600 files): set-up and RSS, save-to-live of saves at
random phases of the interval, saves a stat can't tell from the one before, idle CPU.

Each watcher runs alone in a probe process (bench/probe.py), one after the other: two scans
of the same tree at once would share the two cores and the kernel's caches.
"""

import os
import random
import time

import trees
from driver import Probe
from latency import sample_files
from stats import summary
from watchers import POLL_INTERVAL

from harness.edits import save_by_rename, save_in_place

SUBJECTS = ("ours-polling", "watchfiles-polling", "watchdog-polling")
# Saves of each kind per watcher, each at a random phase of the interval.
SAVES = 20
SAVE_KINDS = {"replace": save_by_rename, "in_place": save_in_place}
# Saves of each kind per watcher that keep the size and the mtime of the save before them.
SAME_TICK_SAVES = 5
# Set-up runs per watcher (the probe that measures the saves and the idle CPU is one more).
SETUP_REPEAT = 3
IDLE_SECONDS = 30.0
# Before the idle measurement: what the saves set going (a scan, a batch) has ended.
SETTLE = 2.0
# Between a save's first delivery and its last (a watcher's events of one scan).
SETTLE_EVENTS = 0.1
# After this, a save counts as missed: two intervals, a scan of the tree and watchfiles'
# step are well within it.
TIMEOUT = 2 * POLL_INTERVAL + 2.0


def wait_for(probe, path, deadline):
    """When the probe delivered path (its monotonic time), or None by the deadline."""
    wanted = str(path)
    while True:
        message = probe.next(max(0.0, deadline - time.monotonic()))
        if message is None:
            return None
        for changed, moment in message.get("batch", ()):
            if changed == wanted:
                return moment


def drain(probe, seconds):
    """Drop what the probe still delivers (a save's second event, a late batch)."""
    deadline = time.monotonic() + seconds
    while probe.next(max(0.0, deadline - time.monotonic())) is not None:
        pass


def text_of_size(number, version):
    """A module whose size does not depend on version (0-99999): only its digits change."""
    return trees.module_text(number, 0).replace("VALUE = 0\n", "VALUE = %05d\n" % version)


def timed_saves(probe, paths, save, rng, version):
    """Save each path after a pause of a random fraction of the interval since the last
    delivery, so that the saves fall at every phase of the scans; ms to delivery each."""
    delays = []
    for path in paths:
        time.sleep(rng.uniform(0.0, POLL_INTERVAL))
        written = save(path, text_of_size(0, version))
        delivered = wait_for(probe, path, written + TIMEOUT)
        delays.append(None if delivered is None else (delivered - written) * 1000)
        version += 1
    return delays


def same_tick_in_place(path, text, mtime_ns):
    """Rewrite path with the given mtime (set before close, a few microseconds after the write)."""
    with open(path, "w") as saved:
        saved.write(text)
        saved.flush()
        os.utime(saved.fileno(), ns=(mtime_ns, mtime_ns))
    return time.monotonic()


def same_tick_replace(path, text, mtime_ns):
    """A rename-save whose new file has the given mtime before it shows at path."""
    temporary = os.path.join(os.path.dirname(path), ".%s.tick-%d.tmp" % (os.path.basename(path), os.getpid()))
    with open(temporary, "w") as saved:
        saved.write(text)
    os.utime(temporary, ns=(mtime_ns, mtime_ns))
    os.replace(temporary, path)
    return time.monotonic()


SAME_TICK_KINDS = {"replace": same_tick_replace, "in_place": same_tick_in_place}


def same_tick_saves(probe, paths, kind, rng, version):
    """Save each path, wait until it is delivered, then save it again with the same size and
    the mtime of the first save: what a stat shows when two saves fall in one tick of the
    file system's clock with a scan between them (coarse timestamps: NFS, FAT, WSL's /mnt/c).
    Only the ctime differs (it can't be set back), and os.replace gives a new inode.
    Returns how many second saves were missed, and how many first saves were (then the
    second is not tried)."""
    missed = first_missed = 0
    for path in paths:
        written = SAVE_KINDS[kind](path, text_of_size(1, version))
        if wait_for(probe, path, written + TIMEOUT) is None:
            first_missed += 1
            continue
        mtime_ns = os.stat(path).st_mtime_ns
        time.sleep(SETTLE_EVENTS + rng.uniform(0.0, POLL_INTERVAL))
        # A second event of the first save (watchdog: deleted, then created) is not the second.
        drain(probe, 0.0)
        written = SAME_TICK_KINDS[kind](str(path), text_of_size(1, version + 1), mtime_ns)
        if wait_for(probe, path, written + TIMEOUT) is None:
            missed += 1
        version += 2
    return missed, first_missed


def measure_setup(root, config, log):
    runs = {subject: [] for subject in SUBJECTS}
    # Watchers take turns, each round in another order (as bench/setup_cost.py).
    for round_number in range(SETUP_REPEAT):
        shift = round_number % len(SUBJECTS)
        for subject in SUBJECTS[shift:] + SUBJECTS[:shift]:
            with Probe(subject, root, config, label="polling-setup-%s" % subject) as probe:
                runs[subject].append(probe.ready())
                probe.stop()
        log("polling: set-up round %d/%d done" % (round_number + 1, SETUP_REPEAT))
    return runs


def setup_figures(runs):
    return {
        "total_s": summary([run["total_s"] for run in runs]),
        "import_s": summary([run["import_s"] for run in runs]),
        "setup_s": summary([run["setup_s"] for run in runs]),
        # The whole process, and what the watcher added to the interpreter with the host's
        # usual imports (probe.py imports them before its baseline).
        "rss_mb": summary([(run["rss_base_kb"] + run["rss_added_kb"]) / 1024 for run in runs]),
        "rss_base_mb": summary([run["rss_base_kb"] / 1024 for run in runs]),
        "rss_added_mb": summary([run["rss_added_kb"] / 1024 for run in runs]),
        "rss_peak_mb": summary([run["rss_peak_kb"] / 1024 for run in runs]),
        "runs": runs,
    }


def measure_watcher(subject, number, root, config, saves, idle_seconds, rng, log):
    figures = {}
    # Other files for each watcher, so that none starts on files another just saved.
    paths = sample_files(saves * len(SAVE_KINDS) + SAME_TICK_SAVES * len(SAVE_KINDS), offset=100 + number)
    with Probe(subject, root, config, label="polling-%s" % subject) as probe:
        ready = probe.ready()
        version = 10_000 * (number + 1)
        for kind, save in SAVE_KINDS.items():
            chosen, paths = paths[:saves], paths[saves:]
            delays = timed_saves(probe, chosen, save, rng, version)
            version += 1000
            figures["%s_ms" % kind] = summary(delays)
            figures["%s_missed" % kind] = sum(delay is None for delay in delays)
            log("polling: %s, %s saves, median %s ms" % (subject, kind, figures["%s_ms" % kind]["median"]))
            drain(probe, POLL_INTERVAL)
        for kind in SAME_TICK_KINDS:
            chosen, paths = paths[:SAME_TICK_SAVES], paths[SAME_TICK_SAVES:]
            missed, first_missed = same_tick_saves(probe, chosen, kind, rng, version)
            version += 1000
            figures["same_tick_%s" % kind] = {
                "tried": len(chosen) - first_missed,
                "missed": missed,
                "first_missed": first_missed,
            }
            log("polling: %s, same-tick %s saves, %d missed" % (subject, kind, missed))
            drain(probe, POLL_INTERVAL)
        time.sleep(SETTLE)
        probe.mark()
        time.sleep(idle_seconds)
        done = probe.stop()
    figures["idle"] = dict(done, percent_of_core=100.0 * done["cpu_s"] / done["wall_s"])
    log("polling: %s idle %.3f %% of a core" % (subject, figures["idle"]["percent_of_core"]))
    return ready, figures


def run(config, saves=None, idle_seconds=None, log=print):
    saves = saves or SAVES
    idle_seconds = idle_seconds or IDLE_SECONDS
    root = trees.ensure("plone")
    trees.warm("plone")
    rng = random.Random(25)
    result = {
        "tree": "plone",
        "files": trees.TREES["plone"][1],
        "interval_s": POLL_INTERVAL,
        "saves": saves,
        "same_tick_saves": SAME_TICK_SAVES,
        "idle_seconds": idle_seconds,
    }
    setup_runs = measure_setup(root, config, log)
    for number, subject in enumerate(SUBJECTS):
        ready, figures = measure_watcher(subject, number, root, config, saves, idle_seconds, rng, log)
        figures["setup"] = setup_figures(setup_runs[subject] + [ready])
        result[subject] = figures
    return result
