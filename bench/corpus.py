"""Part `corpus`: the typical edits of tests/harness/corpus.py saved one by one into a real
Zope built with the autoreload part, then one cold start on the final sources.  For each
edit: in place, ZCML or restart (and the reason the log gives), its save-to-live time, and
whether what it served equals what the cold start serves."""

import re
import shutil

from live_buildout import BENCH, LOGS_DIRECTORY, START_TIMEOUT
from stats import summary

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout
from harness.corpus import CASES, apply_edit, page_of, write_corpus
from harness.ports import free_port
from harness.processes import Server

DIRECTORY = BENCH / ".work" / "corpus"
AFTER_THE_SAVE = re.compile(r"([\d.]+) ms after the save")


def run(log):
    shutil.rmtree(DIRECTORY, ignore_errors=True)
    built = Buildout(DIRECTORY, port=free_port())
    built.run(autoreload=WATCH_SRC_SILENTLY)
    write_corpus(built)
    command = [str(built.script)]
    live, cases = {}, {}
    with Server(command, built.directory, LOGS_DIRECTORY / "corpus.log", built.port) as server:
        server.wait_for_log(r"watching \d+ directories", timeout=START_TIMEOUT)
        server.wait_until_serving("/@@case-view-body", timeout=START_TIMEOUT)
        for name in CASES:
            how, took = apply_edit(server, built, name)
            live[name] = page_of(server, name)
            after_the_save = AFTER_THE_SAVE.search(how)
            cases[name] = {
                "path": "restart" if "restarting" in how else ("in place" if how.startswith("reloaded ") else "none"),
                "logged": how,
                # From the tool's own line where it has one: the log polling adds its period.
                "save_to_live_ms": float(after_the_save.group(1)) if after_the_save else (took and took * 1000),
            }
            log("corpus: %s: %s" % (name, cases[name]["path"]))
    with Server(command, built.directory, LOGS_DIRECTORY / "corpus-cold.log", built.port) as cold:
        cold.wait_for_log(r"watching \d+ directories", timeout=START_TIMEOUT)
        cold.wait_until_serving("/@@case-view-body", timeout=START_TIMEOUT)
        for name in CASES:
            cases[name]["same_as_cold_start"] = page_of(cold, name) == live[name]
    in_place = [case["save_to_live_ms"] for case in cases.values() if case["path"] == "in place"]
    return {
        "cases": cases,
        "edits": len(cases),
        "in_place": len(in_place),
        "restarted": sorted(name for name, case in cases.items() if case["path"] == "restart"),
        "stale": sorted(name for name, case in cases.items() if not case["same_as_cold_start"]),
        "in_place_ms": summary(in_place),
    }
