"""Which paths matter: include by file name, exclude by name, basename glob or path."""

from __future__ import annotations

import fnmatch
import os
import re


def _one_regex(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join("(?:%s)" % fnmatch.translate(p) for p in patterns))


# GenericSetup profiles: what a Plone add-on's site is set up from (profiles/default/
# metadata.xml, types/*.xml, registry.xml, ...).  No reload applies them; a save gets a line
# saying what does.
PROFILES_DIRECTORY = "profiles"
PROFILE_FILES = "%s/**/*.xml" % PROFILES_DIRECTORY


def is_profile_file(path: str) -> bool:
    return path.endswith(".xml") and PROFILES_DIRECTORY in path.split(os.sep)[:-1]


class PathFilter:
    """Exclude patterns without a slash match any single path component (a directory name
    such as ``node_modules`` or a file name such as ``*.pyc``); patterns with a slash are
    absolute paths or path globs that exclude everything below what they match.
    ``profiles``: whether the files of GenericSetup profiles count too (by path, not name)."""

    def __init__(self, include: tuple[str, ...], exclude: tuple[str, ...], profiles: bool = False) -> None:
        self.include = tuple(include)
        self.exclude = tuple(exclude)
        self.profiles = profiles
        self._include = _one_regex(list(include))
        self._excluded_names = _one_regex([p for p in exclude if "/" not in p])
        self._excluded_paths = _one_regex([p.rstrip("/") for p in exclude if "/" in p])

    def __repr__(self) -> str:
        return "PathFilter(include=%s, exclude=%s%s)" % (
            " ".join(self.include),
            " ".join(self.exclude),
            ", profiles=%s" % PROFILE_FILES if self.profiles else "",
        )

    def excludes_directory(self, path: str) -> bool:
        """Used while walking and by inotify's auto-add: an excluded directory is not watched."""
        name = os.path.basename(path)
        if self._excluded_names is not None and self._excluded_names.match(name):
            return True
        return self.path_excluded(path)

    def accepts_name(self, name: str) -> bool:
        """The file name test alone, for a file in a directory already known not excluded."""
        if self._include is None or not self._include.match(name):
            return False
        return self._excluded_names is None or not self._excluded_names.match(name)

    def holds_profile_files(self, directory: str) -> bool:
        """Whether the .xml files of directory count as a profile's (see accepts_file): a
        walk's name test alone would pass them over."""
        return self.profiles and PROFILES_DIRECTORY in directory.split(os.sep)

    def accepts_file(self, path: str) -> bool:
        name = os.path.basename(path)
        if self.profiles and is_profile_file(path):
            accepted = self._excluded_names is None or not self._excluded_names.match(name)
        else:
            accepted = self.accepts_name(name)
        return accepted and not self.path_excluded(path)

    def path_excluded(self, path: str) -> bool:
        """Whether path or one of its parents matches an exclude pattern with a slash."""
        if self._excluded_paths is None:
            return False
        while True:
            if self._excluded_paths.match(path):
                return True
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent


def watch_filter(include: tuple[str, ...], restart_on: tuple[str, ...], exclude: tuple[str, ...]) -> PathFilter:
    """What is watched: the included files, the files that restart, buildout's cfg files (a
    change to one gets a line saying that it needs a buildout run) and GenericSetup profiles
    (a line saying what applies them)."""
    return PathFilter(tuple(dict.fromkeys(include + restart_on + ("*.cfg",))), exclude, profiles=True)
