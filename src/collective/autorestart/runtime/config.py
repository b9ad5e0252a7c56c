"""The ``autorestart:config`` ZCML directive: the runtime's only input.

The recipe renders it into the slug (``recipe/templates.py``); list values are JSON arrays.
ZCML reloads execute the slug again, so registering the same config twice is harmless.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from zope.configuration.exceptions import ConfigurationError
from zope.interface import Interface
from zope.schema import TextLine


@dataclass(frozen=True)
class Config:
    part: str
    watch: tuple[str, ...]
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    debounce: float  # seconds
    sound: bool
    success_sound: str
    failure_sound: str
    log_level: str
    threaddump_file: str


class IConfigDirective(Interface):
    part = TextLine(title="Buildout part that generated this config", required=True)
    watch = TextLine(title="JSON list of directories to watch", required=True)
    include = TextLine(title="JSON list of file name globs to watch", required=True)
    exclude = TextLine(title="JSON list of names, globs and paths to ignore", required=True)
    debounce = TextLine(title="Milliseconds of quiet before applying changes", required=True)
    sound = TextLine(title="on or off", required=True)
    success_sound = TextLine(title="Sound file played after a reload", required=True)
    failure_sound = TextLine(title="Sound file played after a failed reload", required=True)
    log_level = TextLine(title="Log level of the collective.autorestart logger", required=True)
    threaddump_file = TextLine(title="File that SIGUSR1 appends a thread dump to", required=True)


_current: Config | None = None


def _json_list(name: str, value: str) -> tuple[str, ...]:
    try:
        values = json.loads(value)
    except ValueError as error:
        raise ConfigurationError("autorestart:config %s is not a JSON list: %s" % (name, error))
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigurationError("autorestart:config %s must be a JSON list of strings" % name)
    return tuple(values)


def parse_directive(
    part: str,
    watch: str,
    include: str,
    exclude: str,
    debounce: str,
    sound: str,
    success_sound: str,
    failure_sound: str,
    log_level: str,
    threaddump_file: str,
) -> Config:
    try:
        debounce_ms = int(debounce)
    except ValueError:
        raise ConfigurationError("autorestart:config debounce must be whole milliseconds")
    return Config(
        part=part,
        watch=_json_list("watch", watch),
        include=_json_list("include", include),
        exclude=_json_list("exclude", exclude),
        debounce=debounce_ms / 1000.0,
        sound=sound.strip().lower() == "on",
        success_sound=success_sound,
        failure_sound=failure_sound,
        log_level=log_level.upper(),
        threaddump_file=threaddump_file,
    )


def config_directive(_context, **attributes: str) -> None:
    config = parse_directive(**attributes)
    _context.action(
        discriminator=("collective.autorestart", "config"),
        callable=set_config,
        args=(config,),
    )


def set_config(config: Config) -> None:
    global _current
    _current = config


def current_config() -> Config | None:
    return _current
