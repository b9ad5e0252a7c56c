"""Parse the site's ZCML in the template, leaving a hole where a watched file is included;
fill the holes in each child, then execute every action, as one cold start would.

Parsing is most of what ZCML costs once the modules are imported (1.1 s of 1.4 s on Plone
6.2 here); executing the actions registers components, so it stays in the child, where the
actions of the holes are spliced in at the places a cold start would have made them.  The
child's list of actions is then the cold start's, unless a hole includes a file the template
already parsed after it (a cold start parses it in the hole, at the first include), or
provides a feature a later file tests: then the child parses the whole site itself.
"""

from __future__ import annotations

import itertools
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from zope.configuration import config, xmlconfig
from zope.configuration.exceptions import ConfigurationError


class CannotSplit(ConfigurationError):
    """The holes can't be filled as a cold start would have parsed them; the first argument
    says which file is why.  A ConfigurationError, so that the XML handler lets it through
    unwrapped."""


@dataclass
class Hole:
    context: Any  # the include's GroupingContextDecorator
    path: str
    sequence: int  # when, among the files the template met
    position: int  # index in the actions where a cold start would have put the hole's
    overrides_includepath: tuple | None  # set inside includeOverrides


@dataclass
class SplitSite:
    machine: Any  # the ConfigurationMachine
    holes: list[Hole]
    first_seen: dict[str, int] = field(default_factory=dict)

    @property
    def files(self):
        return set(self.machine._seen_files)


def parse_site(site_files: list[str], watched) -> SplitSite:
    """``watched(path)`` tells the watched files; what ``xmlconfig.file`` does for each of
    ``site_files`` (the site.zcml, and a runwsgi-autoreload session's slug), in one machine,
    without executing the actions and without parsing the watched files."""
    machine = config.ConfigurationMachine()
    xmlconfig.registerCommonDirectives(machine)
    machine.package = None
    split = SplitSite(machine, [])
    counter = itertools.count()
    overrides: list[tuple] = []

    def process_file(context, filename):
        path = context.path(filename)
        if path in context._seen_files:
            return False
        sequence = next(counter)
        if watched(path):
            split.holes.append(
                Hole(context, path, sequence, len(machine.actions), overrides[-1] if overrides else None)
            )
            return False
        split.first_seen[path] = sequence
        context._seen_files.add(path)
        return True

    def include_overrides(_context, file=None, package=None, files=None):
        overrides.append(_context.includepath)
        try:
            xmlconfig.includeOverrides(_context, file, package, files)
        finally:
            overrides.pop()

    config.defineSimpleDirective(machine, "includeOverrides", xmlconfig.IInclude, include_overrides, namespace="*")
    with _replaced(config.ConfigurationContext, "processFile", process_file):
        for path in site_files:
            xmlconfig.include(machine, path)
    return split


def fill_and_execute(split: SplitSite) -> None:
    """In a child: parse the holes, splice their actions in, execute all of them.  Raises
    CannotSplit before executing anything when the result would not be a cold start's."""
    machine = split.machine
    features = set(machine._features)
    filling: list[Hole] = []

    def process_file(context, filename):
        path = context.path(filename)
        if path in context._seen_files:
            later = split.first_seen.get(path)
            hole = filling[-1]
            if later is not None and later > hole.sequence:
                raise CannotSplit("%s includes %s, which a cold start parses there first" % (hole.path, path))
            return False
        context._seen_files.add(path)
        return True

    offset = 0
    with _replaced(config.ConfigurationContext, "processFile", process_file):
        for hole in split.holes:
            filling.append(hole)
            before = len(machine.actions)
            _include_one(hole)
            added = machine.actions[before:]
            del machine.actions[before:]
            if hole.overrides_includepath is not None:
                for action in added:
                    action["includepath"] = hole.overrides_includepath
            machine.actions[hole.position + offset : hole.position + offset] = added
            offset += len(added)
    provided = set(machine._features) - features
    if provided:
        raise CannotSplit("watched ZCML provides the feature(s) %s" % ", ".join(sorted(provided)))
    machine.execute_actions()


def _include_one(hole: Hole) -> None:
    """The body of ``xmlconfig.include`` for one of its paths."""
    context = hole.context
    _context = context.context
    if not context.processFile(hole.path):
        return
    with xmlconfig.openInOrPlain(hole.path) as f:
        context.basepath = os.path.dirname(hole.path)
        context.includepath = _context.includepath + (f.name,)
        _context.stack.append(config.GroupingStackItem(context))
        xmlconfig.processxmlfile(f, context)
    _context.stack.pop()


@contextmanager
def _replaced(cls, name, function):
    original = cls.__dict__[name]
    setattr(cls, name, function)
    try:
        yield
    finally:
        setattr(cls, name, original)
