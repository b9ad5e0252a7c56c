"""One results file per part: ``bench/results/<part>.json`` holds the last run of that part,
its figures with the goals they meet, the machine, the date and the commit. Running one part
rewrites that part's file alone, so that the figures of the others, and the documents that
quote them, stay as they were measured."""

import json
import os
from pathlib import Path

import goals

DIRECTORY = Path(__file__).resolve().parent / "results"
# What a record keeps of the run it was part of.
RUN_KEYS = ("date", "machine", "arguments", "config")


def of_part(results, part):
    """The record of one part that ran without an error, from its run's results (the shape
    of a run's results, with this part alone, so that ``table.render`` takes either)."""
    figures = results["parts"][part]
    record = {key: results[key] for key in RUN_KEYS}
    # The load at the end of this part, not of the whole run: other work shows here.
    record["machine"] = dict(record["machine"], load_average_at_end=os.getloadavg())
    seconds = results["part_seconds"][part]
    record.update(
        part=part,
        parts={part: figures},
        part_seconds={part: seconds},
        errors={},
        duration_s=seconds,
        goals=goals.judge({part: figures}),
    )
    return record


def path_of(part, directory=DIRECTORY):
    return Path(directory) / ("%s.json" % part)


def write(record, directory=DIRECTORY):
    """Write a part's record over its previous one, never half: a run that is interrupted
    leaves each file as it was, or whole."""
    path = path_of(record["part"], directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(record, indent=1, sort_keys=False) + "\n")
    os.replace(temporary, path)
    return path


def read(parts, directory=DIRECTORY):
    """{part: (path, record)} of the given parts that have a results file."""
    records = {}
    for part in parts:
        path = path_of(part, directory)
        if path.exists():
            records[part] = (path, json.loads(path.read_text()))
    return records
