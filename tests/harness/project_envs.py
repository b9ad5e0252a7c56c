"""What projects without buildout (cookieplone, pip, uv; bare Zope's mkwsgiinstance) are made
with, made once per clone and kept in .cache/: pip constraints generated from our buildout
pins, a venv with the generators (cookieplone, uv, mxdev), and one heavy venv (Plone or Zope
and their dependencies) per installer. A test session only installs its own project into
a heavy venv (projects.py)."""

import configparser
import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .buildouts import REPO
from .venvs import cached_venv

CACHE = REPO / ".cache"
CONSTRAINTS = CACHE / "constraints"
FIXTURES = REPO / "tests" / "fixtures"
PLONE_PINS = REPO / "pins" / "plone-6.2.cfg"
PLONE_VERSION = "6.2.2"
ZOPE_PINS = REPO / "versions.cfg"
# What mkwsgiinstance's zope.ini serves with: waitress, and Paste for its translogger
# (Zope's wsgi extra); without Paste, runwsgi stops at "No package metadata for Paste".
ZOPE_REQUIREMENTS = ("Zope[wsgi]", "waitress")
# uv's own cache: under .cache so that it goes with the clone, and on the venvs' filesystem,
# where uv hard-links what it installs instead of copying it.
UV_CACHE = CACHE / "uv"
# The generators, exact releases (cookieplone brings cookiecutter).
TOOLS = ("cookieplone==2.0.2", "uv==0.13.9", "mxdev==5.4.1")
# The vendored templates (tests/fixtures/README.rst says where from).
COOKIEPLONE_TEMPLATES = FIXTURES / "cookieplone-templates.tar.gz"
ZOPE_INSTANCE_TEMPLATE = FIXTURES / "cookiecutter-zope-instance.tar.gz"
INSTALL_TIMEOUT = 900
# uv, unlike pip, leaves the byte-code to the first import, and with PYTHONDONTWRITEBYTECODE
# (set on this machine) no import writes it: each start of Plone compiled it all again
# (6.0 s to the first page instead of 3.7 s). Part of the venvs' keys.
UV_INSTALL = ("--compile-bytecode",)
# What a heavy venv keeps of how it was made: install_autorestart pins with it.
VENV_CONSTRAINTS = "constraints.txt"
PYTHON = "py%d.%d" % sys.version_info[:2]


def constraints_from_versions(text):
    """The pip constraints ("name==version" lines) of a buildout [versions] section, given the
    text of its .cfg file; other sections and comments are left out."""
    parser = configparser.ConfigParser(interpolation=None, comment_prefixes=("#", ";"), inline_comment_prefixes=("#",))
    parser.optionxform = str  # buildout's names keep their case; pip does not care
    parser.read_string(text)
    if not parser.has_section("versions"):
        raise ValueError("no [versions] section")
    return ["%s==%s" % (name, version.strip()) for name, version in parser.items("versions") if version.strip()]


def constraints_file(pins):
    """.cache/constraints/<pins' name>-<hash>.txt: the constraints of a buildout pins file."""
    text = Path(pins).read_text()
    path = CONSTRAINTS / ("%s-%s.txt" % (Path(pins).stem, _digest(text)))
    if not path.exists():
        CONSTRAINTS.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, "".join(line + "\n" for line in constraints_from_versions(text)))
    return path


def tools_venv():
    """The venv holding TOOLS; its directory (bin/ goes first on PATH for cookieplone, which
    checks that uv is there)."""
    name = "%s-projecttools-%s" % (PYTHON, "-".join(tool.replace("==", "") for tool in TOOLS))

    def build(venv):
        _make_venv(venv, "pip")
        _install(venv, "pip", *TOOLS)

    return cached_venv(name, build)


def plone_venv(installer):
    """A venv made by installer ("uv" or "pip") as the cookieplone Makefile makes it: mxdev's
    requirements of a project generated from the vendored template, Plone 6.2's pins as
    constraints; the project itself uninstalled again (a session installs its own)."""
    constraints = constraints_file(PLONE_PINS)
    # What makes it: the pins, the template (its requirements) and the tools' releases.
    key = _digest(constraints.read_bytes() + COOKIEPLONE_TEMPLATES.read_bytes() + " ".join(TOOLS + UV_INSTALL).encode())
    name = "%s-plone%s-%s-%s" % (PYTHON, PLONE_VERSION, installer, key)

    def build(venv):
        with tempfile.TemporaryDirectory(prefix="plone-venv-") as work:
            project = generate_addon(Path(work), "collective.cachedaddon")
            requirements = mxdev_requirements(project, constraints)
            _make_venv(venv, installer)
            _install(venv, installer, "-r", str(requirements), cwd=project)
            _run_installer(venv, installer, "uninstall", "collective.cachedaddon")
        shutil.copy2(constraints, venv / VENV_CONSTRAINTS)

    return cached_venv(name, build)


def project_venv(project, installer):
    """project/.venv made by installer as the cookieplone Makefile makes it, not cached."""
    constraints = constraints_file(PLONE_PINS)
    venv = project / ".venv"
    requirements = mxdev_requirements(project, constraints)
    _make_venv(venv, installer)
    _install(venv, installer, "-r", str(requirements), cwd=project)
    shutil.copy2(constraints, venv / VENV_CONSTRAINTS)
    return venv


def zope_venv(installer="pip"):
    """A venv made by installer with ZOPE_REQUIREMENTS pinned by versions.cfg (Zope 6.3)."""
    constraints = constraints_file(ZOPE_PINS)
    key = _digest(constraints.read_bytes() + " ".join(ZOPE_REQUIREMENTS + UV_INSTALL).encode())
    name = "%s-zope-%s-%s" % (PYTHON, installer, key)

    def build(venv):
        _make_venv(venv, installer)
        _install(venv, installer, "-c", str(constraints), *ZOPE_REQUIREMENTS)
        shutil.copy2(constraints, venv / VENV_CONSTRAINTS)

    return cached_venv(name, build)


def generate_addon(directory, package):
    """A backend add-on generated by cookieplone from the vendored template into directory
    (classic UI, no CI, docs or git: nothing that needs the network); its directory."""
    templates = directory / "cookieplone-templates"
    unpack(COOKIEPLONE_TEMPLATES, templates)
    organization, _, title = package.partition(".")
    answers = {
        "title": title,
        "github_organization": organization,
        "python_package_name": package,
        "plone_version": PLONE_VERSION,
        "feature_headless": "0",
        "initialize_ci": "0",
        "initialize_documentation": "0",
        "__backend_addon_git_initialize": "0",
        # ruff and zpretty, run through uvx, would be fetched; zpretty also drops the
        # namespaces of the ZCML files (measured with cookieplone 2.0.2).
        "__backend_addon_format": "0",
    }
    env = dict(tool_environment(home=directory / "home"), COOKIEPLONE_REPOSITORY=str(templates))
    command = ["cookieplone", "backend_addon", "--no-input"] + ["%s=%s" % item for item in answers.items()]
    run(command, cwd=directory, env=env)
    return directory / package


def mxdev_requirements(project, constraints):
    """requirements-mxdev.txt of the project, made by mxdev from its mx.ini, as the Makefile
    does, but with our constraints file in requirements.txt instead of dist.plone.org's URL."""
    (project / "requirements.txt").write_text("-c %s\n" % constraints)
    run([str(tools_venv() / "bin" / "mxdev"), "-c", "mx.ini"], cwd=project)
    return project / "requirements-mxdev.txt"


def tool_environment(home=None):
    """os.environ with the tools first on PATH and uv's cache in .cache; with home as HOME,
    where cookiecutter writes its replay files (not the developer's ~, and not one file that
    two sessions would write at once)."""
    environment = dict(
        os.environ,
        PATH=os.pathsep.join([str(tools_venv() / "bin"), os.environ.get("PATH", "")]),
        UV_CACHE_DIR=str(UV_CACHE),
    )
    if home is not None:
        Path(home).mkdir(parents=True, exist_ok=True)
        environment["HOME"] = str(home)
    return environment


def unpack(archive, destination):
    """Extract a vendored .tar.gz into destination (made)."""
    destination.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data")
    return destination


def install_into(venv, installer, *arguments, cwd=None):
    """installer's install of arguments into venv."""
    _install(venv, installer, *arguments, cwd=cwd)


@contextlib.contextmanager
def using(venv):
    """Hold venv for a test session that installs its project into it: another session (of
    another worktree sharing .cache) waits until this one ends instead of replacing the
    project or collective.autorestart under a running instance."""
    with open(venv.with_name(venv.name + ".use.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield venv


def _make_venv(venv, installer):
    base = getattr(sys, "_base_executable", sys.executable)  # not the test venv's python
    if installer == "uv":
        run(["uv", "venv", "--quiet", "--python", base, str(venv)], env=tool_environment())
    elif installer == "pip":
        # With pip in it, as `python -m venv .venv` gives a developer.
        run([base, "-m", "venv", str(venv)])
    else:
        raise ValueError("installer is uv or pip, not %r" % (installer,))


def _install(venv, installer, *arguments, cwd=None):
    _run_installer(venv, installer, "install", *arguments, cwd=cwd)


def _run_installer(venv, installer, verb, *arguments, cwd=None):
    if installer == "uv":
        flags = UV_INSTALL if verb == "install" else ()
        command = ["uv", "pip", verb, "--quiet", "--python", str(venv / "bin" / "python"), *flags, *arguments]
        run(command, cwd=cwd, env=tool_environment())
    else:
        command = [str(venv / "bin" / "python"), "-m", "pip", verb, "--quiet", "--disable-pip-version-check"]
        run(command + (["--yes"] if verb == "uninstall" else []) + list(arguments), cwd=cwd)


def run(command, cwd=None, env=None):
    """Run command; a failure raises with its output (the test log shows what went wrong)."""
    result = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=INSTALL_TIMEOUT
    )
    if result.returncode:
        output = result.stdout.decode(errors="replace")
        raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(command), result.returncode, output[-8000:]))
    return result


def _digest(data):
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()[:12]


def _write_atomically(path, text):
    partial = path.with_name(path.name + ".%d.tmp" % os.getpid())
    partial.write_text(text)
    partial.replace(path)
