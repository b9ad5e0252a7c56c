"""Why the runtime never reported in, as far as the supervisor can tell from outside.

The instance serves, but no ``ready`` and no ``off`` came: the runtime never ran.  The
causes the supervisor can see: the package does not import in the instance (and what
shadows it), the ZCML slug is missing, or the instance's own ``site.zcml`` does not load it.
Whether the package imports is found out by the instance's interpreter, in a subprocess that
the supervisor starts once and reads without waiting for it.
"""

import fnmatch
import json
import os
import subprocess
import tempfile
import time
import xml.dom.minidom
from xml.parsers.expat import ExpatError

CHECK_TIMEOUT_SECONDS = 10.0
MARKER = "collective.autorestart check: "
ZOPE_NAMESPACE = "http://namespaces.zope.org/zope"

# Run by the instance's interpreter (-c): imports the package as Zope would, and reports
# on what ``collective`` is when that fails.
CHECK_SCRIPT = """\
import json, sys, traceback
report = {}
try:
    import collective.autorestart
except Exception as error:  # noqa: B902 - whatever keeps it from importing
    report["error"] = "%s: %s" % (type(error).__name__, error)
    inits = [frame.filename for frame in traceback.extract_tb(error.__traceback__)
             if frame.filename.replace("\\\\", "/").endswith("/collective/__init__.py")]
    if inits:
        report["failed_in"] = inits[-1]
    module = sys.modules.get("collective")
    if module is not None:
        report["collective_file"] = getattr(module, "__file__", None)
        report["collective_path"] = [str(entry) for entry in getattr(module, "__path__", [])]
else:
    report["file"] = collective.autorestart.__file__
sys.stdout.write("\\n%s%s\\n" % (MARKER, json.dumps(report)))
""".replace("MARKER", repr(MARKER))


class Check:
    """One run of CHECK_SCRIPT.  Its output goes to a file, so that it can never block on a
    full pipe; ``done()`` never waits."""

    def __init__(self, python):
        self.deadline = time.monotonic() + CHECK_TIMEOUT_SECONDS
        self.process = self.error = None
        self._output = tempfile.TemporaryFile()
        try:
            self.process = subprocess.Popen(
                list(python) + ["-c", CHECK_SCRIPT],
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:  # no process left, no memory: say so, never raise
            self.error = error

    def done(self, now):
        return self.process is None or self.process.poll() is not None or now >= self.deadline

    def report(self):
        """What the script found; after done().  A check that failed or hung says so."""
        if self.process is None:
            self._output.close()
            return {"check": "the import check could not start (%s)" % self.error}
        timed_out = self.process.poll() is None
        self._end()
        self._output.seek(0)
        output = self._output.read().decode("utf-8", "replace")
        self._output.close()
        for line in reversed(output.splitlines()):
            if line.startswith(MARKER):
                try:
                    return json.loads(line[len(MARKER) :])
                except ValueError:
                    break
        if timed_out:
            return {"check": "the import check did not end within %g s" % CHECK_TIMEOUT_SECONDS}
        last = output.strip().splitlines()[-1:] or ["no output"]
        return {"check": "the import check failed with status %s (%s)" % (self.process.returncode, last[0])}

    def stop(self):
        """End it, unread."""
        self._end()
        self._output.close()

    def _end(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


class Diagnosis:
    def __init__(self, python, slug, instance_home=None):
        """python: what runs the instance's Python ([python, bin/interpreter] or [python]);
        instance_home: the home whose site.zcml must load the slug (a buildout's), or None
        when the session's own processes load it (runwsgi-autoreload)."""
        self.python = python
        self.slug = slug
        self.instance_home = instance_home

    def start_check(self):
        return Check(self.python)

    def causes(self, report):
        """What keeps the runtime from starting, given the check's report: a list of texts."""
        causes = [cause for cause in (import_cause(report), self.slug_cause(), self.site_zcml_cause()) if cause]
        if report.get("check"):
            causes.append(report["check"])
        return causes

    def slug_cause(self):
        if not os.path.exists(self.slug):
            return "the ZCML slug %s is missing: run bin/buildout again" % self.slug
        return None

    def site_zcml_cause(self):
        """The instance's own site.zcml (site-zcml in buildout.cfg), if it includes no file
        pattern that matches the slug.  Without one, Zope's own loads package includes."""
        if self.instance_home is None:
            return None
        site = os.path.join(self.instance_home, "etc", "site.zcml")
        try:
            document = xml.dom.minidom.parse(site)
        except (OSError, ExpatError):
            return None  # none, or none that Zope could load either: not what we can tell
        here = os.path.dirname(site)
        slug = os.path.normpath(self.slug)
        for element in document.getElementsByTagNameNS(ZOPE_NAMESPACE, "include"):
            for attribute in ("file", "files"):
                pattern = element.getAttribute(attribute)
                if pattern and fnmatch.fnmatchcase(slug, os.path.normpath(os.path.join(here, pattern))):
                    return None
        return '%s (site-zcml in buildout.cfg) does not load the ZCML slug: add <include file="%s" /> to it' % (
            site,
            self.slug,
        )


def import_cause(report):
    error = report.get("error")
    if error is None:
        return None
    cause = "collective.autorestart can't be imported in the instance (%s)" % error
    if report.get("failed_in"):
        return cause + ": importing %s failed" % report["failed_in"]
    path = report.get("collective_path")
    if report.get("collective_file"):
        return (
            cause + ": collective is %s, whose __path__ %s does not hold ours: a collective/__init__.py"
            " that is not a namespace package shadows it" % (report["collective_file"], path)
        )
    if path is not None:
        return cause + ": collective.__path__ is %s, without ours" % (path,)
    return cause
