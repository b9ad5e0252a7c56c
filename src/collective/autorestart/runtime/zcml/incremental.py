"""The incremental ZCML reload: only what the changed files did is taken back and done again.

A full reload runs every directive of the site again: seconds on Plone. Here the actions the
changed files made at the last execution (see actions) are taken back, the files are
parsed again in the context they were included from, and their new actions run, checked for
conflicts against the actions that remain. What can't be shown to give what a cold start
gives raises Fallback, and the caller reloads all ZCML instead.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from xml.etree import ElementTree

from zope.configuration import xmlconfig
from zope.configuration.config import ConfigurationExecutionError, resolveConflicts
from zope.configuration.exceptions import ConfigurationError

from collective.autorestart.runtime import touchpoints
from collective.autorestart.runtime.registry import (
    HANDLER,
    SUBSCRIPTION_ADAPTER,
    global_registry,
    identity,
    in_order,
    register,
    registrations,
    unregister,
)
from collective.autorestart.runtime.zcml import actions as zcml_actions
from collective.autorestart.runtime.zcml.undo import (
    CHECKS,
    dotted,
    full_reload_undoes,
    interface_key,
    is_profile,
    same_effect,
    undo_profile,
    why_not_undoable,
)
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind, error_detail

INCLUDES = frozenset(
    [
        "include",
        "includeOverrides",
        "exclude",
        "includeDependencies",
        "includePlugins",
        "includePluginsOverrides",
        "autoIncludePlugins",
        "autoIncludePluginsOverrides",
    ]
)
META_NAMESPACE = "http://namespaces.zope.org/meta"
CONDITION = "{http://namespaces.zope.org/zcml}condition"
log = logging.getLogger("collective.autorestart")


class Fallback(Exception):
    """Why the changed files need the full ZCML reload."""

    def __init__(self, why: str, unsafe: Unsafe | None = None, internal: Exception | None = None) -> None:
        super().__init__(why)
        # Why not even the full reload gives a cold start's state: it does not take back
        # what the removed directive did either.
        self.unsafe = unsafe
        self.restart = unsafe is not None
        # A bug of ours, not the user's ZCML: the caller logs it with its traceback.
        self.internal = internal


@dataclass
class Applied:
    files: tuple[str, ...]
    undone: int
    done: int


def reload_changed(paths: tuple[str, ...]) -> Applied:
    """Raises Fallback, or the user's error (the registry then is as it was): a
    ConfigurationError, or what their code raised that is not an Exception. Any other
    Exception is ours, and the full reload is the way on."""
    try:
        return _reload_changed(paths)
    except (Fallback, ConfigurationError):
        raise
    except Exception as error:  # noqa: B902 - a bug of ours, not the user's ZCML
        raise Fallback("an internal error of the incremental reload (%s)" % error_detail(error), internal=error)


def _reload_changed(paths: tuple[str, ...]) -> Applied:
    started = time.perf_counter()
    executed = zcml_actions.executed()
    if executed is None:
        raise Fallback("the start-up's ZCML actions were not recorded")
    machine = executed.machine
    seen = executed.seen
    changed = []
    for path in paths:
        known = [candidate for candidate in (os.path.abspath(path), os.path.realpath(path)) if candidate in seen]
        if known:
            changed.append(known[0])
        elif _may_be_globbed(path, executed.texts):
            raise Fallback("%s is new and an include of files=... may read it" % path)
    # One file may come twice: saved, and named by its link (the Python reload's files).
    changed = list(dict.fromkeys(changed))
    if not changed:
        # A cold start does not read them either.
        return Applied((), 0, 0)
    changed_set = set(changed)
    old = [action for action in executed.actions if _file_of(action) in changed_set]
    contexts = {path: _include_context(path, old, executed) for path in changed}
    new_actions, seen_after = _parse_again(machine, seen, changed, contexts)
    old, new_actions = _without_unchanged_blockers(old, new_actions)
    for action in new_actions:
        why = why_not_undoable(action)
        if why is not None:
            raise Fallback("%s could not be taken back again (%s)" % (_where(action), why))
        if action.get("order") and dotted(action.get("callable")) not in CHECKS:
            raise Fallback("%s runs in a later order than the other actions" % _where(action))
    old_ids = {id(action) for action in old}
    remaining = [action for action in executed.actions if id(action) not in old_ids]
    to_run = _without_conflicts(remaining, new_actions)
    prepared = time.perf_counter()
    moved = _take_back(old, remaining + to_run)
    taken_back = time.perf_counter()
    try:
        _run(to_run)
    except BaseException:  # noqa: B902 - undone, then re-raised
        _take_back(to_run, remaining)
        try:
            _run(old)
        except Exception as error:  # noqa: B902 - whatever it is, the full reload is the way back
            raise Fallback("the previous ZCML could not be restored (%s)" % error) from error
        raise
    executed.actions = _spliced(executed.actions, old, to_run)
    _subscribers_in_order(executed.actions, to_run, moved)
    seen.update(seen_after)
    executed.texts.update(zcml_actions.read_texts_of(changed))
    log.debug(
        "incremental ZCML reload: parsed and checked in %.1f ms, took back in %.1f ms, ran in %.1f ms",
        (prepared - started) * 1000,
        (taken_back - prepared) * 1000,
        (time.perf_counter() - taken_back) * 1000,
    )
    return Applied(tuple(changed), len(old), len(to_run))


def _spliced(actions: list[dict], old: list[dict], new: list[dict]) -> list[dict]:
    """The actions in the order a cold start runs them: each file's new actions where its
    old ones were (the first of them), a file that had none at the end."""
    old_ids = {id(action) for action in old}
    by_file: dict[str | None, list[dict]] = {}
    for action in new:
        by_file.setdefault(_file_of(action), []).append(action)
    spliced = []
    for action in actions:
        if id(action) not in old_ids:
            spliced.append(action)
            continue
        spliced.extend(by_file.pop(_file_of(action), ()))
    for rest in by_file.values():
        spliced.extend(rest)
    return spliced


def _subscribers_in_order(actions: list[dict], ran: list[dict], moved: list[int]) -> None:
    """Subscribers the new actions registered go last in their group; a cold start has them
    where their directives are among the others. Those code registered (at import, before
    the ZCML ran) stay first."""
    ran_infos = {id(action["info"]) for action in ran if action.get("info")} | set(moved)
    if not ran_infos:
        return
    positions: dict[int, int] = {}
    for index, action in enumerate(actions):
        if action.get("info"):
            positions.setdefault(id(action["info"]), index)
    in_order(
        global_registry(),
        (HANDLER, SUBSCRIPTION_ADAPTER),
        touched=lambda registration: id(registration.info) in ran_infos,
        position=lambda registration: positions.get(id(registration.info), -1),
    )


def _without_unchanged_blockers(old: list[dict], new_actions: list[dict]) -> tuple[list[dict], list[dict]]:
    """An action that can't be taken back may stay, when the new text has it unchanged
    (a class's ``implements``, the add-on's translations): it is left as it is, and its
    twin is not run. One that is gone or changed needs the full reload, or a restart where
    not even that takes it back."""
    unmatched = list(new_actions)
    staying = []
    for action in old:
        why = why_not_undoable(action)
        if why is None:
            continue
        twin = next((new for new in unmatched if same_effect(action, new)), None)
        if twin is None:
            reason = Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, _where(action), why)
            raise Fallback(str(reason), unsafe=None if full_reload_undoes(action) else reason)
        unmatched.remove(twin)
        staying.append(id(action))
    return [action for action in old if id(action) not in staying], unmatched


def _file_of(action: dict) -> str | None:
    return getattr(action.get("info"), "file", None)


def _where(action: dict) -> str:
    info = action.get("info")
    line = getattr(info, "line", None)
    return "%s:%s" % (_file_of(action), line) if line is not None else str(_file_of(action))


@dataclass(frozen=True)
class IncludeContext:
    includepath: tuple[str, ...]
    package: object
    structure: tuple | None  # None: the file was not well-formed then


def _include_context(path: str, old: list[dict], executed) -> IncludeContext:
    """The include path and package the file was parsed with, and its includes then."""
    paths = {action["includepath"] for action in old if _file_of(action) == path}
    if not paths:
        paths = {_includepath_by_includer(path, executed)}
    if len(paths) > 1 or next(iter(paths))[-1:] != (path,):
        raise Fallback("%s is included as overrides" % path)
    includepath = next(iter(paths))
    text = executed.texts.get(path)
    if text is None:
        raise Fallback("%s was not read at start-up" % path)
    return IncludeContext(includepath[:-1], _package_of(includepath, executed.texts), _structure(text, path))


def _includepath_by_includer(path: str, executed) -> tuple[str, ...]:
    """For a file that had no directives: its include path, found through the watched file
    that includes it (that one's include path known from its own actions)."""
    for parent, text in executed.texts.items():
        parent_paths = {action["includepath"] for action in executed.actions if _file_of(action) == parent}
        if len(parent_paths) != 1 or next(iter(parent_paths))[-1:] != (parent,):
            continue
        parent_path = next(iter(parent_paths))
        for element in _elements(text):
            if _local(element.tag) != "include":
                continue
            if _included_file(element, parent, parent_path, executed.texts) == path:
                return parent_path + (path,)
    raise Fallback("%s made no actions at start-up, and no watched file that did includes it" % path)


def _included_file(element, parent: str, parent_path: tuple[str, ...], texts: dict) -> str | None:
    name = element.get("file") or "configure.zcml"
    package = element.get("package")
    if package is None:
        return os.path.normpath(os.path.join(os.path.dirname(parent), name))
    if package.startswith("."):
        if package.startswith(".."):
            return None
        package = _package_of(parent_path, texts).__name__ + package
    module = sys.modules.get(package)
    directory = os.path.dirname(getattr(module, "__file__", None) or "")
    return os.path.join(directory, name) if directory else None


def _package_of(includepath: tuple[str, ...], texts: dict[str, bytes]):
    """What relative dotted names in the file are relative to: the package it was included
    by, or, included by file, its includer's."""
    path = includepath[-1]
    parent = includepath[-2] if len(includepath) > 1 else None
    if parent in texts:
        for element in _elements(texts[parent]):
            tag = _local(element.tag)
            if tag in ("include", "includeOverrides") and "package" not in element.attrib:
                pattern = os.path.join(os.path.dirname(parent), element.get("file") or element.get("files") or "")
                if _matches(pattern, path, globbed="files" in element.attrib):
                    return _package_of(includepath[:-1], texts)
    directory = os.path.dirname(path)
    # The package whose name the path ends with, before a walk over every module.
    parts = os.path.normpath(directory).split(os.sep)
    for start in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[start:]))
        if module is not None and _holds(module, directory):
            return module
    for module in list(sys.modules.values()):
        if _holds(module, directory):
            return module
    raise Fallback("%s is not in an imported package" % path)


def _holds(module, directory: str) -> bool:
    entries = getattr(module, "__path__", None)
    if not entries:
        return False
    real = os.path.realpath(directory)
    return any(isinstance(entry, str) and os.path.realpath(entry) == real for entry in list(entries))


def _matches(pattern: str, path: str, globbed: bool) -> bool:
    import fnmatch

    pattern = os.path.normpath(pattern)
    return fnmatch.fnmatchcase(path, pattern) if globbed else pattern == path


def _elements(text: bytes):
    try:
        return list(ElementTree.fromstring(text).iter())
    except ElementTree.ParseError:
        return []


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _structure(text: bytes, path: str) -> tuple | None:
    """What decides which other files the file reads, and which directives exist: its
    includes, with the conditions around them. None when it is not well-formed (parsing
    it again reports where)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return None
    found = []

    def walk(element, conditions):
        if isinstance(element.tag, str) and element.tag.startswith("{%s}" % META_NAMESPACE):
            raise Fallback("%s defines directives" % path)
        if element.get(CONDITION):
            conditions = conditions + (element.get(CONDITION),)
        if _local(element.tag) in INCLUDES:
            found.append((_local(element.tag), tuple(sorted(element.attrib.items())), conditions))
        for child in element:
            walk(child, conditions)

    walk(root, ())
    return tuple(found)


def _may_be_globbed(path: str, texts: dict[str, bytes]) -> bool:
    return path.endswith(".zcml") and any(re.search(rb"\bfiles\s*=", text) for text in texts.values())


def _parse_again(machine, seen: set[str], changed: list[str], contexts: dict) -> tuple[list[dict], set[str]]:
    fresh = touchpoints.machine_like(machine, seen - set(changed))
    # An including file before the files it includes: these are parsed with it.
    for path in sorted(changed, key=lambda each: len(contexts[each].includepath)):
        context = contexts[path]
        try:
            with open(path, "rb") as stream:
                structure = _structure(stream.read(), path)
        except OSError as error:
            # The full reload reports it at the include that reads it, as a cold start does.
            raise Fallback("%s can't be read (%s)" % (path, error.strerror)) from error
        if structure is not None and context.structure is not None and structure != context.structure:
            raise Fallback("the includes of %s changed" % path)
        fresh.package = context.package
        fresh.basepath = os.path.dirname(path)
        fresh.includepath = context.includepath
        xmlconfig.include(fresh, file=path)
    return list(fresh.actions), touchpoints.seen_files(fresh) - seen


def _without_conflicts(remaining: list[dict], new_actions: list[dict]) -> list[dict]:
    """The new actions to run, as conflict resolution over all of them would keep them.
    Raises zope.configuration's conflict error."""
    discriminators = {action["discriminator"] for action in new_actions if action.get("discriminator") is not None}
    competing = [action for action in remaining if action.get("discriminator") in discriminators]
    kept = {id(action) for action in resolveConflicts(competing + new_actions)}
    overridden = [action for action in competing if id(action) not in kept]
    if overridden:
        raise Fallback("%s overrides %s" % (_where(new_actions[0]), _where(overridden[0])))
    # An action another file overrides does not run on a cold start either.
    return [action for action in new_actions if id(action) in kept]


def _take_back(actions: list[dict], staying: list[dict]) -> list[int]:
    """Returns the ids of the infos of other files' subscribers registered again."""
    registry = global_registry()
    infos = {id(action["info"]) for action in actions if action.get("info")}
    present = registrations(registry)
    taken = [(kind, registration) for kind, registration in present if id(registration.info) in infos]
    # zope.interface takes back every equal subscriber at once: another file's stays.
    gone = {identity(kind, registration) for kind, registration in taken if kind in (HANDLER, SUBSCRIPTION_ADAPTER)}
    others = [
        (kind, registration)
        for kind, registration in present
        if id(registration.info) not in infos and gone and identity(kind, registration) in gone
    ]
    for kind, registration in taken:
        if registration.info:
            unregister(registry, kind, registration)
    for kind, registration in others:
        register(registry, kind, registration)
    interfaces = [action for action in actions if interface_key(action) is not None]
    provided_still = {key[:2] for key in map(interface_key, staying) if key is not None} if interfaces else set()
    for action in actions:
        key = interface_key(action)
        if key is not None and key[:2] not in provided_still:
            registry.unregisterUtility(key[2], key[0], key[1])
        elif is_profile(action):
            undo_profile(action)
    return [id(registration.info) for _, registration in others]


def _run(actions: list[dict]) -> None:
    for action in actions:
        callable_ = action.get("callable")
        if callable_ is None:
            continue
        try:
            callable_(*action.get("args", ()), **action.get("kw", {}))
        except Exception as error:  # noqa: B902 - reported as zope.configuration does
            raise _execution_error(action.get("info"), error) from error


def _execution_error(info, error: Exception) -> Exception:
    try:
        return ConfigurationExecutionError(info, error)
    except TypeError:  # zope.configuration before 4.2
        return ConfigurationExecutionError(type(error), error, info)
