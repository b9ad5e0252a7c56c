"""The watcher on real inotify, on temporary trees, with bounded waits."""

import logging
import os
import shutil
import threading
import time

import pytest

from collective.autorestart.contract import DEFAULTS
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import PathFilter, watch_filter
from collective.autorestart.watching.service import WatchService
from collective.autorestart.watching.watcher import pyinotify  # imported quietly there
from harness.recorder import TIMEOUT


def test_in_place_save(tmp_path, watch):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    _, recorder = watch()
    with open(module, "w") as saved:  # truncate and write, as most editors do
        saved.write("x = 2\n")
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED)


def test_rename_save(tmp_path, watch):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    _, recorder = watch()
    temporary = tmp_path / ".views.py.tmp1234"
    temporary.write_text("x = 2\n")
    os.replace(temporary, module)
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED)
    assert str(temporary) not in recorder.changes()


def test_vim_style_backup_save(tmp_path, watch):
    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    _, recorder = watch()
    os.rename(module, tmp_path / "views.py~")
    module.write_text("x = 2\n")
    os.unlink(tmp_path / "views.py~")
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED)
    recorder.settle()
    assert recorder.changes()[str(module)] is Change.CHANGED


def test_new_directories_with_files_written_at_once(tmp_path, watch):
    _, recorder = watch()
    deep = tmp_path / "newpkg" / "sub" / "deeper"
    deep.mkdir(parents=True)
    files = [tmp_path / "newpkg" / "__init__.py", deep / "views.py", deep / "configure.zcml"]
    for path in files:
        path.write_text("# new\n")
    recorder.wait_for(lambda changes: all(str(path) in changes for path in files))
    # ...and the new directories are watched from now on.
    time.sleep(0.05)
    later = deep / "later.py"
    later.write_text("x = 1\n")
    recorder.wait_for(lambda changes: str(later) in changes)


def test_profile_files_found_by_the_scan_of_a_new_directory(tmp_path, watch):
    """A profile's files count by path (profiles/**/*.xml), not by name: the scan of a
    directory that came before its watch (moved in here, as mkdir -p and a quick write can
    make it) finds them too."""
    root = tmp_path / "src"
    (root / "pkg").mkdir(parents=True)
    _, recorder = watch(
        root, path_filter=watch_filter(DEFAULTS["include"], DEFAULTS["restart_on"], DEFAULTS["exclude"])
    )
    outside = tmp_path / "outside" / "profiles"
    (outside / "default").mkdir(parents=True)
    (outside / "default" / "metadata.xml").write_text("<metadata />\n")
    (outside / "notes.xml").write_text("<notes />\n")
    (tmp_path / "outside" / "other.xml").write_text("<other />\n")
    os.rename(outside, root / "pkg" / "profiles")
    profile = root / "pkg" / "profiles"
    recorder.wait_for(
        lambda changes: {str(profile / "default" / "metadata.xml"), str(profile / "notes.xml")} <= set(changes)
    )


def test_directory_moved_in(tmp_path, watch):
    root = tmp_path / "root"
    root.mkdir()
    outside = tmp_path / "outside" / "pkg" / "sub"
    outside.mkdir(parents=True)
    (outside / "a.py").write_text("a = 1\n")
    _, recorder = watch(root)
    shutil.move(str(tmp_path / "outside" / "pkg"), str(root / "pkg"))
    moved = root / "pkg" / "sub" / "a.py"
    recorder.wait_for(lambda changes: str(moved) in changes)
    time.sleep(0.05)
    (root / "pkg" / "sub" / "b.py").write_text("b = 1\n")
    recorder.wait_for(lambda changes: str(root / "pkg" / "sub" / "b.py") in changes)


def test_deleted_file(tmp_path, watch):
    module = tmp_path / "gone.py"
    module.write_text("x = 1\n")
    _, recorder = watch()
    module.unlink()
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.DELETED)


def test_excluded_and_not_included_files_are_ignored(tmp_path, watch):
    (tmp_path / "node_modules").mkdir()
    _, recorder = watch()
    (tmp_path / "node_modules" / "x.py").write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / "views.pyc").write_text("")
    marker = tmp_path / "marker.py"
    marker.write_text("")
    recorder.wait_for(lambda changes: str(marker) in changes)
    recorder.settle()
    assert list(recorder.changes()) == [str(marker)]


def test_burst_of_500_files_is_one_batch_and_nothing_is_lost(tmp_path, watch):
    package = tmp_path / "burst"
    package.mkdir()
    paths = [package / ("m%03d.py" % i) for i in range(500)]
    for path in paths:
        path.write_text("x = 0\n")
    _, recorder = watch(debounce=0.050)
    for path in paths:
        path.write_text("x = 1\n")
    recorder.wait_for(lambda changes: len(changes) == 500)
    assert recorder.settle() == 1
    assert set(recorder.changes()) == {str(path) for path in paths}


def test_same_second_resave_is_seen_twice(tmp_path, watch):
    module = tmp_path / "views.py"
    module.write_text("x = 0\n")
    _, recorder = watch()

    def save_and_wait(text):
        seen = len(recorder.batches)
        module.write_text(text)
        with recorder.condition:
            assert recorder.condition.wait_for(lambda: len(recorder.batches) > seen, TIMEOUT)
        return recorder.batches[-1]

    for attempt in range(5):
        # Start right after a second boundary so that both saves share one mtime second.
        time.sleep(1.0 - time.time() % 1.0 + 0.01)
        save_and_wait("x = %d\n" % attempt)
        first_second = int(os.stat(module).st_mtime)
        second = save_and_wait("y = %d\n" % attempt)
        if int(os.stat(module).st_mtime) == first_second:
            assert str(module) in second.changes
            return
    pytest.fail("could not make two saves within one second")


def test_stop_is_prompt(tmp_path, watch):
    service, _ = watch()
    started = time.monotonic()
    service.stop()
    service.stop()  # idempotent
    assert service.join(1.0)
    assert time.monotonic() - started < 0.2


def test_watch_limit_is_reported_and_watching_goes_on(tmp_path, watch, monkeypatch, caplog):
    for name in "abcde":
        (tmp_path / name).mkdir()
    real_add_watch = pyinotify.WatchManager.add_watch
    calls = []

    def limited_add_watch(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 2:
            raise pyinotify.WatchManagerError("add_watch: cannot watch %s (ENOSPC)" % path, {})
        return real_add_watch(self, path, *args, **kwargs)

    monkeypatch.setattr(pyinotify.WatchManager, "add_watch", limited_add_watch)
    with caplog.at_level(logging.ERROR, "collective.autorestart"):
        _, recorder = watch()
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "inotify watch limit reached" in errors[0]
    assert "sysctl fs.inotify.max_user_watches=" in errors[0]
    module = tmp_path / "top.py"
    module.write_text("")
    recorder.wait_for(lambda changes: str(module) in changes)


def test_change_during_a_reload_is_applied_by_the_next_one(tmp_path):
    first, second = tmp_path / "first.py", tmp_path / "second.py"
    batches = []
    done = threading.Event()

    def slow_reload(batch):
        batches.append(batch)
        if len(batches) == 1:
            second.write_text("x = 1\n")  # saved while the first reload is still running
            time.sleep(0.2)
        else:
            done.set()

    service = WatchService((str(tmp_path),), PathFilter(DEFAULTS["include"], DEFAULTS["exclude"]), 0.01, slow_reload)
    service.start()
    try:
        assert service.ready.wait(TIMEOUT)
        first.write_text("x = 1\n")
        assert done.wait(TIMEOUT)
    finally:
        service.stop()
        assert service.join(2.0)
    assert list(batches[0].changes) == [str(first)]
    assert list(batches[1].changes) == [str(second)]
