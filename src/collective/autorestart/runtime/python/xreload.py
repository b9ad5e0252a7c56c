"""What the checked reload keeps of xreload: run the module's new source in a scratch
namespace, then bring the module's namespace in step with it.

Adapted from plone.reload's ``plone/reload/xreload.py`` (plone.reload 5.0.1, copyright the
Plone Foundation and contributors, BSD licence since plone.reload 2.0, GPL v2 before), itself
taken and extended from the xreload Guido van Rossum posted to edu-sig in February 2007
(http://mail.python.org/pipermail/edu-sig/2007-February/007787.html). Only what we use is
here: its in-place updates of classes and functions are rewritten in checked_reload.
"""

from __future__ import annotations

import types

# What a class's __dict__ holds that is not the class body's to update.
CLASS_STATICS = frozenset(["__dict__", "__doc__", "__module__", "__weakref__"])


def compile_source(source: bytes, filename: str) -> types.CodeType:
    # plone.reload's reason: without the strip and the newline, compile() refuses some
    # files that ``python file.py`` runs.  dont_inherit: the module's own __future__
    # imports, not ours (annotations would become strings where a cold start has objects).
    return compile(source.strip() + b"\n", filename, "exec", dont_inherit=True)


def update_scope(old: dict, new: dict, bound_before: frozenset[str] | None = None) -> None:
    """Give old the names new introduced, and take away the names new no longer has
    (dunder names stay: the import system set them).  bound_before: the names the module's
    code bound when it last ran, where known: a name it never bound was set by others (Zope
    sets ``_m`` on a product's package at start-up), and stays, as after a cold start."""
    old_names, new_names = set(old), set(new)
    for name in new_names - old_names:
        old[name] = new[name]
    for name in old_names - new_names:
        if not name.startswith("__") and (bound_before is None or name in bound_before):
            del old[name]
