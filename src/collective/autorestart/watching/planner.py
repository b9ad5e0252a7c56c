"""Decide what a batch of changes needs.  Pure: no I/O, no imports of what it plans."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PROFILES_DIRECTORY, is_profile_file

# In a plan's zcml: not one file but all ZCML (after lost events).
ALL_ZCML = "*"


@dataclass(frozen=True)
class Policy:
    restart_on: tuple[str, ...] = ()  # file name globs
    zcml_restarts: bool = False
    buildout_directory: str = ""


@dataclass(frozen=True)
class Plan:
    modules: tuple[str, ...] = ()  # names, parents before children
    zcml: tuple[str, ...] = ()  # the changed ZCML files, or ALL_ZCML
    ignored: tuple[str, ...] = ()  # changed paths that need nothing
    vanished: tuple[str, ...] = ()  # loaded modules whose file was deleted
    restart: str | None = None  # why the process must restart instead of reloading
    # A restart-on file is among the causes: what it changes may be held by the template.
    restart_fresh: bool = False
    buildout_files: tuple[str, ...] = ()  # need a buildout run, which we can't do
    # GenericSetup profiles changed, by profile ("package:name", or the profile's directory
    # where no loaded package is its parent): what applies them is an import or an upgrade.
    profiles: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def needs_reload(self) -> bool:
        return bool(self.modules or self.zcml)


def make_plan(
    changes: Mapping[str, Change],
    loaded: Mapping[str, str],
    policy: Policy | None = None,
    retry_modules: Iterable[str] = (),
    retry_zcml: Iterable[str] = (),
    everything: bool = False,
) -> Plan:
    """``loaded`` maps the source path of each loaded module under a watch root to its
    name.  ``retry_*`` carry what failed last time: any save retries it.  ``everything``
    (after lost events) reloads all loaded modules and the ZCML."""
    policy = policy or Policy()
    modules = set(retry_modules)
    zcml = set(retry_zcml)
    if everything:
        zcml.add(ALL_ZCML)
    ignored = []
    vanished = []
    restart_causes = []
    restart_on_changed = False
    buildout_files = []
    profiles: dict[str, list[str]] = {}
    if everything:
        modules.update(loaded.values())
    for path, change in changes.items():
        name = os.path.basename(path)
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in policy.restart_on):
            restart_causes.append(path)
            restart_on_changed = True
        elif name.endswith(".cfg") and os.path.dirname(path) == policy.buildout_directory:
            buildout_files.append(path)
        elif path.endswith(".zcml"):
            zcml.add(path)
        elif is_profile_file(path):
            profiles.setdefault(_profile(path, loaded), []).append(path)
        elif path in loaded:
            if change is Change.DELETED:
                vanished.append(loaded[path])
            else:
                modules.add(loaded[path])
        else:
            # Not loaded (yet): the first import reads the new file anyway.
            ignored.append(path)
    modules.difference_update(vanished)
    if zcml and policy.zcml_restarts:
        restart_causes.extend(sorted(path for path in changes if path.endswith(".zcml")) or ["ZCML"])
    restart = None
    if restart_causes:
        restart = "%s changed" % ", ".join(sorted(restart_causes)[:3])
        if len(restart_causes) > 3:
            restart += " (and %d more)" % (len(restart_causes) - 3)
    return Plan(
        modules=tuple(sorted(modules, key=lambda name: (name.count("."), name))),
        zcml=tuple(sorted(zcml)),
        ignored=tuple(sorted(ignored)),
        vanished=tuple(sorted(vanished)),
        restart=restart,
        restart_fresh=restart_on_changed,
        buildout_files=tuple(sorted(buildout_files)),
        profiles={profile: tuple(sorted(paths)) for profile, paths in sorted(profiles.items())},
    )


def _profile(path: str, loaded: Mapping[str, str]) -> str:
    """The profile a file belongs to: "package:name" as portal_setup lists it, the package
    being the loaded one whose directory holds profiles/ (the innermost)."""
    parts = path.split(os.sep)
    at = len(parts) - 2 - parts[-2::-1].index(PROFILES_DIRECTORY)
    directory = os.sep.join(parts[:at])
    package = loaded.get(os.path.join(directory, "__init__.py"))
    name = parts[at + 1] if at + 2 < len(parts) else ""
    if package is None or not name:
        return os.sep.join(parts[: at + 2])
    return "%s:%s" % (package, name)
