"""Replay the public history of a maintained add-on, commit by commit, into a running Zope
under bin/instance-autoreload, and after each commit compare what the process holds of the
add-on with a cold start of the same commit: the oracle on code we did not write.

The add-on's repository is a bare git directory (the session's mirror, see MIRRORS); the
commits replayed are listed in tests/history/<distribution>.commits. Only the add-on's
.py and .zcml files below its source tree are replayed (not its tests): packaging
(setup.py, pyproject.toml, the namespace) and data files (templates) stay those of the
base commit, the one the pins' packaging expects.

Per commit: what the tool did (in place, escalated with its reason, failed to apply, nothing
logged), and the drifts: the paths whose descriptions differ between the live process and
the cold start (harness.fingerprint's Describer run inside Zope by
zope_side/history_fingerprint.py), the registrations that name the add-on, a few pages.
A commit whose cold start does not serve is skipped and counted."""

import contextlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .buildouts import Buildout, run_buildout, write
from .plone import DEMO_PACKAGE, PLONE_BUILDOUT_TIMEOUT, RELEASES, PloneBuildout
from .ports import free_port
from .processes import Server

HARNESS = Path(__file__).resolve().parent
# Copied into the test package, to run inside Zope (read, not imported: they need Zope).
ZOPE_SIDE = {
    "fingerprint.py": HARNESS / "fingerprint.py",
    "registry_snapshot.py": HARNESS / "zope_side" / "registry_snapshot.py",
    "history_fingerprint.py": HARNESS / "zope_side" / "history_fingerprint.py",
}

HISTORY = Path(__file__).resolve().parents[1] / "history"
# Where the session's `fetch` puts bare mirrors: <owner>+<name>/repo.
MIRRORS = Path(os.environ.get("AUTORESTART_HISTORY_MIRRORS", "/work/.mirror"))
# Where the bundles of tests/history (what a clone of this project has) are cloned to.
BUNDLE_CLONES = HISTORY.parent.parent / ".cache" / "history"
START_TIMEOUT = 180
PLONE_RELEASE = "6.2"
# A commit's save gives one outcome line within this, or none (nothing the process loaded).
OUTCOME_TIMEOUT = 8
OUTCOME = r"reloaded |restarting the instance|reload failed|ERROR"
# Class attributes a process sets as it runs, not as it imports: copyreg caches a class's
# __slotnames__ the first time one of its instances is pickled (stored in the ZODB).
INCIDENTAL_PATHS = (".__slotnames__",)
# The supervisor's line when the instance it started exits before serving.
NOT_READY = "before it was ready"
ADMIN = {"Authorization": "Basic YWRtaW46YWRtaW4="}  # admin:admin, as the buildout makes it
# What differs between two processes by nature in a page: addresses, times, ids, tokens.
INCIDENTAL = re.compile(r"0x[0-9a-f]+|[0-9a-f]{16,}|\d{4,}|\d\d:\d\d(:\d\d)?")


@dataclass(frozen=True)
class Addon:
    distribution: str
    repository: str  # owner/name on GitHub
    package: str  # the dotted name of its code
    tree: str  # the package's directory in the repository
    # Pages of the Zope root whose bodies the add-on makes (as admin).
    pages: tuple = ()
    # ZCML to include from the test package (Products.* are loaded by Zope anyway).
    include: str = ""
    # Where the package lived in older commits (before a move to src/), replayed into tree.
    older_trees: tuple = ()
    # The site it runs in: "zope" (Replay) or "plone" (PloneReplay, Plone 6.2).
    site: str = "zope"

    @property
    def mirror(self):
        """The bare repository to read: the session's mirror where there is one, else a
        clone of the bundle shipped in tests/history (made once, under .cache/history)."""
        name = self.repository.replace("/", "+")
        mirror = MIRRORS / name / "repo"
        bundle = HISTORY / (name + ".bundle")
        if mirror.is_dir() or not bundle.is_file():
            return mirror
        clone = BUNDLE_CLONES / (name + ".git")
        if not clone.is_dir():
            BUNDLE_CLONES.mkdir(parents=True, exist_ok=True)
            partial = clone.with_suffix(".partial")
            shutil.rmtree(partial, ignore_errors=True)
            subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(partial)], check=True, timeout=120)
            partial.rename(clone)
        return clone

    @property
    def commits_file(self):
        return HISTORY / (self.distribution + ".commits")


ADDONS = {
    addon.distribution: addon
    for addon in (
        Addon(
            "Products.PythonScripts",
            "zopefoundation/Products.PythonScripts",
            "Products.PythonScripts",
            "src/Products/PythonScripts",
            pages=("/manage_addProduct/PythonScripts/manage_addPythonScriptForm", "/script/manage_main"),
        ),
        Addon(
            "Products.MailHost",
            "zopefoundation/Products.MailHost",
            "Products.MailHost",
            "src/Products/MailHost",
            pages=("/manage_addProduct/MailHost/manage_addMailHostForm", "/mailhost/manage_main"),
        ),
        Addon(
            "Products.SiteErrorLog",
            "zopefoundation/Products.SiteErrorLog",
            "Products.SiteErrorLog",
            "src/Products/SiteErrorLog",
            pages=("/error_log/manage_main",),
        ),
        Addon(
            "Products.ExternalMethod",
            "zopefoundation/Products.ExternalMethod",
            "Products.ExternalMethod",
            "src/Products/ExternalMethod",
            pages=("/manage_addProduct/ExternalMethod/manage_addExternalMethodForm",),
        ),
        Addon(
            "Products.BTreeFolder2",
            "zopefoundation/Products.BTreeFolder2",
            "Products.BTreeFolder2",
            "src/Products/BTreeFolder2",
            pages=("/manage_addProduct/BTreeFolder2/manage_addBTreeFolderForm",),
        ),
        Addon(
            "Products.StandardCacheManagers",
            "zopefoundation/Products.StandardCacheManagers",
            "Products.StandardCacheManagers",
            "src/Products/StandardCacheManagers",
            pages=("/manage_addProduct/StandardCacheManagers/manage_addRAMCacheManagerForm",),
        ),
        Addon(
            "plone.restapi",
            "plone/plone.restapi",
            "plone.restapi",
            "src/plone/restapi",
            pages=("/Plone/@@caching-controlpanel", "/Plone"),
            site="plone",
        ),
        Addon(
            "collective.monkeypatcher",
            "plone/collective.monkeypatcher",
            "collective.monkeypatcher",
            "src/collective/monkeypatcher",
            include='  <include package="collective.monkeypatcher" />\n',
        ),
    )
}

# What older commits import that the base's packaging no longer requires (pinned).
OLD_REQUIREMENTS = ("six",)

# Objects the pages show, made in the ZODB once by bin/instance run (both instances).
MAKE_OBJECTS = """\
import transaction
app = globals()["app"]
try:
    from Products.PythonScripts.PythonScript import manage_addPythonScript
    manage_addPythonScript(app, "script")
    app.script.write("return 'hello'")
except ImportError:
    pass
try:
    from Products.MailHost.MailHost import manage_addMailHost
    manage_addMailHost(app, "mailhost")
except ImportError:
    pass
transaction.commit()
print("history objects made")
"""


def git(addon, *args):
    return subprocess.run(
        ["git", "--git-dir", str(addon.mirror)] + list(args), check=True, capture_output=True, timeout=120
    ).stdout


def replayed(addon, path, tree=None):
    """Whether a repository path is one the replay writes (below tree, default the add-on's)."""
    tree = tree or addon.tree
    return path.startswith(tree + "/") and path.endswith((".py", ".zcml")) and "/tests/" not in path[len(tree) :]


def files_at(addon, commit):
    """relative path (below the tree) -> bytes, of the replayed files at commit, from the
    first of the add-on's trees that holds any."""
    for tree in (addon.tree,) + addon.older_trees:
        names = git(addon, "ls-tree", "-r", "--name-only", commit, "--", tree).decode().split("\n")
        files = {
            name[len(tree) + 1 :]: git(addon, "show", "%s:%s" % (commit, name))
            for name in names
            if name and replayed(addon, name, tree)
        }
        if files:
            return files
    return {}


def list_commits(addon, since):
    """The commits from since (a commit) on, in topological order, whose replayed files
    differ from the previous one's, as (hash, date, subject). Only descendants of since:
    a branch that forked before it would bring back older code."""
    log = git(
        addon,
        "log",
        "--topo-order",
        "--reverse",
        "--ancestry-path",
        "--format=%H %ad %s",
        "--date=short",
        "%s..HEAD" % since,
    ).decode()
    log = git(addon, "log", "-1", "--format=%H %ad %s", "--date=short", since).decode() + log
    listed, previous = [], None
    for line in log.splitlines():
        commit, date, subject = (line.split(" ", 2) + [""])[:3]
        files = files_at(addon, commit)
        if files != previous:
            listed.append((commit, date, subject))
        previous = files
    return listed


def write_commits_file(addon, since, base="HEAD"):
    """tests/history/<distribution>.commits: the base commit, then one commit a line."""
    base = git(addon, "rev-parse", base).decode().strip()
    lines = ["# %s: commits replayed (hash date subject); packaging and data files of the base" % addon.repository]
    lines.append("base %s" % base)
    lines.extend("%s %s %s" % listed for listed in list_commits(addon, since))
    addon.commits_file.write_text("\n".join(lines) + "\n")


def read_commits(addon):
    """(base, [(hash, subject)]) from the add-on's .commits file."""
    base, commits = None, []
    for line in addon.commits_file.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("base "):
            base = line.split()[1]
            continue
        commit, _, subject = line.partition(" ")
        commits.append((commit, subject))
    return base, commits


@dataclass
class Outcome:
    commit: str
    subject: str
    # "in place", "escalated", "failed to apply", "nothing logged", "start"
    how: str = ""
    logged: str = ""
    cold: str = "ok"  # or why the cold start failed (the commit is then skipped)
    drifts: list = field(default_factory=list)
    only_live_modules: list = field(default_factory=list)
    only_cold_modules: list = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self):
        return dict(vars(self))


class Replay:
    """One buildout with the add-on under development (src/<distribution>) and two
    instances: `instance` under bin/instance-autoreload, the live one that gets the commits,
    and `cold`, started anew for each commit with its own ZODB."""

    def __init__(self, addon, directory, log=lambda message: None):
        self.addon = addon
        self.directory = Path(directory)
        self.log = log
        self.buildout = Buildout(self.directory, port=free_port())
        self.cold_port = free_port()
        self.checkout = self.directory / "src" / addon.distribution
        self.base, self.commits = read_commits(addon)
        self.current = {}
        self.starts = 0

    # -- building

    def build(self, first):
        """The base commit's packaging with the first commit's code, the test package with
        the fingerprint page, bin/buildout, the objects the pages show."""
        self.check_out(first)
        self.buildout.write_package()
        self.add_fingerprint(self.buildout.code)
        config = self.buildout.config(
            autoreload="watch = ${buildout:directory}/src/%s\nsound = off" % self.addon.distribution,
            parts="instance instance-autoreload cold",
            develop=("src/" + self.addon.distribution,),
            eggs_before_ours=(self.addon.distribution,) + OLD_REQUIREMENTS,
        )
        config += COLD.format(
            port=self.cold_port,
            eggs="".join(
                "\n    " + egg for egg in ("Zope", "autotest.app", self.addon.distribution) + OLD_REQUIREMENTS
            ),
            zcml="autotest.app",
        )
        self.run_buildout(config)
        script = write(self.directory / "make_objects.py", MAKE_OBJECTS)
        for instance in ("instance", "cold"):
            self.instance_run(instance, script)

    def check_out(self, first):
        """src/<distribution>: the base commit's files, with the first commit's replayed;
        no ZODB of an earlier replay (var/)."""
        shutil.rmtree(self.directory / "var", ignore_errors=True)
        shutil.rmtree(self.checkout, ignore_errors=True)
        # Not the tests: never imported, and a mirror may lack their largest files.
        archive = git(self.addon, "archive", "--format=tar", self.base, "--", ".", ":(exclude,glob)**/tests/**")
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(self.checkout, filter="data")
        for path in self.checkout.rglob("*"):
            if path.is_file() and replayed(self.addon, str(path.relative_to(self.checkout))):
                path.unlink()
        self.apply(first)

    def add_fingerprint(self, code):
        """The fingerprint page in the test package at code, and the add-on's ZCML."""
        for name, source in ZOPE_SIDE.items():
            (code / name).write_text(source.read_text())
        configure = code / "configure.zcml"
        page = (
            '  <browser:page name="history-fingerprint" for="*"'
            ' class=".history_fingerprint.HistoryFingerprint" permission="zope.Public" />\n'
        )
        configure.write_text(configure.read_text().replace("</configure>", page + self.addon.include + "</configure>"))

    def run_buildout(self, config, **options):
        (self.directory / "buildout.cfg").write_text(config)
        result = run_buildout(self.directory, **options)
        if result.returncode != 0:
            raise AssertionError("bin/buildout failed:\n" + result.stdout[-6000:])

    def instance_run(self, instance, script, timeout=START_TIMEOUT):
        return subprocess.run(
            [str(self.directory / "bin" / instance), "run", str(script)],
            cwd=self.directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def apply(self, commit):
        """Write the commit's replayed files that differ, remove those it has not; the
        files written."""
        wanted = files_at(self.addon, commit)
        tree = self.checkout / self.addon.tree
        changed = []
        for relative in sorted(set(self.current) - set(wanted)):
            (tree / relative).unlink(missing_ok=True)
            changed.append(relative)
        for relative, content in sorted(wanted.items()):
            if self.current.get(relative) != content:
                path = tree / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as saved:
                    saved.write(content)
                changed.append(relative)
        self.current = wanted
        return changed

    # -- processes

    def start(self, name, command, port):
        self.starts += 1
        return Server(command, self.directory, self.directory / "logs" / ("%s-%d.log" % (name, self.starts)), port)

    def fingerprint(self, server):
        status, body = server.get("/@@history-fingerprint?package=" + self.addon.package, timeout=60)
        if status != 200:
            raise AssertionError("fingerprint: %s %s" % (status, body[-2000:]))
        found = json.loads(body)
        found["pages"] = {}
        for path in self.addon.pages:
            status, body = server.get(path, timeout=60, headers=ADMIN)
            found["pages"][path] = [status, INCIDENTAL.sub("N", body)]
        return found

    def cold(self):
        """The cold start's fingerprint at the files as they are, or the reason it failed."""
        with self.start("cold", [str(self.directory / "bin" / "cold"), "fg"], self.cold_port) as server:
            try:
                server.wait_until_serving("/", timeout=START_TIMEOUT)
                return self.fingerprint(server)
            except (AssertionError, OSError) as error:
                return "cold start failed: %s" % _last_error(server.log() or str(error))
            finally:
                # Nothing of it is kept: no need to wait for a clean stop (bin/instance fg
                # here ignores the SIGINT that Server.stop sends first, for its 10 s).
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(server.process.pid, signal.SIGKILL)

    def wait_for_outcome(self, live, mark):
        """(how, logged) for the save made after log offset mark."""
        if live.search_log(OUTCOME, after=mark, timeout=OUTCOME_TIMEOUT) is None:
            return "nothing logged", ""
        live.wait_until_quiet(quiet=0.3)
        text = live.log()[mark:]
        if "restarting the instance" in text:
            if not self.serving(live, mark):
                raise AssertionError(_last_error(live.log()[mark:]))
            live.wait_until_quiet(quiet=0.3)
            text = live.log()[mark:]
        lines = [line.split("] ", 1)[-1] for line in text.splitlines() if re.search(OUTCOME, line)]
        restarts = [line for line in lines if "restarting the instance" in line]
        if restarts:
            return "escalated", restarts[0]
        failed = [line for line in lines if "reload failed" in line or "ERROR" in line]
        if failed:
            return "failed to apply", failed[0]
        return "in place", lines[0]

    def start_live(self):
        """bin/instance-autoreload, serving; None if it does not start at these files."""
        live = self.start("live", [str(self.buildout.script)], self.buildout.port)
        if not self.serving(live, 0):
            live.stop()
            return None
        return live

    def serving(self, live, mark):
        """Whether the live process serves after its (re)start logged from offset mark: the
        supervisor outlives an instance that failed to start, waiting for the next save."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            text = live.log()[mark:]
            if NOT_READY in text:
                return False
            if re.search(r"watching \d+ directories|restarted in \d+ ms", text):
                try:
                    live.get("/", timeout=5)
                    return True
                except OSError:
                    pass
            if live.process.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    def run(self, commits=None, report=lambda outcome: None):
        """Replay commits (default: all listed); the outcomes, one a commit.

        After a commit the tool failed to apply, or that left the live process broken, the
        live process is started anew, as its user would: the tool keeps the previous code
        serving, so every later commit would otherwise be judged against a process that
        never took the failed one. A commit the live process starts at (the first, one
        after a restart by the replay) is a "start", not a reload."""
        commits = commits or self.commits
        self.build(commits[0][0])
        outcomes = []
        live = None
        try:
            for commit, subject in commits:
                started = time.monotonic()
                outcome = Outcome(commit[:10], subject)
                if live is None:
                    self.apply(commit)
                    live = self.start_live()
                    outcome.how = "start" if live is not None else "start failed"
                else:
                    mark = len(live.log())
                    if not self.apply(commit):
                        continue
                    try:
                        outcome.how, outcome.logged = self.wait_for_outcome(live, mark)
                    except AssertionError as error:
                        outcome.how, outcome.logged = "live broke", _last_error(str(error))
                    outcome.logged = outcome.logged.replace(str(self.directory), "")
                found = {"error": "the live process does not start"}
                if live is not None:
                    try:
                        found = self.fingerprint(live)
                    except (AssertionError, OSError) as error:
                        found = {"error": str(error)[:300]}
                cold = self.cold()
                if isinstance(cold, str):
                    outcome.cold = cold
                else:
                    compare(found, cold, outcome, self.addon.package)
                outcome.seconds = time.monotonic() - started
                outcomes.append(outcome)
                report(outcome)
                if live is not None and (outcome.how in ("failed to apply", "live broke") or "error" in found):
                    live.stop()
                    live = None
        finally:
            if live is not None:
                live.stop()
        return outcomes


class PloneReplay(Replay):
    """The same on a Plone 6.2 site (harness.plone: the release's pins, demo.hello as the
    test package): the site is made once by the live instance, its ZODB copied for the cold
    one."""

    def __init__(self, addon, directory, log=lambda message: None):
        super().__init__(addon, directory, log)
        self.buildout = PloneBuildout(self.directory, RELEASES[PLONE_RELEASE], port=self.buildout.port)

    def build(self, first):
        self.check_out(first)
        site = self.buildout
        shutil.rmtree(site.package, ignore_errors=True)
        shutil.copytree(DEMO_PACKAGE, site.package, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
        self.add_fingerprint(site.code)
        config = site.config(autoreload="watch = ${buildout:directory}/src/%s\nsound = off" % self.addon.distribution)
        config = config.replace("    src/demo.hello\n", "    src/demo.hello\n    src/%s\n" % self.addon.distribution)
        config = config.replace("    demo.hello\n", "    demo.hello\n    %s\n" % self.addon.distribution, 1)
        config = config.replace("parts = instance instance-autoreload", "parts = instance instance-autoreload cold")
        config += COLD.format(
            port=self.cold_port,
            eggs="".join("\n    " + egg for egg in ("Plone", "demo.hello", self.addon.distribution)),
            zcml="demo.hello",
        )
        # The develop egg's version is the base commit's, not the release's pin.
        config += "\n[versions]\n%s =\n" % self.addon.distribution
        self.run_buildout(config, timeout=PLONE_BUILDOUT_TIMEOUT, buildout=site.release.buildout_script())
        site.create_site()
        cold = self.directory / "var" / "cold"
        shutil.copytree(self.directory / "var" / "blobstorage", cold / "blobstorage", dirs_exist_ok=True)
        shutil.copy2(self.directory / "var" / "filestorage" / "Data.fs", cold / "Data.fs")


REPLAYS = {"zope": Replay, "plone": PloneReplay}


def compare(live, cold, outcome, package):
    """Fill outcome's drifts: the paths, registrations and pages that differ."""
    if "error" in live:
        outcome.drifts.append("live fingerprint: " + live["error"])
        return
    outcome.only_live_modules = sorted(set(live["modules"]) - set(cold["modules"]))
    outcome.only_cold_modules = sorted(set(cold["modules"]) - set(live["modules"]))
    both = {name.replace(package, "PKG") for name in set(live["modules"]) & set(cold["modules"])}

    def compared(path):
        # The path's module: its longest dotted prefix that is a module of either process.
        parts = path.split(".")
        for end in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:end])
            if prefix in both:
                return True
        return False

    def kept(path):
        return compared(path) and not path.endswith(INCIDENTAL_PATHS)

    live_paths = {path: text for path, text in live["paths"].items() if kept(path)}
    cold_paths = {path: text for path, text in cold["paths"].items() if kept(path)}
    for path in sorted(set(live_paths) | set(cold_paths)):
        # As fingerprint.differences says it (that module needs zope.interface, which the
        # bench's venv has not: the descriptions were made inside Zope).
        if live_paths.get(path) != cold_paths.get(path):
            outcome.drifts.append(
                "%s: live %s, cold start %s"
                % (path, live_paths.get(path, "missing")[:140], cold_paths.get(path, "missing")[:140])
            )
    for line in sorted(set(live["registry"]) ^ set(cold["registry"])):
        outcome.drifts.append("registry: %s %s" % ("only live" if line in live["registry"] else "only cold", line))
    for path, page in live["pages"].items():
        if page != cold["pages"].get(path):
            outcome.drifts.append(
                "page %s: live %s, cold start %s" % (path, page[0], cold["pages"].get(path, ["missing"])[0])
            )


def _last_error(log):
    lines = [line for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"Error|error", line)]
    return (errors or lines or ["no output"])[-1][:300]


def summary(outcomes):
    """The figures of a replay: the first outcome of each add-on is its start, not a commit."""
    replayed = [outcome for outcome in outcomes if not outcome.how.startswith("start")]
    compared = [outcome for outcome in replayed if outcome.cold == "ok"]
    escalated = {}
    for outcome in compared:
        if outcome.how == "escalated":
            reason = re.sub(r"^.*restarting the instance:?\s*", "", outcome.logged)
            reason = re.sub(r"/\S+/", "", reason)[:160]
            escalated[reason] = escalated.get(reason, 0) + 1
    return {
        "commits_replayed": len(replayed),
        "cold_start_failed": len(replayed) - len(compared),
        "compared": len(compared),
        "applied_in_place": sum(outcome.how == "in place" for outcome in compared),
        "nothing_logged": sum(outcome.how == "nothing logged" for outcome in compared),
        "escalated": sum(escalated.values()),
        "escalated_by_reason": escalated,
        "failed_to_apply": sum(outcome.how == "failed to apply" for outcome in compared),
        "live_broke": sum(outcome.how == "live broke" for outcome in compared),
        "commits_with_drift": sum(bool(outcome.drifts) for outcome in compared),
        "drifts": [
            {
                "commit": outcome.commit,
                "how": outcome.how,
                "logged": outcome.logged[:200],
                "paths": [drift.split(": live ")[0] for drift in outcome.drifts[:30]],
                "count": len(outcome.drifts),
            }
            for outcome in compared
            if outcome.drifts
        ],
        "starts": sum(outcome.how.startswith("start") for outcome in outcomes),
        # Commits at which the add-on does not start on these pins (cold start too): skipped.
        "start_failed": sum(outcome.how == "start failed" for outcome in outcomes),
        "starts_with_drift": sum(bool(outcome.drifts) for outcome in outcomes if outcome.how == "start"),
    }


COLD = """
[cold]
# A cold start of the same files: its own port and ZODB, not our part.
recipe = plone.recipe.zope2instance
eggs ={eggs}
zcml = {zcml}
user = admin:admin
http-address = 127.0.0.1:{port}
zodb-temporary-storage = off
file-storage = ${{buildout:directory}}/var/cold/Data.fs
blob-storage = ${{buildout:directory}}/var/cold/blobstorage
"""
