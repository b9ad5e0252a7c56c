"""Run the benchmarks: a markdown table on stdout, every figure in one JSON file per part.

    .venv-bench/bin/python bench/run.py [--only live,setup,idle,burst,latency,requests,corpus,
                                                plone,projects,polling,restart,soak,history]
                                        [--repeat N] [--idle-seconds S] [--seed N]
                                        [--results DIRECTORY]

``make bench`` runs it; ``make bench BENCH_ARGS="--only setup"`` runs one part. The Plone
site, the projects without buildout, the polling watchers and the restarts (minutes each), the
soak (five) and the add-ons' history (fifteen) run only when named:
``--only plone,projects,polling,restart,soak,history``.
Each part that ran without an error
writes ``bench/results/<part>.json`` (``record.py``) as soon as it is done; the other parts'
files stay as they were. ``python bench/table.py`` renders the last run of every part.
Progress goes to stderr, so that stdout is the table alone.
"""

import argparse
import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# The project is not installed in the bench venv: use the checkout's code, and the helpers
# it shares with the end-to-end tests (tests/harness).
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

import burst  # noqa: E402
import corpus  # noqa: E402
import goals  # noqa: E402
import hammer  # noqa: E402
import history  # noqa: E402
import idle  # noqa: E402
import latency  # noqa: E402
import live  # noqa: E402
import plone_site  # noqa: E402
import polling  # noqa: E402
import projects  # noqa: E402
import record  # noqa: E402
import restart  # noqa: E402
import setup_cost  # noqa: E402
import soak  # noqa: E402
import table  # noqa: E402

from collective.autorestart.contract import DEFAULTS  # noqa: E402

PARTS = (
    "live",
    "setup",
    "idle",
    "burst",
    "latency",
    "requests",
    "corpus",
    "plone",
    "projects",
    "polling",
    "restart",
    "soak",
    "history",
)
# What runs without --only: the soak and the history take longer than all the others together.
DEFAULT_PARTS = ("live", "setup", "idle", "burst", "latency", "requests", "corpus")


def log(message):
    sys.stderr.write("[bench %s] %s\n" % (time.strftime("%H:%M:%S"), message))
    sys.stderr.flush()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_PARTS),
        help="comma-separated parts to run, from: %s (default: %s)" % (",".join(PARTS), ",".join(DEFAULT_PARTS)),
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="repetitions of every measurement instead of each part's default (saves, cold"
        " starts, set-up runs, bursts, latency events, restarts and crashes; the soak's edit cycles; the history's"
        " commits of each add-on; the polling part's saves of each kind)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        help="the soak's random seed, to repeat the edits of an earlier run (default: a new one)",
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=idle.SECONDS, help="length of the idle measurements (idle, polling)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=record.DIRECTORY,
        help="directory of the results files, one <part>.json per part (default: bench/results)",
    )
    args = parser.parse_args(argv)
    args.parts = [part.strip() for part in args.only.split(",") if part.strip()]
    unknown = sorted(set(args.parts) - set(PARTS))
    if unknown or not args.parts:
        parser.error("--only: unknown part %s; choose from %s" % (", ".join(unknown), ",".join(PARTS)))
    if args.repeat is not None and args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _first_line(path, prefix):
    for line in _read(path).splitlines():
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip()
    return None


def _filesystem(path):
    """The type of the file system the trees are on (inotify and stat costs depend on it)."""
    best = ("", None)
    for line in _read("/proc/mounts").splitlines():
        fields = line.split()
        if len(fields) > 2 and str(path).startswith(fields[1]) and len(fields[1]) > len(best[0]):
            best = (fields[1], fields[2])
    return best[1]


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _commit():
    try:
        return (
            subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10
            ).stdout.strip()
            or None
        )
    except (OSError, subprocess.SubprocessError):
        return None


def machine():
    return {
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "cpu": _first_line("/proc/cpuinfo", "model name"),
        "memory": _first_line("/proc/meminfo", "MemTotal"),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "filesystem": _filesystem(BENCH),
        "inotify_max_user_watches": _read("/proc/sys/fs/inotify/max_user_watches").strip() or None,
        "pyinotify": _version("pyinotify"),
        "watchfiles": _version("watchfiles"),
        "commit": _commit(),
        # Set on this machine; every process then compiles our runtime from source.
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
        # Other work on the machine shows here (two cores: anything else running counts).
        "load_average_at_start": os.getloadavg(),
    }


def run_part(part, args, config):
    if part == "live":
        return live.run(saves=args.repeat, restarts=args.repeat, log=log)
    if part == "setup":
        return setup_cost.run(config, repeat=args.repeat, log=log)
    if part == "idle":
        return idle.run(config, seconds=args.idle_seconds, log=log)
    if part == "burst":
        return burst.run(config, repeat=args.repeat, log=log)
    if part == "requests":
        return hammer.run(reloads=args.repeat, log=log)
    if part == "corpus":
        return corpus.run(log=log)
    if part == "plone":
        return plone_site.run(log=log, repeat=args.repeat)
    if part == "projects":
        return projects.run(log=log, repeat=args.repeat, results_directory=args.results)
    if part == "polling":
        return polling.run(config, saves=args.repeat, idle_seconds=args.idle_seconds, log=log)
    if part == "restart":
        return restart.run(log=log, repeat=args.repeat)
    if part == "soak":
        return soak.run(cycles=args.repeat, seed=args.seed, log=log)
    if part == "history":
        return history.run(log=log, repeat=args.repeat)
    return latency.run(config, events=args.repeat, log=log)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    config = {
        "include": list(DEFAULTS["include"]),
        "exclude": list(DEFAULTS["exclude"]),
        "debounce_ms": DEFAULTS["debounce"],
    }
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "arguments": {
            "only": args.parts,
            "repeat": args.repeat,
            "idle_seconds": args.idle_seconds,
            "seed": args.seed,
        },
        "config": config,
        "parts": {},
        "part_seconds": {},
        "errors": {},
    }
    for part in PARTS:
        if part not in args.parts:
            continue
        log("%s: starting" % part)
        part_started = time.monotonic()
        try:
            results["parts"][part] = run_part(part, args, config)
        except Exception:  # noqa: B902
            # One broken part must not cost the figures of the others.
            results["errors"][part] = traceback.format_exc()
            log("%s: FAILED\n%s" % (part, results["errors"][part]))
        results["part_seconds"][part] = time.monotonic() - part_started
        log("%s: %.0f s" % (part, results["part_seconds"][part]))
        if part in results["parts"]:
            # Written at once: a later part that hangs or is interrupted costs only its own.
            written = record.write(record.of_part(results, part), args.results)
            log("%s: results written to %s" % (part, written))
        else:
            log("%s: %s keeps the figures of its last good run" % (part, record.path_of(part, args.results)))
    results["duration_s"] = time.monotonic() - started
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["goals"] = goals.judge(results["parts"])
    sys.stdout.write(table.render(results))
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
