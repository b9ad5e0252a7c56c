"""Fixtures and hooks only; what they use lives in tests/harness, shared with bench/."""
import sys

import pytest

from harness.buildouts import WATCH_SRC_SILENTLY, Buildout
from harness.http import served
from harness.processes import Server

# Measured figures the tests report at the end of the run (latencies, stop times).
FIGURES = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[FIGURES] = []


@pytest.fixture
def figures(pytestconfig):
    """Append a line to have it printed in the "figures" section at the end of the run."""
    return pytestconfig.stash[FIGURES]


@pytest.fixture
def buildout(tmp_path):
    return Buildout(tmp_path / "buildout")


@pytest.fixture(scope="module")
def built(tmp_path_factory, request):
    """A buildout for the tests of one module, watching its package's src, silent."""
    buildout = Buildout(tmp_path_factory.mktemp(request.module.__name__) / "buildout")
    buildout.run(autoreload=WATCH_SRC_SILENTLY)
    return buildout


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
        server = servers(
            [str(built.script)], built.directory, built.directory / log_name, built.port, env=env
        )
        server.wait_for_log(r"watching \d+ directories")
        served(server, "/@@value", "value=", restarting=True)
        return server

    return start


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


def pytest_terminal_summary(terminalreporter):
    lines = terminalreporter.config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.section("figures")
        for line in lines:
            terminalreporter.write_line(line)
