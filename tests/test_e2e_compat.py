"""End to end, beside what older Plone releases bring: an egg with a pkg_resources-style
``collective/__init__.py`` ahead of ours, plone.reload 4.0.0."""

import os
import subprocess
import sys
import textwrap

import pytest

from harness.buildouts import REPO, WATCH_SRC_SILENTLY, Buildout, setup_py, value_module, write
from harness.http import served
from harness.venvs import tools_venv

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

# As collective.monkeypatcher 1.2.1 has it, plus a line in the log to show which way it went
# (the pkgutil way only where there is no pkg_resources).
PKG_RESOURCES_STYLE = textwrap.dedent(
    """\
    import sys

    try:
        __import__("pkg_resources").declare_namespace(__name__)
    except ImportError:
        __path__ = __import__("pkgutil").extend_path(__path__, __name__)
        print("collective declared with pkgutil", file=sys.stderr)
    else:
        print("collective declared with pkg_resources", file=sys.stderr)
    """
)


def pkg_resources_only(directory):
    """A sys.path entry that adds pkg_resources (of setuptools 74, Plone 6.0's pin) to a
    Python that has none, and nothing else: put after the venv's own site-packages, its
    setuptools (which pkg_resources takes its vendored libraries from) is never imported."""
    site_packages = tools_venv("74.0.0", "3.1.0") / "lib" / ("python%d.%d" % sys.version_info[:2]) / "site-packages"
    directory.mkdir(parents=True)
    for name in ("pkg_resources", "setuptools"):
        os.symlink(site_packages / name, directory / name)
    return directory


def collective_egg(buildout, name, init):
    """A develop egg src/<name> (collective.something) whose collective/__init__.py is init."""
    egg = buildout.directory / "src" / name
    write(egg / "setup.py", setup_py(name))
    write(egg / "src" / "collective" / "__init__.py", init)
    write(egg / "src" / "collective" / name.split(".", 1)[1] / "__init__.py", "")
    return "src/" + name


def instance_path(buildout):
    """sys.path of the instance, as its interpreter sets it."""
    result = subprocess.run(
        [
            sys.executable,
            str(buildout.directory / "parts" / "instance" / "bin" / "interpreter"),
            "-c",
            "import sys; print('\\n'.join(sys.path))",
        ],
        stdout=subprocess.PIPE,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.splitlines()


def test_a_pkg_resources_style_collective_egg_ahead_of_ours(servers, tmp_path):
    buildout = Buildout(tmp_path / "buildout")
    buildout.directory.mkdir(parents=True)
    develop = collective_egg(buildout, "collective.pstyle", PKG_RESOURCES_STYLE)
    buildout.run(
        autoreload=WATCH_SRC_SILENTLY,
        develop=[develop],
        eggs_before_ours=["collective.pstyle"],
        instance="extra-paths = %s" % pkg_resources_only(tmp_path / "pkg-resources"),
    )
    path = instance_path(buildout)
    assert path.index(str(buildout.directory / develop / "src")) < path.index(str(REPO / "src"))
    server = servers([str(buildout.script)], buildout.directory, buildout.directory / "server.log", buildout.port)
    server.wait_for_log(r"watching \d+ directories")
    assert "collective declared with pkg_resources" in server.log()
    served(server, "/@@value", "value=0", restarting=True)
    (buildout.code / "views.py").write_text(value_module("beside-pkg-resources"))
    served(server, "/@@value", "value=beside-pkg-resources")


def test_plone_reload_4_as_plone_6_0_and_6_1_pin_it(servers, tmp_path):
    buildout = Buildout(tmp_path / "buildout")
    buildout.run(config=buildout.config(autoreload=WATCH_SRC_SILENTLY) + "\n[versions]\nplone.reload = 4.0.0\n")
    assert any("/plone.reload-4.0.0-" in entry for entry in instance_path(buildout))
    server = servers([str(buildout.script)], buildout.directory, buildout.directory / "server.log", buildout.port)
    server.wait_for_log(r"watching \d+ directories")
    served(server, "/@@value", "value=0", restarting=True)
    # Python: plone.reload's Reloader and MOD_TIMES; ZCML: its reload_zcml.
    added = "\n\nclass Added(BrowserView):\n    def __call__(self):\n        return 'added'\n"
    (buildout.code / "views.py").write_text(value_module("on-plone.reload-4", extra=added))
    served(server, "/@@value", "value=on-plone.reload-4")
    zcml = buildout.code / "configure.zcml"
    zcml.write_text(
        zcml.read_text().replace(
            "</configure>",
            '  <browser:page name="added" for="*" class=".views.Added" permission="zope.Public" />\n</configure>',
        )
    )
    served(server, "/@@added", "added")
    server.wait_for_log(r"reloaded (.*, )?ZCML in")


def test_a_collective_package_that_shadows_ours_is_one_error_while_zope_serves(servers, tmp_path):
    """Never silently off: a regular collective/__init__.py (no namespace) ahead of ours
    hides the package from Zope, which serves on without autoreload."""
    buildout = Buildout(tmp_path / "buildout")
    buildout.directory.mkdir(parents=True)
    develop = collective_egg(buildout, "collective.shadow", "")
    buildout.run(autoreload=WATCH_SRC_SILENTLY, develop=[develop], eggs_before_ours=["collective.shadow"])
    server = servers([str(buildout.script)], buildout.directory, buildout.directory / "server.log", buildout.port)
    served(server, "/@@value", "value=0", restarting=True)
    line = server.wait_for_log(
        r"ERROR .*\[supervisor\] autoreload is off: the runtime did not start within 5 s of the instance"
        r" serving on 127\.0\.0\.1:%d, and Zope serves without it: (.*)" % buildout.port,
        timeout=30,
    )
    shadow = buildout.directory / develop / "src" / "collective"
    assert line.group(1) == (
        "collective.autorestart can't be imported in the instance (ModuleNotFoundError: No module named"
        " 'collective.autorestart'): collective is %s, whose __path__ ['%s'] does not hold ours: a"
        " collective/__init__.py that is not a namespace package shadows it" % (shadow / "__init__.py", shadow)
    )
    assert server.get("/@@value") == (200, "value=0")
    assert len(server.log().split("autoreload is off")) == 2  # one line
    assert "watching" not in server.log()


WALKER = textwrap.dedent(
    """\
    import os
    import sys
    import time


    def walk_modules(event):
        # As plone.reload's start-up subscriber does in a Plone site: seconds of stat calls
        # over sys.modules, during which another thread's import changes the dict.
        deadline = time.monotonic() + 3
        walks = 0
        while time.monotonic() < deadline:
            for name, module in sys.modules.items():
                path = getattr(module, "__file__", None)
                if path:
                    os.path.exists(path)
            walks += 1
        print("walked sys.modules %d times" % walks, file=sys.stderr, flush=True)
    """
)

WALKER_OVERRIDES = """\
<configure xmlns="http://namespaces.zope.org/zope">
  <subscriber for="zope.processlifetime.IProcessStarting" handler=".walker.walk_modules" />
</configure>
"""


def test_a_start_up_subscriber_after_ours_that_walks_sys_modules(servers, package):
    """Our threads (the sound's imports pygame) start only once Zope's IProcessStarting
    notification has returned: before, they changed sys.modules under plone.reload's walk,
    and Plone's start failed with "dictionary changed size during iteration"."""
    buildout = package
    write(buildout.code / "walker.py", WALKER)
    # An overrides file is loaded after our slug: its subscriber runs after ours.  This is
    # the include zope2instance writes for ``zcml = autotest.app-overrides``.
    write(buildout.code / "overrides.zcml", WALKER_OVERRIDES)
    include = buildout.slug.parent / "003-autotest.app-overrides.zcml"
    include.write_text('<include package="autotest.app" file="overrides.zcml" />')
    env = dict(os.environ, SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(buildout.directory / "audio.raw"))
    try:
        with buildout.configured(sound=True):
            server = servers(
                [str(buildout.script)], buildout.directory, buildout.directory / "walker.log", buildout.port, env=env
            )
            server.wait_for_log(r"watching \d+ directories")
    finally:
        include.unlink()
    server.wait_for_log(r"walked sys.modules \d+ times")
    served(server, "/@@value", "value=0", restarting=True)
    assert "dictionary changed size" not in server.log()
    assert "exited with status" not in server.log()
    (buildout.code / "views.py").write_text(value_module("after-the-walk"))
    served(server, "/@@value", "value=after-the-walk")
