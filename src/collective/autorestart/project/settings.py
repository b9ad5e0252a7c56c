"""The options of a runwsgi-autoreload session, validated by the recipe's own parsers: from
the command line, else from ``[tool.collective.autorestart]`` in pyproject.toml, else the
defaults.  A mistake names where it was written (the flag, or the file and the table), the
option, the value, the problem and the fix, as the recipe's do for buildout.cfg."""

from __future__ import annotations

import difflib
import glob
import os
from collections.abc import Mapping

from collective.autorestart.contract import OPTION_FIELDS
from collective.autorestart.options import PARSERS, Context
from collective.autorestart.project import development
from collective.autorestart.project.instance import Instance
from collective.autorestart.project.pyproject import TABLE, ProjectOptions

OPTION_NAMES = tuple(field.option for field in OPTION_FIELDS)
NO_DEFAULT_WATCH = (
    "(default: the packages installed in development mode)",
    "there is nothing to watch: no package of this environment is installed in development mode"
    " (pip install -e, uv pip install -e, mxdev)",
    "Set watch in [%s] of pyproject.toml, or pass --watch DIRECTORY." % TABLE,
)


class OptionsError(ValueError):
    """A mistake in the options; its text is the whole message for the user."""


def flag_error(option, value, problem, fix):
    return OptionsError("--%s %s: %s. %s" % (option, value if value != "" else "(empty)", problem, fix))


def pyproject_error(path):
    def error(option, value, problem, fix):
        shown = value if value != "" else "(empty)"
        return OptionsError("%s [%s] %s = %s: %s. %s" % (path, TABLE, option, shown, problem, fix))

    return error


def resolve(flags: Mapping[str, str | None], project: ProjectOptions, instance: Instance, cwd: str) -> dict:
    """Every option's value, keyed by option name, plus buildout-directory (none here)."""
    _check_known(project)
    directory = project.directory or cwd
    defaults = development.default_watch()
    made = {
        "flag": Context("", flag_error, cwd, defaults, NO_DEFAULT_WATCH),
        "pyproject": Context("", pyproject_error(project.path), directory, defaults, NO_DEFAULT_WATCH),
        "default": Context("", flag_error, directory, defaults, NO_DEFAULT_WATCH),
    }
    settings: dict = {}
    for field in OPTION_FIELDS:
        option = field.option
        if flags.get(option) is not None:
            context, value = made["flag"], flags[option]
        elif option in project.options:
            context, value = made["pyproject"], project.options[option]
        else:
            context, value = made["default"], _default_text(option, instance)
        settings[option] = PARSERS[field.spec.kind](context, value, field)
    written = [os.path.join(instance.home, name) for name in ("var", "etc")]
    # The environment, unless a root was chosen inside it (pip's -e git+ checkouts in .venv/src).
    environment = [
        path
        for path in development.environment_directories()
        if not any(development.within(os.path.realpath(root), path) for root in settings["watch"])
    ]
    never = [glob.escape(path) for path in written + environment]
    settings["exclude"] = settings["exclude"] + [path for path in never if path not in settings["exclude"]]
    # Only a buildout has one: its .cfg files need a buildout run, not a reload.
    settings["buildout-directory"] = ""
    return settings


def _default_text(option: str, instance: Instance) -> str | None:
    if option == "threaddump-file":
        # Beside Zope's own logs, not in the project's top directory.
        return os.path.join(instance.home, "var", "log", "zope-threaddump.txt")
    return None


def _check_known(project: ProjectOptions) -> None:
    for name in sorted(project.options):
        if name not in OPTION_NAMES:
            close = difflib.get_close_matches(name.strip().lower().replace("_", "-"), OPTION_NAMES, n=1)
            fix = "Did you mean %r? Rename it." % close[0] if close else "The options are %s." % ", ".join(OPTION_NAMES)
            raise pyproject_error(project.path)(name, project.options[name], "unknown option", fix)
