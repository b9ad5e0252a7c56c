"""The polling back-end through the real WatchService: the inotify watcher's own tests run
again on it (imported below; not its same-second test, which waits for a second to begin:
the same-tick tests here are stricter), and what only polling has to get right."""

import os
import threading
import time

import pytest
from test_watcher_inotify import (  # noqa: F401 - collected here again, on polling
    test_burst_of_500_files_is_one_batch_and_nothing_is_lost,
    test_deleted_file,
    test_directory_moved_in,
    test_excluded_and_not_included_files_are_ignored,
    test_in_place_save,
    test_new_directories_with_files_written_at_once,
    test_profile_files_found_by_the_scan_of_a_new_directory,
    test_rename_save,
    test_stop_is_prompt,
    test_vim_style_backup_save,
)

from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.polling import PollingWatcher
from harness.recorder import TIMEOUT

INTERVAL = 0.05


@pytest.fixture
def watch(watch):
    """The conftest's watch, forced to poll."""

    def start(*roots, **options):
        options.setdefault("watcher", "polling")
        options.setdefault("poll_interval", INTERVAL)
        service, recorder = watch(*roots, **options)
        assert [type(backend) for backend in service.backends] == [PollingWatcher]
        return service, recorder

    return start


def _save_in_the_same_tick(module, text, keep_inode):
    """Save text with the file's mtime and size unchanged: what two saves within one coarse
    mtime tick (a network filesystem's second) look like."""
    before = os.stat(module)
    assert len(text) == before.st_size
    if keep_inode:
        with open(module, "w") as saved:
            saved.write(text)
    else:
        temporary = module.with_name(".%s.tmp" % module.name)
        temporary.write_text(text)
        os.replace(temporary, module)
    os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(module)
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)
    return after.st_ino != before.st_ino


@pytest.mark.parametrize("keep_inode", [False, True], ids=["rename-save", "in-place"])
def test_a_save_that_keeps_mtime_and_size_is_seen(tmp_path, watch, keep_inode):
    module = tmp_path / "views.py"
    module.write_text("x = 0\n")
    _, recorder = watch()
    # The first save makes the file hot (compared by content); the second keeps the stamp.
    module.write_text("x = 1\n")
    recorder.wait_for(lambda changes: str(module) in changes)
    recorder.settle()
    recorder.forget()
    assert _save_in_the_same_tick(module, "x = 2\n", keep_inode) is not keep_inode
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED, timeout=1.0)


def test_a_cold_rename_save_that_keeps_mtime_and_size_is_seen_by_its_inode(tmp_path, watch):
    module = tmp_path / "views.py"
    module.write_text("x = 0\n")
    _, recorder = watch()
    time.sleep(3.0 * INTERVAL)
    assert _save_in_the_same_tick(module, "x = 9\n", keep_inode=False)
    recorder.wait_for(lambda changes: changes.get(str(module)) is Change.CHANGED, timeout=1.0)


def test_a_checkout_cut_by_a_scan_is_one_batch(tmp_path, watch):
    """A git checkout writes new files (a new inode each) over tens of milliseconds; the
    quick scans after the first change keep the batch open until it is done."""
    package = tmp_path / "pkg"
    subpackages = [package / ("sub%d" % number) for number in range(10)]
    for directory in subpackages:
        directory.mkdir(parents=True)
        for number in range(10):
            (directory / ("m%d.py" % number)).write_text("x = 0\n")
    # As the inotify watcher's burst test: gaps shorter than the debounce on a loaded machine.
    _, recorder = watch(debounce=0.050)
    written = []
    started = time.monotonic()
    # Spread over three scans' worth of time, with gaps shorter than the debounce.
    while time.monotonic() - started < 3 * INTERVAL:
        for directory in subpackages:
            path = directory / ("m%d.py" % (len(written) % 10))
            temporary = directory / ".tmp"
            temporary.write_text("x = %d\n" % len(written))
            os.replace(temporary, path)
            written.append(str(path))
            time.sleep(0.003)
    recorder.wait_for(lambda changes: set(written) <= set(changes))
    assert recorder.settle() == 1


def test_a_root_deleted_and_back_is_scanned_again(tmp_path, watch, caplog):
    root = tmp_path / "root"
    root.mkdir()
    (root / "a.py").write_text("a = 1\n")
    _, recorder = watch(root)
    os.rename(root, tmp_path / "away")
    time.sleep(3 * INTERVAL)
    assert "watch root %s was moved away or deleted" % root in caplog.text
    root.mkdir()
    (root / "b.py").write_text("b = 1\n")
    recorder.wait_for(lambda changes: str(root / "b.py") in changes)
    (root / "b.py").write_text("b = 22\n")
    recorder.forget()
    recorder.wait_for(lambda changes: str(root / "b.py") in changes)


def test_files_saved_before_the_first_scan_are_reported(tmp_path, watch):
    module = tmp_path / "early.py"
    module.write_text("x = 1\n")
    started = time.time() - 5
    os.utime(module, (started - 10, started - 10))
    fresh = tmp_path / "fresh.py"
    fresh.write_text("y = 1\n")
    _, recorder = watch(changed_since=started)
    assert recorder.stats.changed_before == 1
    recorder.wait_for(lambda changes: list(changes) == [str(fresh)])


def test_a_python_environment_and_a_nested_root_are_not_scanned_twice(tmp_path, watch):
    environment = tmp_path / "env"
    (environment / "lib").mkdir(parents=True)
    (environment / "pyvenv.cfg").write_text("home = /usr\n")
    (environment / "lib" / "site.py").write_text("")
    nested = tmp_path / "nested"
    nested.mkdir()
    (nested / "n.py").write_text("")
    _, recorder = watch(tmp_path, nested)
    assert recorder.stats.files == 1
    (environment / "lib" / "site.py").write_text("x = 1\n")
    (nested / "n.py").write_text("n = 1\n")
    recorder.wait_for(lambda changes: str(nested / "n.py") in changes)
    recorder.settle()
    assert list(recorder.changes()) == [str(nested / "n.py")]


def test_a_save_is_seen_within_one_interval(tmp_path, watch):
    """What the poll-interval option promises: a scan at least once per interval."""
    module = tmp_path / "views.py"
    module.write_text("x = 0\n")
    service, recorder = watch()
    delays = []
    for attempt in range(5):
        time.sleep(INTERVAL * (0.1 + 0.37 * attempt % 1))
        seen = len(recorder.batches)
        module.write_text("x = %d\n" % (attempt + 10))
        saved = time.monotonic()
        with recorder.condition:
            assert recorder.condition.wait_for(lambda: len(recorder.batches) > seen, TIMEOUT)
        delays.append(time.monotonic() - saved)
    # Debounce and a scan of this small tree on top; a loaded machine's scheduling too.
    assert max(delays) < INTERVAL + 0.08, delays
    assert service.backends[0].last_scan_seconds < 0.05


def test_the_scan_runs_on_the_service_thread_alone(tmp_path, watch, monkeypatch):
    threads = set()
    scan = PollingWatcher._scan

    def recording_scan(self, quick=False):
        threads.add(threading.get_ident())
        return scan(self, quick)

    monkeypatch.setattr(PollingWatcher, "_scan", recording_scan)
    _, recorder = watch()
    time.sleep(3 * INTERVAL)
    assert len(threads) == 1 and threading.get_ident() not in threads
