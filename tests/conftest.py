"""Fixtures and hooks only; what they use lives in tests/harness, shared with bench/."""

import contextlib
import logging
import os
import sys

import pytest

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout
from harness.http import served
from harness.processes import Server
from harness.recorder import TIMEOUT, Recorder

# requirements-engine.txt is installed there, off the venv's site-packages (see that file):
# the reload engine's unit tests import the Zope Toolkit packages and plone.reload from it.
ENGINE_DEPENDENCIES = os.path.join(sys.prefix, "engine")
if os.path.isdir(ENGINE_DEPENDENCIES) and ENGINE_DEPENDENCIES not in sys.path:
    sys.path.append(ENGINE_DEPENDENCIES)

# Measured figures the tests report at the end of the run (latencies, stop times).
FIGURES = pytest.StashKey[list]()
# The Plone smoke tests build three Plone releases (minutes each): on one Python only, the
# one every maintained release supports. Elsewhere they are deselected, and the summary says so.
PLONE_PYTHON = (3, 11)
PLONE_DESELECTED = pytest.StashKey[int]()
# The whole end-to-end set runs on this Python; on the others the unit tests and the tests
# marked smoke (what can differ between Pythons: the reload engine, signals, the recipe),
# unless this variable is set: the rest is the same code on the same stdlib, at half the
# time of a run.
FULL_E2E_PYTHON = (3, 11)
FULL_E2E_VARIABLE = "AUTORESTART_FULL_E2E"
E2E_DESELECTED = pytest.StashKey[int]()


def pytest_configure(config):
    config.stash[FIGURES] = []


@pytest.fixture
def figures(pytestconfig):
    """Append a line to have it printed in the "figures" section at the end of the run."""
    return pytestconfig.stash[FIGURES]


@pytest.fixture
def buildout(tmp_path):
    return Buildout(tmp_path / "buildout")


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The one buildout of the Zope tests: Zope, the package under development and our part
    with the sound extra, watching the package's src, silent.  bin/buildout is the slowest
    step of most tests, so they share it: each finds the package as written (``package``)
    and the part's options as they are here (a test that needs others uses
    ``built.configured``, which puts them back)."""
    buildout = Buildout(tmp_path_factory.mktemp("zope") / "buildout")
    buildout.run(autoreload=WATCH_SRC_SILENTLY, our_egg="collective.autorestart[sound]")
    return buildout


@pytest.fixture(scope="session")
def plone_sites(tmp_path_factory):
    """site(name): the Plone site of RELEASES[name], built and created once per run (minutes
    each); the demo add-on as it was copied, whatever an earlier test saved into it."""
    from harness.plone import RELEASES, PloneBuildout

    sites = {}

    def site(name):
        if name not in sites:
            made = PloneBuildout(tmp_path_factory.mktemp("plone-" + name) / "buildout", RELEASES[name])
            made.build()
            made.create_site()
            sites[name] = made
        sites[name].reset_package()
        return sites[name]

    return site


@pytest.fixture(scope="session")
def cookieplone_projects(tmp_path_factory):
    """project(installer): the cookieplone add-on of harness.projects in a Plone 6.2 venv
    made by installer ("uv" or "pip"), with this checkout's egg and the site ``Plone``;
    made once per run, the venv held for the run.  The site is created once and copied."""
    from harness import project_envs, projects

    made = {}
    with contextlib.ExitStack() as held:

        def project(installer):
            if installer not in made:
                # uv makes the project's own .venv, as cookieplone's Makefile does (seconds);
                # pip's takes a minute, and is made once per clone beside the project.
                in_project = installer == "uv"
                if not in_project:
                    held.enter_context(project_envs.using(project_envs.plone_venv(installer)))
                directory = tmp_path_factory.mktemp("cookieplone")
                made[installer] = projects.cookieplone_project(directory, installer, venv_in_project=in_project)
                projects.install_autorestart(made[installer].venv, installer)
                others = [other for name, other in made.items() if name != installer]
                if others:
                    projects.copy_site(others[0], made[installer])
                else:
                    projects.create_site(made[installer])
            return made[installer]

        yield project


@pytest.fixture(scope="session")
def zope_pip_project(tmp_path_factory):
    """The bare Zope project of harness.projects (mkwsgiinstance, pip), with this checkout's egg."""
    from harness import project_envs, projects

    with project_envs.using(project_envs.zope_venv("pip")):
        project = projects.zope_project(tmp_path_factory.mktemp("zope-project"), "pip")
        projects.install_autorestart(project.venv, "pip")
        yield project


@pytest.fixture
def package(built):
    """built's package as bin/buildout found it, before the test and after it."""
    built.reset_package()
    yield built
    built.reset_package()


@pytest.fixture
def servers(request):
    """Start servers through this; each is stopped, and its log shown if the test failed."""
    started = []

    def start(*args, **kwargs):
        server = Server(*args, **kwargs)
        started.append(server)
        return server

    yield start
    failed = getattr(request.node, "rep_call", None)
    for server in started:
        if failed is not None and failed.failed:
            sys.stderr.write("\n--- log of %s ---\n%s\n" % (server.process.args, server.log()[-10000:]))
        server.stop()


@pytest.fixture
def autoreload(servers, built):
    """start(log_name="server.log", env=None): bin/instance-autoreload of built, returned
    once it watches and serves @@value."""

    def start(log_name="server.log", env=None):
        server = servers([str(built.script)], built.directory, built.directory / log_name, built.port, env=env)
        server.wait_for_log(r"watching \d+ directories")
        served(server, "/@@value", "value=", restarting=True)
        return server

    return start


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


def _deselect(config, items, unwanted, key):
    deselected = [item for item in items if unwanted(item)]
    if deselected:
        items[:] = [item for item in items if not unwanted(item)]
        config.hook.pytest_deselected(items=deselected)
        config.stash[key] = len(deselected)


def _end_to_end_beyond_the_smoke_set(item):
    return (item.get_closest_marker("zope") or item.get_closest_marker("buildout")) and not item.get_closest_marker(
        "smoke"
    )


def pytest_collection_modifyitems(config, items):
    if sys.version_info[:2] != PLONE_PYTHON:
        _deselect(config, items, lambda item: item.get_closest_marker("plone"), PLONE_DESELECTED)
    if sys.version_info[:2] != FULL_E2E_PYTHON and not os.environ.get(FULL_E2E_VARIABLE):
        _deselect(config, items, _end_to_end_beyond_the_smoke_set, E2E_DESELECTED)


def pytest_terminal_summary(terminalreporter):
    deselected = terminalreporter.config.stash.get(PLONE_DESELECTED, 0)
    if deselected:
        terminalreporter.write_line(
            "%d Plone tests deselected: they run on Python %d.%d only" % ((deselected,) + PLONE_PYTHON)
        )
    deselected = terminalreporter.config.stash.get(E2E_DESELECTED, 0)
    if deselected:
        terminalreporter.write_line(
            "%d end-to-end tests deselected: on this Python the smoke set runs, all of them on %d.%d"
            " or with %s=1" % ((deselected,) + FULL_E2E_PYTHON + (FULL_E2E_VARIABLE,))
        )
    lines = terminalreporter.config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def watch(tmp_path):
    """Start a real WatchService on roots (default: tmp_path) with the default filter;
    returns (service, recorder).  Every service is stopped, promptly, after the test."""
    from collective.autorestart.contract import DEFAULTS
    from collective.autorestart.watching.filters import PathFilter
    from collective.autorestart.watching.service import WatchService

    started = []

    def start(*roots, debounce=0.010, changed_since=None, path_filter=None, watcher="auto", poll_interval=1.0):
        recorder = Recorder()
        service = WatchService(
            tuple(str(root) for root in roots or (tmp_path,)),
            path_filter or PathFilter(DEFAULTS["include"], DEFAULTS["exclude"]),
            debounce,
            recorder,
            on_ready=recorder.on_ready,
            changed_since=changed_since,
            watcher=watcher,
            poll_interval=poll_interval,
        )
        service.start()
        assert service.ready.wait(TIMEOUT)
        started.append(service)
        return service, recorder

    yield start
    for service in started:
        service.stop()
        assert service.join(2.0)


@pytest.fixture
def buildout_global_state(monkeypatch):
    """Put back what each zc.buildout.testing.Buildout() changes beyond its directory, as
    buildoutSetUp's tear-downs do: the easy_install settings and the logging."""
    import zc.buildout.easy_install

    from harness.recipes import installer_state

    for name, value in installer_state().items():
        monkeypatch.setattr(zc.buildout.easy_install.Installer, name, value)
    root, ours = logging.getLogger(), logging.getLogger("zc.buildout")
    saved = (root.handlers[:], root.level, ours.handlers[:], ours.propagate)
    yield
    root.handlers[:], ours.handlers[:] = saved[0], saved[2]
    root.setLevel(saved[1])
    ours.propagate = saved[3]
