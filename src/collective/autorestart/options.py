"""The options' parsers, one per kind of the contract (``PARSERS``), shared by the recipe
(buildout.cfg) and by ``runwsgi-autoreload`` (pyproject.toml and its flags): the same values
are accepted, and the same mistakes get the same problem and fix, wherever they are written.

Standard library only.  A parser takes the option's text as a user wrote it (None: left out)
and returns the value, or raises what ``context.error(option, value, problem, fix)`` makes:
the caller decides how a mistake is reported (a buildout UserError naming the part, or the
command's error naming the file or the flag).
"""

from __future__ import annotations

import os
import re

from collective.autorestart.contract import Kind

COMMENT = re.compile(r"\s#")
TRUE_WORDS = ("on", "true", "yes", "1")
FALSE_WORDS = ("off", "false", "no", "0")


def nocomments_lines(value):
    """Non-empty lines of a multi-line option, whole: a path may hold spaces and #.  A
    comment is a line that starts with #, or what follows a # after white space."""
    lines = []
    for line in value.splitlines():
        line = COMMENT.split(line.strip(), 1)[0].strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def nocomments_split(value):
    """Lines (or whitespace-separated words) of a multi-line option, `#` comments dropped."""
    words = []
    for line in value.splitlines():
        line = line.split("#", 1)[0]
        words.extend(line.split())
    return words


class Context:
    """What parsers need to know beside the option's own value: where relative paths start,
    the default watch roots, and how a mistake is made and said."""

    def __init__(self, part, error, directory, develop, no_default_watch=None):
        self.part = part
        self.error = error
        self.directory = directory
        # The watch roots when watch is left out (buildout: the develop paths).
        self.develop = develop
        # (value shown, problem, fix) when there are none.
        self.no_default_watch = no_default_watch or (
            "(default: the buildout's develop paths)",
            "there is nothing to watch: [buildout] develop is empty",
            "Set watch = ${buildout:directory}/src (one directory per line).",
        )

    def path(self, value):
        """As collective.recipe.backup does: ~ and $VARIABLES expanded, relative to the
        buildout (or project) directory."""
        value = os.path.expandvars(os.path.expanduser(value))
        return os.path.normpath(os.path.join(self.directory, value))


# Parsers of the contract's kinds: (context, value or None, field) -> value.


def parse_switch(context, value, field):
    if value is None:
        return field.spec.default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise context.error(field.option, value, "not a boolean", "Use on or off (also true/false, yes/no, 1/0).")


def parse_choice(context, value, field):
    spec = field.spec
    if value is None:
        return spec.default
    by_word = {choice.lower(): choice for choice in spec.choices}
    choice = by_word.get(value.strip().lower())
    if choice is None:
        listed = " or ".join(spec.choices) if len(spec.choices) == 2 else "one of " + ", ".join(spec.choices)
        raise context.error(
            field.option, value, "unknown " + spec.choice_of, "Use %s (default %s)." % (listed, spec.default)
        )
    return choice


def parse_milliseconds(context, value, field):
    spec = field.spec
    if value is None:
        return spec.default
    text = value.strip()
    if text.endswith("ms"):
        text = text[:-2].strip()
    try:
        milliseconds = int(text)
    except ValueError:
        raise context.error(
            field.option,
            value,
            "not a whole number of milliseconds",
            "Use e.g. %s = %d." % (field.option, spec.default),
        ) from None
    if not spec.minimum <= milliseconds <= spec.maximum:
        raise context.error(
            field.option,
            value,
            "out of range",
            "Use %d to %d milliseconds (default %d)." % (spec.minimum, spec.maximum, spec.default),
        )
    return milliseconds


def check_glob(error, option, pattern, allow_paths):
    """Reject what fnmatch would silently take literally or what we do not support."""
    fix = None
    if pattern.startswith("!"):
        fix = "Negation is not supported: list what to exclude in exclude instead."
    elif "**" in pattern:
        fix = (
            "Recursive ** is not supported: a pattern without / already matches at any"
            " depth (e.g. node_modules or *.pyc)."
        )
    elif "{" in pattern or "}" in pattern:
        fix = "Brace expansion is not supported: list each pattern on its own line."
    elif pattern.count("[") != pattern.count("]") or _has_unclosed_bracket(pattern):
        fix = "Close every [ with a ] (character classes like *.py[co])."
    elif "/" in pattern and not allow_paths:
        fix = "Use a file name pattern without / (e.g. *.py)."
    elif "/" in pattern and not os.path.isabs(pattern):
        fix = "A pattern with / must be an absolute path, e.g. ${buildout:directory}/src/x."
    if fix:
        raise error(option, pattern, "unsupported glob syntax", fix)
    return pattern


def _has_unclosed_bracket(pattern):
    depth = 0
    for char in pattern:
        if char == "[":
            if depth:
                return True
            depth = 1
        elif char == "]":
            if not depth:
                return True
            depth = 0
    return depth != 0


def parse_globs(context, value, field):
    if value is None:
        return list(field.spec.default)
    patterns = nocomments_split(value)
    if not patterns and field.spec.required:
        raise context.error(
            field.option,
            value,
            "no pattern given",
            "List at least one, e.g. %s." % " ".join(field.spec.default),
        )
    allow_paths = field.spec.kind is Kind.PATH_GLOBS
    return [check_glob(context.error, field.option, pattern, allow_paths) for pattern in patterns]


def parse_directories(context, value, field):
    if value is None:
        roots = context.develop
        if not roots:
            raise context.error(field.option, *context.no_default_watch)
    else:
        roots = nocomments_lines(value)
        if not roots:
            raise context.error(field.option, value, "no directory given", "List one directory per line.")
    absolute = []
    for root in roots:
        path = context.path(root)
        if os.path.exists(path) and not os.path.isdir(path):
            raise context.error(field.option, root, "%s is not a directory" % path, "Name the directory that holds it.")
        if not os.path.isdir(path):
            raise context.error(
                field.option,
                root,
                "directory %s does not exist" % path,
                "Create it or remove it from %s." % field.option,
            )
        if path not in absolute:
            absolute.append(path)
    return absolute


def parse_existing_file(context, value, field):
    if value is None or not value.strip():
        return context.path(field.spec.default)
    path = context.path(value.strip())
    if not os.path.isfile(path):
        raise context.error(
            field.option,
            value,
            "file %s does not exist" % path,
            "Point it at an existing file, or leave it out for the default.",
        )
    return path


def parse_output_file(context, value, field):
    if value is None:
        value = field.spec.default
    if not value.strip():
        raise context.error(field.option, value, "no file given", "Leave the option out for the default.")
    path = context.path(value.strip())
    if os.path.isdir(path):
        raise context.error(field.option, value, "%s is a directory" % path, "Name a file in it.")
    return path


PARSERS = {
    Kind.DIRECTORIES: parse_directories,
    Kind.NAME_GLOBS: parse_globs,
    Kind.PATH_GLOBS: parse_globs,
    Kind.MILLISECONDS: parse_milliseconds,
    Kind.SWITCH: parse_switch,
    Kind.EXISTING_FILE: parse_existing_file,
    Kind.OUTPUT_FILE: parse_output_file,
    Kind.CHOICE: parse_choice,
}
