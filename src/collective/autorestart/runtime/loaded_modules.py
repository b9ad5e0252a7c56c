"""Tell the template what this start-up imported: the names of the loaded modules in the
order their imports began, to the file bin/instance-autoreload named; a watched module's
name marked with WATCHED_MODULE_MARK, for the template never imports those, but the order tells it what
a cold start imported after the first of them."""

from __future__ import annotations

import os
import sys

from collective.autorestart.contract import MODULES_VARIABLE, WATCHED_MODULE_MARK
from collective.autorestart.watching.roots import WatchedFiles


def write_loaded_modules(watched: WatchedFiles) -> None:
    path = os.environ.get(MODULES_VARIABLE)
    if not path:
        return
    names = []
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None)
        ours = isinstance(where, str) and watched(where)
        names.append(WATCHED_MODULE_MARK + name if ours else name)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as output:
        output.write("\n".join(names))
    os.replace(temporary, path)
