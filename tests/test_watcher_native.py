"""The native back-end's adapter on watchdog's InotifyObserver, on temporary trees: the code
macOS (FSEvents), the BSDs (kqueue) and Windows run, but the observer class.  Driven the way
the watch service drives a back-end: select() on fileno(), then read(), on this thread."""

import os
import select
import shutil
import subprocess
import sys
import threading
import time

import pytest

from collective.autorestart.watching import native
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.native import NativeWatcher, available, probe_native

watchdog_events = pytest.importorskip("watchdog.events")
InotifyObserver = pytest.importorskip("watchdog.observers.inotify").InotifyObserver

TIMEOUT = 3.0
FILTER = PathFilter(("*.py", "*.zcml"), ("node_modules", "__pycache__", ".*"))


class Loop:
    """The service's side: what the watcher delivered, in order, and on which thread."""

    def __init__(self, roots, path_filter=FILTER):
        self.changes = []  # (path, change), as delivered
        self.overflows = 0
        self.threads = set()
        self.watcher = NativeWatcher(
            tuple(str(root) for root in roots), path_filter, self._on_change, self._on_overflow, InotifyObserver
        )

    def _on_change(self, path, change):
        self.threads.add(threading.get_ident())
        self.changes.append((path, change))

    def _on_overflow(self):
        self.threads.add(threading.get_ident())
        self.overflows += 1

    def last(self):
        """Each path's last change, as the batcher keeps it."""
        return dict(self.changes)

    def wait_for(self, condition):
        deadline = time.monotonic() + TIMEOUT
        while not condition(self):
            remaining = deadline - time.monotonic()
            assert remaining > 0, "not delivered within %s s: %s" % (TIMEOUT, self.changes)
            readable, _, _ = select.select([self.watcher.fileno()], [], [], min(remaining, 0.05))
            if readable:
                self.watcher.read()
            if self.watcher.missing_roots:
                self.watcher.check_missing_roots()

    def wait_for_path(self, path, change=Change.CHANGED):
        self.wait_for(lambda loop: loop.last().get(str(path)) is change)


@pytest.fixture
def adapter(tmp_path):
    loops = []

    def start(*roots, changed_since=None, path_filter=FILTER):
        loop = Loop(roots or (tmp_path,), path_filter)
        loops.append(loop)
        loop.stats = loop.watcher.start(changed_since)
        return loop

    yield start
    for loop in loops:
        loop.watcher.close()
        # Never from watchdog's threads: the service's thread alone runs the cycle.
        assert loop.threads <= {threading.get_ident()}


def marker(loop, directory):
    """A save that is reported, written after what must not be: once it is in, anything
    reported before it would have been too."""
    path = directory / "marker.py"
    path.write_text("# marker\n")
    loop.wait_for_path(path)


def test_available_with_watchdog_installed():
    assert available() is None


def test_name_says_the_observer(adapter):
    assert adapter().watcher.name == "native (InotifyObserver)"


def test_in_place_save(tmp_path, adapter):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    loop = adapter()
    with open(module, "w") as saved:
        saved.write("x = 2\n")
    loop.wait_for_path(module)
    assert {change for path, change in loop.changes} == {Change.CHANGED}


def test_rename_save(tmp_path, adapter):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    loop = adapter()
    temporary = tmp_path / "views.py.tmp1234"
    temporary.write_text("x = 2\n")
    os.replace(temporary, module)
    loop.wait_for_path(module)
    assert str(temporary) not in loop.last()


def test_new_file_is_changed_not_created(tmp_path, adapter):
    """No close event comes on FSEvents: a CREATED would hold the batch for nothing."""
    loop = adapter()
    module = tmp_path / "new.py"
    module.write_text("x = 1\n")
    loop.wait_for_path(module)
    assert Change.CREATED not in {change for path, change in loop.changes}


def test_deletion(tmp_path, adapter):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    loop = adapter()
    module.unlink()
    loop.wait_for_path(module, Change.DELETED)


def test_rename(tmp_path, adapter):
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_text("x = 1\n")
    loop = adapter()
    os.rename(old, new)
    loop.wait_for(lambda loop: loop.last().get(str(old)) is Change.DELETED and str(new) in loop.last())
    assert loop.last()[str(new)] is Change.CHANGED


def test_new_directories_with_files_written_at_once(tmp_path, adapter):
    loop = adapter()
    deep = tmp_path / "newpkg" / "sub" / "deeper"
    deep.mkdir(parents=True)
    files = [tmp_path / "newpkg" / "__init__.py", deep / "views.py", deep / "configure.zcml"]
    for path in files:
        path.write_text("# new\n")
    loop.wait_for(lambda loop: all(loop.last().get(str(path)) is Change.CHANGED for path in files))
    later = deep / "later.py"  # and the new directories are watched from now on
    later.write_text("x = 1\n")
    loop.wait_for_path(later)


def test_directory_moved_in_reports_its_files(tmp_path, adapter):
    root = tmp_path / "src"
    root.mkdir()
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "sub" / "views.py").write_text("x = 1\n")
    loop = adapter(root)
    os.rename(outside, root / "pkg")
    loop.wait_for_path(root / "pkg" / "sub" / "views.py")


def test_directory_moved_within_the_tree(tmp_path, adapter):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "views.py").write_text("x = 1\n")
    loop = adapter()
    os.rename(tmp_path / "pkg", tmp_path / "renamed")
    old, new = tmp_path / "pkg" / "sub" / "views.py", tmp_path / "renamed" / "sub" / "views.py"
    loop.wait_for(lambda loop: loop.last().get(str(old)) is Change.DELETED and str(new) in loop.last())
    assert loop.last()[str(new)] is Change.CHANGED


def test_directory_moved_out_of_the_tree_deletes_its_files(tmp_path, adapter):
    """watchdog's inotify observer reports the directory alone (deleted): its files are the
    ones the walk found."""
    root = tmp_path / "src"
    (root / "pkg" / "sub").mkdir(parents=True)
    files = [root / "pkg" / "a.py", root / "pkg" / "sub" / "b.py"]
    for path in files:
        path.write_text("x = 1\n")
    loop = adapter(root)
    os.rename(root / "pkg", tmp_path / "elsewhere")
    loop.wait_for(lambda loop: all(loop.last().get(str(path)) is Change.DELETED for path in files))


def test_directory_deleted(tmp_path, adapter):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    files = [tmp_path / "pkg" / "a.py", tmp_path / "pkg" / "sub" / "b.py"]
    for path in files:
        path.write_text("x = 1\n")
    loop = adapter()
    shutil.rmtree(tmp_path / "pkg")
    loop.wait_for(lambda loop: all(loop.last().get(str(path)) is Change.DELETED for path in files))


def test_excluded_directory_and_other_names_ignored(tmp_path, adapter):
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    loop = adapter()
    (tmp_path / "node_modules" / "lib" / "index.py").write_text("x = 1\n")
    (tmp_path / "node_modules" / "new").mkdir()
    (tmp_path / "node_modules" / "new" / "setup.py").write_text("x = 1\n")
    (tmp_path / "notes.txt").write_text("not code\n")
    (tmp_path / "views.pyc").write_bytes(b"\0")
    marker(loop, tmp_path)
    assert {path for path, change in loop.changes} == {str(tmp_path / "marker.py")}


def test_python_environment_in_the_tree_ignored(tmp_path, adapter):
    venv = tmp_path / "venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    loop = adapter()
    (venv / "lib" / "installed.py").write_text("x = 1\n")
    marker(loop, tmp_path)
    assert str(venv / "lib" / "installed.py") not in loop.last()


def test_changed_since_reports_what_was_saved_before_the_start(tmp_path, adapter):
    old, recent = tmp_path / "old.py", tmp_path / "recent.py"
    old.write_text("x = 1\n")
    recent.write_text("x = 1\n")
    since = time.time() - 60
    os.utime(old, (since - 60, since - 60))
    loop = adapter(changed_since=since)
    assert loop.changes == [(str(recent), Change.CHANGED)]
    assert (loop.stats.files, loop.stats.changed_before) == (2, 1)


def test_missing_root_watched_once_it_is_there(tmp_path, adapter):
    root = tmp_path / "later"
    loop = adapter(root)
    assert loop.watcher.missing_roots == {str(root)}
    root.mkdir()
    (root / "views.py").write_text("x = 1\n")
    loop.wait_for_path(root / "views.py")
    assert not loop.watcher.missing_roots
    (root / "other.py").write_text("x = 1\n")
    loop.wait_for_path(root / "other.py")


def test_root_deleted_and_back(tmp_path, adapter):
    root = tmp_path / "src"
    root.mkdir()
    (root / "views.py").write_text("x = 1\n")
    loop = adapter(root)
    shutil.rmtree(root)
    loop.wait_for_path(root / "views.py", Change.DELETED)
    root.mkdir()
    (root / "views.py").write_text("x = 2\n")
    loop.wait_for_path(root / "views.py")
    with open(root / "views.py", "w") as saved:
        saved.write("x = 3\n")
    count = len(loop.changes)
    loop.wait_for(lambda loop: len(loop.changes) > count)
    assert loop.changes[-1] == (str(root / "views.py"), Change.CHANGED)


def test_events_lost_call_on_overflow_on_the_service_thread(tmp_path, adapter):
    """watchdog's EventsLostEvent (inotify's queue overflow, Windows' buffer overflow): the
    kernel can't be made to overflow here, so the observer's event is handed in as it would."""
    loop = adapter()
    lost = watchdog_events.EventsLostEvent(str(tmp_path), is_directory=True)
    worker = threading.Thread(target=loop.watcher._relay.dispatch, args=(lost,))
    worker.start()
    worker.join()
    loop.wait_for(lambda loop: loop.overflows == 1)


def test_on_change_never_from_watchdogs_thread(tmp_path, adapter):
    loop = adapter()
    (tmp_path / "views.py").write_text("x = 1\n")
    loop.wait_for_path(tmp_path / "views.py")
    assert loop.threads == {threading.get_ident()}


def test_close_twice(tmp_path, adapter):
    loop = adapter()
    descriptor = loop.watcher.fileno()
    loop.watcher.close()
    loop.watcher.close()
    assert not loop.watcher._observer.is_alive()
    with pytest.raises(OSError):
        os.fstat(descriptor)


def test_probe_native(tmp_path):
    seconds = probe_native(str(tmp_path), 2.0, InotifyObserver)
    assert seconds is not None and 0 <= seconds < 2.0
    assert os.listdir(tmp_path) == []
    assert not watchdog_threads()


def watchdog_threads():
    return [thread for thread in threading.enumerate() if type(thread).__module__.startswith("watchdog.")]


def test_probe_native_missing_root_raises_and_leaves_nothing(tmp_path):
    before = watchdog_threads()
    with pytest.raises(OSError):
        probe_native(str(tmp_path / "absent"), 0.5, InotifyObserver)
    assert watchdog_threads() == before


def test_probe_native_unwritable_root_raises_and_stops(tmp_path, monkeypatch):
    """A root we may not write to (faked: the tests run as root, whom a mode keeps out of
    nothing): the error goes to the caller, the observer is stopped."""

    def refuse(directory):
        raise PermissionError(13, "Permission denied", directory)

    monkeypatch.setattr(native, "write_probe_file", refuse)
    before = watchdog_threads()
    with pytest.raises(PermissionError):
        probe_native(str(tmp_path), 0.5, InotifyObserver)
    assert watchdog_threads() == before


def test_imports_without_watchdog_and_says_why():
    """On a machine without watchdog the module imports; available() says what to add, and
    the watcher refuses to start with that reason."""
    script = (
        "import sys\n"
        "class Uninstalled:\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] == 'watchdog':\n"
        "            raise ModuleNotFoundError('No module named %r' % name, name=name)\n"
        "sys.meta_path.insert(0, Uninstalled())\n"
        "from collective.autorestart.watching import native\n"
        "print(native.available())\n"
        "try:\n"
        "    native.NativeWatcher(('.',), None, None, None)\n"
        "except RuntimeError as error:\n"
        "    print('refused:', error)\n"
    )
    src = native.__file__.rsplit(os.sep + "collective" + os.sep, 1)[0]
    environment = dict(os.environ, PYTHONPATH=src)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=environment)
    assert result.returncode == 0, result.stderr
    reason, refused = result.stdout.splitlines()
    assert reason.startswith("watchdog is not installed") and "collective.autorestart[native]" in reason
    assert refused == "refused: " + reason


def test_directory_reported_alone_is_walked(tmp_path, adapter):
    """FSEvents may report a directory moved or created without its files (watchdog's inotify
    observer adds them, so its events are handed in here as FSEvents would send them): the
    adapter walks the new directory and forgets the old one."""
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "sub" / "views.py").write_text("x = 1\n")
    loop = adapter()
    old, new = tmp_path / "old" / "sub" / "views.py", tmp_path / "pkg" / "sub" / "views.py"
    loop.watcher._known.add(str(old))  # as if the walk had found it before the move
    moved = watchdog_events.DirMovedEvent(str(tmp_path / "old"), str(tmp_path / "pkg"))
    worker = threading.Thread(target=loop.watcher._relay.dispatch, args=(moved,))
    worker.start()
    worker.join()
    loop.wait_for(lambda loop: loop.last().get(str(old)) is Change.DELETED and str(new) in loop.last())
    assert loop.last()[str(new)] is Change.CHANGED


def test_through_the_watch_service(tmp_path, watch):
    """watcher = native on the real WatchService (conftest's watch): its default observer is
    the platform's, InotifyObserver here; a save becomes a batch."""
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    service, recorder = watch(watcher="native")
    assert [backend.name for backend in service.backends] == ["native (InotifyObserver)"]
    with open(module, "w") as saved:
        saved.write("x = 2\n")
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED)


def test_every_wake_up_is_followed_by_the_next(tmp_path, adapter):
    """Many saves, each waited for: none waits in the queue without a byte in the pipe."""
    loop = adapter()
    for number in range(50):
        module = tmp_path / ("m%d.py" % number)
        module.write_text("x = 1\n")
        loop.wait_for_path(module)
