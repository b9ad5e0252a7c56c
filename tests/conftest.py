"""Shared fixtures: real buildouts with a shared egg cache, real Zope processes."""
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parent.parent
VERSIONS = REPO / "versions.cfg"
EGGS = REPO / ".cache" / "eggs"
DOWNLOADS = REPO / ".cache" / "downloads"
BUILDOUT = Path(sys.executable).parent / "buildout"
START_TIMEOUT = 90
# Measured figures the tests report at the end of the run (latencies, stop times).
FIGURES = []
STOP_TIMEOUT = 10


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def value_module(value, extra=""):
    """The test package's views.py, serving ``value=<value>`` at @@value."""
    return textwrap.dedent(
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
    ).format(value=value) + extra


PACKAGE_FILES = {
    "setup.py": """\
        from setuptools import setup, find_namespace_packages
        setup(
            name="autotest.app",
            version="1.0",
            package_dir={"": "src"},
            packages=find_namespace_packages("src", include=["autotest.*"]),
            install_requires=["Zope"],
        )
        """,
    "src/autotest/app/__init__.py": """\
        import os
        import signal

        # Lets a test play an instance that will not stop on SIGINT.
        if os.environ.get("AUTOTEST_IGNORE_SIGINT"):
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        """,
    "src/autotest/app/counter.py": """\
        from Products.Five.browser import BrowserView


        class Bump(BrowserView):
            \"\"\"Counts in the ZODB, to show that nothing is lost across restarts.\"\"\"

            def __call__(self):
                root = self.context.getPhysicalRoot()
                root.autotest_counter = getattr(root, "autotest_counter", 0) + 1
                return "counter=%d" % root.autotest_counter
        """,
    "src/autotest/app/configure.zcml": """\
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
        """,
    "src/autotest/app/views.py": None,  # value_module("0")
}


class Buildout:
    """A buildout directory of its own with Zope, a package under development and our part."""

    def __init__(self, directory, port=None):
        self.directory = Path(directory)
        self.port = port or free_port()
        self.package = self.directory / "src" / "autotest.app"
        self.code = self.package / "src" / "autotest" / "app"

    def write_package(self):
        for name, text in PACKAGE_FILES.items():
            write(self.package / name, value_module("0") if text is None else text)

    def config(
        self,
        autoreload="",
        instance="",
        parts="instance instance-autoreload",
        extra="",
        our_egg="collective.autorestart",
    ):
        return textwrap.dedent(
            """\
            [buildout]
            extends = {versions}
            parts = {parts}
            develop =
                {repo}
                src/autotest.app
            eggs-directory = {eggs}
            download-cache = {downloads}
            newest = false
            {extra}

            [instance]
            recipe = plone.recipe.zope2instance
            eggs =
                Zope
                autotest.app
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
        )

    def run(self, config=None, check=True, **config_options):
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.package.exists():
            self.write_package()
        (self.directory / "buildout.cfg").write_text(config or self.config(**config_options))
        result = subprocess.run(
            [str(BUILDOUT), "-c", "buildout.cfg"],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=900,
        )
        if check and result.returncode != 0:
            pytest.fail("bin/buildout failed:\n" + result.stdout[-6000:])
        return result

    @property
    def slug(self):
        return (
            self.directory
            / "parts/instance/etc/package-includes/999-collective.autorestart-configure.zcml"
        )

    @property
    def script(self):
        return self.directory / "bin" / "instance-autoreload"

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path.lstrip("/"))


class Server:
    """A process we started (bin/instance-autoreload or bin/instance fg), its log in a file."""

    def __init__(self, command, cwd, log_path, port, env=None):
        self.port = port
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )

    def log(self):
        return self.log_path.read_text(errors="replace")

    def url(self, path):
        return "http://127.0.0.1:%d/%s" % (self.port, path.lstrip("/"))

    def get(self, path, timeout=5):
        try:
            with urllib.request.urlopen(self.url(path), timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def wait_for_log(self, pattern, timeout=START_TIMEOUT, after=0):
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            match = regex.search(self.log(), after)
            if match:
                return match
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError("no log line matching %r; log:\n%s" % (pattern, self.log()[-8000:]))

    def wait_until_serving(self, path="/", timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError("server exited with %s; log:\n%s" % (self.process.returncode, self.log()))
            try:
                return self.get(path, timeout=2)
            except (urllib.error.URLError, ConnectionError, socket.timeout):
                time.sleep(0.1)
        raise AssertionError("server not serving after %ss; log:\n%s" % (timeout, self.log()))

    def processes(self):
        """PIDs of our process and all its descendants (from /proc)."""
        children = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry.name))
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(children.get(pid, []))
        return found

    def stop(self):
        """Stop everything we started, whatever state it is in (teardown)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGINT)
                self.process.wait(STOP_TIMEOUT)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if self.process.poll() is None:
            self.process.wait(STOP_TIMEOUT)
        self._log.close()


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@pytest.fixture
def buildout(tmp_path):
    return Buildout(tmp_path / "buildout")


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


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, "rep_" + report.when, report)
    return report


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
