"""Real inotify on temporary trees, under the faults a developer's machine produces: lost
events, the watch limit, roots swapped under us, symlinked packages, environments."""

import logging
import os
import shutil
import time

import pytest

from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.watcher import Watcher, pyinotify

QUEUE_LIMIT = "/proc/sys/fs/inotify/max_queued_events"


def changed(path):
    return lambda changes: changes.get(str(path)) is Change.CHANGED


def test_files_saved_before_the_watch_but_after_the_start_are_reported(tmp_path, watch):
    old, new = tmp_path / "old.py", tmp_path / "new.py"
    old.write_text("")
    os.utime(old, (time.time() - 60, time.time() - 60))
    since = time.time() - 1
    new.write_text("")
    _, recorder = watch(tmp_path, changed_since=since)
    recorder.wait_for(changed(new))
    assert str(old) not in recorder.changes()
    assert recorder.stats.changed_before == 1


def test_a_directory_created_while_events_were_lost_is_watched(tmp_path, watch):
    with open(QUEUE_LIMIT) as limit:
        queue_limit = int(limit.read())
    flood = tmp_path / "flood"
    flood.mkdir()
    service, recorder = watch(tmp_path)
    release = recorder.block_next()
    (tmp_path / "first.py").write_text("")
    recorder.wait_until(lambda: recorder.holding)  # the reload is running
    try:
        # Each new file queues two events (IN_CREATE, IN_CLOSE_WRITE): the queue overflows.
        for number in range(queue_limit // 2 + 500):
            (flood / ("f%d.py" % number)).write_bytes(b"")
        later = tmp_path / "later"
        later.mkdir()
    finally:
        release.set()
    recorder.wait_until(lambda: any(batch.overflowed for batch in recorder.batches))
    module = later / "module.py"
    module.write_text("x = 1\n")
    recorder.wait_for(changed(module))


def test_the_watch_limit_after_start_is_reported_once_per_directory(tmp_path, watch, monkeypatch, caplog):
    real_add_watch = pyinotify.WatchManager.add_watch

    def limited_add_watch(self, path, *args, **kwargs):
        if os.path.basename(path).startswith("limited"):
            raise pyinotify.WatchManagerError("add_watch: cannot watch %s (ENOSPC)" % path, {})
        return real_add_watch(self, path, *args, **kwargs)

    monkeypatch.setattr(pyinotify.WatchManager, "add_watch", limited_add_watch)
    with caplog.at_level(logging.ERROR, "collective.autorestart"):
        _, recorder = watch(tmp_path)
        for name in ("limited-a", "limited-b"):
            (tmp_path / name).mkdir()
        (tmp_path / "fine").mkdir()
        module = tmp_path / "fine" / "module.py"
        module.write_text("")
        recorder.wait_for(changed(module))
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 2, errors
    for name, error in zip(("limited-a", "limited-b"), sorted(errors)):
        assert "inotify watch limit reached" in error and str(tmp_path / name) in error
        assert "sudo sysctl fs.inotify.max_user_watches=" in error


def test_a_file_saved_while_its_new_directory_gets_its_watch_is_seen(tmp_path, watch, monkeypatch):
    """The window between listing a new directory and watching it: a save there has no
    event and is not listed, unless the watch comes first.  (A fresh clone over a watch
    root lost its files to it one run in six on a busy machine.)"""
    add = Watcher._add

    def save_then_add(self, directory):
        if os.path.basename(directory) == "fresh":
            with open(os.path.join(directory, "module.py"), "w") as module:
                module.write("x = 1\n")
        return add(self, directory)

    monkeypatch.setattr(Watcher, "_add", save_then_add)
    _, recorder = watch(tmp_path)
    (tmp_path / "fresh").mkdir()
    recorder.wait_for(changed(tmp_path / "fresh" / "module.py"))


@pytest.mark.parametrize("how", ["moved away", "deleted"])
def test_a_root_replaced_by_a_new_tree_is_watched_again(tmp_path, watch, how, caplog):
    root = tmp_path / "checkout"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "views.py").write_text("x = 1\n")
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        _, recorder = watch(root)
        if how == "moved away":
            os.rename(root, tmp_path / "old")
        else:
            shutil.rmtree(root)
        # What a fresh clone into the same path does.
        (root / "pkg").mkdir(parents=True)
        (root / "pkg" / "views.py").write_text("x = 2\n")
        recorder.wait_for(changed(root / "pkg" / "views.py"))
        recorder.forget()
        (root / "pkg" / "views.py").write_text("x = 3\n")
        recorder.wait_for(changed(root / "pkg" / "views.py"))
    assert "watch root %s was moved away or deleted" % root in caplog.text
    assert "watch root %s is back" % root in caplog.text
    if how == "moved away":
        recorder.forget()
        (tmp_path / "old" / "pkg" / "views.py").write_text("x = 4\n")
        time.sleep(0.2)
        assert recorder.batches == []  # the old tree is no longer ours


def test_symlinked_package_is_followed_by_its_real_path(tmp_path, watch):
    checkout = tmp_path / "elsewhere" / "my.package"
    (checkout / "my").mkdir(parents=True)
    root = tmp_path / "src"
    root.mkdir()
    (root / "my.package").symlink_to(checkout)
    (root / "loop").symlink_to(root)  # followed once, never in circles
    (checkout / "back").symlink_to(root)
    _, recorder = watch(root)
    assert recorder.stats.followed == (str(checkout),)
    module = checkout / "my" / "views.py"
    module.write_text("x = 1\n")
    recorder.wait_for(changed(module))


def test_python_environments_are_never_watched(tmp_path, watch):
    environment = tmp_path / "env"
    (environment / "lib").mkdir(parents=True)
    (environment / "pyvenv.cfg").write_text("home = /usr\n")
    _, recorder = watch(tmp_path)
    (environment / "lib" / "site.py").write_text("")
    mine = tmp_path / "mine.py"
    mine.write_text("")
    recorder.wait_for(changed(mine))
    assert str(environment / "lib" / "site.py") not in recorder.changes()
    assert recorder.stats.directories == 1
