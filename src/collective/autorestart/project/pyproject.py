"""``[tool.collective.autorestart]`` in the project's pyproject.toml, as option texts."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field

TABLE = "tool.collective.autorestart"


class PyprojectError(ValueError):
    """The file can't be read, or the table is not one of options."""


@dataclass(frozen=True)
class ProjectOptions:
    path: str | None  # the pyproject.toml, None if there is none
    # Option name -> the value as text, as a buildout.cfg would hold it.
    options: dict[str, str] = field(default_factory=dict)

    @property
    def directory(self) -> str | None:
        return os.path.dirname(self.path) if self.path else None


def find_pyproject(start: str) -> str | None:
    """The nearest pyproject.toml from start upwards, as uv and ruff find theirs."""
    directory = os.path.abspath(start)
    while True:
        candidate = os.path.join(directory, "pyproject.toml")
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def read_options(path: str | None) -> ProjectOptions:
    if path is None:
        return ProjectOptions(None)
    try:
        with open(path, "rb") as file:
            document = tomllib.load(file)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise PyprojectError("%s can't be read: %s" % (path, error)) from None
    table = document.get("tool", {}).get("collective", {}).get("autorestart", {})
    if not isinstance(table, dict):
        raise PyprojectError("%s: [%s] must be a table of options" % (path, TABLE))
    return ProjectOptions(path, {name: _as_text(path, name, value) for name, value in table.items()})


def _as_text(path: str, name: str, value: object) -> str:
    """One option's TOML value as option text: lists one item per line, switches on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, str)):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "\n".join(value)
    raise PyprojectError(
        "%s: [%s] %s = %r: not a string, a list of strings, a whole number or a boolean. Write it as one,"
        ' e.g. %s = ["src"]' % (path, TABLE, name, value, name)
    )
