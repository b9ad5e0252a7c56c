"""The tests' buildout: Zope, a small package under development (autotest.app) and our part,
with the repository's pins and a shared egg cache. bench/ runs its own config through
run_buildout()."""

import contextlib
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.sax.saxutils import quoteattr

from collective.autorestart import contract

from .ports import free_port

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "versions.cfg"
EGGS = REPO / ".cache" / "eggs"
DOWNLOADS = REPO / ".cache" / "downloads"
# The venv's buildout: the venv has zc.buildout pinned like versions.cfg.
BUILDOUT = Path(sys.executable).parent / "buildout"
BUILDOUT_TIMEOUT = 900
# The part's options most tests use: watch the package's src, no sound.
WATCH_SRC_SILENTLY = "watch = ${buildout:directory}/src\nsound = off"


def write(path, text):
    """Write the dedented text, making the directories on the way; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def run_buildout(directory, timeout=BUILDOUT_TIMEOUT, buildout=BUILDOUT):
    """bin/buildout -c buildout.cfg in directory, its output in the result's stdout;
    buildout: the script to run (another venv's, for other zc.buildout versions)."""
    return subprocess.run(
        [str(buildout), "-c", "buildout.cfg"],
        cwd=directory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def setup_py(name):
    """setup.py of a develop egg with the namespace package name below src/."""
    return textwrap.dedent(
        """\
        from setuptools import setup, find_namespace_packages

        setup(
            name={name!r},
            version="1.0",
            package_dir={{"": "src"}},
            packages=find_namespace_packages("src", include=[{namespace!r}]),
            install_requires=["Zope"],
        )
        """
    ).format(name=name, namespace=name.split(".")[0] + ".*")


def value_module(value, extra=""):
    """The test package's views.py, serving ``value=<value>`` at @@value."""
    return (
        textwrap.dedent(
            """\
        from App.config import getConfiguration
        from Products.Five.browser import BrowserView


        class DebugMode(BrowserView):
            def __call__(self):
                return "debug-mode=%s" % bool(getConfiguration().debug_mode)


        class Value(BrowserView):
            def __call__(self):
                return "value={value}"
        """
        ).format(value=value)
        + extra
    )


# Appended to value_module(): a module that patches at import what it imported can't be run
# again in place, so each save of it restarts the instance (forked from the template, once
# there is one).
RESTARTS_AT_IMPORT = "\nimport os\n\nos.getcwdb = os.getcwdb\n"


# The package autotest.app as write_package() writes it, paths relative to its directory.
PACKAGE_FILES = {
    "setup.py": setup_py("autotest.app"),
    "src/autotest/app/__init__.py": textwrap.dedent(
        """\
        import os
        import signal

        # Lets a test play an instance that will not stop on SIGINT.
        if os.environ.get("AUTOTEST_IGNORE_SIGINT"):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        """
    ),
    "src/autotest/app/counter.py": textwrap.dedent(
        """\
        import os
        import sys
        import time

        from Products.Five.browser import BrowserView

        # Lets a test make the start slow after views.py was imported (ZCML imports this
        # module after it), as a Plone site's start is.
        if os.environ.get("AUTOTEST_SLOW_IMPORT"):
            print("autotest.app.counter imported: sleeping", file=sys.stderr, flush=True)
            time.sleep(float(os.environ["AUTOTEST_SLOW_IMPORT"]))


        class Bump(BrowserView):
            \"\"\"Counts in the ZODB, to show that nothing is lost across restarts.\"\"\"

            def __call__(self):
                root = self.context.getPhysicalRoot()
                root.autotest_counter = getattr(root, "autotest_counter", 0) + 1
                return "counter=%d" % root.autotest_counter
        """
    ),
    "src/autotest/app/configure.zcml": textwrap.dedent(
        """\
        <configure
            xmlns="http://namespaces.zope.org/zope"
            xmlns:browser="http://namespaces.zope.org/browser">
          <browser:page name="debug-mode" for="*" class=".views.DebugMode"
                        permission="zope.Public" />
          <browser:page name="value" for="*" class=".views.Value"
                        permission="zope.Public" />
          <browser:page name="bump" for="*" class=".counter.Bump"
                        permission="zope.Public" />
        </configure>
        """
    ),
    "src/autotest/app/views.py": value_module("0"),
}


def slug_with(text, **fields):
    """The slug text with the given fields of the contract (its attribute names, e.g.
    on_zcml_change="restart", watch=["/abs/dir"]) set as the recipe would encode them."""
    for name, value in fields.items():
        field = next(field for field in contract.FIELDS if field.name == name)
        encoded = quoteattr(contract.encode(field, value))
        text, count = re.subn(
            r"(?m)^(\s+%s=)(\"[^\"]*\"|'[^']*')$" % name, lambda match: match.group(1) + encoded, text
        )
        if count != 1:
            raise AssertionError("the slug has no single attribute %s:\n%s" % (name, text))
    return text


class Buildout:
    """A buildout directory of its own with Zope, a package under development and our part."""

    def __init__(self, directory, port=None):
        self.directory = Path(directory)
        self.port = port or free_port()
        self.package = self.directory / "src" / "autotest.app"
        self.code = self.package / "src" / "autotest" / "app"

    def write_package(self):
        for name, text in PACKAGE_FILES.items():
            write(self.package / name, text)

    def reset_package(self):
        """Put the package back as write_package() wrote it: rewrite the files that differ,
        remove what was added to its code (not __pycache__). Returns the files rewritten
        or removed."""
        changed = []
        for name, text in PACKAGE_FILES.items():
            path = self.package / name
            if not path.exists() or path.read_text() != text:
                write(path, text)
                changed.append(path)
        wanted = {self.package / name for name in PACKAGE_FILES}
        for path in sorted(self.code.iterdir()):
            if path in wanted or path.name == "__pycache__":
                continue
            if path.is_dir():
                changed.extend(
                    inner for inner in sorted(path.rglob("*")) if inner.is_file() and "__pycache__" not in inner.parts
                )
                shutil.rmtree(path)
            else:
                changed.append(path)
                path.unlink()
        return changed

    def config(
        self,
        autoreload="",
        instance="",
        parts="instance instance-autoreload",
        extra="",
        our_egg="collective.autorestart",
        develop=(),
        eggs_before_ours=(),
    ):
        """develop: more develop paths; eggs_before_ours: eggs listed in the instance's eggs
        ahead of ours, which puts develop eggs among them ahead of ours on sys.path."""
        return textwrap.dedent(
            """\
            [buildout]
            extends = {versions}
            parts = {parts}
            develop =
                {repo}
                src/autotest.app{develop}
            eggs-directory = {eggs}
            download-cache = {downloads}
            newest = false
            {extra}

            [instance]
            recipe = plone.recipe.zope2instance
            eggs =
                Zope
                autotest.app{eggs_before_ours}
                {our_egg}
            zcml = autotest.app
            user = admin:admin
            http-address = 127.0.0.1:{port}
            zodb-temporary-storage = off
            {instance}

            [instance-autoreload]
            recipe = collective.autorestart
            {autoreload}
            """
        ).format(
            versions=VERSIONS,
            parts=parts,
            repo=REPO,
            eggs=EGGS,
            downloads=DOWNLOADS,
            port=self.port,
            instance=textwrap.dedent(instance).strip(),
            autoreload=textwrap.dedent(autoreload).strip(),
            extra=textwrap.dedent(extra).strip(),
            our_egg=our_egg,
            develop="".join("\n    %s" % path for path in develop),
            eggs_before_ours="".join("\n    %s" % egg for egg in eggs_before_ours),
        )

    def run(self, config=None, check=True, **config_options):
        """Write buildout.cfg (config, or config(**config_options)) and run bin/buildout;
        with check, a failed run fails the test with buildout's output."""
        __tracebackhide__ = True
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.package.exists():
            self.write_package()
        (self.directory / "buildout.cfg").write_text(config or self.config(**config_options))
        result = run_buildout(self.directory)
        if check and result.returncode != 0:
            raise AssertionError("bin/buildout failed:\n" + result.stdout[-6000:])
        return result

    @contextlib.contextmanager
    def configured(self, **fields):
        """The runtime and supervisor configured with fields changed (see slug_with), as a
        buildout run with those options would, without one: the part's options end up in
        the slug alone. The slug bin/buildout wrote is put back afterwards."""
        written = self.slug.read_text()
        self.slug.write_text(slug_with(written, **fields))
        try:
            yield self
        finally:
            self.slug.write_text(written)

    @property
    def slug(self):
        return self.directory / "parts/instance/etc/package-includes/999-collective.autorestart-configure.zcml"

    @property
    def script(self):
        return self.directory / "bin" / "instance-autoreload"

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path.lstrip("/"))
