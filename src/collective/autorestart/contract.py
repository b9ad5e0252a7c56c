"""The contract between the recipe (build time) and the runtime and supervisor (run time).

The recipe and the runtime never import each other; both import this module, which is
standard library only.  ``Config`` is the single list of what the recipe bakes into the ZCML
slug: each field says its kind, default, choices and title.  From it the recipe validates the
buildout options and renders the slug's attributes, the runtime builds the ``autorestart:config``
directive's schema, and the runtime and the supervisor decode the attributes.  Adding an
option of an existing kind is one field here, plus the README and a test.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PACKAGE = "collective.autorestart"

# The slug: a package include that Zope loads with the others.
SLUG_NAME = "999-collective.autorestart-configure.zcml"
NAMESPACE = "http://namespaces.plone.org/autorestart"
DIRECTIVE = "config"
DIRECTIVE_SCHEMA = "collective.autorestart.runtime.directive.IConfigDirective"
DIRECTIVE_HANDLER = "collective.autorestart.runtime.directive.config_directive"

# What bin/instance-autoreload hands down to the instance: the one switch the runtime obeys,
# the number of the pipe on which the runtime talks back (the messages below), and the
# time.time() at which the instance was started: files saved since then and before the
# watches were set are applied once they are.
SWITCH_VARIABLE = "COLLECTIVE_AUTORESTART"
SWITCH_VALUE = "1"
FD_VARIABLE = "COLLECTIVE_AUTORESTART_FD"
STARTED_VARIABLE = "COLLECTIVE_AUTORESTART_STARTED"
# Where the runtime writes, once ready, the modules the instance loaded: the template
# imports them.  And the socket between the supervisor and the template.
MODULES_VARIABLE = "COLLECTIVE_AUTORESTART_MODULES"
# Marks a watched module's name in that file: the template never imports those.
WATCHED_MODULE_MARK = "!"
TEMPLATE_FD_VARIABLE = "COLLECTIVE_AUTORESTART_TEMPLATE_FD"
# runwsgi-autoreload's slug, which its instances load after the site.zcml: an instance made
# for runwsgi has no etc/package-includes for it (runtime/session_zcml.py).
SESSION_SLUG_VARIABLE = "COLLECTIVE_AUTORESTART_SLUG"
SESSION_SERVE_MODULE = "collective.autorestart.runtime.serve"
TEMPLATE_MODULE = "collective.autorestart.template"

# The messages on that pipe, one line each: the first word, then for restart and off a
# reason, e.g. "off Zope is not in debug mode".  A started runtime sends READY or OFF once.
READY = "ready"  # it watches
RESTART = "restart"  # a change that a reload can't apply: stop and start the instance
# The same, for a change that the template may hold too (a restart-on file): a cold start.
RESTART_FRESH = "restart-fresh"
# From an instance forked from the template that can't be shown to equal a cold start (a
# patch some module took before it): restart cold, and no more forks in this session.
TEMPLATE_OFF = "template-off"
OFF = "off"  # it stays off; the supervisor says why
SUPERVISOR_MODULE = "collective.autorestart.supervisor"

SOUNDS_DIRECTORY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sounds")


class Kind(enum.Enum):
    """What a value is, which decides how the recipe checks it and how it is encoded."""

    DIRECTORIES = "directories"  # existing directories, relative to the buildout
    NAME_GLOBS = "name-globs"  # file name patterns without /
    PATH_GLOBS = "path-globs"  # name patterns, or absolute path globs
    MILLISECONDS = "milliseconds"
    SWITCH = "switch"  # on or off
    EXISTING_FILE = "existing-file"
    OUTPUT_FILE = "output-file"  # a file we write; its directory may not exist yet
    CHOICE = "choice"
    BUILDOUT_DIRECTORY = "buildout-directory"  # not an option: the recipe fills it in


LIST_KINDS = frozenset({Kind.DIRECTORIES, Kind.NAME_GLOBS, Kind.PATH_GLOBS})


class ConfigError(ValueError):
    """The slug does not hold what the contract says: an edited or outdated file."""


@dataclass(frozen=True)
class Spec:
    kind: Kind
    title: str
    # As a user would write it in buildout.cfg; relative paths are from the buildout
    # directory.  None: the recipe derives it (watch: the develop paths).
    default: Any = None
    choices: tuple[str, ...] = ()
    choice_of: str = ""  # what a choice is, for messages: "policy", "log level"
    maximum: int | None = None
    minimum: int = 0
    # A list that may not be empty when given.
    required: bool = False


def _option(kind: Kind, title: str, **spec: Any) -> Any:
    return dataclasses.field(metadata={"spec": Spec(kind, title, **spec)})


# Directory names and basenames that are never code a developer edits: version control,
# caches, compiled files, editor swap and backup files, JavaScript and Python environments.
DEFAULT_EXCLUDE = (
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
)


# The watcher back-ends (watching/backend.py), as the watcher option names them.
AUTO, INOTIFY, NATIVE, POLLING = WATCHERS = ("auto", "inotify", "native", "polling")


@dataclass(frozen=True)
class Config:
    watch: tuple[str, ...] = _option(Kind.DIRECTORIES, "Directories to watch")
    include: tuple[str, ...] = _option(
        Kind.NAME_GLOBS, "File name globs whose changes count", default=("*.py", "*.zcml"), required=True
    )
    exclude: tuple[str, ...] = _option(
        Kind.PATH_GLOBS, "Names, globs and paths that never count", default=DEFAULT_EXCLUDE
    )
    # 10 ms is longer than the gap between the events of one editor save (rename-saves
    # take about 1 ms) and between files of a git checkout, and short enough that a save
    # is live before the developer has switched to the browser.
    debounce: int = _option(
        Kind.MILLISECONDS, "Milliseconds of quiet before changes are applied", default=10, maximum=10000
    )
    sound: bool = _option(Kind.SWITCH, "Play a sound after each reload", default=True)
    success_sound: str = _option(
        Kind.EXISTING_FILE,
        "Sound file played after a reload",
        default=os.path.join(SOUNDS_DIRECTORY, "success.wav"),
    )
    failure_sound: str = _option(
        Kind.EXISTING_FILE,
        "Sound file played after a failed reload",
        default=os.path.join(SOUNDS_DIRECTORY, "failure.wav"),
    )
    threaddump_file: str = _option(
        Kind.OUTPUT_FILE,
        "File that SIGUSR1 appends a thread dump to",
        default=os.path.join("var", "log", "zope-threaddump.txt"),
    )
    log_level: str = _option(
        Kind.CHOICE,
        "Level of the collective.autorestart logger",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        choice_of="log level",
    )
    # Changes that in-place reloading can't apply: new packages, entry points,
    # dependencies.  The buildout's own cfg files need a buildout run, not a restart.
    restart_on: tuple[str, ...] = _option(
        Kind.NAME_GLOBS,
        "File name globs whose change restarts the instance",
        default=("setup.py", "setup.cfg", "pyproject.toml"),
    )
    on_zcml_change: str = _option(
        Kind.CHOICE,
        "What a ZCML change does",
        default="reload",
        choices=("reload", "restart"),
        choice_of="policy",
    )
    on_reload_error: str = _option(
        Kind.CHOICE,
        "What a failed reload does",
        default="keep",
        choices=("keep", "restart"),
        choice_of="policy",
    )
    # A reload that can't be shown to equal a cold start (a class or function removed from
    # a module, while registrations and importers hold on to the old one): restart, or
    # keep the reloaded code and log what may be stale.
    on_unsafe_change: str = _option(
        Kind.CHOICE,
        "What a reload that may leave stale code does",
        default="restart",
        choices=("restart", "warn"),
        choice_of="policy",
    )
    # Far longer than any import a developer waits for, short enough that a blocked one
    # (a sleep, a loop, a lock) is reported while the developer still looks at the log.
    reload_timeout: int = _option(
        Kind.MILLISECONDS,
        "Milliseconds a reload may take before the instance is restarted",
        default=10000,
        maximum=600000,
    )
    # Zope closes the ZODB only once it has handled the SIGINT; a Plone site needs 1.2-2.1 s
    # for that here, more on a loaded machine.  An instance that exits sooner is not waited
    # for: this only bounds a stop that hangs.
    stop_grace: int = _option(
        Kind.MILLISECONDS,
        "Milliseconds a stopping instance gets after SIGINT before it is killed",
        default=10000,
        maximum=120000,
    )
    # A restart forks a child from a template process that has loaded all but the watched
    # code: about 1 s on Plone instead of a 6-8 s cold start.  Off: every restart is cold.
    fast_restart: bool = _option(
        Kind.SWITCH, "Restart by forking a process that has loaded all but the watched code", default=True
    )
    # auto: inotify on Linux, the platform's events (watchdog) elsewhere, and polling for a
    # root whose filesystem may not send events for every change (a VM or container share,
    # NFS, FUSE) or whose probe file sent none.  The others force one for every root.
    watcher: str = _option(
        Kind.CHOICE,
        "How changes are found",
        default="auto",
        choices=WATCHERS,
        choice_of="watcher",
    )
    # A save under a polled root is seen within this; a scan stats every watched file.
    poll_interval: int = _option(
        Kind.MILLISECONDS,
        "Milliseconds between two scans of a polled root",
        default=1000,
        minimum=100,
        maximum=60000,
    )
    buildout_directory: str = _option(Kind.BUILDOUT_DIRECTORY, "The buildout's directory")

    def where_to_set(self, option: str) -> str:
        """Where the user changes an option, for messages: buildout.cfg, or, without
        buildout (runwsgi-autoreload: no buildout directory), pyproject.toml or a flag."""
        if self.buildout_directory:
            return "%s in buildout.cfg" % option
        return "%s in [tool.collective.autorestart] of pyproject.toml, or --%s" % (option, option)

    @property
    def command(self) -> str:
        """The command that runs this session, as the user typed it."""
        return "bin/instance-autoreload" if self.buildout_directory else "runwsgi-autoreload"

    @property
    def where_to_listen(self) -> str:
        """Where the user changes the address the instance listens on."""
        if self.buildout_directory:
            return "http-address in buildout.cfg"
        return "the listen address in the instance's zope.ini"

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, str]) -> Config:
        """Decode the directive's attributes, as the recipe encoded them."""
        names = [field.name for field in FIELDS]
        unknown = sorted(set(attributes) - set(names))
        missing = [name for name in names if name not in attributes]
        problems = []
        if unknown:
            problems.append("unknown: " + ", ".join(unknown))
        if missing:
            problems.append("missing: " + ", ".join(missing))
        if problems:
            raise ConfigError(
                "autorestart:config does not match this version of %s (%s): run bin/buildout again"
                % (PACKAGE, "; ".join(problems))
            )
        return cls(**{field.name: decode(field, attributes[field.name]) for field in FIELDS})


@dataclass(frozen=True)
class Field:
    name: str  # the directive's attribute
    spec: Spec

    @property
    def option(self) -> str:
        """The buildout option."""
        return self.name.replace("_", "-")


FIELDS = tuple(Field(field.name, field.metadata["spec"]) for field in dataclasses.fields(Config))
OPTION_FIELDS = tuple(field for field in FIELDS if field.spec.kind is not Kind.BUILDOUT_DIRECTORY)


def encode(field: Field, value: Any) -> str:
    """The attribute text of a value; ``decode`` reverses it.  Lists are JSON, so that
    paths may hold spaces."""
    kind = field.spec.kind
    if kind in LIST_KINDS:
        return json.dumps(list(value))
    if kind is Kind.SWITCH:
        return "on" if value else "off"
    return str(value)


def decode(field: Field, text: str) -> Any:
    kind = field.spec.kind
    name = "autorestart:config %s" % field.name
    if kind in LIST_KINDS:
        try:
            values = json.loads(text)
        except ValueError as error:
            raise ConfigError("%s is not a JSON list: %s" % (name, error)) from None
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            raise ConfigError("%s must be a JSON list of strings" % name)
        return tuple(values)
    if kind is Kind.MILLISECONDS:
        try:
            return int(text)
        except ValueError:
            raise ConfigError("%s must be whole milliseconds" % name) from None
    if kind is Kind.SWITCH:
        if text not in ("on", "off"):
            raise ConfigError("%s must be on or off" % name)
        return text == "on"
    if kind is Kind.CHOICE and text not in field.spec.choices:
        raise ConfigError("%s must be one of %s" % (name, ", ".join(field.spec.choices)))
    return text


DEFAULTS = {field.name: field.spec.default for field in FIELDS}
