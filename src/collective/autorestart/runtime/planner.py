"""Decide what a batch of changes needs.  Pure: no I/O, no imports of what it plans."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from collective.autorestart.runtime.batcher import Change


@dataclass(frozen=True)
class Plan:
    modules: tuple[str, ...] = ()  # names, parents before children
    zcml: bool = False
    ignored: tuple[str, ...] = ()  # changed paths that need nothing
    vanished: tuple[str, ...] = ()  # loaded modules whose file was deleted

    @property
    def needs_reload(self) -> bool:
        return bool(self.modules or self.zcml)


def make_plan(
    changes: Mapping[str, Change],
    loaded: Mapping[str, str],
    retry_modules: Iterable[str] = (),
    retry_zcml: bool = False,
    everything: bool = False,
) -> Plan:
    """``loaded`` maps the source path of each loaded module under a watch root to its
    name.  ``retry_*`` carry what failed last time: any save retries it.  ``everything``
    (after lost events) reloads all loaded modules and the ZCML."""
    modules = set(retry_modules)
    zcml = retry_zcml or everything
    ignored = []
    vanished = []
    if everything:
        modules.update(loaded.values())
    for path, change in changes.items():
        if path.endswith(".zcml"):
            zcml = True
        elif path in loaded:
            if change is Change.DELETED:
                vanished.append(loaded[path])
            else:
                modules.add(loaded[path])
        else:
            # Not loaded (yet): the first import reads the new file anyway.
            ignored.append(path)
    modules.difference_update(vanished)
    return Plan(
        modules=tuple(sorted(modules, key=lambda name: (name.count("."), name))),
        zcml=zcml,
        ignored=tuple(sorted(ignored)),
        vanished=tuple(sorted(vanished)),
    )
