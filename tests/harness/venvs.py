"""Throwaway virtualenvs with older packaging tools (the setuptools and zc.buildout that a
Plone release pins), made with pip from PyPI and kept in .cache/venvs/, one per Python and
versions, so that only the first test run pays for them."""

import fcntl
import shutil
import subprocess
import sys
from pathlib import Path

from .buildouts import REPO

VENVS = REPO / ".cache" / "venvs"
PIP_TIMEOUT = 300
# What a develop step needs of the project: its metadata and its code.
PROJECT_FILES = ("pyproject.toml", "setup.py", "README.rst")


def tools_venv(setuptools, buildout, extra=()):
    """A venv of this Python with setuptools==setuptools and zc.buildout==buildout (and the
    requirements in extra, "name==version"); its directory.  Made once: a finished venv
    holds a ``.complete`` file."""
    name = "py%d.%d-setuptools%s-zc.buildout%s" % (sys.version_info[:2] + (setuptools, buildout))
    name += "".join("-" + requirement.replace("==", "") for requirement in extra)

    def build(venv):
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
        _pip_install(venv, "setuptools==%s" % setuptools, "zc.buildout==%s" % buildout)
        if extra:
            # Built with the venv's own setuptools, as that release's users have it: pip's
            # isolated build takes the newest, whose normalised names (zc_recipe_egg) an
            # older pkg_resources does not find.
            _pip_install(venv, "--no-build-isolation", "--no-cache-dir", *extra)

    return cached_venv(name, build)


def cached_venv(name, build):
    """VENVS/name, made by build(venv) unless a finished one is there: its ``.complete``
    names the path it was made at.  A venv's scripts start with that path, so one made
    through another spelling (a moved checkout, a worktree whose .cache is a link to this
    one) is made again.  Two test runs may want it at once: the second waits for the first."""
    venv = VENVS / name
    VENVS.mkdir(parents=True, exist_ok=True)
    complete = venv / ".complete"
    with open(VENVS / (name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not complete.exists() or complete.read_text() != str(venv):
            shutil.rmtree(venv, ignore_errors=True)  # what an interrupted run left
            build(venv)
            complete.write_text(str(venv))
    return venv


def _pip_install(venv, *arguments):
    """This Python's pip, installing into venv (made without pip)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        + ["--disable-pip-version-check", *arguments],
        check=True,
        timeout=PIP_TIMEOUT,
    )


def copy_project(destination):
    """The project as a develop step sees it (metadata and src, nothing built), copied to
    destination: a develop step writes its egg-info into the project, and other tests
    use the repository's."""
    destination = Path(destination)
    destination.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(REPO / name, destination / name)
    shutil.copytree(
        REPO / "src",
        destination / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.py[cod]"),
    )
    return destination
