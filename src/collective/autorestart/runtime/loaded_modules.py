"""Tell the template what this start-up imported: the names of the loaded modules that are
not watched, in the order their imports began, to the file bin/instance-autoreload named."""

from __future__ import annotations

import os
import sys

from collective.autorestart.contract import MODULES_VARIABLE


def write_loaded_modules(watch_roots) -> None:
    path = os.environ.get(MODULES_VARIABLE)
    if not path:
        return
    # Both spellings of each root, rather than resolving 3,000 module paths.
    roots = tuple({os.path.join(spelling, "") for root in watch_roots for spelling in (root, os.path.realpath(root))})
    names = []
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None)
        if isinstance(where, str) and where.startswith(roots):
            continue
        names.append(name)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as output:
        output.write("\n".join(names))
    os.replace(temporary, path)
