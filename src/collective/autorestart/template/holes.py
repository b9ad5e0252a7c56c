"""Parse the site's ZCML in the template, leaving a hole where a watched file is included;
fill the holes in each child, then execute every action, as one cold start would.

Parsing is most of what ZCML costs once the modules are imported (1.1 s of 1.4 s on Plone
6.2 here); executing the actions registers components, so it stays in the child, where the
actions of the holes are spliced in at the places a cold start would have made them.

A hole may include a file the template parsed later in the site's order: a cookieplone
add-on, included by the site before ``five:loadProducts``, includes CMFCore's
permissions.zcml.  A cold start parses that file in the hole, at the first include, and skips
it later; the child moves the template's block of that file's actions (its includes' with it)
into the hole, their include path made the hole's.  The child's list of actions is then the
cold start's.  Where a move can't be shown to give it (the file provides a feature or defines
a directive, holds a hole, or skipped a file a cold start would not yet have seen), or a hole
provides a feature a later file tests, the child parses the whole site itself.
"""

from __future__ import annotations

import itertools
import os
import sys
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
class Block:
    """The actions the template's parse of one file made, its includes' among them."""

    start: int
    end: int = -1
    includepath: tuple = ()  # the file's own include path in the template
    last_sequence: int = -1  # the last file first met inside it
    # Why it can't move into a hole: what it did beyond adding actions.
    provides_features: bool = False
    defines_directives: bool = False
    holds_a_hole: bool = False
    # Files its includes found already parsed (or excluded).
    skipped: set = field(default_factory=set)
    # The features its zcml:conditions asked for (have, not-have).
    tested_features: set = field(default_factory=set)


@dataclass
class SplitSite:
    machine: Any  # the ConfigurationMachine
    holes: list[Hole]
    first_seen: dict[str, int] = field(default_factory=dict)
    blocks: dict[str, Block] = field(default_factory=dict)
    # When each feature was first provided, on the clock of the files' sequences.
    features_provided: dict[str, int] = field(default_factory=dict)

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
    parsing: list[Block] = []  # the blocks of the files being parsed, innermost last
    latest = [-1]  # the sequence of the last file first met

    def process_file(context, filename):
        path = context.path(filename)
        if path in context._seen_files:
            for block in parsing:
                block.skipped.add(path)
            return False
        sequence = next(counter)
        if watched(path):
            split.holes.append(
                Hole(context, path, sequence, len(machine.actions), overrides[-1] if overrides else None)
            )
            for block in parsing:
                block.holds_a_hole = True
            return False
        split.first_seen[path] = latest[0] = sequence
        context._seen_files.add(path)
        return True

    def process_xml_file(file, context):
        block = split.blocks.setdefault(file.name, Block(len(machine.actions), includepath=context.includepath))
        parsing.append(block)
        try:
            process_xml(file, context)
        finally:
            parsing.pop()
            block.end = len(machine.actions)
            block.last_sequence = latest[0]

    def include_overrides(_context, file=None, package=None, files=None):
        overrides.append(_context.includepath)
        try:
            xmlconfig.includeOverrides(_context, file, package, files)
        finally:
            overrides.pop()

    def noting(attribute, method):
        def note(*args, **kwargs):
            for block in parsing:
                setattr(block, attribute, True)
            return method(*args, **kwargs)

        return note

    def provide_feature(context, feature):
        # On the files' clock: a test between two places compares with their sequences.
        split.features_provided.setdefault(feature, next(counter))
        for block in parsing:
            block.provides_features = True
        return provide(context, feature)

    def evaluate_condition(handler, expression):
        verb, _, arguments = expression.strip().partition(" ")
        if verb in ("have", "not-have"):
            for block in parsing:
                block.tested_features.add(arguments.strip())
        return evaluate(handler, expression)

    process_xml = xmlconfig.processxmlfile
    evaluate = xmlconfig.ConfigurationHandler.evaluateCondition
    # Directives call these on the decorators of the machine: provideFeature is the
    # context class's own method, register the machine's (reached through __getattr__).
    provide = config.ConfigurationContext.provideFeature
    machine.register = noting("defines_directives", machine.register)
    config.defineSimpleDirective(machine, "includeOverrides", xmlconfig.IInclude, include_overrides, namespace="*")
    try:
        with _replaced(config.ConfigurationContext, "processFile", process_file):
            with _replaced(xmlconfig, "processxmlfile", process_xml_file, module=True):
                with _replaced(xmlconfig.ConfigurationHandler, "evaluateCondition", evaluate_condition):
                    with _replaced(config.ConfigurationContext, "provideFeature", provide_feature):
                        for path in site_files:
                            xmlconfig.include(machine, path)
    finally:
        del machine.register
    return split


def fill_and_execute(split: SplitSite) -> None:
    """In a child: parse the holes, splice their actions in, execute all of them.  Raises
    CannotSplit before executing anything when the result would not be a cold start's."""
    machine = split.machine
    template_actions = list(machine.actions)
    features = set(machine._features)
    first_seen = dict(split.first_seen)
    filling: list[Hole] = []
    moved: dict[str, list[dict]] = {}  # path: its block's actions, as the hole has them
    taken: set[int] = set()  # the indices of the template's actions moved into holes
    # Per hole, the moves its parse made: (where among the hole's actions, path).
    moves: list[tuple[int, str]] = []
    before = 0

    def process_file(context, filename):
        path = context.path(filename)
        if path in context._seen_files:
            hole = filling[-1]
            # None: a watched file, parsed in the first hole that includes it.
            later = first_seen.get(path)
            if path not in moved and later is not None and later > hole.sequence:
                if sys._getframe(1).f_code is xmlconfig.exclude.__code__:
                    # A cold start never parses it: the template's actions of it are wrong.
                    raise CannotSplit("%s excludes %s, which the template parsed" % (hole.path, path))
                block = _movable(split, path, hole, first_seen)
                includepath = context.context.includepath + (block.includepath[-1],)
                moved[path] = _moved_actions(template_actions, block, includepath, taken)
                moves.append((len(machine.actions) - before, path))
                # Met here from now on, with the files first met inside it.
                for other, sequence in list(first_seen.items()):
                    if later <= sequence <= block.last_sequence:
                        first_seen[other] = hole.sequence
            return False
        context._seen_files.add(path)
        return True

    filled: list[list[dict]] = []
    with _replaced(config.ConfigurationContext, "processFile", process_file):
        for hole in split.holes:
            filling.append(hole)
            before = len(machine.actions)
            moves.clear()
            _include_one(hole)
            added = machine.actions[before:]
            del machine.actions[before:]
            for offset, path in reversed(moves):
                added[offset:offset] = moved[path]
            if hole.overrides_includepath is not None:
                for action in added:
                    action["includepath"] = hole.overrides_includepath
            filled.append(added)
    provided = set(machine._features) - features
    if provided:
        raise CannotSplit("watched ZCML provides the feature(s) %s" % ", ".join(sorted(provided)))
    machine.actions[:] = _spliced(template_actions, split.holes, filled, taken)
    machine.execute_actions()


def _movable(split: SplitSite, path: str, hole: Hole, first_seen: dict[str, int]) -> Block:
    """The template's block of path, if moving it into hole gives a cold start's parse."""
    block = split.blocks.get(path)
    why = None
    if block is None:
        why = "which a cold start parses there first (the template only excluded it)"
    elif block.provides_features or block.defines_directives or block.holds_a_hole:
        why = "which a cold start parses there first (it %s)" % (
            "provides a feature"
            if block.provides_features
            else "defines directives"
            if block.defines_directives
            else "includes a watched file"
        )
    else:
        unseen = sorted(skipped for skipped in block.skipped if first_seen.get(skipped, -1) > hole.sequence)
        later = first_seen[path]
        # Provided between the two places: a cold start's test of it there says otherwise.
        tested = sorted(
            feature
            for feature in block.tested_features
            if hole.sequence < split.features_provided.get(feature, -1) < later
        )
        if unseen:
            why = "which a cold start parses there first, with %s in it" % unseen[0]
        elif tested:
            why = "which a cold start parses there first, before the feature %s it tests" % tested[0]
    if why is not None or block is None:
        raise CannotSplit("%s includes %s, %s" % (hole.path, path, why))
    return block


def _moved_actions(template_actions: list[dict], block: Block, includepath: tuple, taken: set[int]) -> list[dict]:
    """The block's actions, as a cold start makes them at the hole's include; but those of a
    file inside it that a hole included before (moved already: a cold start skips it here).
    Their indices are added to taken."""
    old = block.includepath
    actions = []
    for index in range(block.start, block.end):
        if index in taken:
            continue
        taken.add(index)
        action = dict(template_actions[index])
        path = tuple(action.get("includepath", ()))
        if path[: len(old)] == old:
            action["includepath"] = includepath + path[len(old) :]
        actions.append(action)
    return actions


def _spliced(template_actions: list[dict], holes: list[Hole], filled: list[list[dict]], taken: set[int]) -> list:
    """The template's actions with each hole's where a cold start makes them, and without
    those moved into holes (taken: their indices)."""
    by_position: dict[int, list[dict]] = {}
    for hole, added in zip(holes, filled):
        by_position.setdefault(hole.position, []).extend(added)
    actions: list[dict] = []
    for index, action in enumerate(template_actions):
        actions.extend(by_position.pop(index, ()))
        if index not in taken:
            actions.append(action)
    for position in sorted(by_position):
        actions.extend(by_position[position])
    return actions


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
def _replaced(owner, name, function, module=False):
    original = getattr(owner, name) if module else owner.__dict__[name]
    setattr(owner, name, function)
    try:
        yield
    finally:
        setattr(owner, name, original)
