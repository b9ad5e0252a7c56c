"""Which back-end watches which root: the watcher option, the filesystem and the probe."""

import logging
import os

import pytest

from collective.autorestart.watching import choose as choose_module
from collective.autorestart.watching.choose import WatcherUnavailable, choose, describe, probe_inotify
from collective.autorestart.watching.mounts import Mount, mount_of, read_mounts

EXT4 = Mount("/", "ext4", "/dev/vda")


def fast_probe(root, bound):
    return 0.0004


def no_event(root, bound):
    return None


def test_auto_on_a_local_filesystem_with_a_probe_event_is_inotify(tmp_path):
    [choice] = choose((str(tmp_path),), platform="linux", mounts=[EXT4], inotify_probe=fast_probe)
    assert (choice.backend, choice.reason) == ("inotify", "ext4, a probe event in 0.4 ms")


def test_auto_polls_a_share_and_says_which_filesystem(tmp_path):
    share = Mount(str(tmp_path / "share"), "fuse", "/srv/code")
    (tmp_path / "share").mkdir()
    (tmp_path / "local").mkdir()
    choices = choose(
        (str(tmp_path / "share"), str(tmp_path / "local")),
        platform="linux",
        mounts=[EXT4, share],
        inotify_probe=fast_probe,
    )
    assert [choice.backend for choice in choices] == ["polling", "inotify"]
    assert choices[0].reason == ("on a fuse filesystem (%s), whose changes made elsewhere send no events" % share.point)
    line = describe(choices, 0.5)
    assert line.startswith("%s [polled every 500 ms: on a fuse filesystem" % share.point)
    assert "%s [inotify: ext4, a probe event in 0.4 ms]" % (tmp_path / "local") in line


def test_auto_polls_a_root_that_holds_a_share(tmp_path):
    below = Mount(str(tmp_path / "src" / "shared"), "9p", "drvfs")
    [choice] = choose((str(tmp_path),), platform="linux", mounts=[EXT4, below], inotify_probe=fast_probe)
    assert choice.backend == "polling"
    assert choice.reason.startswith("holds a 9p filesystem (%s)" % below.point)


def test_an_unknown_filesystem_type_is_polled(tmp_path):
    [choice] = choose((str(tmp_path),), platform="linux", mounts=[Mount("/", "weirdfs", "x")], inotify_probe=fast_probe)
    assert choice.backend == "polling"


def test_auto_polls_where_the_probe_sent_no_event_or_inotify_failed(tmp_path):
    [silent] = choose((str(tmp_path),), platform="linux", mounts=[EXT4], inotify_probe=no_event)
    assert (silent.backend, silent.reason) == (
        "polling",
        "a probe file written there sent no inotify event within 500 ms",
    )

    def no_instances(root, bound):
        raise OSError(24, "Too many open files")

    [failed] = choose((str(tmp_path),), platform="linux", mounts=[EXT4], inotify_probe=no_instances)
    assert failed.backend == "polling"
    assert failed.reason == "inotify can't watch it (OSError: [Errno 24] Too many open files)"


def test_a_root_not_writable_on_a_local_filesystem_is_trusted(tmp_path):
    def read_only(root, bound):
        raise PermissionError(13, "Permission denied")

    [choice] = choose((str(tmp_path),), platform="linux", mounts=[EXT4], inotify_probe=read_only)
    assert choice.backend == "inotify"
    assert choice.reason.startswith("ext4, not probed: ")


def test_a_root_nested_with_a_polled_one_is_polled_too(tmp_path):
    outer, inner, apart = tmp_path / "outer", tmp_path / "outer" / "inner", tmp_path / "apart"
    inner.mkdir(parents=True)
    apart.mkdir()

    def silent_outer(root, bound):
        return None if root == str(outer) else 0.0004

    choices = choose((str(outer), str(inner), str(apart)), platform="linux", mounts=[EXT4], inotify_probe=silent_outer)
    assert [choice.backend for choice in choices] == ["polling", "polling", "inotify"]
    assert choices[1].reason == "polled with %s, which it is nested with" % outer


def test_forced_back_ends_and_where_they_cannot_run(tmp_path):
    root = str(tmp_path)
    assert choose((root,), "polling")[0].backend == "polling"
    assert choose((root,), "inotify", platform="linux")[0].backend == "inotify"
    with pytest.raises(WatcherUnavailable) as raised:
        choose((root,), "inotify", "watcher in buildout.cfg", platform="darwin")
    assert str(raised.value) == (
        "watcher = inotify (watcher in buildout.cfg): inotify is Linux only, this is darwin. Use auto, native or"
        " polling."
    )
    with pytest.raises(WatcherUnavailable) as raised:
        choose((root,), "native", platform="linux", native_unavailable=lambda: "watchdog is not installed")
    assert "watcher = native (watcher): watchdog is not installed. Or use auto or polling." == str(raised.value)


def test_elsewhere_auto_uses_native_events_or_polls_without_watchdog(tmp_path):
    root = str(tmp_path)
    [native] = choose(
        (root,), platform="darwin", native_probe=lambda root, bound: 0.02, native_unavailable=lambda: None
    )
    assert (native.backend, native.reason) == ("native", "local, a probe event in 20.0 ms")
    [polled] = choose((root,), platform="darwin", native_unavailable=lambda: "watchdog is not installed")
    assert (polled.backend, polled.reason) == ("polling", "watchdog is not installed")


def test_the_inotify_probe_sees_its_file_and_leaves_nothing(tmp_path):
    (tmp_path / "kept.py").write_text("")
    seconds = probe_inotify(str(tmp_path))
    assert seconds is not None and seconds < choose_module.PROBE_BOUND_SECONDS
    assert os.listdir(tmp_path) == ["kept.py"]


def test_the_inotify_probe_on_a_missing_root_raises(tmp_path):
    with pytest.raises(Exception):
        probe_inotify(str(tmp_path / "missing"))


def test_mountinfo_is_read_with_its_escapes(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "45 22 0:40 / /home/me/My\\040Code rw,nosuid - fuse.sshfs me@host:/code rw\n"
        "46 22 0:41 / /mnt/c rw master:3 - 9p drvfs rw\n"
        "garbage\n"
    )
    mounts = read_mounts(str(mountinfo))
    assert mounts[1] == Mount("/home/me/My Code", "fuse.sshfs", "me@host:/code")
    assert mount_of("/home/me/My Code/src", mounts).type == "fuse.sshfs"
    assert mount_of("/home/me/My Codex", mounts).type == "ext4"
    assert mount_of("/mnt/c/Users", mounts).type == "9p"
    assert read_mounts(str(tmp_path / "none")) is None


def test_this_machines_own_root_filesystem_is_found():
    mounts = read_mounts()
    assert mounts, "no /proc/self/mountinfo"
    assert mount_of(os.path.realpath(__file__), mounts) is not None


def test_a_forced_back_end_that_cannot_run_keeps_the_service_from_being_made(tmp_path, monkeypatch):
    """At start, where the runtime's start-up turns it into ``autoreload is off: ...``."""
    from collective.autorestart.watching.filters import PathFilter
    from collective.autorestart.watching.service import WatchService

    monkeypatch.setattr(choose_module, "_native_unavailable", lambda: "watchdog is not installed")
    with pytest.raises(WatcherUnavailable, match=r"^watcher = native \(watcher in buildout.cfg\): watchdog is not"):
        WatchService(
            (str(tmp_path),), PathFilter(("*.py",), ()), 0.01, print, watcher="native", where="watcher in buildout.cfg"
        )
    monkeypatch.setattr(choose_module.sys, "platform", "darwin")
    with pytest.raises(WatcherUnavailable, match="inotify is Linux only, this is darwin"):
        WatchService((str(tmp_path),), PathFilter(("*.py",), ()), 0.01, print, watcher="inotify")


def test_the_inotify_watcher_takes_over_the_probes_manager_quietly(tmp_path, watch, caplog):
    """One WatchManager for the probes and the watcher (pyinotify's libc lookup costs ~9 ms
    per manager); the probe's own events are not the watcher's to report or warn about."""
    from collective.autorestart.watching.watcher import Watcher

    module = tmp_path / "views.py"
    module.write_text("x = 1\n")
    with caplog.at_level(logging.DEBUG):
        service, recorder = watch()
        [watcher] = service.backends
        assert type(watcher) is Watcher
        assert service.choices[0].reason.startswith("ext4, a probe event in ")
        module.write_text("x = 2\n")
        recorder.wait_for(lambda changes: str(module) in changes)
        recorder.settle()
    assert list(recorder.changes()) == [str(module)]
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
    assert sorted(os.listdir(tmp_path)) == ["views.py"]
