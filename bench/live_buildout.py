"""The buildout of the `live` and `soak` parts: Zope, the recipe and the package the part
edits (app.py, soak_app.py), from buildout.cfg.in into a directory of bench/.work/. The
processes, ports and HTTP are tests/harness's, shared with the end-to-end tests."""

import time
from pathlib import Path

from app import App

from harness.buildouts import run_buildout

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TEMPLATE = BENCH / "buildout.cfg.in"
DIRECTORY = BENCH / ".work" / "buildout"
LOGS_DIRECTORY = BENCH / ".work" / "logs"
START_TIMEOUT = 120


class Buildout:
    """app: makes the package from its develop directory (src/<package>); it has write()."""

    def __init__(self, directory=DIRECTORY, package="benchapp.live", app=App):
        self.directory = Path(directory)
        self.package = package
        self.app = app(self.directory / "src" / package)
        self.port = None

    def build(self, port):
        """Run bin/buildout for this port; returns how long it took."""
        self.port = port
        self.directory.mkdir(parents=True, exist_ok=True)
        self.app.write()
        config = TEMPLATE.read_text().format(repo=REPO, port=port, package=self.package)
        (self.directory / "buildout.cfg").write_text(config)
        started = time.monotonic()
        result = run_buildout(self.directory)
        if result.returncode != 0:
            raise RuntimeError("bin/buildout failed:\n" + result.stdout[-6000:])
        return time.monotonic() - started

    def script(self, name):
        return str(self.directory / "bin" / name)
