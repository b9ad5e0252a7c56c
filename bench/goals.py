"""The goals of issues 6, 23, 24 and 25, and whether a run met them. Each goal reads one figure of the
results; a goal whose part did not run (or failed) is neither met nor missed."""


def _get(results, *keys):
    value = results
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _burst_reloads(results):
    runs = _get(results, "burst", "ours", "runs")
    return None if not runs else max(run["batches"] for run in runs)


def _polling_slowest(results):
    ours = _get(results, "polling", "ours-polling")
    if not ours:
        return None
    slowest = [_get(ours, kind, "max") for kind in ("replace_ms", "in_place_ms")]
    return None if None in slowest else max(slowest)


def _polling_missed(results):
    ours = _get(results, "polling", "ours-polling")
    if not ours:
        return None
    timed = ours["replace_missed"] + ours["in_place_missed"]
    same_tick = sum(
        ours[key]["missed"] + ours[key]["first_missed"] for key in ("same_tick_replace", "same_tick_in_place")
    )
    return timed + same_tick


# id -> (what, text of the goal, how to read the figure, test)
GOALS = {
    "save_to_live": (
        "save-to-live median, one-module in-place save",
        "<= 30 ms",
        lambda results: _get(results, "live", "autoreload", "in_place", "save_to_live_ms", "median"),
        lambda value: value <= 30.0,
    ),
    "restart_ratio": (
        "cold restart of bin/instance fg / save-to-live (medians)",
        ">= 20x",
        lambda results: _get(results, "live", "restart_over_save"),
        lambda value: value >= 20.0,
    ),
    "setup_time": (
        "watching active on the 12,600-file tree, import + set-up (median)",
        "<= 100 ms",
        lambda results: _ms(_get(results, "setup", "plone", "ours", "total_s", "median")),
        lambda value: value <= 100.0,
    ),
    "setup_rss": (
        "RSS added by watching the 12,600-file tree (median)",
        "< 10 MB",
        lambda results: _get(results, "setup", "plone", "ours", "rss_added_mb", "median"),
        lambda value: value < 10.0,
    ),
    "idle_cpu": (
        "idle CPU watching the 12,600-file tree",
        "< 0.1 % of a core",
        lambda results: _get(results, "idle", "ours", "percent_of_core"),
        lambda value: value < 0.1,
    ),
    "burst_reloads": (
        "reloads per 500-file burst (worst of the repeats)",
        "1",
        _burst_reloads,
        lambda value: value == 1,
    ),
    "burst_lost": (
        "changes lost in 500-file bursts (all repeats)",
        "0",
        lambda results: _get(results, "burst", "ours", "lost_total"),
        lambda value: value == 0,
    ),
    "requests_failed_zcml": (
        "failed requests to an unchanged page, 4 clients, during ZCML reloads",
        "0",
        lambda results: _get(results, "requests", "zcml", "failed"),
        lambda value: value == 0,
    ),
    "requests_failed_python": (
        "failed requests to an unchanged page, 4 clients, during Python reloads",
        "0",
        lambda results: _get(results, "requests", "python", "failed"),
        lambda value: value == 0,
    ),
    "corpus_stale": (
        "corpus: edits served otherwise than a cold start on the same sources serves",
        "0",
        lambda results: _count(_get(results, "corpus", "stale")),
        lambda value: value == 0,
    ),
    "corpus_in_place_ms": (
        "corpus: median save-to-live of the edits applied in place",
        "<= 20 ms",
        lambda results: _get(results, "corpus", "in_place_ms", "median"),
        lambda value: value <= 20,
    ),
    "plone_zcml_ms": (
        "Plone 6.2: ZCML save-to-live, median",
        "<= 200 ms",
        lambda results: _get(results, "plone", "zcml_ms", "median"),
        lambda value: value <= 200,
    ),
    "plone_requests_failed": (
        "Plone 6.2: failed requests to an unchanged page, 4 clients, during ZCML and Python reloads",
        "0",
        lambda results: _sum(
            _get(results, "plone", "zcml_requests", "failed"), _get(results, "plone", "python_requests", "failed")
        ),
        lambda value: value == 0,
    ),
    "plone_registrations": (
        "Plone 6.2: registrations differing from a cold start's after the reloads",
        "0",
        lambda results: _get(results, "plone", "registrations", "differ"),
        lambda value: value == 0,
    ),
    "restart_plone": (
        "Plone 6.2: restart save-to-served, forked from the template (median)",
        "<= 1 s",
        lambda results: _restart(results, "plone", "save_to_served_ms"),
        lambda value: value <= 1000,
    ),
    "restart_plone_floor": (
        "Plone 6.2: restart save-to-served, forked from the template (median), the floor",
        "<= 2 s",
        lambda results: _restart(results, "plone", "save_to_served_ms"),
        lambda value: value <= 2000,
    ),
    "restart_zope": (
        "bare Zope: restart save-to-served, forked from the template (median)",
        "<= 300 ms",
        lambda results: _restart(results, "zope", "save_to_served_ms"),
        lambda value: value <= 300,
    ),
    # "Crash recovery as fast": from the save that fixes a failed start-up to served.
    "crash_recovery_plone": (
        "Plone 6.2: crash recovery, fixing save to served, forked from the template (median)",
        "<= 1 s",
        lambda results: _restart(results, "plone", "crash_recovery_ms"),
        lambda value: value <= 1000,
    ),
    "crash_recovery_zope": (
        "bare Zope: crash recovery, fixing save to served, forked from the template (median)",
        "<= 300 ms",
        lambda results: _restart(results, "zope", "crash_recovery_ms"),
        lambda value: value <= 300,
    ),
    # Issue 24: the same save-to-live without buildout, under runwsgi-autoreload.
    "projects_zope_python": (
        "bare Zope project (pip, runwsgi-autoreload): Python save-to-live, median",
        "<= 20 ms",
        lambda results: _get(results, "projects", "zope", "in_place", "save_to_live_ms", "median"),
        lambda value: value <= 20,
    ),
    "projects_plone_python": (
        "cookieplone project, Plone 6.2 (uv, runwsgi-autoreload): Python save-to-live, median",
        "<= 20 ms",
        lambda results: _get(results, "projects", "plone", "in_place", "save_to_live_ms", "median"),
        lambda value: value <= 20,
    ),
    "projects_plone_zcml": (
        "cookieplone project, Plone 6.2 (uv, runwsgi-autoreload): ZCML save-to-live, median",
        "<= 200 ms",
        lambda results: _get(results, "projects", "plone", "zcml", "save_to_live_ms", "median"),
        lambda value: value <= 200,
    ),
    # Issue 25: our polling back-end at a 1 s interval on the 12,600-file tree (bench/polling.py).
    "polling_idle_cpu": (
        "polling 1 s: idle CPU watching the 12,600-file tree",
        "<= 1 % of a core",
        lambda results: _get(results, "polling", "ours-polling", "idle", "percent_of_core"),
        lambda value: value <= 1.0,
    ),
    "polling_save_to_live": (
        "polling 1 s: save to delivered, the slowest of the saves (rename and in place)",
        "<= 1030 ms (interval + 30 ms)",
        _polling_slowest,
        lambda value: value <= 1030.0,
    ),
    "polling_missed": (
        "polling 1 s: saves missed, the same-tick ones (same size and mtime) included",
        "0",
        _polling_missed,
        lambda value: value == 0,
    ),
    "polling_rss": (
        "polling 1 s: RSS added by watching the 12,600-file tree (median)",
        "< 10 MB",
        lambda results: _get(results, "polling", "ours-polling", "setup", "rss_added_mb", "median"),
        lambda value: value < 10.0,
    ),
    "soak_lost": (
        "soak: saves not served within 5 s (15 s after a restart)",
        "0",
        lambda results: _get(results, "soak", "lost_saves"),
        lambda value: value == 0,
    ),
    "soak_failed": (
        "soak: failed requests to an unchanged page outside restarts (code and ZCML reloads)",
        "0",
        lambda results: _get(results, "soak", "failed_requests_outside_restarts"),
        lambda value: value == 0,
    ),
    "soak_crashes": (
        "soak: watcher failures, Tracebacks and unexpected ERRORs in the log",
        "0",
        lambda results: _get(results, "soak", "watcher_crashes"),
        lambda value: value == 0,
    ),
    "soak_leftovers": (
        "soak: processes left after restarts and after Ctrl-C (and the port not free)",
        "0",
        lambda results: _get(results, "soak", "leftover_processes"),
        lambda value: value == 0,
    ),
}


def _restart(results, subject, figure):
    return _get(results, "restart", subject, "template", figure, "median")


def _sum(*values):
    return None if any(value is None for value in values) else sum(values)


def _count(items):
    return None if items is None else len(items)


def _ms(seconds):
    return None if seconds is None else seconds * 1000


def judge(parts):
    """{goal id: {what, goal, value, met}} with met None where there is no figure."""
    judged = {}
    for key, (what, goal, read, test) in GOALS.items():
        value = read(parts)
        judged[key] = {
            "what": what,
            "goal": goal,
            "value": value,
            "met": None if value is None else bool(test(value)),
        }
    return judged
