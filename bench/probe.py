"""Run one watcher on one tree in a process of its own, and report in JSON lines on stdout.

    probe.py --watcher ours|polling|watchfiles --tree PATH --config JSON [--raw] [--step-ms N]

A process of its own, so that the RSS and the CPU time it reports are the watcher's alone.
Lines written to stdout::

    {"ready": {...}}                      once watching is active: set-up time and RSS
    {"batch": [[path, t], ...]}           each batch delivered (t: time.monotonic())
    {"raw": path, "t": t}                 ours with --raw: each inotify callback
    {"marked": t}                         after "mark" on stdin: CPU counting starts over
    {"done": {...}}                       after "stop" on stdin: CPU time since ready or mark

time.monotonic() is CLOCK_MONOTONIC, the same clock in every process, so the driver can
subtract the time of its writes.
"""

# What any host process (Zope) has loaded anyway, imported before the RSS baseline.
import argparse
import collections.abc  # noqa: F401
import dataclasses  # noqa: F401
import enum  # noqa: F401
import fnmatch  # noqa: F401
import json
import logging
import os
import re  # noqa: F401
import select  # noqa: F401
import sys
import threading
import time
import warnings  # noqa: F401

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(BENCH), "src"))

from watchers import WATCHERS  # noqa: E402 - after the sys.path change above

_output_lock = threading.Lock()


def emit(message):
    line = json.dumps(message)
    with _output_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def status_kb(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--watcher", choices=sorted(WATCHERS), required=True)
    parser.add_argument("--tree", required=True)
    parser.add_argument("--config", required=True, help="JSON: include, exclude, debounce_ms")
    parser.add_argument("--raw", action="store_true", help="ours: report each inotify callback")
    parser.add_argument("--step-ms", type=int, default=50, help="watchfiles: its step")
    args = parser.parse_args()
    config = json.loads(args.config)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    watcher_class = WATCHERS[args.watcher]

    def on_batch(changes):
        emit({"batch": changes})

    def on_raw(path, moment):
        emit({"raw": path, "t": moment})

    rss_base = status_kb("VmRSS")
    started = time.perf_counter()
    watcher_class.load()
    loaded = time.perf_counter()
    rss_loaded = status_kb("VmRSS")
    if args.watcher == "ours":
        watcher = watcher_class(args.tree, config, on_batch, on_raw if args.raw else None)
    elif args.watcher == "watchfiles":
        watcher = watcher_class(args.tree, config, on_batch, step_ms=args.step_ms)
    else:
        watcher = watcher_class(args.tree, config, on_batch)
    info = watcher.start()
    ready = time.perf_counter()
    rss_ready = status_kb("VmRSS")
    cpu_ready = time.process_time()
    emit(
        {
            "ready": dict(
                info,
                import_s=loaded - started,
                setup_s=ready - loaded,
                total_s=ready - started,
                cpu_s=cpu_ready,
                rss_base_kb=rss_base,
                rss_import_kb=rss_loaded - rss_base,
                rss_setup_kb=rss_ready - rss_loaded,
                rss_added_kb=rss_ready - rss_base,
                rss_peak_kb=status_kb("VmHWM"),
            )
        }
    )
    wall_ready = time.monotonic()
    # The main thread sleeps in read(): it costs no CPU while the watcher idles.
    for line in sys.stdin:
        command = line.strip()
        if command == "mark":
            cpu_ready = time.process_time()
            wall_ready = time.monotonic()
            emit({"marked": wall_ready})
        elif command == "stop":
            break
    cpu_s = time.process_time() - cpu_ready
    wall_s = time.monotonic() - wall_ready
    watcher.stop()
    emit({"done": {"cpu_s": cpu_s, "wall_s": wall_s}})


if __name__ == "__main__":
    main()
