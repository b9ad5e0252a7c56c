"""End to end, the watcher back-ends beyond inotify on a real Zope (the bare Zope project of
harness.projects, served by ``runwsgi-autoreload``): polling forced for every root, with the
saves of the inotify tests, and ``auto`` falling back to polling on a root that delivers no
events, a FUSE mount (bindfs) whose files are saved beneath it, as on a VM's or a
container's share.  Each save must be served within one polling interval and a margin."""

import os
import re
import time

import pytest

from harness import bindfs
from harness.bindfs import BindfsUnavailable, bind_mounted, mounts
from harness.edits import save_by_rename, save_in_place
from harness.http import served

START_TIMEOUT = 120
# Short, so that the tests wait little; the default is 1000 ms.
POLL_INTERVAL = 0.3
# What a save takes beyond the interval to be served: the debounce, the reload and the
# request, on a shared machine.  A ZCML reload parses the site's ZCML again: more.
MARGIN = 1.0
ZCML_MARGIN = 3.0
LIVE = POLL_INTERVAL + MARGIN
POLLED = "polled every %d ms" % (POLL_INTERVAL * 1000)  # as the start-up line says it

POLLED_VIEW = """\
from Products.Five.browser import BrowserView
{imports}

class Polled(BrowserView):
    def __call__(self):
        return "polled %s" % {value}
{extra}"""

ADDED_VIEW = """
class Added(BrowserView):
    def __call__(self):
        return "added page"
"""

POLLED_ZCML = """\
<configure xmlns="http://namespaces.zope.org/zope" xmlns:browser="http://namespaces.zope.org/browser">
  <browser:page name="polled" for="*" class=".polled.Polled" permission="zope.Public" />
{pages}</configure>
"""

ADDED_PAGE = '  <browser:page name="polled-added" for="*" class=".polled.Added" permission="zope.Public" />\n'


def polled_view(value, imports="", extra=""):
    return POLLED_VIEW.format(value=value, imports=imports, extra=extra)


class Restored:
    """The session's bare Zope project, its files put back after the test as they were
    before it (other tests share it): the project's sources, pyproject.toml and the
    instance's package includes."""

    def __init__(self, project):
        self.project = project
        self.places = [
            project.directory / "src",
            project.directory / "pyproject.toml",
            project.zope_ini.parent / "package-includes",
        ]
        self.saved = dict(self._files())

    def _files(self):
        for place in self.places:
            paths = [place] if place.is_file() else sorted(path for path in place.rglob("*") if path.is_file())
            for path in paths:
                if "__pycache__" not in path.parts:
                    yield path, path.read_bytes()

    def restore(self):
        for path, _ in list(self._files()):
            if path not in self.saved:
                path.unlink()
        for path, content in self.saved.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)


@pytest.fixture
def zope_project(zope_pip_project):
    restored = Restored(zope_pip_project)
    yield zope_pip_project
    restored.restore()


def start(servers, project, name, *flags, env=None):
    """runwsgi-autoreload on the project's instance, once it serves; with the start-up line."""
    command = [str(project.bin / "runwsgi-autoreload"), str(project.zope_ini), "--sound", "off"]
    server = servers(
        command + list(flags), project.directory, project.directory / (name + ".log"), project.port, env=env
    )
    line = server.wait_for_log(r"watching \d+ directories, \d+ files under .*", timeout=START_TIMEOUT).group(0)
    return server, line


def watched_by(line, root):
    """(how, why): how root is watched, and why, as the start-up line says it
    ("<root> [polled every 300 ms: watcher = polling]")."""
    match = re.search(re.escape(str(root)) + r" \[([^:\]]+): ([^\]]*)\]", line)
    assert match, "%s not in the start-up line: %s" % (root, line)
    return match.group(1), match.group(2)


def signature(stat):
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def live_within(server, path, expected, bound, figures, what):
    """Served within bound seconds of the save made just before; the time goes in figures."""
    took = served(server, path, expected, timeout=bound)
    figures.append("polling every %.0f ms: %s served in %.0f ms" % (POLL_INTERVAL * 1000, what, took * 1000))
    return took


# zope_project before servers: the server stops before the project's files are put back.
# Not a smoke test: 7 s, and polling is Python alone, tested in-process on every Python.
@pytest.mark.zope
def test_polling_serves_every_kind_of_save(zope_project, servers, figures):
    project = zope_project
    code = project.package_source
    polled, zcml = code / "polled.py", code / "polled.zcml"
    polled.write_text(polled_view('"start"'))
    zcml.write_text(POLLED_ZCML.format(pages=""))
    configure = code / "configure.zcml"
    configure.write_text(
        configure.read_text().replace("</configure>", '  <include file="polled.zcml" />\n</configure>')
    )

    server, line = start(
        servers, project, "polling", "--watcher", "polling", "--poll-interval", str(int(POLL_INTERVAL * 1000))
    )
    served(server, "/@@polled", "polled start", restarting=True, timeout=START_TIMEOUT)
    assert watched_by(line, project.directory.resolve()) == (POLLED, "watcher = polling"), line

    save_in_place(polled, polled_view('"in place"'))
    live_within(server, "/@@polled", "polled in place", LIVE, figures, "a save in place")
    server.wait_for_log(r"reloaded zopedemo\.polled in")

    save_by_rename(polled, polled_view('"renamed"'))
    live_within(server, "/@@polled", "polled renamed", LIVE, figures, "a rename-save")

    mark = len(server.log())
    save_in_place(polled, polled_view('"with a page"', extra=ADDED_VIEW))
    save_in_place(zcml, POLLED_ZCML.format(pages=ADDED_PAGE))
    live_within(server, "/@@polled-added", "added page", LIVE + ZCML_MARGIN, figures, "a ZCML save")
    server.wait_for_log(r"reloaded (.*, )?ZCML in", after=mark)

    # A new module, imported by the module saved after it.
    helper = code / "polled_helper.py"
    save_in_place(helper, 'TEXT = "from a new module"\n')
    save_in_place(polled, polled_view("TEXT", imports="from zopedemo.polled_helper import TEXT\n", extra=ADDED_VIEW))
    live_within(server, "/@@polled", "polled from a new module", LIVE, figures, "a new module imported")

    # Deleted once nothing imports it: the loaded module is told gone, the site goes on.
    save_in_place(polled, polled_view('"without the helper"', extra=ADDED_VIEW))
    live_within(server, "/@@polled", "polled without the helper", LIVE, figures, "the import dropped")
    mark = len(server.log())
    deleted = time.monotonic()
    helper.unlink()
    server.wait_for_log(r"module zopedemo\.polled_helper: its file was deleted", after=mark, timeout=LIVE)
    figures.append("polling: a deletion reported in %.0f ms" % ((time.monotonic() - deleted) * 1000))
    assert server.get("/@@polled") == (200, "polled without the helper")

    # Two saves of one size in one mtime tick (a coarse clock, made here with os.utime).
    # In place: the inode is the same too, only the content tells them apart.
    save_in_place(polled, polled_view('"same A"', extra=ADDED_VIEW))
    live_within(server, "/@@polled", "polled same A", LIVE, figures, "the first of two same-size saves")
    first = os.stat(polled)
    save_in_place(polled, polled_view('"same B"', extra=ADDED_VIEW))
    os.utime(polled, ns=(first.st_atime_ns, first.st_mtime_ns))
    assert signature(os.stat(polled)) == signature(first)
    live_within(server, "/@@polled", "polled same B", LIVE, figures, "a same-size, same-mtime save in place")
    # A cooled-down rename-save that only its inode tells apart: test_watcher_polling.py.

    mark = len(server.log())
    pyproject = project.directory / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n# a new dependency would go here\n")
    restart = server.wait_for_log(r"restarted in \d+ ms \(.*\): .*", after=mark, timeout=START_TIMEOUT).group(0)
    assert "pyproject.toml changed" in restart, restart
    served(server, "/@@polled", "polled same B", restarting=True, timeout=START_TIMEOUT)
    assert "Traceback" not in server.log()


FUSED_VIEW = """\
from Products.Five.browser import BrowserView


class Fused(BrowserView):
    def __call__(self):
        return "fused %s from %s" % ({value!r}, __file__)
"""

FUSED_ZCML = """\
<configure xmlns="http://namespaces.zope.org/zope" xmlns:browser="http://namespaces.zope.org/browser">
  <browser:page name="fused" for="*" class=".views.Fused" permission="zope.Public" />
</configure>
"""


@pytest.fixture
def share(tmp_path):
    """(beneath, mount): an add-on "fused" in beneath, mirrored at mount by bindfs; never
    left mounted.  Where bindfs cannot be had, the test fails, saying what is missing."""
    beneath, mount = tmp_path / "beneath", tmp_path / "share"
    package = beneath / "fused"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text(FUSED_VIEW.format(value="start"))
    (package / "configure.zcml").write_text(FUSED_ZCML)
    try:
        with bind_mounted(beneath, mount) as mounted:
            yield beneath, mounted
    except BindfsUnavailable as error:
        pytest.fail("a FUSE mount is needed for this test: %s" % error)
    assert str(mount) not in mounts(), "%s left mounted" % mount


def inotify_events(directory, change, wait=0.3):
    """(event, path) of what inotify reports under directory while change() runs, and wait
    seconds after."""
    from collective.autorestart.watching.watcher import pyinotify  # imported without asyncore's warning

    manager = pyinotify.WatchManager()
    seen = []
    notifier = pyinotify.Notifier(
        manager, lambda event: seen.append((event.maskname, event.pathname)), timeout=int(wait * 1000)
    )
    # What a save sends (the watcher's own mask is much the same); not the opens and reads
    # that watching the tree itself makes.
    changes = pyinotify.IN_CREATE | pyinotify.IN_MODIFY | pyinotify.IN_CLOSE_WRITE | pyinotify.IN_MOVED_TO
    manager.add_watch(str(directory), changes | pyinotify.IN_DELETE | pyinotify.IN_ATTRIB, rec=True)
    try:
        change()
        if notifier.check_events():
            notifier.read_events()
            notifier.process_events()
    finally:
        notifier.stop()
    return seen


@pytest.mark.zope
def test_auto_polls_a_fuse_mount_saved_beneath(share, zope_project, servers, figures):
    """Zope imports the add-on through the mount; the saves go beneath it, where inotify on
    the mount sees nothing: auto must poll that root, and inotify the project's."""
    beneath, mount = share
    # The premise: a write beneath sends no event on the mount, one through it does.
    assert inotify_events(mount, lambda: (beneath / "fused" / "premise.txt").write_text("beneath")) == []
    assert inotify_events(mount, lambda: (mount / "fused" / "premise.txt").write_text("through")) != []
    (beneath / "fused" / "premise.txt").unlink()
    project = zope_project
    includes = project.zope_ini.parent / "package-includes"
    (includes / "fused-configure.zcml").write_text('<include package="fused" />\n')
    env = dict(os.environ, PYTHONPATH=str(mount))
    root = project.directory.resolve()
    interval = "--poll-interval", str(int(POLL_INTERVAL * 1000))
    server, line = start(servers, project, "fuse", "--watch", str(root), "--watch", str(mount), *interval, env=env)
    served(
        server,
        "/@@fused",
        "fused start from %s" % (mount / "fused" / "views.py"),
        restarting=True,
        timeout=START_TIMEOUT,
    )
    how, why = watched_by(line, mount)
    assert how == POLLED, line
    assert why.startswith("on a fuse filesystem (%s)" % mount), line
    # The choice is per root: the project's, on ext4 (or whatever local filesystem the
    # machine has), keeps inotify, once its probe file has sent an event.
    how, why = watched_by(line, root)
    assert how == "inotify" and re.match(r"\w+, a probe event in [\d.]+ ms$", why), line

    save_in_place(beneath / "fused" / "views.py", FUSED_VIEW.format(value="saved beneath"))
    took = served(server, "/@@fused", "fused saved beneath", timeout=LIVE)
    figures.append("auto on a FUSE mount: a save beneath it served in %.0f ms" % (took * 1000))
    server.wait_for_log(r"reloaded fused\.views in")
    # Stopped before the mount goes: nothing holds it open.
    server.stop()


def test_without_bindfs_or_root_the_fuse_test_says_what_is_missing(monkeypatch):
    monkeypatch.setattr(bindfs.shutil, "which", lambda name: None)
    monkeypatch.setattr(bindfs.os, "geteuid", lambda: 1000)
    with pytest.raises(BindfsUnavailable, match="bindfs is not installed, and installing it needs root"):
        bindfs.ensure_bindfs()


def test_without_dev_fuse_the_fuse_test_says_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(bindfs, "FUSE_DEVICE", tmp_path / "fuse")
    with pytest.raises(BindfsUnavailable, match="fuse is missing: this machine .* cannot make FUSE mounts"):
        bindfs.ensure_bindfs()
