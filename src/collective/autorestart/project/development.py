"""The default watch roots of a project without buildout: the projects of the distributions
installed in development mode into the running environment (``pip install -e``,
``uv pip install -e``, ``uv sync``'s project, mxdev's checkouts), never the environment
itself.  As buildout's develop paths are the recipe's default."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from importlib import metadata
from urllib.parse import unquote, urlparse


def installed_in_development_mode() -> list[tuple[str, str]]:
    """(distribution name, project directory) of each editable install, by name, as PEP 610
    records it in direct_url.json."""
    found = []
    for distribution in metadata.distributions():
        text = distribution.read_text("direct_url.json")
        if not text:
            continue
        try:
            direct_url = json.loads(text)
        except ValueError:
            continue
        url = direct_url.get("url", "")
        if not direct_url.get("dir_info", {}).get("editable") or not url.startswith("file://"):
            continue
        found.append((distribution.metadata["Name"] or "?", unquote(urlparse(url).path)))
    return sorted(set(found))


def environment_directories() -> list[str]:
    """The virtualenv and its site-packages: never watched, never a default root."""
    paths = {sys.prefix, sys.exec_prefix}
    paths.update(sysconfig.get_paths().get(name, "") for name in ("purelib", "platlib"))
    return sorted(os.path.realpath(path) for path in paths if path)


def default_watch() -> list[str]:
    """The editable installs' project directories (their pyproject.toml and setup.py are
    restart-on files, as a buildout's develop paths hold them), outermost only, none inside
    the environment.  The environment inside a project (cookieplone's .venv) is excluded."""
    environment = environment_directories()
    roots: list[str] = []
    for _, project in installed_in_development_mode():
        project = os.path.realpath(project)
        if os.path.isdir(project) and not any(within(project, path) for path in environment):
            roots.append(project)
    outermost = [root for root in roots if not any(other != root and within(root, other) for other in roots)]
    return sorted(set(outermost))


def within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)
