"""The one wrapper around the configuration machine's ``execute_actions``.

Installed while the site's ZCML is parsed (our slug's directive), on the start-up's machine
and on each full reload's, as each parses our slug again. Each execution feeds both records
the ZCML engine keeps: the actions it ran (actions, for the incremental reload) and, the
first time, what it registered (outside, to keep what code registered across full reloads).
"""

from __future__ import annotations

from collections.abc import Callable

from zope.configuration.config import resolveConflicts

from collective.autorestart.runtime.zcml import actions, outside

# Set on a machine once it is wrapped: a ZCML file may hold our directive more than once.
RECORDED = "_autorestart_recorded"


def record_execution(machine, watched: Callable[[str], bool]) -> None:
    """``watched(path)``: whether a ZCML file's text is kept (watching.roots.WatchedFiles)."""
    if getattr(machine, RECORDED, False):
        return
    execute_actions = machine.execute_actions

    def execute_and_record(*args, **kwargs):
        # What execute_actions runs; it resolves them again, which costs little once resolved.
        resolved = resolveConflicts(machine.actions)
        machine.actions[:] = resolved
        with outside.noting_execution():
            result = execute_actions(*args, **kwargs)
        actions.record(machine, resolved, watched)
        return result

    machine.execute_actions = execute_and_record
    setattr(machine, RECORDED, True)
