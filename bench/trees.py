"""Synthetic source trees to watch, generated once under bench/.work/trees/ and reused.

``python bench/trees.py`` generates them ahead of a run.
"""

import json
import os
import shutil
import sys
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work" / "trees"

# name -> (directories, .py files): the size of a Plone checkout, and a big monorepo with
# the same number of files per directory.
TREES = {
    "plone": (3_500, 12_600),
    "large": (13_900, 50_000),
}
# Each directory has up to this many subdirectories, which makes trees about five levels
# deep below the root, like src/<namespace>/<package>/<subpackage>/<module>.py.
FANOUT = 6
# Bump when the layout changes, so that trees made by an older bench are made again.
LAYOUT = 1


def directories(root, count):
    # Directory k hangs below directory (k - 1) // FANOUT (0 is the root): breadth-first,
    # so that the first directories are the shallow ones, as in a real checkout.
    paths = [Path(root)]
    for number in range(1, count + 1):
        paths.append(paths[(number - 1) // FANOUT] / ("d%05d" % number))
    return paths[1:]


def files(name):
    """Every .py file of the tree, in a stable order that spreads neighbours over directories."""
    count_directories, count_files = TREES[name]
    folders = directories(WORK / name, count_directories)
    return [folders[number % count_directories] / ("m%05d.py" % number) for number in range(count_files)]


def module_text(number, version=0):
    return '"""Generated module %d."""\n\nVALUE = %d\n\n\ndef value():\n    return VALUE\n' % (
        number,
        version,
    )


def ensure(name):
    """The tree's root, generated first if missing or made by another layout."""
    count_directories, count_files = TREES[name]
    root = WORK / name
    marker = WORK / (name + ".json")
    wanted = {"layout": LAYOUT, "directories": count_directories, "files": count_files}
    try:
        if json.loads(marker.read_text()) == wanted:
            return root
    except (OSError, ValueError):
        pass
    if root.exists():
        shutil.rmtree(root)
    for folder in directories(root, count_directories):
        folder.mkdir(parents=True)
    for number, path in enumerate(files(name)):
        path.write_text(module_text(number))
    # Written last: an interrupted generation is redone from scratch next time.
    marker.write_text(json.dumps(wanted))
    return root


def warm(name):
    """Walk and stat the whole tree, untimed: a tree one works in is in the kernel's caches,
    and whichever watcher ran first would otherwise pay for reading it from disk."""
    for directory, _, names in os.walk(WORK / name):
        for file_name in names:
            os.stat(os.path.join(directory, file_name))


if __name__ == "__main__":
    for tree in sys.argv[1:] or TREES:
        print(ensure(tree))
