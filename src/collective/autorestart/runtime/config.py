"""The config the recipe bakes into the ZCML slug, as the runtime and the supervisor use it.

Standard library only: the supervisor reads the slug outside Zope (``read_slug``), Zope reads
it through the ``autorestart:config`` directive (``directive.py``).  List values are JSON.
"""
from __future__ import annotations

import json
import xml.dom.minidom
from dataclasses import dataclass

NAMESPACE = "http://namespaces.plone.org/autorestart"
ZCML_CHOICES = ("reload", "restart")
RELOAD_ERROR_CHOICES = ("keep", "restart")


class ConfigError(ValueError):
    pass


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
    restart_on: tuple[str, ...]
    on_zcml_change: str
    on_reload_error: str
    buildout_directory: str


def _json_list(name: str, value: str) -> tuple[str, ...]:
    try:
        values = json.loads(value)
    except ValueError as error:
        raise ConfigError("autorestart:config %s is not a JSON list: %s" % (name, error)) from None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError("autorestart:config %s must be a JSON list of strings" % name)
    return tuple(values)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ConfigError("autorestart:config %s must be one of %s" % (name, ", ".join(choices)))
    return value


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
    restart_on: str,
    on_zcml_change: str,
    on_reload_error: str,
    buildout_directory: str,
) -> Config:
    try:
        debounce_ms = int(debounce)
    except ValueError:
        raise ConfigError("autorestart:config debounce must be whole milliseconds") from None
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
        restart_on=_json_list("restart_on", restart_on),
        on_zcml_change=_choice("on_zcml_change", on_zcml_change, ZCML_CHOICES),
        on_reload_error=_choice("on_reload_error", on_reload_error, RELOAD_ERROR_CHOICES),
        buildout_directory=buildout_directory,
    )


def read_slug(path: str) -> Config:
    document = xml.dom.minidom.parse(path)
    elements = document.getElementsByTagNameNS(NAMESPACE, "config")
    if len(elements) != 1:
        raise ConfigError("%s holds %d autorestart:config directives, not 1" % (path, len(elements)))
    attributes = elements[0].attributes
    return parse_directive(**{attributes.item(i).name: attributes.item(i).value for i in range(attributes.length)})
