"""Render results as one markdown table, goals beside the figures they judge, and notes on
whatever went wrong: a run's results (bench/run.py prints them), or the last run of every part
from the results files (``python bench/table.py [DIRECTORY]``)."""

import argparse
import sys
from functools import partial
from pathlib import Path

import record
from trees import TREES

HEADER = ("Part", "Measure", "Subject", "Median", "p95", "n", "Goal", "Status")
WATCHERS = ("ours", "polling", "watchfiles")


def fmt(value, unit):
    if value is None:
        return "n/a"
    if unit == "ms":
        if value >= 1000:
            return "%.2f s" % (value / 1000)
        return ("%.2f ms" if abs(value) < 10 else "%.1f ms") % value
    if unit == "MB":
        return "%.1f MB" % value
    if unit == "%":
        return "%.3f %%" % value
    if unit == "x":
        return ("%.1fx" if value < 10 else "%.0fx") % value
    return "%g" % value


def _get(results, *keys):
    for key in keys:
        if not isinstance(results, dict) or key not in results:
            return None
        results = results[key]
    return results


def _scaled(figures, factor):
    """A summary in other units (seconds to milliseconds)."""
    if figures is None:
        return None
    scaled = {key: value for key, value in figures.items() if key != "values"}
    for key in ("median", "p95", "min", "max"):
        if scaled.get(key) is not None:
            scaled[key] *= factor
    return scaled


class Table:
    def __init__(self):
        # The goals of the run whose rows are added next (a table may hold several runs).
        self.judged = {}
        self.rows = []
        self.notes = []

    def add(self, part, measure, subject, figures, unit, goal=None, attempts=None, count=None):
        """figures: a stats.summary dict, or a single value. attempts: how many were tried,
        when some may have failed (n shows "done/tried" then). count: n of a single value
        that sums several runs ("" for a ratio)."""
        if isinstance(figures, dict):
            median, p95, n = figures.get("median"), fmt(figures.get("p95"), unit), figures["n"]
        else:
            median, p95, n = figures, "", 0 if figures is None else 1
        if count is None:
            count = "%d/%d" % (n, attempts) if attempts not in (None, n) else str(n)
        goal_text = status = ""
        if goal is not None:
            goal_text = self.judged[goal]["goal"]
            met = self.judged[goal]["met"]
            status = "n/a" if met is None else ("met" if met else "**MISSED**")
        self.rows.append((part, measure, subject, fmt(median, unit), p95, count, goal_text, status))

    def render(self, title):
        lines = [title, "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            lines += [""] + ["- " + note for note in self.notes]
        return "\n".join(lines) + "\n"


def _live(table, live):
    row = partial(table.add, "live")
    ours = live.get("autoreload", {})
    saves = live.get("saves")
    us = "collective.autorestart"
    for key, measure, goal in (
        ("in_place", "save-to-live, one-module in-place save", "save_to_live"),
        ("rename", "save-to-live, rename-save (temp file + os.replace)", None),
        ("zcml", "save-to-live, ZCML change adding a view", None),
    ):
        row(measure, us, _get(ours, key, "save_to_live_ms"), "ms", goal, saves)
        errors = _get(ours, key, "errors_logged") or []
        if errors:
            table.notes.append(
                "live, %s: the runtime logged %d failed reload(s) while the bench polled HTTP,"
                " e.g. `%s`" % (key, len(errors), errors[0][:200])
            )
    for key, measure in (("in_place", "in-place save"), ("zcml", "ZCML change")):
        figures = _get(ours, key, "event_to_reloaded_ms")
        row("first event to reloaded (runtime's log), %s" % measure, us, figures, "ms", None, saves)
    row(
        "save, then GET @@reload?action=code at once, to new code served",
        "plone.reload (manual)",
        _get(live, "plone_reload", "save_to_live_ms"),
        "ms",
        None,
        saves,
    )
    restarts = live.get("restarts")
    fg = "bin/instance fg"
    row("cold start to first correct response", fg, live.get("cold_start_ms"), "ms", None, restarts)
    row("Ctrl-C (SIGINT) to exited", fg, _scaled(live.get("stop_s"), 1000), "ms", None, restarts)
    serving = _get(ours, "start", "serving_s")
    serving = None if serving is None else serving * 1000
    row("cold start to first correct response", "bin/instance-autoreload", serving, "ms")
    ratio = "ratio of medians"
    restart = live.get("restart_over_save")
    row("cold restart / in-place save-to-live", ratio, restart, "x", "restart_ratio", count="")
    manual = live.get("plone_reload_over_save")
    row("plone.reload / in-place save-to-live", ratio, manual, "x", count="")


def _setup(table, setup):
    row = partial(table.add, "setup")
    for tree in ("plone", "large"):
        if tree not in setup:
            continue
        directories, files = TREES[tree]
        size = "%s files / %s dirs" % (format(files, ","), format(directories, ","))
        judged = tree == "plone"
        for watcher in WATCHERS:
            figures = _scaled(_get(setup, tree, watcher, "total_s"), 1000)
            goal = "setup_time" if judged and watcher == "ours" else None
            row("watching active (import + set-up), %s" % size, watcher, figures, "ms", goal)
        for watcher in WATCHERS if judged else ():
            figures = _scaled(_get(setup, tree, watcher, "setup_s"), 1000)
            row("of which set-up alone (walk, watches), %s" % size, watcher, figures, "ms")
        for watcher in WATCHERS:
            figures = _get(setup, tree, watcher, "rss_added_mb")
            goal = "setup_rss" if judged and watcher == "ours" else None
            row("RSS added (import + set-up), %s" % size, watcher, figures, "MB", goal)


def _idle(table, idle):
    measure = "CPU while idle for %.0f s, 12,600 files (%% of one core)" % idle["seconds"]
    for watcher in WATCHERS:
        if watcher in idle:
            goal = "idle_cpu" if watcher == "ours" else None
            table.add("idle", measure, watcher, idle[watcher]["percent_of_core"], "%", goal)


def _burst(table, burst):
    row = partial(table.add, "burst")
    debounce = burst.get("debounce_ms")
    subjects = {
        "ours": "ours (debounce %s ms)" % debounce,
        "watchfiles": "watchfiles (defaults)",
        "polling": "polling 1 s",
    }
    for watcher in ("ours", "watchfiles", "polling"):
        figures = burst.get(watcher)
        if figures is None:
            continue
        subject = subjects[watcher]
        ours = watcher == "ours"
        bursts = str(len(figures["runs"]))
        row("batches (reloads) per 500-file burst", subject, figures["batches"], "", "burst_reloads" if ours else None)
        row(
            "changes lost, all bursts", subject, figures["lost_total"], "", "burst_lost" if ours else None, count=bursts
        )
        row("first write to last change delivered", subject, figures["last_delivered_ms"], "ms")
        if not ours:
            continue
        row("writing the 500 files (the writer alone)", "", figures["write_ms"], "ms")
        split = [run for run in figures["runs"] if run["batches"] > 1]
        if split:
            table.notes.append(
                "burst, ours: %d of %s bursts gave more than one batch; the longest pause"
                " between two of their saves was %.1f ms (the debounce is %s ms)"
                % (len(split), bursts, max(run["max_gap_ms"] for run in split), debounce)
            )


def _latency(table, latency):
    row = partial(table.add, "latency")
    events = latency.get("events")
    ours = latency.get("ours")
    if ours:
        row("write to callback, raw (Watcher.on_change)", "ours", ours.get("raw_ms"), "ms", None, events)
        row(
            "write to callback, debounced (WatchService.on_batch)", "ours", ours.get("delivered_ms"), "ms", None, events
        )
    for key, subject in (
        ("watchfiles", "watchfiles (step 50 ms, default)"),
        ("watchfiles-step1", "watchfiles (step 1 ms)"),
        ("polling", "polling 1 s"),
    ):
        if key in latency:
            figures = latency[key]["delivered_ms"]
            row("write to callback", subject, figures, "ms", None, events)


def _soak(table, soak):
    row = partial(table.add, "soak")
    cycles = "%s cycles, seed %s" % (soak.get("cycles_done"), soak.get("seed"))
    done = str(soak.get("cycles_done"))
    requests = str(soak.get("requests"))
    failed = soak.get("failed_requests") or {}
    row(
        "lost saves (not served within 5 s, 15 s after a restart)",
        cycles,
        soak.get("lost_saves"),
        "",
        "soak_lost",
        count=done,
    )
    row(
        "failed requests to an unchanged page, outside restarts",
        "steady client",
        soak.get("failed_requests_outside_restarts"),
        "",
        "soak_failed",
        count=requests,
    )
    for key, measure in (
        ("code_reload", "of which during a code reload"),
        ("zcml_reload", "of which during a ZCML reload"),
        ("no_reload", "of which with no reload running"),
    ):
        row(measure, "steady client", failed.get(key, 0), "", count=requests)
    row(
        "failed requests during restarts (not counted above)",
        "steady client",
        failed.get("restart", 0),
        "",
        count=requests,
    )
    row(
        "restart downtime: restart-on save to the new instance serving",
        "bin/instance-autoreload",
        soak.get("restart_downtime_ms"),
        "ms",
    )
    row(
        "watcher failures, Tracebacks, unexpected ERRORs in the log",
        "ours",
        soak.get("watcher_crashes"),
        "",
        "soak_crashes",
        count=done,
    )
    row(
        "leftover processes (after each restart and Ctrl-C; port busy)",
        "ours",
        soak.get("leftover_processes"),
        "",
        "soak_leftovers",
        count=str(soak.get("restarts")),
    )
    for how, figures in (soak.get("restarts_by_how") or {}).items():
        row(
            "restarts %s: downtime, the restarting save to the new instance serving" % how,
            "bin/instance-autoreload",
            figures.get("downtime_ms"),
            "ms",
            count=str(figures.get("n")),
        )
    for kind, figures in (soak.get("save_to_served_ms") or {}).items():
        if "forked" in kind:
            since = "restarter.py save"
        elif "restart" in kind:
            since = "setup.py save"
        else:
            since = "last save"
        row(
            "%s to the first changed page served, %s" % (since, kind),
            "ours",
            figures,
            "ms",
            None,
            (soak.get("actions") or {}).get(kind),
        )
    seconds = soak.get("seconds")
    row("duration of the cycles", cycles, None if seconds is None else seconds * 1000, "ms", count=done)
    windows = soak.get("reload_windows") or {}
    table.notes.append(
        "soak: %s code reloads and %s ZCML reloads in the log, %s restarts; the steady client"
        " sent %s requests" % (windows.get("code"), windows.get("zcml"), soak.get("restarts"), soak.get("requests"))
    )
    if soak.get("aborted"):
        table.notes.append("soak: the run ended early: %s" % soak["aborted"])
    for lost in (soak.get("lost") or [])[:5]:
        table.notes.append(
            "soak, lost save in cycle %s (%s: %s): %s wanted `%s`, got `%s`"
            % (lost["cycle"], lost["action"], lost["detail"], lost["page"], lost["wanted"], lost["got"])
        )
    for problem in (soak.get("log_problems") or [])[:5]:
        table.notes.append(
            "soak, %s in cycle %s (%s): `%s`"
            % (problem["kind"], problem.get("cycle"), problem.get("action"), problem["line"].splitlines()[0][:200])
        )
    for name, examples in sorted((soak.get("failed_request_examples") or {}).items()):
        if name != "restart" and examples:
            example = examples[0]
            table.notes.append(
                "soak, failed requests %s: %d, e.g. in cycle %s (%s): %s `%s`"
                % (
                    name.replace("_", " "),
                    failed.get(name, 0),
                    example["cycle"],
                    example["action"],
                    example["status"],
                    example["detail"][:100],
                )
            )


def _requests(table, requests):
    for kind, label in (("zcml", "ZCML"), ("python", "Python")):
        figures = requests.get(kind)
        if not figures:
            continue
        measure = "requests failed during %d %s reloads (%d clients, %d requests)" % (
            figures["applied"],
            label,
            requests["clients"],
            figures["requests"],
        )
        table.add(
            "requests",
            measure,
            "ours",
            figures["failed"],
            "",
            "requests_failed_" + kind,
            count=str(figures["requests"]),
        )


def _corpus(table, corpus):
    table.add(
        "corpus", "save to log line, edits applied in place", "ours", corpus["in_place_ms"], "ms", "corpus_in_place_ms"
    )
    table.add(
        "corpus",
        "edits served otherwise than a cold start (of %d)" % corpus["edits"],
        "ours",
        len(corpus["stale"]),
        "",
        "corpus_stale",
        count=str(corpus["edits"]),
    )
    table.add(
        "corpus",
        "edits that needed a restart (of %d)" % corpus["edits"],
        "ours",
        len(corpus["restarted"]),
        "",
        count=str(corpus["edits"]),
    )
    for name in corpus["restarted"]:
        table.notes.append("corpus, %s restarted: %s" % (name, corpus["cases"][name]["logged"].split(": ", 1)[-1]))
    for name in corpus["stale"]:
        table.notes.append("corpus, %s STALE: %s" % (name, corpus["cases"][name]["logged"]))


def _plone(table, plone):
    row = partial(table.add, "plone")
    subject = "Plone %s, ours" % plone["plone"]
    row("cold start of bin/instance-autoreload to first correct response", subject, plone["cold_start_ms"], "ms")
    row("save-to-live, Python save of a view", subject, plone["python_ms"], "ms")
    row(
        "save-to-live, ZCML save adding a page (incremental ZCML reload)",
        subject,
        plone["zcml_ms"],
        "ms",
        "plone_zcml_ms",
    )
    if "full_zcml_ms" in plone:
        row(
            "save-to-live, ZCML save adding a page and changing an include (full ZCML reload)",
            subject,
            plone["full_zcml_ms"],
            "ms",
        )
    row("restart-on save (setup.py) to the new instance serving", subject, plone["restart_ms"], "ms")
    failed = sum(plone[kind]["failed"] for kind in ("zcml_requests", "python_requests"))
    requests = sum(plone[kind]["requests"] for kind in ("zcml_requests", "python_requests"))
    row(
        "requests failed during %d ZCML and %d Python reloads (%d clients)"
        % (plone["zcml_requests"]["applied"], plone["python_requests"]["applied"], plone["clients"]),
        subject,
        failed,
        "",
        "plone_requests_failed",
        count=str(requests),
    )
    registrations = plone["registrations"]
    row(
        "registrations differing from a cold start's (of %s)" % registrations["live"],
        subject,
        registrations["differ"],
        "",
        "plone_registrations",
        count=str(registrations["live"]),
    )
    for line in registrations["examples"]:
        table.notes.append("plone, registration only in one of live and cold start: `%s`" % line[:200])


# name -> (goal of the Python saves, goal of the ZCML saves, the buildout compared with)
PROJECTS = {
    "zope": ("projects_zope_python", None, "bare Zope buildout"),
    "plone": ("projects_plone_python", "projects_plone_zcml", "Plone 6.2 buildout"),
}


def _projects(table, projects):
    row = partial(table.add, "projects")
    buildout = projects.get("buildout") or {}
    for name, (python_goal, zcml_goal, compared) in PROJECTS.items():
        figures = projects.get(name)
        if not figures:
            continue
        ours = "%s, runwsgi-autoreload" % figures["project"]
        theirs = buildout.get(name) or {}
        saves, zcml_saves = projects["saves"], projects["zcml_saves"][name]
        zcml_source = "live.json" if name == "zope" else "plone.json"
        for kind, measure, goal, attempts, source in (
            ("in_place", "save-to-live, in-place save of a view module", python_goal, saves, zcml_source),
            ("zcml", "save-to-live, ZCML save adding a page", zcml_goal, zcml_saves, zcml_source),
        ):
            row(measure, ours, _get(figures, kind, "save_to_live_ms"), "ms", goal, attempts)
            row(measure, "%s (%s)" % (compared, source), theirs.get(kind + "_ms"), "ms")
        for kind, label, attempts in (("in_place", "in-place save", saves), ("zcml", "ZCML save", zcml_saves)):
            row("the reload alone (the runtime's log), %s" % label, ours, _get(figures, kind, "reload_ms"), "ms")
            measure = "first event to reloaded (the runtime's log), %s" % label
            row(measure, ours, _get(figures, kind, "event_to_reloaded_ms"), "ms", None, attempts)
            if theirs.get(kind + "_event_to_reloaded_ms"):
                row(measure, "%s (live.json)" % compared, theirs[kind + "_event_to_reloaded_ms"], "ms")
            for error in (_get(figures, kind, "errors_logged") or [])[:1]:
                table.notes.append("projects, %s, %s: the runtime logged `%s`" % (name, kind, error[:200]))
        serving = _get(figures, "start", "serving_s")
        measure = "cold start of the command to first correct response"
        row(measure, ours, None if serving is None else serving * 1000, "ms")
        row(measure, "%s (%s)" % (compared, zcml_source), theirs.get("cold_start_ms"), "ms")
        restart = figures.get("restart") or {}
        measure = "restart: save of a watched module to its new text served, forked from the template"
        row(measure, ours, restart.get("save_to_served_ms"), "ms")
        row(measure, "%s (restart.json)" % compared, theirs.get("forked_restart_ms"), "ms")
        first = _get(restart, "first_restart", "save_to_served_ms")
        row("the first restart, not counted above (it stops the first, cold instance)", ours, first, "ms")
        row("of which start (the supervisor's line)", ours, restart.get("start_ms"), "ms")
        if _get(figures, "zcml", "full_reloads"):
            table.notes.append(
                "projects, %s: %d of the ZCML saves reloaded all ZCML" % (name, figures["zcml"]["full_reloads"])
            )
        for how in restart.get("how") or []:
            if how != "forked from the template":
                table.notes.append("projects, %s: the restart was not forked: %s" % (name, how))
        if restart.get("whole_zcml_parsed"):
            table.notes.append(
                "projects, %s: the forked instances parse the whole ZCML: %s" % (name, restart["whole_zcml_parsed"])
            )
        if figures.get("tracebacks"):
            table.notes.append("projects, %s: %d Tracebacks in the log" % (name, figures["tracebacks"]))
    sources = buildout.get("sources") or {}
    if sources:
        table.notes.append(
            "projects: the buildout's figures are those of the results files, not measured again: %s"
            % ", ".join("%s.json (%s, %s)" % (part, found["date"], found["commit"]) for part, found in sources.items())
        )


# The goals of the forked restarts: save-to-served, the floor (Plone only), crash recovery.
RESTART_GOALS = {
    "zope": ("restart_zope", None, "crash_recovery_zope"),
    "plone": ("restart_plone", "restart_plone_floor", "crash_recovery_plone"),
}


POLLING_SUBJECTS = {
    "ours-polling": "ours, polling",
    "watchfiles-polling": "watchfiles, force_polling",
    "watchdog-polling": "watchdog, PollingObserver",
}


def _polling(table, polling):
    row = partial(table.add, "polling")
    interval = "%g s" % polling["interval_s"]
    subjects = [(key, name) for key, name in POLLING_SUBJECTS.items() if key in polling]
    for key, subject in subjects:
        figures = polling[key]
        ours = key == "ours-polling"
        setup = figures["setup"]
        row("watching active (import + set-up), 12,600 files", subject, _scaled(setup["total_s"], 1000), "ms")
        row("RSS of the process once watching", subject, setup["rss_mb"], "MB")
        row(
            "RSS added to the interpreter (same stdlib imports)",
            subject,
            setup["rss_added_mb"],
            "MB",
            "polling_rss" if ours else None,
        )
        idle = "CPU while idle for %.0f s, interval %s (%% of one core)" % (polling["idle_seconds"], interval)
        row(idle, subject, figures["idle"]["percent_of_core"], "%", "polling_idle_cpu" if ours else None)
        for kind, measure in (("replace", "rename-save"), ("in_place", "in-place save")):
            saves = figures["%s_ms" % kind]
            row("save to delivered, %s at a random phase" % measure, subject, saves, "ms", None, polling["saves"])
            row(
                "save to delivered, %s: the slowest" % measure,
                subject,
                saves["max"],
                "ms",
                "polling_save_to_live" if ours else None,
            )
        missed = figures["replace_missed"] + figures["in_place_missed"]
        tick = [figures["same_tick_%s" % kind] for kind in ("replace", "in_place")]
        tick_missed = sum(entry["missed"] + entry["first_missed"] for entry in tick)
        row("saves missed, of the rename and in-place saves", subject, missed, "", count=str(2 * polling["saves"]))
        for kind, entry in zip(("rename", "in-place"), tick):
            row(
                "same-tick %s saves missed (same size and mtime as the save before)" % kind,
                subject,
                entry["missed"] + entry["first_missed"],
                "",
                count=str(polling["same_tick_saves"]),
            )
        if ours:
            everything = str(2 * polling["saves"] + 2 * polling["same_tick_saves"])
            row("saves missed, all of the above", subject, missed + tick_missed, "", "polling_missed", count=everything)


def _restart(table, restart):
    row = partial(table.add, "restart")
    restarts, crashes = restart["restarts"], restart["crashes"]
    for name, (goal, floor, crash_goal) in RESTART_GOALS.items():
        figures = restart.get(name)
        if not figures:
            continue
        subject = "Plone %s" % figures["plone"] if name == "plone" else "bare Zope"
        forked, cold = figures["template"], figures["cold"]
        for session, label, fast in (
            (forked, "%s, forked from the template" % subject, True),
            (cold, "%s, cold (fast-restart = off)" % subject, False),
        ):
            measure = "restart: save of a watched module to its new text served"
            row(measure, label, session["save_to_served_ms"], "ms", goal if fast else None, restarts)
            if fast and floor:
                row(measure + " (the floor)", label, session["save_to_served_ms"], "ms", floor, restarts)
            first = _get(session, "first_restart", "save_to_served_ms")
            row("the first restart, not counted above (it stops the first, cold instance)", label, first, "ms")
            row("of which stop (the supervisor's line)", label, session["stop_ms"], "ms", None, restarts)
            row("of which start (the supervisor's line)", label, session["start_ms"], "ms", None, restarts)
            figure = session["crash_recovery_ms"]
            row("crash recovery: fixing save to served", label, figure, "ms", crash_goal if fast else None, crashes)
            for reason in session["cold_fallbacks"]:
                table.notes.append("restart, %s: a restart fell back to a cold start: %s" % (subject, reason))
            for how in session["crash_how"]:
                if fast and how != "forked from the template":
                    table.notes.append("restart, %s: a crash recovery was not forked: %s" % (subject, how))
        row("cold restart / forked restart (medians)", subject, figures["cold_over_template"], "x", count="")
        template = forked.get("template") or {}
        for key, measure in (
            ("ready_s", "template build (its ready line)"),
            ("start_to_ready_s", "supervisor start to template ready"),
        ):
            seconds = template.get(key)
            row(measure, subject, None if seconds is None else seconds * 1000, "ms")
        for process, memory in (
            ("template", forked["memory"].get("template")),
            ("forked child", forked["memory"].get("instance")),
            ("cold child", cold["memory"].get("instance")),
        ):
            for key, what in (("rss_mb", "RSS"), ("pss_mb", "PSS"), ("uss_mb", "USS (private)")):
                row("memory of the %s: %s" % (process, what), subject, None if memory is None else memory[key], "MB")


def _history(table, history):
    row = partial(table.add, "history")
    compared = history["compared"]
    subject = "ours, %d add-ons" % len(history["addons"])
    row(
        "commits replayed (cold start failed after a reload: %d; skipped, not starting on the pins: %s)"
        % (history["cold_start_failed"], history.get("start_failed", "?")),
        subject,
        history["commits_replayed"],
        "",
        count="",
    )
    for key, measure in (
        ("applied_in_place", "commits applied in place"),
        ("escalated", "commits escalated to a restart"),
        ("failed_to_apply", "commits the tool failed to apply"),
        ("live_broke", "commits that left the live process broken"),
        ("commits_with_drift", "commits that left the process otherwise than a cold start"),
    ):
        row("%s (of %d compared)" % (measure, compared), subject, history[key], "", count=str(compared))
    for reason, count in sorted(history["escalated_by_reason"].items()):
        table.notes.append("history, escalated %d x: %s" % (count, reason))
    for drift in history["drifts"]:
        table.notes.append(
            "history, drift after %s (%s, %d paths): %s"
            % (drift["commit"], drift["how"], drift["count"], ", ".join(drift["paths"][:5])[:300])
        )


PARTS = (
    ("live", _live),
    ("setup", _setup),
    ("idle", _idle),
    ("burst", _burst),
    ("latency", _latency),
    ("requests", _requests),
    ("corpus", _corpus),
    ("plone", _plone),
    ("projects", _projects),
    ("polling", _polling),
    ("restart", _restart),
    ("soak", _soak),
    ("history", _history),
)


def _add_run(table, results):
    """The rows of a run's parts, judged by that run's goals."""
    table.judged = results.get("goals", {})
    parts = results.get("parts", {})
    for name, build in PARTS:
        if name in parts:
            build(table, parts[name])
    for name, error in results.get("errors", {}).items():
        last = error.strip().splitlines()[-1][:150].replace("|", "/")
        table.rows.append((name, "part failed: " + last, "", "", "", "", "", "**ERROR**"))


def _run(results):
    machine = results["machine"]
    commit = machine.get("commit")
    return "%s, %d cores (%s), Python %s, commit %s, took %.0f s" % (
        results["date"],
        machine["cores"],
        machine.get("cpu") or "?",
        machine["python"],
        commit[:7] if commit else "?",
        results["duration_s"],
    )


def render(results):
    """The table of one run (what bench/run.py prints)."""
    table = Table()
    _add_run(table, results)
    return table.render("collective.autorestart benchmarks, " + _run(results))


def render_records(records):
    """The table of the last run of every part: records is {part: (path, record)}, as
    ``record.read`` gives it; each part's line says which file and run its figures are from."""
    table = Table()
    sources = []
    for name, _build in PARTS:
        if name in records:
            path, results = records[name]
            _add_run(table, results)
            sources.append("- %s: `%s`, %s" % (name, Path(path).name, _run(results)))
    title = "collective.autorestart benchmarks, the last run of each part\n\n" + "\n".join(sources)
    return table.render(title)


def main(argv=None):
    parser = argparse.ArgumentParser(description="The table of the last run of every benchmark part.")
    parser.add_argument(
        "results",
        nargs="?",
        type=Path,
        default=record.DIRECTORY,
        help="directory of the results files, one <part>.json per part (default: bench/results)",
    )
    args = parser.parse_args(argv)
    records = record.read([name for name, _build in PARTS], args.results)
    if not records:
        parser.error("no results file in %s: run make bench first" % args.results)
    sys.stdout.write(render_records(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
