"""Part `soak`: 1,000 random edit cycles against a real Zope run by bin/instance-autoreload.

Each cycle makes one edit the way editors and tools do (soak_app.py holds the package and
what it should serve), then checks over HTTP that every page serves what the files on disk
say. A steady client requests a page that no edit touches during the whole run. Figures:

lost saves
    A page that does not serve its latest text (a removed page: a 404) within 5 s of the
    cycle's last save, 15 s when the cycle restarts the instance. Counted once per page and
    text; the run goes on.
failed requests
    Answers to the steady client that are not a 200 with the page's text, connection errors
    included. Those that overlap a restart (from the restart-on save to the new instance's
    first 200) are its downtime and counted apart, as are those during a restart the soak
    did not ask for (the reloader escalated on its own: the log's "restarting the instance"
    to "restarted in"; counted in unrequested_restarts); the others are sorted by what the
    log says ran meanwhile: a code reload, a ZCML reload, or nothing.
watcher crashes
    Log records saying "the watcher failed" or "applying changes failed", any Traceback, and
    any ERROR that is not the report of a SyntaxError this run saved on purpose.
leftover processes
    After each restart, below the supervisor anything but one new instance (the process that
    last said ``Starting server in PID n``) and at most one template of fast restarts (named
    ``autorestart-tpl``, or announced by ``building a template (PID n)``), once it settled
    (a fork under way is a second template for a moment); an old instance still alive (a
    process is its PID and start time: on a busy machine PIDs wrap within minutes);
    after Ctrl-C (SIGINT to the supervisor), any process of the run still alive, the
    templates included, and the port not free.
restarts
    A ``setup.py`` save (restart-on) restarts cold and has the template rebuilt; a save of
    restarter.py (it patches at import) restarts forked from the template, or cold when the
    template is not ready (the supervisor's line says why). Both are counted, with their
    downtime (save to the steady page served again) and the supervisor's figure.

The edits are drawn from random.Random(seed); the seed is printed and kept in the results:
the same seed makes the same edits (the timing of the machine is not the seed's).
"""

import bisect
import os
import random
import re
import shutil
import signal
import time
from collections import Counter, defaultdict
from pathlib import Path

from live_buildout import BENCH, LOGS_DIRECTORY, START_TIMEOUT, Buildout
from soak_app import PACKAGE, STABLE_PAGE, STABLE_TEXT, SoakApp
from stats import summary

from harness import proc
from harness.edits import save_by_rename, save_in_place
from harness.http import Client
from harness.ports import free_port, wait_for_free_port
from harness.processes import Server
from harness.traffic import Traffic

DIRECTORY = BENCH / ".work" / "soak"
CYCLES = 1000
# The run stops after this long, whatever --repeat says (1,000 cycles take about 5 minutes).
MAX_SECONDS = 3600.0
# How long a page may take to serve the latest save before the save counts as lost.
LIVE_BOUND = 5.0
RESTART_BOUND = 15.0
# A restart not done after this long ends the run: the instance is not coming back.
RESTART_LIMIT = 60.0
# How often an action is drawn, relative to the others. Restarts take seconds each.
WEIGHTS = {
    "in-place": 2,
    "rename": 2,
    "new-file": 1,
    "new-directory": 1,
    "delete": 1,
    "burst": 1,
    "broken-then-fixed": 1,
    "zcml": 1,
    "restart-on": 0.5,
    "save-during-restart": 0.5,
    "forked-restart": 0.5,
    "save-during-forked-restart": 0.5,
}
CODE_ACTIONS = ("in-place", "rename", "burst", "broken-then-fixed")
# The size of the package stays between these: files are created and deleted at random.
MAX_MODULES = 30
MIN_MODULES = 4
MIN_PAGES = 4
# Between the polls of one page, and between two requests of the steady client.
POLL_PAUSE = 0.005
TRAFFIC_PAUSE = 0.02
REFUSED_PAUSE = 0.05
# Around each reload's window read from the log (timestamps have 1 ms; requests take some).
LOG_SLACK = 0.05
# After a restart's "restarted in" line: the steady client's next request, after a refused one.
RESTARTED_SLACK = 0.2
PROGRESS_EVERY = 50

WATCHING = r"watching \d+ directories, \d+ files"
# The runtime could not start (e.g. no inotify instance left: other processes of the same
# user hold fs.inotify.max_user_instances); nothing reloads after that, so the run ends.
AUTORELOAD_OFF = r"autoreload is off: .*"
# "(stop A ms, start B ms, forked from the template): reason" or "..., cold start: <why>): reason";
# <why> may hold parentheses of its own ("the template exited (status 1)").
RESTARTED = re.compile(
    r"restarted in (?P<total>\d+) ms \(stop (?P<stop>\d+) ms, start (?P<start>\d+) ms"
    r"(?:, (?P<forked>forked from the template)|, cold start: (?P<cold>.*?))?\): "
)
STARTING = re.compile(r"Starting server in PID (\d+)")
TEMPLATE_BUILT = re.compile(r"building a template \(PID (\d+)\)")
# How long the processes below the supervisor may take to settle after a restart: the old
# template killed, a new one announced, the template's intermediate fork gone.
SETTLE_SECONDS = 3.0
RECORD = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) (\w+)", re.MULTILINE)
RELOADED = re.compile(r"(?:reloaded (.+?)|reload failed) in ([\d.]+) ms, ([\d.]+) ms after the save(.*)$")
EXPECTED_ERROR = re.compile(r" (\S+\.py):\d+: SyntaxError: .* -- reload failed")
WATCHER_FAILED = ("the watcher failed", "applying changes failed")


class Abort(Exception):
    """The run can't go on: the supervisor ended, or the instance does not come back."""


class Done:
    """What one action did: the pages whose text it changed or removed, and when."""

    def __init__(self, kind):
        self.kind = kind
        self.touched = []
        self.removed = []
        self.broken = []
        self.restart_wall = None
        self.restart_at = None
        self.detail = ""
        self.ended = None


class Soak:
    def __init__(self, buildout, server, rng, log):
        self.buildout = buildout
        self.app = buildout.app
        self.server = server
        self.rng = rng
        self.log = log
        self.client = Client(buildout.port)
        self.restart_edits = 0
        self.cycles = []  # (kind, started wall, ended wall, log offset, broken paths)
        self.lost = []
        self.stale = {}  # (path, wanted) -> its entry in lost, until it is served
        self.restarts = []
        self.restart_windows = []  # (wall start, wall end), also of a restart that never ended
        self.instance_problems = []
        # (pid, start time): a PID alone may be another process's by the end (PIDs wrap).
        self.instances = set()
        self.instance = None
        self.templates = set()
        self.served_ms = defaultdict(list)
        self.actions = Counter()

    # The edits. Each returns a Done; random choices come from self.rng only.

    def save(self, path, text):
        save = self.rng.choice((save_in_place, save_by_rename))
        save(path, text)
        return save.__name__

    def pause(self):
        """Between two saves of one action: none, an editor's, a person's."""
        time.sleep(self.rng.choice((0, 0, 0.002, 0.02, 0.1)))

    def edit(self, done, module, style):
        module.generation += 1
        style(module.path, module.text())
        done.touched.extend(module.pages)
        done.detail = "%s %s" % (style.__name__, module.dotted)

    def do_in_place(self, done):
        self.edit(done, self.rng.choice(self.app.served()), save_in_place)

    def do_rename(self, done):
        self.edit(done, self.rng.choice(self.app.served()), save_by_rename)

    def do_new_file(self, done):
        package = self.rng.choice(self.app.packages())
        module = self.app.new_module(package)
        self.save(module.path, module.text())
        self.pause()
        self.save(package.zcml, package.zcml_text())
        done.touched.extend(module.pages)
        done.detail = "new %s" % module.dotted

    def do_new_directory(self, done):
        package = self.app.new_package()
        modules = [self.app.new_module(package) for _ in range(self.rng.randint(1, 3))]
        package.directory.mkdir()
        (package.directory / "__init__.py").write_text("")
        for module in modules:
            self.save(module.path, module.text())
        self.save(package.zcml, package.zcml_text())
        self.pause()
        top = self.app.top
        self.save(top.zcml, top.zcml_text())
        done.touched.extend(page for module in modules for page in module.pages)
        done.detail = "new %s with %d modules" % (package.dotted, len(modules))

    def deletable(self):
        pages = len(self.app.pages())
        return [module for module in self.app.modules() if pages - len(module.pages) >= MIN_PAGES]

    def do_delete(self, done):
        module = self.rng.choice(self.deletable())
        package = module.package
        last = package.parent is not None and len(package.modules) == 1
        done.removed = self.app.remove(module)
        if last:
            # No ZCML includes it any more, then the whole directory goes.
            self.save(package.parent.zcml, package.parent.zcml_text())
            self.pause()
            shutil.rmtree(package.directory)
            done.detail = "delete %s (the directory %s)" % (module.dotted, package.dotted)
            return
        if done.removed:
            self.save(package.zcml, package.zcml_text())
            self.pause()
        module.path.unlink()
        done.detail = "delete %s" % module.dotted

    def do_burst(self, done):
        served = self.app.served()
        chosen = self.rng.sample(served, self.rng.randint(min(5, len(served)), len(served)))
        saves = [module for module in chosen for _ in range(self.rng.choice((1, 1, 2, 3)))]
        self.rng.shuffle(saves)
        for module in saves:
            module.generation += 1
            self.save(module.path, module.text())
        done.touched.extend(page for module in chosen for page in module.pages)
        done.detail = "%d saves to %d modules" % (len(saves), len(chosen))

    def do_broken_then_fixed(self, done):
        module = self.rng.choice(self.app.served())
        module.generation += 1
        self.save(module.path, module.text(broken=True))
        gap = self.rng.choice((0, 0.002, 0.02, 0.1, 0.3))
        time.sleep(gap)
        self.save(module.path, module.text())
        done.touched.extend(module.pages)
        done.broken.append(str(module.path))
        done.detail = "%s broken, fixed %.0f ms later" % (module.dotted, gap * 1000)

    def do_zcml(self, done):
        remove = self.rng.random() < 0.5 and len(self.app.pages()) > MIN_PAGES
        if remove:
            page, module = self.rng.choice(self.app.pages())
            module.pages.remove(page)
            done.removed.append(page)
        else:
            module = self.rng.choice(self.app.modules())
            page = self.app.new_page(module)
            done.touched.append(page)
        self.save(module.package.zcml, module.package.zcml_text())
        done.detail = "%s page %s of %s" % ("remove" if remove else "add", page, module.dotted)

    def touch_setup(self, done):
        self.restart_edits += 1
        done.restart_wall = time.time()
        done.restart_at = time.monotonic()
        self.save(self.app.setup, self.app.setup_text(self.restart_edits))

    def do_restart_on(self, done):
        self.touch_setup(done)
        done.detail = "setup.py"

    def touch_restarter(self, done):
        done.restart_wall = time.time()
        done.restart_at = time.monotonic()
        restarter = self.app.restarter
        restarter.generation += 1
        self.save(restarter.path, restarter.text())
        done.touched.extend(restarter.pages)

    def do_forked_restart(self, done):
        self.touch_restarter(done)
        done.detail = "restarter.py"

    def do_save_during_restart(self, done, trigger=None, name="setup.py"):
        mark = len(self.server.log())
        (trigger or self.touch_setup)(done)
        delays = sorted(self.rng.uniform(0, 2.0) for _ in range(self.rng.randint(1, 3)))
        # From when the supervisor has the request: the old instance stops, the new starts.
        requested = self.server.search_log("restarting the instance", after=mark, timeout=5)
        start = time.monotonic()
        names = []
        for delay in delays:
            time.sleep(max(0.0, start + delay - time.monotonic()))
            module = self.rng.choice(self.app.served())
            module.generation += 1
            self.save(module.path, module.text())
            done.touched.extend(module.pages)
            names.append("%s at +%.2f s" % (module.name, delay))
        done.detail = "%s, then %s%s" % (
            name,
            ", ".join(names),
            "" if requested else " (no restart logged within 5 s)",
        )

    def do_save_during_forked_restart(self, done):
        self.do_save_during_restart(done, self.touch_restarter, "restarter.py")

    def draw(self):
        kinds = list(WEIGHTS)
        kind = self.rng.choices(kinds, weights=[WEIGHTS[kind] for kind in kinds])[0]
        if kind in ("new-file", "new-directory") and len(self.app.modules()) >= MAX_MODULES:
            kind = "delete"
        if kind == "delete" and (len(self.app.modules()) <= MIN_MODULES or not self.deletable()):
            kind = "new-file"
        return kind

    # The checks.

    def get(self, path):
        """(status, body); (None, error) while nothing listens, as long as the supervisor lives."""
        try:
            return self.client.get(path)
        except OSError as error:
            try:
                self.server.check_alive()
            except AssertionError as ended:
                raise Abort("the supervisor ended (status %s)" % self.server.process.returncode) from ended
            time.sleep(REFUSED_PAUSE)
            return None, "%s: %s" % (type(error).__name__, error)

    def wait_for(self, path, good, deadline):
        """(served, last answer): polls until good(status, body) or deadline (one try at least)."""
        while True:
            last = self.get(path)
            if good(*last):
                return True, last
            if time.monotonic() > deadline:
                return False, last
            time.sleep(POLL_PAUSE)

    def wait_for_restart(self, done, mark, deadline):
        """Until the new instance is ready and serves; returns the restart's figures."""
        figures = {"cycle": len(self.cycles), "kind": done.kind}
        try:
            self._wait_for_restart(done, mark, deadline, figures)
        finally:
            self.restart_windows.append((done.restart_wall, figures.get("served_wall", time.time())))

    def _wait_for_restart(self, done, mark, deadline, figures):
        either = "%s|(?P<off>%s)" % (RESTARTED.pattern, AUTORELOAD_OFF)
        line = self.server.search_log(either, after=mark, timeout=max(0.0, deadline - time.monotonic()))
        if line is None:
            figures["late"] = True
            self.log("soak: cycle %d: no 'restarted in' line within %.0f s" % (len(self.cycles), RESTART_BOUND))
            line = self.server.search_log(either, after=mark, timeout=RESTART_LIMIT)
            if line is None:
                self.get("/")  # raises Abort if the supervisor ended
                raise Abort("no restart within %.0f s of the restart-on save" % RESTART_LIMIT)
        if line.group("off") is not None:
            raise Abort("the new instance says: %s" % line.group("off"))
        figures["reported_ms"] = float(line.group("total"))
        figures["stop_ms"] = float(line.group("stop"))
        figures["start_ms"] = float(line.group("start"))
        figures["how"] = "forked" if line.group("forked") else "cold"
        if line.group("cold") is not None:
            figures["cold_start"] = line.group("cold")
        ok, _ = self.wait_for(
            "/@@" + STABLE_PAGE,
            lambda status, body: status == 200 and STABLE_TEXT in body,
            max(deadline, time.monotonic() + RESTART_LIMIT),
        )
        if not ok:
            raise Abort("the instance does not serve %.0f s after its restart" % RESTART_LIMIT)
        figures["downtime_ms"] = (time.monotonic() - done.restart_at) * 1000
        figures["served_wall"] = time.time()
        self.check_instance(figures)
        self.restarts.append(figures)

    def check_instance(self, figures):
        """After a restart: below the supervisor one new instance and at most one template,
        no old instance alive; given SETTLE_SECONDS to get there."""
        old = self.instance
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            problem, instance = self.look_at_processes(old)
            if problem is None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if instance is not None:
            self.instance = instance
        if problem is not None:
            figures["problem"] = problem
            self.instance_problems.append({"cycle": len(self.cycles), "problem": problem})
            self.log("soak: cycle %d: %s" % (len(self.cycles), problem))

    def look_at_processes(self, old):
        """(what is wrong or None, the instance): the instance is the process that last said
        it started Zope; a template is named so, or announced in the log before it is."""
        text = self.server.log()
        children = self.server.processes()[1:]
        started = [int(pid) for pid in STARTING.findall(text)]
        instance = started[-1] if started and started[-1] in children else None
        announced = {int(pid) for pid in TEMPLATE_BUILT.findall(text)}
        templates = [
            pid for pid in children if pid != instance and (proc.comm(pid) == proc.TEMPLATE_COMM or pid in announced)
        ]
        others = [pid for pid in children if pid != instance and pid not in templates]
        self.templates.update(identify(templates))
        self.instances.update(identify(others))
        problems = []
        if instance is None:
            problems.append("no instance below the supervisor said 'Starting server' (children %s)" % children)
        else:
            self.instances.update(identify([instance]))
            if instance == old:
                problems.append("the instance process %d is the one from before the restart" % old)
        if len(templates) > 1:
            problems.append("%d templates below the supervisor: %s" % (len(templates), templates))
        if others:
            problems.append(
                "other processes below the supervisor: %s"
                % ", ".join("%d (%s)" % (pid, _cmdline(pid)) for pid in others)
            )
        left = sorted(pid for pid, start in self.instances if pid not in children and still_there(pid, start))
        if left:
            problems.append("old instance processes alive: %s" % left)
        return ("; ".join(problems) or None), instance

    def check(self, done):
        """Every page serves what the files say; counts and logs each lost save."""
        bound = RESTART_BOUND if done.restart_at is not None else LIVE_BOUND
        deadline = done.ended + bound
        expected = self.app.expected()
        first = list(dict.fromkeys(path for path in ("/@@" + page for page in done.touched) if path in expected))
        order = first + sorted(set(expected) - set(first))
        wanted = [(path, expected[path]) for path in order]
        wanted += [("/@@" + page, 404) for page in done.removed]
        for number, (path, want) in enumerate(wanted):
            if want == 404:

                def good(status, body):
                    return status == 404

            else:

                def good(status, body, want=want):
                    return status == 200 and want in body

            key = (path, want)
            if key in self.stale:
                # Already counted: one look, to note when (if ever) it is served after all.
                if good(*self.get(path)):
                    entry = self.stale.pop(key)
                    entry["served_in_cycle"] = len(self.cycles)
                continue
            served, last = self.wait_for(path, good, deadline)
            if served and number == 0 and path in first:
                start = done.restart_at if done.restart_at is not None else done.ended
                self.served_ms[done.kind].append((time.monotonic() - start) * 1000)
            if not served:
                self.lose(done, path, want, last, bound)
        self.look_at_stale(expected, {path for path, _ in wanted})

    def look_at_stale(self, expected, looked_at):
        """Lost saves of earlier cycles: served at last, or superseded by a newer save."""
        for (path, want), entry in list(self.stale.items()):
            if entry["cycle"] == len(self.cycles) or path in looked_at:
                continue
            if expected.get(path, 404) != want:
                entry["superseded_in_cycle"] = len(self.cycles)
                del self.stale[(path, want)]
                continue
            status, body = self.get(path)
            if status == want if want == 404 else (status == 200 and want in body):
                entry["served_in_cycle"] = len(self.cycles)
                del self.stale[(path, want)]

    def lose(self, done, path, want, last, bound):
        status, body = last
        entry = {
            "cycle": len(self.cycles),
            "action": done.kind,
            "detail": done.detail,
            "page": path,
            "wanted": want,
            "got": [status, _short(body or "")],
            "bound_s": bound,
        }
        self.lost.append(entry)
        self.stale[(path, want)] = entry
        self.log(
            "soak: LOST SAVE in cycle %(cycle)d (%(action)s: %(detail)s): %(page)s wanted"
            " %(wanted)r, got %(got)r" % entry
        )

    # The run.

    def cycle(self):
        kind = self.draw()
        done = Done(kind)
        mark = len(self.server.log())
        started = time.time()
        getattr(self, "do_" + kind.replace("-", "_"))(done)
        done.ended = time.monotonic()
        self.actions[kind] += 1
        try:
            if done.restart_at is not None:
                self.wait_for_restart(done, mark, done.restart_at + RESTART_BOUND)
            self.check(done)
        finally:
            self.cycles.append((kind, started, time.time(), mark, done.broken))
        time.sleep(self.rng.uniform(0, 0.1))


def read_log(text, cycles):
    """What the log says: problems (crash-like records, by cycle), expected broken-code
    reports, reload windows (wall start, end, ZCML or not), restarts the supervisor made and
    their windows (wall, from "restarting the instance" to "restarted in")."""
    offsets = [cycle[3] for cycle in cycles]
    starts = [match.start() for match in RECORD.finditer(text)] + [len(text)]
    problems, expected, windows, restarts = [], 0, [], 0
    restart_windows, restarting = [], None
    # A failed ZCML reload's line says only "reload failed": its ERROR names the .zcml file.
    zcml_failed = False
    if starts[0] > 0 and "Traceback" in text[: starts[0]]:
        head = text[: starts[0]].strip()
        problems.append(
            {
                "cycle": None,
                "action": None,
                "kind": "traceback",
                "line": head.splitlines()[-1][:300],
                "record": head[:2000],
            }
        )
    for start, end in zip(starts, starts[1:]):
        record = text[start:end]
        first, _, rest = record.partition("\n")
        match = RECORD.match(first)
        level = match.group(3)
        at = time.mktime(time.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")) + int(match.group(2)) / 1000
        index = bisect.bisect_right(offsets, start) - 1
        cycle = index if index >= 0 else None
        reloaded = RELOADED.search(first)
        if level == "ERROR" and ".zcml:" in first:
            zcml_failed = True
        if reloaded:
            took = float(reloaded.group(2)) / 1000
            zcml = zcml_failed or "ZCML" in (reloaded.group(1) or "") + reloaded.group(4)
            windows.append((at - took - LOG_SLACK, at + LOG_SLACK, zcml))
            zcml_failed = False
        if "restarting the instance" in first:
            restarts += 1
            restarting = at
        elif restarting is not None and RESTARTED.search(first):
            restart_windows.append((restarting - LOG_SLACK, at + RESTARTED_SLACK))
            restarting = None
        kind = None
        if any(text_ in record for text_ in WATCHER_FAILED):
            kind = "watcher failed"
        elif level in ("ERROR", "CRITICAL"):
            broken = EXPECTED_ERROR.search(first)
            nearby = [
                path
                for near in (cycle, None if cycle is None else cycle - 1)
                if near is not None and near >= 0
                for path in cycles[near][4]
            ]
            if broken and broken.group(1) in nearby and "Traceback" not in rest:
                expected += 1
            else:
                kind = "unexpected %s" % level
        elif "Traceback" in record:
            kind = "traceback"
        if kind is not None:
            lines = record.strip().splitlines()
            problems.append(
                {
                    "cycle": cycle,
                    "action": cycles[cycle][0] if cycle is not None else None,
                    "kind": kind,
                    # A traceback's last line says what was raised.
                    "line": (lines[-1] if kind == "traceback" else lines[0])[:300],
                    "record": record.strip()[:2000],
                }
            )
    if restarting is not None:
        restart_windows.append((restarting - LOG_SLACK, float("inf")))
    return problems, expected, windows, restarts, restart_windows


def sort_misses(misses, restarts, windows, cycles, supervisor_restarts=()):
    """The steady client's failed requests by what ran meanwhile: a restart the soak asked
    for, one it did not (the log's), a ZCML reload, a code reload or nothing; with a few
    examples of each."""
    counts = Counter()
    examples = defaultdict(list)
    starts = [cycle[1] for cycle in cycles]
    spans = {
        "restart": restarts,
        "unrequested_restart": list(supervisor_restarts),
        "zcml_reload": [(start, end) for start, end, zcml in windows if zcml],
        "code_reload": [(start, end) for start, end, zcml in windows if not zcml],
    }
    for miss in misses:
        during = "no_reload"
        for name in ("restart", "unrequested_restart", "zcml_reload", "code_reload"):
            if any(miss.started <= end and miss.ended >= start for start, end in spans[name]):
                during = name
                break
        counts[during] += 1
        if len(examples[during]) < 5:
            index = bisect.bisect_right(starts, miss.started) - 1
            examples[during].append(
                {
                    "cycle": index if index >= 0 else None,
                    "action": cycles[index][0] if index >= 0 else None,
                    "status": miss.status,
                    "detail": _short(miss.detail),
                    "took_ms": round((miss.ended - miss.started) * 1000, 1),
                }
            )
    return dict(counts), dict(examples)


def restarts_by_how(restarts):
    """Forked and cold restarts: how many, by the action that asked for them, their
    downtime and the supervisor's figures; why each cold one was cold.  The downtime is of
    the restarts without saves during them: those are looked at once their saves are made
    (up to 2 s after the request), so their downtime is at least that."""
    found = {}
    for how in ("forked", "cold"):
        chosen = [restart for restart in restarts if restart.get("how") == how]
        plain = [restart for restart in chosen if not restart["kind"].startswith("save-during")]
        found[how] = {
            "n": len(chosen),
            "by_action": dict(Counter(restart["kind"] for restart in chosen)),
            "downtime_ms": summary([restart["downtime_ms"] for restart in plain]),
            "reported_ms": summary([restart["reported_ms"] for restart in chosen]),
            "stop_ms": summary([restart["stop_ms"] for restart in chosen]),
            "start_ms": summary([restart["start_ms"] for restart in chosen]),
        }
    reasons = Counter(
        restart.get("cold_start", "(no reason given)") for restart in restarts if restart["how"] == "cold"
    )
    found["cold"]["why"] = dict(reasons)
    return found


def _ms(value):
    return "-" if value is None else "%.0f" % value


def _short(text):
    """One line of an answer: its HTML title if it has one."""
    title = re.search(r"<title>(.*?)</title>", text, re.S)
    return " ".join((title.group(1) if title else text).split())[:120]


def stop_and_count_leftovers(soak, server, port):
    """Ctrl-C as a terminal sends it to the supervisor; then what is still alive."""
    seen = set(identify(server.processes())) | soak.instances | soak.templates
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    try:
        status = server.process.wait(20)
    except Exception:  # noqa: B902 - subprocess.TimeoutExpired: counted below
        status = None
    took = time.monotonic() - started
    deadline = time.monotonic() + 0.5
    while True:
        left = sorted(pid for pid, start in seen if still_there(pid, start))
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return {
        "stop_s": took,
        "exit_status": status,
        "processes_seen": len(seen),
        "left_after_stop": [{"pid": pid, "cmdline": _cmdline(pid)} for pid in left],
        "port_free_after_stop": wait_for_free_port(port, timeout=2),
    }


def start_time(pid):
    """When the process started (clock ticks since boot), None when it is gone."""
    try:
        return int(Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None


def identify(pids):
    """(pid, start time) of each living one: a process, even after its PID is reused."""
    found = ((pid, start_time(pid)) for pid in pids)
    return [(pid, start) for pid, start in found if start is not None]


def still_there(pid, start):
    return proc.alive(pid) and start_time(pid) == start


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")[:200]
    except OSError:
        return None


def run(cycles=None, seed=None, log=print):
    cycles = cycles or CYCLES
    if seed is None:
        seed = int.from_bytes(os.urandom(4), "big")
    log("soak: %d cycles, seed %d (--seed %d repeats these edits)" % (cycles, seed, seed))
    rng = random.Random(seed)
    buildout = Buildout(DIRECTORY, package=PACKAGE, app=SoakApp)
    port = free_port()
    buildout_s = buildout.build(port)
    log("soak: bin/buildout took %.1f s" % buildout_s)
    result = {"seed": seed, "cycles": cycles, "buildout_s": buildout_s, "weights": WEIGHTS}
    command = [buildout.script("instance-autoreload")]
    with Server(command, buildout.directory, LOGS_DIRECTORY / "soak.log", port=port) as server:
        line = server.wait_for_log("(%s)|(%s)" % (WATCHING, AUTORELOAD_OFF), timeout=START_TIMEOUT)
        if line.group(2) is not None:
            raise RuntimeError("the soak's instance says: %s" % line.group(2))
        soak = Soak(buildout, server, rng, log)
        ok, _ = soak.wait_for(
            "/@@" + STABLE_PAGE,
            lambda status, body: status == 200 and STABLE_TEXT in body,
            time.monotonic() + START_TIMEOUT,
        )
        if not ok:
            raise RuntimeError("the soak's instance does not serve; see %s" % server.log_path)
        soak.check_instance({})
        traffic = Traffic(port, "/@@" + STABLE_PAGE, STABLE_TEXT, pause=TRAFFIC_PAUSE, seconds=MAX_SECONDS + 600)
        started = time.monotonic()
        aborted = None
        with traffic:
            for number in range(cycles):
                if time.monotonic() - started > MAX_SECONDS:
                    aborted = "stopped after %.0f s (MAX_SECONDS)" % MAX_SECONDS
                    break
                try:
                    soak.cycle()
                except Abort as error:
                    aborted = "cycle %d: %s" % (number, error)
                    log("soak: ABORTED in %s" % aborted)
                    break
                if (number + 1) % PROGRESS_EVERY == 0:
                    log(
                        "soak: %d/%d cycles in %.0f s, %d lost saves, %d failed requests so far"
                        % (number + 1, cycles, time.monotonic() - started, len(soak.lost), len(traffic.misses))
                    )
        seconds = time.monotonic() - started
        server.wait_until_quiet(quiet=0.3, timeout=3)
        text = server.log()
        stopped = (
            stop_and_count_leftovers(soak, server, port)
            if server.process.poll() is None
            else {
                "left_after_stop": [],
                "port_free_after_stop": wait_for_free_port(port, timeout=2),
                "exit_status": server.process.returncode,
                "stop_s": None,
            }
        )
    problems, expected_errors, windows, supervisor_restarts, logged_restarts = read_log(text, soak.cycles)
    misses, examples = sort_misses(traffic.misses, soak.restart_windows, windows, soak.cycles, logged_restarts)
    leftovers = len(stopped["left_after_stop"]) + len(soak.instance_problems)
    if not stopped["port_free_after_stop"]:
        leftovers += 1
    failed_outside = sum(count for name, count in misses.items() if name not in ("restart", "unrequested_restart"))
    result.update(
        {
            "cycles_done": len(soak.cycles),
            "aborted": aborted,
            "seconds": seconds,
            "actions": dict(soak.actions),
            "lost_saves": len(soak.lost),
            "lost": soak.lost,
            "requests": traffic.requests,
            "failed_requests": misses,
            "failed_requests_outside_restarts": failed_outside,
            "failed_request_examples": examples,
            "restarts": len(soak.restarts),
            "supervisor_restarts": supervisor_restarts,
            "unrequested_restarts": supervisor_restarts - len(soak.restarts),
            "restart_downtime_ms": summary([restart["downtime_ms"] for restart in soak.restarts]),
            "restart_reported_ms": summary([restart.get("reported_ms") for restart in soak.restarts]),
            "restarts_by_how": restarts_by_how(soak.restarts),
            "templates_seen": len(soak.templates),
            "watcher_crashes": len(problems),
            "log_problems": problems[:50],
            "expected_broken_reports": expected_errors,
            "reload_windows": {
                "zcml": sum(1 for window in windows if window[2]),
                "code": sum(1 for window in windows if not window[2]),
            },
            "instance_problems": soak.instance_problems,
            "leftover_processes": leftovers,
            "save_to_served_ms": {kind: summary(values) for kind, values in sorted(soak.served_ms.items())},
            "final_modules": len(soak.app.modules()),
            "final_pages": len(soak.app.pages()),
            "log": str(server.log_path),
        }
    )
    result.update(stopped)
    by_how = result["restarts_by_how"]
    log(
        "soak: %d cycles in %.0f s: %d lost saves, %d failed requests outside restarts (%s),"
        " %d watcher crashes, %d leftover processes; %d forked restarts (downtime median %s ms),"
        " %d cold (%s ms)"
        % (
            len(soak.cycles),
            seconds,
            len(soak.lost),
            failed_outside,
            misses,
            len(problems),
            leftovers,
            by_how["forked"]["n"],
            _ms(by_how["forked"]["downtime_ms"]["median"]),
            by_how["cold"]["n"],
            _ms(by_how["cold"]["downtime_ms"]["median"]),
        )
    )
    soak.client.close()
    return result
