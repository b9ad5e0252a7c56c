"""Unit tests of the pure parts of the runtime: filters, batching, planning, reporting."""

import logging
import os
import signal
import sys
import threading
import types

import pytest

from collective.autorestart.contract import DEFAULTS
from collective.autorestart.runtime import threaddump
from collective.autorestart.watching.batcher import Batch, Batcher, Change
from collective.autorestart.watching.channel import SupervisorChannel
from collective.autorestart.watching.cycle import ReloadCycle
from collective.autorestart.watching.filters import PathFilter
from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.planner import ALL_ZCML, Policy, make_plan
from collective.autorestart.watching.report import Failure, describe, raced_with_a_request
from collective.autorestart.watching.sound import missing_audio_device
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

DEFAULT_FILTER = PathFilter(DEFAULTS["include"], DEFAULTS["exclude"])


@pytest.mark.parametrize(
    "path, accepted",
    [
        ("/src/pkg/views.py", True),
        ("/src/pkg/configure.zcml", True),
        ("/src/pkg/views.pyc", False),
        ("/src/pkg/views.py~", False),
        ("/src/pkg/.views.py.swp", False),
        ("/src/pkg/.#views.py", False),
        ("/src/pkg/4913", False),
        ("/src/pkg/template.pt", False),
        ("/src/pkg/README.rst", False),
    ],
)
def test_default_filter_files(path, accepted):
    assert DEFAULT_FILTER.accepts_file(path) is accepted


@pytest.mark.parametrize(
    "path, excluded",
    [
        ("/src/pkg/.git", True),
        ("/src/pkg/__pycache__", True),
        ("/src/pkg/node_modules", True),
        ("/src/pkg/.venv", True),
        ("/src/pkg/.tox", True),
        ("/src/my.pkg.egg-info", True),
        ("/src/pkg/browser", False),
        ("/src/pkg/gitstuff", False),
    ],
)
def test_default_filter_directories(path, excluded):
    assert DEFAULT_FILTER.excludes_directory(path) is excluded


def test_path_excludes_cover_everything_below():
    path_filter = PathFilter(("*.py",), ("/src/pkg/static", "/src/*/generated"))
    assert path_filter.excludes_directory("/src/pkg/static")
    assert path_filter.excludes_directory("/src/pkg/static/js")
    assert not path_filter.accepts_file("/src/pkg/static/js/x.py")
    assert not path_filter.accepts_file("/src/other/generated/deep/x.py")
    assert path_filter.accepts_file("/src/pkg/staticfiles.py")
    assert "static" in repr(path_filter) and "*.py" in repr(path_filter)


def test_batcher_waits_for_quiet():
    batcher = Batcher(quiet=0.010, cap=1.0)
    assert batcher.deadline() is None and batcher.take(5.0) is None
    batcher.add("/a.py", Change.CHANGED, 0.000)
    batcher.add("/b.py", Change.CHANGED, 0.008)
    assert batcher.take(0.017) is None  # b arrived 9 ms ago
    batch = batcher.take(0.019)
    assert list(batch.changes) == ["/a.py", "/b.py"]
    assert batch.first_seen == 0.0
    assert batcher.take(1.0) is None and batcher.deadline() is None  # nothing pending


def test_batcher_cap_flushes_endless_stream():
    batcher = Batcher(quiet=0.010, cap=0.100)
    now = 0.0
    while batcher.take(now) is None:
        batcher.add("/f%d.py" % int(now * 1000), Change.CHANGED, now)
        now += 0.005
        assert now < 0.2, "the cap never flushed"
    assert 0.1 <= now <= 0.11


def test_batcher_last_event_wins():
    batcher = Batcher(quiet=0.01, cap=1.0)
    batcher.add("/a.py", Change.DELETED, 0.0)  # rename-save: the old file goes away...
    batcher.add("/a.py", Change.CHANGED, 0.001)  # ...and the new one moves in
    assert batcher.take(1.0).changes == {"/a.py": Change.CHANGED}


def test_batcher_overflow_makes_a_batch():
    batcher = Batcher(quiet=0.01, cap=1.0)
    batcher.overflow(0.0)
    batch = batcher.take(0.02)
    assert batch.overflowed and batch.changes == {}


LOADED = {"/src/pkg/__init__.py": "pkg", "/src/pkg/views.py": "pkg.views", "/src/pkg/sub/a.py": "pkg.sub.a"}


def test_plan_reloads_loaded_modules_parents_first():
    plan = make_plan(
        {"/src/pkg/sub/a.py": Change.CHANGED, "/src/pkg/__init__.py": Change.CHANGED},
        LOADED,
    )
    assert plan.modules == ("pkg", "pkg.sub.a")
    assert not plan.zcml and plan.needs_reload


def test_plan_ignores_files_no_module_comes_from():
    plan = make_plan({"/src/pkg/new.py": Change.CHANGED}, LOADED)
    assert plan.modules == () and plan.ignored == ("/src/pkg/new.py",)
    assert not plan.needs_reload


def test_plan_zcml():
    plan = make_plan({"/src/pkg/configure.zcml": Change.CHANGED, "/src/pkg/views.py": Change.CHANGED}, LOADED)
    assert plan.zcml == ("/src/pkg/configure.zcml",) and plan.modules == ("pkg.views",)
    assert make_plan({"/src/pkg/old.zcml": Change.DELETED}, LOADED).zcml == ("/src/pkg/old.zcml",)


def test_plan_deleted_module_is_not_reloaded():
    plan = make_plan({"/src/pkg/views.py": Change.DELETED}, LOADED, retry_modules=["pkg.views"])
    assert plan.modules == () and plan.vanished == ("pkg.views",)


def test_plan_retries_what_failed_on_any_save():
    plan = make_plan(
        {"/src/pkg/other.txt": Change.CHANGED}, LOADED, retry_modules=["pkg.views"], retry_zcml=["/src/pkg/a.zcml"]
    )
    assert plan.modules == ("pkg.views",) and plan.zcml == ("/src/pkg/a.zcml",)


def test_plan_everything_after_overflow():
    plan = make_plan({}, LOADED, everything=True)
    assert plan.modules == ("pkg", "pkg.views", "pkg.sub.a") and plan.zcml == (ALL_ZCML,)


def test_module_index_maps_files_under_roots(tmp_path, monkeypatch):
    inside = types.ModuleType("autotest_inside")
    inside.__file__ = str(tmp_path / "pkg" / "inside.py")
    outside = types.ModuleType("autotest_outside")
    outside.__file__ = "/elsewhere/outside.py"
    compiled = types.ModuleType("autotest_compiled")
    compiled.__file__ = str(tmp_path / "pkg" / "ext.so")
    for module in (inside, outside, compiled):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    index = ModuleIndex((str(tmp_path),))
    assert index.refresh()[str(tmp_path / "pkg" / "inside.py")] == "autotest_inside"
    assert "autotest_outside" not in index.refresh().values()
    assert "autotest_compiled" not in index.refresh().values()
    monkeypatch.delitem(sys.modules, "autotest_inside")
    assert "autotest_inside" not in index.refresh().values()


def test_module_index_includes_egg_and_site_packages_paths_under_a_root(tmp_path, monkeypatch):
    """plone.reload skips such paths; a checkout under a watch root is the developer's code."""
    for index, part in enumerate(("my.pkg-1.0-py3.11.egg", "lib/site-packages")):
        module = types.ModuleType("autotest_egg%d" % index)
        module.__file__ = str(tmp_path / part / "mod.py")
        monkeypatch.setitem(sys.modules, module.__name__, module)
    loaded = ModuleIndex((str(tmp_path),)).refresh()
    assert loaded[str(tmp_path / "my.pkg-1.0-py3.11.egg" / "mod.py")] == "autotest_egg0"
    assert loaded[str(tmp_path / "lib/site-packages" / "mod.py")] == "autotest_egg1"


def test_describe_syntax_error(tmp_path):
    source = tmp_path / "broken.py"
    source.write_text("x = (\n")
    with pytest.raises(SyntaxError) as info:
        compile(source.read_text(), str(source), "exec")
    failure = describe(info.value, str(source), (str(tmp_path),))
    assert failure.filename == str(source) and failure.line == 1
    assert str(failure).startswith("%s:1: SyntaxError:" % source)


def test_describe_runtime_error_points_at_user_code(tmp_path):
    source = tmp_path / "boom.py"
    source.write_text("def f():\n    return 1 / 0\nf()\n")
    try:
        exec(compile(source.read_text(), str(source), "exec"), {})
    except ZeroDivisionError as error:
        failure = describe(error, str(source), (str(tmp_path),))
    assert (failure.filename, failure.line) == (str(source), 2)
    assert failure.message == "ZeroDivisionError: division by zero"


def test_describe_zcml_error_takes_innermost_location():
    error = Exception(
        'File "/site.zcml", line 20.2-20.50\n'
        '    File "/src/pkg/configure.zcml", line 7.2-9.6\n'
        "    ConfigurationError: ('Invalid value for', 'class', 'ImportError: no module')"
    )
    failure = describe(error, "ZCML", ("/src",))
    assert (failure.filename, failure.line) == ("/src/pkg/configure.zcml", 7)
    assert "Invalid value for" in failure.message


def test_describe_zcml_conflict_names_the_other_directive():
    error = Exception(
        "Conflicting configuration actions\n"
        "  For: ('view', (None, None), 'first', None)\n"
        '    File "/src/pkg/browser.zcml", line 4.2-4.90\n'
        '      <browser:page name="first" ... />\n'
        '    File "/src/pkg/browser.zcml", line 5.2-5.90\n'
        '      <browser:page name="first" ... />'
    )
    failure = describe(error, "ZCML", ("/src",))
    assert (failure.filename, failure.line) == ("/src/pkg/browser.zcml", 5)
    assert failure.message == (
        "Conflicting configuration actions: this directive registers the same as /src/pkg/browser.zcml:4"
    )


class FakeApplier:
    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = []

    def apply(self, modules, zcml):
        self.calls.append((modules, zcml))
        return self.outcomes.pop(0)


class FakePlayer:
    def __init__(self):
        self.played = []

    def play(self, kind):
        self.played.append(kind)


class FakeIndex:
    def refresh(self):
        return LOADED


def test_cycle_reports_success_and_plays(caplog):
    applier = FakeApplier([Outcome(reloaded=["pkg.views"])])
    player = FakePlayer()
    cycle = ReloadCycle(FakeIndex(), applier, player)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
    assert applier.calls == [(("pkg.views",), ())]
    assert player.played == ["success"]
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == ["reloaded pkg.views"]


def test_cycle_failure_is_retried_on_next_save(caplog):
    failure = Failure("/src/pkg/views.py", 3, "SyntaxError: invalid syntax")
    applier = FakeApplier([Outcome(failed_modules={"pkg.views": failure}), Outcome(reloaded=["pkg.views", "pkg"])])
    player = FakePlayer()
    cycle = ReloadCycle(FakeIndex(), applier, player)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert errors[0].startswith("/src/pkg/views.py:3: SyntaxError: invalid syntax")
        cycle(Batch({"/src/pkg/__init__.py": Change.CHANGED}))
    assert applier.calls[1] == (("pkg", "pkg.views"), ())
    assert player.played == ["failure", "success"]
    assert cycle.retry_modules == set()


def test_cycle_does_nothing_for_unloaded_files():
    applier = FakeApplier([])
    cycle = ReloadCycle(FakeIndex(), applier, FakePlayer())
    assert cycle(Batch({"/src/pkg/brand_new.py": Change.CHANGED})) is None
    assert applier.calls == []


def test_thread_dump_names_threads_and_chains_to_the_previous_handler(tmp_path):
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, name="autotest worker", daemon=True)
    worker.start()
    calls = []
    original = signal.signal(signal.SIGUSR1, lambda signum, frame: calls.append(signum))
    path = tmp_path / "log" / "dump.txt"
    try:
        threaddump.install(str(path))
        os.kill(os.getpid(), signal.SIGUSR1)
        os.kill(os.getpid(), signal.SIGUSR1)
    finally:
        signal.signal(signal.SIGUSR1, original)
        stop.set()
    text = path.read_text()
    assert text.count("=== thread dump") == 2
    assert "Thread 'autotest worker' (ident %d daemon)" % worker.ident in text
    assert "Thread 'MainThread'" in text
    assert "in wait" in text.split("Thread 'autotest worker'")[1].split("Thread '")[0]
    assert calls == [signal.SIGUSR1, signal.SIGUSR1]


POLICY = Policy(restart_on=("setup.py", "pyproject.toml"), buildout_directory="/project")


def test_plan_restart_on_files():
    plan = make_plan({"/src/pkg/views.py": Change.CHANGED, "/src/setup.py": Change.CHANGED}, LOADED, POLICY)
    assert plan.restart == "/src/setup.py changed"


def test_plan_zcml_restart_policy():
    policy = Policy(zcml_restarts=True)
    plan = make_plan({"/src/pkg/configure.zcml": Change.CHANGED}, LOADED, policy)
    assert plan.restart == "/src/pkg/configure.zcml changed"
    assert make_plan({"/src/pkg/views.py": Change.CHANGED}, LOADED, policy).restart is None


def test_plan_buildout_files_need_a_buildout_run():
    plan = make_plan(
        {"/project/buildout.cfg": Change.CHANGED, "/project/src/pkg/setup.cfg": Change.CHANGED}, LOADED, POLICY
    )
    assert plan.buildout_files == ("/project/buildout.cfg",)
    assert plan.restart is None and not plan.needs_reload


def test_cycle_asks_for_a_restart_instead_of_reloading():
    applier = FakeApplier([])
    reasons = []
    cycle = ReloadCycle(FakeIndex(), applier, FakePlayer(), POLICY, restart=reasons.append)
    cycle(Batch({"/src/setup.py": Change.CHANGED, "/src/pkg/views.py": Change.CHANGED}))
    assert reasons == ["/src/setup.py changed"] and applier.calls == []


def test_cycle_restarts_after_a_failed_reload_when_asked_to():
    failure = Failure("/src/pkg/views.py", 3, "NameError: x")
    applier = FakeApplier([Outcome(failed_modules={"pkg.views": failure})])
    reasons = []
    cycle = ReloadCycle(FakeIndex(), applier, FakePlayer(), POLICY, reasons.append, restart_on_error=True)
    cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
    assert reasons == ["reload failed: /src/pkg/views.py:3: NameError: x"]


OLD_STILL_HELD = Unsafe(UnsafeKind.REMOVED_STILL_HELD, "pkg.views", "Old")


def test_cycle_restarts_when_a_reload_removed_what_others_may_hold(caplog):
    unsafe = Outcome(reloaded=["pkg.views"], unsafe=[OLD_STILL_HELD])
    reasons = []
    cycle = ReloadCycle(FakeIndex(), FakeApplier([unsafe]), FakePlayer(), POLICY, reasons.append)
    cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
    assert reasons == ["pkg.views no longer defines Old: what still holds the old code can't be updated in place"]


def test_cycle_only_warns_of_an_unsafe_reload_with_on_unsafe_change_warn(caplog):
    unsafe = Outcome(reloaded=["pkg.views"], unsafe=[OLD_STILL_HELD])
    reasons = []
    cycle = ReloadCycle(
        FakeIndex(), FakeApplier([unsafe]), FakePlayer(), POLICY, reasons.append, restart_on_unsafe=False
    )
    with caplog.at_level(logging.WARNING, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
    assert reasons == []
    assert "pkg.views no longer defines Old: registrations or imports may still use the old code" in caplog.text


def test_channel_messages_reach_the_supervisor():
    read_end, write_end = os.pipe()
    try:
        channel = SupervisorChannel(write_end)
        channel.ready()
        channel.restart("setup.py changed\nsneaky")
        assert os.read(read_end, 1000) == b"ready\nrestart setup.py changed sneaky\n"
    finally:
        os.close(read_end)
        os.close(write_end)


def test_channel_without_supervisor_says_restart_yourself(caplog):
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        SupervisorChannel(None).restart("setup.py changed")
    assert (
        caplog.records[-1].getMessage() == "setup.py changed: stop and start bin/instance-autoreload"
        " (or runwsgi-autoreload) to apply it"
    )


def test_missing_audio_device(monkeypatch, tmp_path):
    monkeypatch.delenv("SDL_AUDIODRIVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setattr(os.path, "isdir", lambda path: False)
    assert "no /dev/snd" in missing_audio_device()
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").write_text("")
    assert missing_audio_device() is None
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    (tmp_path / "pulse" / "native").unlink()
    assert missing_audio_device() is None


def _raise_from(filename, source):
    try:
        exec(compile(source, filename, "exec"), {})
    except Exception as error:  # noqa: B902 - any error the source raises
        return error
    raise AssertionError("did not raise")


def test_registry_races_are_told_apart_from_user_errors():
    race = _raise_from(
        "/eggs/zope.interface/zope/interface/adapter.py",
        "d = {1: 1}\nfor k in d:\n    d[k + 1] = 1\n",
    )
    assert isinstance(race, RuntimeError) and raced_with_a_request(race)
    wrapped = Exception("ConfigurationExecutionError")
    wrapped.evalue = race
    assert raced_with_a_request(wrapped)
    assert not raced_with_a_request(_raise_from("/src/pkg/views.py", "{}['missing']\n"))
    assert not raced_with_a_request(Exception("plain"))


def test_registry_race_seen_deeper_than_zope_interface():
    """zope.interface iterating a WeakKeyDictionary: the KeyError is raised in weakref.py."""
    helper = compile("def fail():\n    raise KeyError('weakref')\n", "/usr/lib/python3/weakref.py", "exec")
    namespace = {}
    exec(helper, namespace)
    race = None
    try:
        exec(compile("fail()\n", "/eggs/zope.interface/zope/interface/adapter.py", "exec"), namespace)
    except KeyError as error:
        race = error
    assert raced_with_a_request(race)


def test_cycle_retries_every_module_of_an_aborted_reload(caplog):
    aborted = Outcome(aborted=Failure("/src/pkg/views.py", 2, "KeyboardInterrupt"))
    applier = FakeApplier([aborted, Outcome(reloaded=["pkg", "pkg.views"])])
    cycle = ReloadCycle(FakeIndex(), applier, FakePlayer())
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED, "/src/pkg/__init__.py": Change.CHANGED}))
        cycle(Batch({"/src/pkg/other.txt": Change.CHANGED}))
    assert applier.calls[1][0] == ("pkg", "pkg.views")
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors[0].startswith("/src/pkg/views.py:2: KeyboardInterrupt -- reload failed")


def test_cycle_restarts_after_a_reload_that_hung_and_applies_nothing_more(caplog):
    hung = Outcome(hung=Failure("/src/pkg/views.py", 5, "the reload did not finish within 10.0 s"))
    applier = FakeApplier([hung])
    reasons = []
    cycle = ReloadCycle(FakeIndex(), applier, FakePlayer(), POLICY, reasons.append)
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
        assert cycle(Batch({"/src/pkg/views.py": Change.CHANGED})) is None
    assert reasons == [
        "the reload did not finish within 10.0 s, stuck at /src/pkg/views.py:5:"
        " a process whose import hangs can't be trusted"
    ]
    assert len(applier.calls) == 1
    assert "not applying this save: a reload hung at /src/pkg/views.py:5" in caplog.records[-1].getMessage()


def test_cycle_says_what_the_reload_waited_for_on_its_line(caplog):
    outcome = Outcome(reloaded=["pkg.views"], notes=["waited 12 ms for 2 request(s)"])
    cycle = ReloadCycle(FakeIndex(), FakeApplier([outcome]), FakePlayer())
    with caplog.at_level(logging.INFO, "collective.autorestart"):
        cycle(Batch({"/src/pkg/views.py": Change.CHANGED}))
    assert caplog.records[-1].getMessage().endswith(" after the save (waited 12 ms for 2 request(s))")


def test_batch_waits_for_a_created_file_to_be_written():
    batcher = Batcher(quiet=0.01, cap=0.2, write_bound=1.0)
    batcher.add("/src/pkg/new.py", Change.CREATED, now=0.0)
    assert batcher.take(now=0.5) is None  # quiet for long, but the file is still open
    batcher.add("/src/pkg/new.py", Change.CHANGED, now=0.6)
    batch = batcher.take(now=0.61)
    assert batch.changes == {"/src/pkg/new.py": Change.CHANGED}


def test_batch_with_a_created_file_never_closed_goes_ahead_after_the_write_bound():
    batcher = Batcher(quiet=0.01, cap=0.2, write_bound=1.0)
    batcher.add("/src/pkg/link.py", Change.CREATED, now=0.0)
    batcher.add("/src/pkg/views.py", Change.CHANGED, now=0.1)
    assert batcher.take(now=0.99) is None
    assert set(batcher.take(now=1.0).changes) == {"/src/pkg/link.py", "/src/pkg/views.py"}
    assert batcher.deadline() is None


def raise_from_a_library(error):
    raise error


@pytest.mark.parametrize("error_type", [ValueError, SyntaxError])
def test_describe_names_the_reloaded_file_and_its_null_byte(tmp_path, error_type):
    # Python 3.11 raises ValueError, 3.12 and later a SyntaxError without a filename, both
    # from the compile() inside plone.reload.
    source = tmp_path / "views.py"
    source.write_bytes(b"x = 1\ny = 2\nz = '\0'\n")
    with pytest.raises(error_type) as info:
        raise_from_a_library(error_type("source code string cannot contain null bytes"))
    failure = describe(info.value, str(source), (str(tmp_path / "elsewhere"),))
    assert (failure.filename, failure.line) == (str(source), 3)
    assert failure.message == "%s: source code string cannot contain null bytes" % error_type.__name__
