"""A Plone site built as a Plone developer builds one: buildout with a release's pins (kept in
pins/), plone.recipe.zope2instance, the demo add-on (demo/src/demo.hello) under development
and our part; the site ``Plone`` created by scripts/create_plone_site.py."""

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from .buildouts import DOWNLOADS, EGGS, REPO, run_buildout
from .ports import free_port
from .venvs import tools_venv

PINS = REPO / "pins"
DEMO_PACKAGE = REPO / "demo" / "src" / "demo.hello"
CREATE_SITE = REPO / "scripts" / "create_plone_site.py"
# A site's creation runs every GenericSetup profile of Plone: tens of seconds here.
CREATE_SITE_TIMEOUT = 600
# Downloads of a release's ~250 eggs when the cache is empty.
PLONE_BUILDOUT_TIMEOUT = 1800


@dataclass(frozen=True)
class Release:
    """A maintained Plone 6 release as its pins build it: the setuptools and zc.buildout it
    pins run the buildout (None: this venv's own, which matches)."""

    name: str
    plone: str
    zope: str
    buildout_version: str
    setuptools: str = None
    # What the buildout's venv needs beside them.
    tools_extra: tuple = ()

    @property
    def pins(self):
        return PINS / ("plone-%s.cfg" % self.name)

    def buildout_script(self):
        if self.setuptools is None:
            return Path(sys.executable).parent / "buildout"
        return tools_venv(self.setuptools, self.buildout_version, self.tools_extra) / "bin" / "buildout"


RELEASES = {
    release.name: release
    for release in (
        # zc.buildout 3.1 builds sdists with pip's newest setuptools, which names the egg of
        # zc.recipe.egg zc_recipe_egg; setuptools 74's pkg_resources then can't find the
        # recipe that plone.recipe.zope2instance requires. Installed beside zc.buildout, built
        # with setuptools 74, it is found.
        Release(
            "6.0",
            plone="6.0.13",
            zope="5.10",
            buildout_version="3.1.0",
            setuptools="74.0.0",
            tools_extra=("zc.recipe.egg==2.0.7",),
        ),
        Release("6.1", plone="6.1.5", zope="5.14.2", buildout_version="6.0.1", setuptools="80.10.2"),
        Release("6.2", plone="6.2.2", zope="6.3", buildout_version="6.0.1"),
    )
}


class PloneBuildout:
    """A buildout directory of its own: Plone of release, demo.hello under src/, our part."""

    def __init__(self, directory, release, port=None):
        self.directory = Path(directory)
        self.release = release
        self.port = port or free_port()
        self.package = self.directory / "src" / "demo.hello"
        self.code = self.package / "src" / "demo" / "hello"

    def config(self, autoreload="watch = ${buildout:directory}/src\nsound = off"):
        return textwrap.dedent(
            """\
            [buildout]
            extends = {pins}
            parts = instance instance-autoreload
            develop =
                {repo}
                src/demo.hello
            eggs-directory = {eggs}
            download-cache = {downloads}
            newest = false
            # Plone's pins hold every egg; a missing one is a mistake in pins/, not a pick.
            allow-picked-versions = false

            [instance]
            recipe = plone.recipe.zope2instance
            eggs =
                Plone
                demo.hello
                collective.autorestart
            zcml = demo.hello
            user = admin:admin
            http-address = 127.0.0.1:{port}

            [instance-autoreload]
            recipe = collective.autorestart
            {autoreload}
            """
        ).format(
            pins=self.release.pins,
            repo=REPO,
            eggs=EGGS,
            downloads=DOWNLOADS,
            port=self.port,
            autoreload=textwrap.dedent(autoreload).strip(),
        )

    def build(self, **config_options):
        """Copy the demo add-on, write buildout.cfg and run the release's bin/buildout;
        a failed run fails with buildout's output."""
        __tracebackhide__ = True
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.package.exists():
            shutil.copytree(DEMO_PACKAGE, self.package, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
        (self.directory / "buildout.cfg").write_text(self.config(**config_options))
        result = run_buildout(self.directory, timeout=PLONE_BUILDOUT_TIMEOUT, buildout=self.release.buildout_script())
        if result.returncode != 0:
            raise AssertionError("bin/buildout failed:\n" + result.stdout[-6000:])
        return result

    def reset_package(self):
        """Put the demo add-on back as build() copied it: rewrite the files that differ,
        remove what a test added (not what the develop step and Python wrote)."""
        wanted = set()
        for source in DEMO_PACKAGE.rglob("*"):
            relative = source.relative_to(DEMO_PACKAGE)
            if source.is_dir() or _generated(relative):
                continue
            wanted.add(relative)
            target = self.package / relative
            if not target.exists() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        for path in sorted(self.package.rglob("*"), reverse=True):
            relative = path.relative_to(self.package)
            if _generated(relative) or relative in wanted:
                continue
            if path.is_dir():
                if not any(path.iterdir()):
                    path.rmdir()
            else:
                path.unlink()

    def create_site(self):
        """The site Plone, made through bin/instance run; its output."""
        __tracebackhide__ = True
        result = subprocess.run(
            [str(self.directory / "bin" / "instance"), "run", str(CREATE_SITE)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=CREATE_SITE_TIMEOUT,
        )
        if result.returncode != 0 or "create_plone_site: created" not in result.stdout:
            raise AssertionError("creating the Plone site failed:\n" + result.stdout[-6000:])
        return result.stdout

    @property
    def script(self):
        return self.directory / "bin" / "instance-autoreload"


def _generated(relative):
    """What the develop step (the egg-info) and Python (bytecode) write into a package."""
    return any(part.endswith(".egg-info") or part == "__pycache__" for part in relative.parts)
