"""Parse and validate the part's options, in one place.

Every problem becomes a ``zc.buildout.UserError`` that names the part, the option, the
value and how to fix it.  Later options (restart policies) are added to ``OPTIONS``.
"""
import os

import zc.buildout


DEFAULT_INCLUDE = ["*.py", "*.zcml"]

# Directory names and basenames that are never code a developer edits: version control,
# caches, compiled files, editor swap and backup files, JavaScript and Python environments.
DEFAULT_EXCLUDE = [
    ".git",
    ".hg",
    ".svn",
    ".bzr",
    "__pycache__",
    "*.py[cod]",
    "*.egg-info",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
    ".venv",
    "venv",
    ".tox",
    ".nox",
    "*.sw[a-p]",
    "*~",
    ".#*",
    "#*#",
    "4913",
]

# 10 ms is longer than the gap between the events of one editor save (rename-saves take
# about 1 ms) and between files of a git checkout, and short enough that a save is live
# before the developer has switched to the browser.
DEFAULT_DEBOUNCE_MS = 10
MAX_DEBOUNCE_MS = 10000

# Changes that in-place reloading can't apply: new packages, entry points, dependencies.
# The buildout's own cfg files are not here: they need a buildout run, not a restart.
DEFAULT_RESTART_ON = ["setup.py", "setup.cfg", "pyproject.toml"]
ZCML_POLICIES = ("reload", "restart")
RELOAD_ERROR_POLICIES = ("keep", "restart")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
TRUE_WORDS = ("on", "true", "yes", "1")
FALSE_WORDS = ("off", "false", "no", "0")

SOUNDS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "sounds")
INSTANCE_RECIPE = "plone.recipe.zope2instance"
PACKAGE = "collective.autorestart"


def nocomments_split(value):
    """Lines (or whitespace-separated words) of a multi-line option, `#` comments dropped."""
    words = []
    for line in value.splitlines():
        line = line.split("#", 1)[0]
        words.extend(line.split())
    return words


class OptionError:
    """Builds the UserError messages so that every one has the same shape."""

    def __init__(self, part):
        self.part = part

    def __call__(self, option, value, problem, fix):
        return zc.buildout.UserError(
            "[{part}] {option} = {value}: {problem}. {fix}".format(
                part=self.part,
                option=option,
                value=value if value != "" else "(empty)",
                problem=problem,
                fix=fix,
            )
        )


def parse_bool(error, option, value):
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise error(
        option, value, "not a boolean", "Use on or off (also true/false, yes/no, 1/0)."
    )


def parse_choice(error, option, value, choices):
    word = value.strip().lower()
    if word not in choices:
        raise error(option, value, "unknown policy", "Use %s (default %s)." % (" or ".join(choices), choices[0]))
    return word


def parse_debounce(error, value):
    text = value.strip()
    if text.endswith("ms"):
        text = text[:-2].strip()
    try:
        milliseconds = int(text)
    except ValueError:
        raise error(
            "debounce",
            value,
            "not a whole number of milliseconds",
            "Use e.g. debounce = %d." % DEFAULT_DEBOUNCE_MS,
        ) from None
    if not 0 <= milliseconds <= MAX_DEBOUNCE_MS:
        raise error(
            "debounce",
            value,
            "out of range",
            "Use 0 to %d milliseconds (default %d)." % (MAX_DEBOUNCE_MS, DEFAULT_DEBOUNCE_MS),
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


def parse_globs(error, option, value, default, allow_paths):
    patterns = nocomments_split(value) if value is not None else list(default)
    if not patterns and value is not None and option == "include":
        raise error(option, value, "no pattern given", "List at least one, e.g. *.py *.zcml.")
    return [check_glob(error, option, pattern, allow_paths) for pattern in patterns]


def parse_watch(error, value, buildout_directory, develop):
    if value is None:
        roots = develop
        if not roots:
            raise error(
                "watch",
                "(default: the buildout's develop paths)",
                "there is nothing to watch: [buildout] develop is empty",
                "Set watch = ${buildout:directory}/src (one directory per line).",
            )
    else:
        roots = nocomments_split(value)
        if not roots:
            raise error("watch", value, "no directory given", "List one directory per line.")
    absolute = []
    for root in roots:
        path = os.path.normpath(os.path.join(buildout_directory, root))
        if not os.path.isdir(path):
            raise error(
                "watch",
                root,
                "directory %s does not exist" % path,
                "Create it or remove it from watch.",
            )
        if path not in absolute:
            absolute.append(path)
    return absolute


def parse_sound_file(error, option, value, buildout_directory, default_name):
    if value is None or not value.strip():
        return os.path.join(SOUNDS_DIR, default_name)
    path = os.path.normpath(os.path.join(buildout_directory, value.strip()))
    if not os.path.isfile(path):
        raise error(
            option,
            value,
            "file %s does not exist" % path,
            "Point it at a WAV or OGG file, or leave it out for the shipped sound.",
        )
    return path


def parse_log_level(error, value):
    level = value.strip().upper()
    if level not in LOG_LEVELS:
        raise error("log-level", value, "unknown log level", "Use one of %s." % ", ".join(LOG_LEVELS))
    return level


def parse_script_name(error, value):
    name = value.strip()
    if not name or os.sep in name or name.startswith("."):
        raise error("script", value, "not a file name", "Use a plain name such as instance-autoreload.")
    return name


def parse_threaddump_file(error, value, buildout_directory):
    if value is None:
        value = os.path.join("var", "log", "zope-threaddump.txt")
    if not value.strip():
        raise error("threaddump-file", value, "no file given", "Leave the option out for the default.")
    path = os.path.normpath(os.path.join(buildout_directory, value.strip()))
    if os.path.isdir(path):
        raise error("threaddump-file", value, "%s is a directory" % path, "Name a file in it.")
    return path


def instance_section(error, buildout, name):
    """The zope2instance part we run, checked to be one and to load our package."""
    try:
        section = buildout[name]
    except (KeyError, zc.buildout.buildout.MissingSection):
        raise error(
            "instance", name, "there is no such part", "Name your plone.recipe.zope2instance part."
        ) from None
    recipe = section.get("recipe", "")
    if recipe.split(":")[0].split("[")[0].strip() != INSTANCE_RECIPE:
        raise error(
            "instance",
            name,
            "part [%s] uses recipe %r, not %s" % (name, recipe or "(none)", INSTANCE_RECIPE),
            "Name your plone.recipe.zope2instance part.",
        )
    if our_requirement(section) is None:
        raise error(
            "instance",
            name,
            "the part's eggs do not include %s, so Zope could not load the runtime" % PACKAGE,
            "Add %s to the eggs of [%s]." % (PACKAGE, name),
        )
    return section


def our_requirement(instance):
    """Our line in the instance's eggs (extras such as [sound] included), or None."""
    for line in nocomments_split(instance.get("eggs", "")):
        if _requirement_name(line) == PACKAGE:
            return line
    return None


def _requirement_name(requirement):
    for stop in "[<>=!~;":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def parse(part, buildout, options):
    """All options of the part, validated; returns a dict of plain values."""
    error = OptionError(part)
    buildout_options = buildout["buildout"]
    directory = buildout_options["directory"]
    instance_name = options.get("instance", "instance").strip()
    instance = instance_section(error, buildout, instance_name)
    develop = nocomments_split(buildout_options.get("develop", ""))
    return {
        "instance": instance_name,
        "instance-location": instance["location"],
        "site-zcml": bool(instance.get("site-zcml", "").strip()),
        "watch": parse_watch(error, options.get("watch"), directory, develop),
        "include": parse_globs(error, "include", options.get("include"), DEFAULT_INCLUDE, False),
        "exclude": parse_globs(error, "exclude", options.get("exclude"), DEFAULT_EXCLUDE, True),
        "debounce": parse_debounce(error, options.get("debounce", str(DEFAULT_DEBOUNCE_MS))),
        "sound": parse_bool(error, "sound", options.get("sound", "on")),
        "success-sound": parse_sound_file(
            error, "success-sound", options.get("success-sound"), directory, "success.wav"
        ),
        "failure-sound": parse_sound_file(
            error, "failure-sound", options.get("failure-sound"), directory, "failure.wav"
        ),
        "script": parse_script_name(error, options.get("script", part)),
        "log-level": parse_log_level(error, options.get("log-level", "INFO")),
        "threaddump-file": parse_threaddump_file(error, options.get("threaddump-file"), directory),
        "restart-on": parse_globs(error, "restart-on", options.get("restart-on"), DEFAULT_RESTART_ON, False),
        "on-zcml-change": parse_choice(
            error, "on-zcml-change", options.get("on-zcml-change", "reload"), ZCML_POLICIES
        ),
        "on-reload-error": parse_choice(
            error, "on-reload-error", options.get("on-reload-error", "keep"), RELOAD_ERROR_POLICIES
        ),
        "buildout-directory": directory,
        "requirement": our_requirement(instance),
    }
