"""End to end: a real buildout, a real Zope via bin/instance-autoreload, real edits, HTTP.

The tests share one server; each finds the package as bin/buildout wrote it and leaves it so
(the live fixture puts it back and waits until the server serves it again)."""

import os
import re
import signal
import statistics
import time

import pytest

from audio import segments
from harness.buildouts import value_module, write
from harness.edits import save_by_rename, save_in_place, sleep_into_next_second
from harness.http import served
from harness.proc import zope_pid
from harness.processes import Server

pytestmark = [pytest.mark.buildout, pytest.mark.zope]

WATCHING = r"watching \d+ directories, \d+ files"


class Site:
    """The module's buildout and its bin/instance-autoreload, started again when a test has
    stopped it."""

    def __init__(self, buildout):
        self.buildout = buildout
        # SDL's disk driver lets us hear the sounds: it writes what it plays to this file.
        self.env = dict(
            os.environ,
            SDL_AUDIODRIVER="disk",
            SDL_DISKAUDIOFILE=str(buildout.directory / "audio.raw"),
        )
        self.server = None
        self.starts = 0

    def running(self):
        if self.server is not None and self.server.process.poll() is None:
            return self.server
        self.stop()
        self.starts += 1
        self.server = Server(
            [str(self.buildout.script)],
            self.buildout.directory,
            self.buildout.directory / ("server-%d.log" % self.starts),
            self.buildout.port,
            env=self.env,
        )
        try:
            self.server.wait_for_log(WATCHING)
            self.server.wait_until_serving("/@@value")
        except BaseException:  # noqa: B902 - shows the log, then re-raises
            print(self.server.log())
            raise
        return self.server

    def reset(self):
        """The package as bin/buildout wrote it; a running server serves it once this returns."""
        server = self.server
        mark = len(server.log()) if server is not None else 0
        changed = self.buildout.reset_package()
        if not changed or server is None or server.process.poll() is not None:
            return
        if any(path.suffix == ".zcml" for path in changed):
            # Or a restart: the files may come in two batches, and the first one removes a
            # class that the ZCML still registers.
            server.wait_for_log(r"reloaded .*\bZCML in|restarting the instance", after=mark, timeout=10)
        served(server, "/@@value", "value=0", restarting=True)
        # Should the changes have come in more than one batch: the last one reloaded too.
        server.wait_until_quiet(quiet=0.3)

    def stop(self):
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="module")
def site(built):
    """The shared buildout with its sounds on, as a user's with the sound extra."""
    built.reset_package()
    with built.configured(sound=True):
        site = Site(built)
        yield site
        site.stop()
    built.reset_package()


@pytest.fixture
def live(site, request):
    """(buildout, server): the server running, the package as bin/buildout wrote it; the
    server's log shown if the test failed."""
    server = site.running()
    site.reset()
    yield site.buildout, server
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("--- server log ---\n" + server.log()[-10000:])
    site.reset()


def test_serves_in_debug_mode_and_says_what_it_watches(live):
    buildout, server = live
    assert server.get("/@@debug-mode") == (200, "debug-mode=True")
    line = server.wait_for_log(r"watching \d+ directories, (\d+) files under (\S+)")
    assert int(line.group(1)) >= 2
    assert line.group(2).rstrip(" ,") == str(buildout.directory / "src")


@pytest.mark.smoke
def test_in_place_save_is_live(live):
    buildout, server = live
    for value in range(1, 6):
        mark = len(server.log())
        save_in_place(buildout.code / "views.py", value_module("in-place-%d" % value))
        served(server, "/@@value", "value=in-place-%d" % value)
        server.wait_for_log(r"reloaded autotest\.app\.views in [\d.]+ ms", after=mark)


def test_rename_save_is_live(live):
    buildout, server = live
    for value in range(1, 6):
        save_by_rename(buildout.code / "views.py", value_module("renamed-%d" % value))
        served(server, "/@@value", "value=renamed-%d" % value)


def test_second_save_in_the_same_second_is_live(live):
    buildout, server = live
    views = buildout.code / "views.py"
    for attempt in range(5):
        # Start right after a second boundary so that both saves share one mtime second.
        sleep_into_next_second(margin=0.01)
        save_in_place(views, value_module("first-%d" % attempt))
        served(server, "/@@value", "value=first-%d" % attempt)
        first_second = int(os.stat(views).st_mtime)
        save_in_place(views, value_module("second-%d" % attempt))
        if int(os.stat(views).st_mtime) == first_second:
            break
    else:
        pytest.fail("could not make two saves within one second")
    served(server, "/@@value", "value=second-%d" % attempt)


@pytest.mark.smoke
def test_broken_code_keeps_serving_and_the_fix_is_live(live):
    buildout, server = live
    views = buildout.code / "views.py"
    save_in_place(views, value_module("before-break"))
    served(server, "/@@value", "value=before-break")

    mark = len(server.log())
    save_in_place(views, value_module("broken", extra="\ndef oops(:\n    pass\n"))
    error = server.wait_for_log(r"ERROR .*? (\S+views\.py):(\d+): SyntaxError", after=mark)
    assert error.group(1) == str(views)
    assert int(error.group(2)) == value_module("broken").count("\n") + 2
    assert server.get("/@@value") == (200, "value=before-break")

    mark = len(server.log())
    save_in_place(views, value_module("broken", extra="\nRATIO = 1 / 0\n"))
    error = server.wait_for_log(r"ERROR .*? (\S+views\.py):(\d+): ZeroDivisionError", after=mark)
    assert int(error.group(2)) == value_module("broken").count("\n") + 2
    assert server.get("/@@value") == (200, "value=before-break")

    mark = len(server.log())
    save_in_place(views, value_module("broken", extra="\nimport autotest.no_such_module\n"))
    error = server.wait_for_log(r"ERROR .*? (\S+views\.py):(\d+): ModuleNotFoundError", after=mark)
    assert int(error.group(2)) == value_module("broken").count("\n") + 2
    assert server.get("/@@value") == (200, "value=before-break")

    mark = len(server.log())
    save_in_place(views, value_module("fixed"))
    served(server, "/@@value", "value=fixed")
    server.wait_for_log(r"reloaded autotest\.app\.views", after=mark)


def add_a_view(buildout):
    """A class in views.py and a page for it in configure.zcml: @@added."""
    save_in_place(
        buildout.code / "views.py",
        value_module(
            "with-added",
            extra="\n\nclass Added(BrowserView):\n    def __call__(self):\n        return 'added-view'\n",
        ),
    )
    zcml = buildout.code / "configure.zcml"
    zcml.write_text(
        zcml.read_text().replace(
            "</configure>",
            '  <browser:page name="added" for="*" class=".views.Added" permission="zope.Public" />\n</configure>',
        )
    )


@pytest.mark.smoke
def test_new_view_in_configure_zcml(live):
    buildout, server = live
    assert server.get("/@@added")[0] == 404
    add_a_view(buildout)
    served(server, "/@@added", "added-view")
    assert server.get("/@@value") == (200, "value=with-added")


def test_a_view_removed_from_code_and_zcml_at_once_goes_in_place(live):
    """The class goes with its registration: the ZCML reload of the same batch rebuilds
    every registration, nothing else holds the class, so no restart is needed."""
    buildout, server = live
    add_a_view(buildout)
    served(server, "/@@added", "added-view")
    server.wait_until_quiet()
    mark = len(server.log())
    zcml = buildout.code / "configure.zcml"
    # One batch: the editor's "save all", or a git checkout.
    views_text = value_module("without-added")
    zcml_text = "\n".join(line for line in zcml.read_text().splitlines() if 'name="added"' not in line) + "\n"
    save_in_place(buildout.code / "views.py", views_text)
    save_in_place(zcml, zcml_text)
    served(server, "/@@value", "value=without-added")
    server.wait_for_log(r"reloaded autotest\.app\.views, ZCML in", after=mark)
    assert server.get("/@@added")[0] == 404  # as a cold start on these files serves
    assert "restarting" not in server.log()[mark:]


def test_broken_zcml_keeps_the_site_working(live):
    """What an earlier ZCML reload registered (@@added) survives a broken one."""
    buildout, server = live
    add_a_view(buildout)
    served(server, "/@@added", "added-view")
    zcml = buildout.code / "configure.zcml"
    good = zcml.read_text()
    mark = len(server.log())
    zcml.write_text(
        good.replace(
            "</configure>",
            '  <browser:page name="bad" for="*" class=".views.DoesNotExist"\n'
            '                permission="zope.Public" />\n</configure>',
        )
    )
    error = server.wait_for_log(r"ERROR .*? (\S+configure\.zcml):(\d+): (.*)", after=mark)
    assert error.group(1) == str(zcml)
    assert int(error.group(2)) == good.count("\n")
    assert "DoesNotExist" in error.group(3)
    assert server.get("/@@value")[0] == 200
    assert server.get("/@@debug-mode") == (200, "debug-mode=True")
    zcml.write_text(good)
    server.wait_for_log(r"reloaded .*ZCML", after=mark)
    assert server.get("/@@added") == (200, "added-view")


def test_a_saved_generic_setup_profile_says_what_applies_it(live):
    """No reload applies a profile: the log says so, and what does, and the site goes on."""
    buildout, server = live
    metadata = buildout.code / "profiles" / "default" / "metadata.xml"
    mark = len(server.log())
    write(metadata, "<?xml version='1.0'?>\n<metadata><version>1001</version></metadata>\n")
    line = server.wait_for_log(
        r"WARNING .*metadata\.xml changed: no reload applies a GenericSetup profile; (.*)", after=mark
    )
    assert "import the profile autotest.app:default again in the site's portal_setup" in line.group(1)
    after = server.log()[mark:]
    assert "reloaded " not in after and "restart requested" not in after and "restarting" not in after, after
    assert server.get("/@@value") == (200, "value=0")


def test_package_created_after_start_then_edited(live):
    buildout, server = live
    later = buildout.code / "later"
    later.mkdir()
    (later / "__init__.py").write_text("")
    write(
        later / "views.py",
        """\
        from Products.Five.browser import BrowserView


        class Later(BrowserView):
            def __call__(self):
                return "later-1"
        """,
    )
    write(
        later / "configure.zcml",
        """\
        <configure xmlns="http://namespaces.zope.org/zope"
                   xmlns:browser="http://namespaces.zope.org/browser">
          <browser:page name="later" for="*" class=".views.Later" permission="zope.Public" />
        </configure>
        """,
    )
    zcml = buildout.code / "configure.zcml"
    zcml.write_text(zcml.read_text().replace("</configure>", '  <include package=".later" />\n</configure>'))
    served(server, "/@@later", "later-1")
    views = later / "views.py"
    save_in_place(views, views.read_text().replace("later-1", "later-2"))
    served(server, "/@@later", "later-2")


def test_burst_over_dozens_of_modules_is_one_reload(live):
    buildout, server = live
    burst = buildout.code / "burst"
    burst.mkdir()
    (burst / "__init__.py").write_text("")
    names = ["m%02d" % index for index in range(40)]
    pages = []
    for name in names:
        write(burst / (name + ".py"), _burst_module(name, 0))
        pages.append(
            '<browser:page name="burst-%s" for="*" class=".%s.View" permission="zope.Public" />' % (name, name)
        )
    write(
        burst / "configure.zcml",
        '<configure xmlns="http://namespaces.zope.org/zope"'
        ' xmlns:browser="http://namespaces.zope.org/browser">\n%s\n</configure>\n' % "\n".join(pages),
    )
    zcml = buildout.code / "configure.zcml"
    zcml.write_text(zcml.read_text().replace("</configure>", '  <include package=".burst" />\n</configure>'))
    served(server, "/@@burst-m39", "m39-0")
    # Under load the set-up above may have come in more than one batch: let it all land.
    server.wait_until_quiet()

    mark = len(server.log())
    for name in names:
        save_in_place(burst / (name + ".py"), _burst_module(name, 1))
    for name in names:
        served(server, "/@@burst-" + name, "%s-1" % name)
    time.sleep(0.5)
    reloads = re.findall(r"reloaded (.*) in [\d.]+ ms", server.log()[mark:])
    assert len(reloads) == 1, reloads
    assert sorted(reloads[0].split(", ")) == ["autotest.app.burst.%s" % name for name in names]


def _burst_module(name, generation):
    return (
        "from Products.Five.browser import BrowserView\n\n\n"
        "class View(BrowserView):\n"
        "    def __call__(self):\n"
        "        return %r\n" % ("%s-%d" % (name, generation))
    )


def test_a_reload_plays_the_success_sound_and_a_broken_save_the_failure_sound(live):
    buildout, server = live
    audio = buildout.directory / "audio.raw"
    views = buildout.code / "views.py"

    def sounds_after(offset):
        time.sleep(1.0)  # the disk driver writes in real time, behind a small buffer
        return segments(audio.read_bytes()[offset:])

    time.sleep(1.0)  # the sound of an earlier reload (the last test's clean-up) is written
    offset = audio.stat().st_size // 4 * 4
    save_in_place(views, value_module("sound-ok"))
    served(server, "/@@value", "value=sound-ok")
    (success,) = sounds_after(offset)
    assert success.duration == pytest.approx(0.25, abs=0.03) and success.frequency > 600

    offset = audio.stat().st_size // 4 * 4
    save_in_place(views, value_module("sound-broken", extra="\ndef oops(:\n"))
    (failure,) = sounds_after(offset)
    assert failure.duration == pytest.approx(0.32, abs=0.03) and failure.frequency < 250
    save_in_place(views, value_module("sound-fixed"))
    served(server, "/@@value", "value=sound-fixed")


def test_sigusr1_appends_a_thread_dump_and_serving_goes_on(live):
    buildout, server = live
    dump = buildout.directory / "var" / "log" / "zope-threaddump.txt"
    zope = zope_pid(server)
    before = dump.read_text().count("=== thread dump") if dump.exists() else 0
    for round_ in (1, 2):
        mark = len(server.log())
        os.kill(zope, signal.SIGUSR1)
        server.wait_for_log(r"thread dump of \d+ threads appended to " + re.escape(str(dump)), after=mark)
        text = dump.read_text()
        assert text.count("=== thread dump") == before + round_
        assert "Thread 'collective.autorestart watcher'" in text
        assert re.search(r"Thread 'waitress-\d+'", text), text[:3000]
        assert "Thread 'MainThread'" in text
        assert server.get("/@@debug-mode") == (200, "debug-mode=True")


def test_zcml_reloads_never_start_a_second_watcher(live):
    buildout, server = live
    zcml = buildout.code / "configure.zcml"
    good = zcml.read_text()
    start = len(server.log())
    for number in range(3):
        # A ZCML reload runs our slug again, as every ZCML of the site.
        mark = len(server.log())
        zcml.write_text(good.replace("</configure>", "  <!-- edit %d -->\n</configure>" % number))
        server.wait_for_log(r"reloaded ZCML in", after=mark)
    server.wait_until_quiet()  # a second watcher would say so after the reload's line
    log = server.log()[start:]
    assert len(re.findall(r"reloaded ZCML in", log)) == 3
    assert re.findall(r"watching \d+ directories", log) == []
    assert "Traceback" not in log


def test_median_save_to_live_latency(live, figures):
    """Goal: <= 30 ms on the development machine; this guards against large regressions."""
    buildout, server = live
    latencies = []
    for number in range(10):
        save = save_in_place if number % 2 == 0 else save_by_rename
        save(buildout.code / "views.py", value_module("latency-%d" % number))
        latencies.append(served(server, "/@@value", "value=latency-%d" % number) * 1000)
    figures.append(
        "save-to-live latency over %d one-module saves: median %.1f ms, max %.1f ms"
        % (len(latencies), statistics.median(latencies), max(latencies))
    )
    assert len(latencies) >= 10
    assert statistics.median(latencies) <= 100


def test_stops_promptly_with_the_mixer_open(live, figures):
    """The sound thread must never hold up the exit. (The next test starts a new server.)"""
    _, server = live
    assert "; silent" not in server.log()  # the mixer really is open
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(10) == 0
    took = time.monotonic() - started
    figures.append("stop with the mixer open: %.0f ms" % (took * 1000))
    assert took < 2.0
