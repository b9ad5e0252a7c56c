"""``make demo PIP=1`` (``PLONE=6.2`` too): the demo without buildout, as a cookieplone or pip
project has it: a virtualenv made with pip, the demo package installed in development mode,
an instance made by ``mkwsgiinstance``, and ``runwsgi-autoreload`` instead of ``runwsgi``.

    python scripts/pip_demo.py [--plone 6.2]

Builds what is missing under demo/ (a venv and an instance per flavour, kept between runs),
then runs ``runwsgi-autoreload`` in the foreground.  Standard library only.
"""

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "demo"
PACKAGE = DEMO / "src" / "demo.hello"
CREATE_SITE = REPO / "scripts" / "create_plone_site.py"
# The tests' harness (shared with bench/) turns buildout pins into pip constraints.
sys.path[:0] = [str(REPO / "tests"), str(REPO / "src")]
from harness.project_envs import constraints_file  # noqa: E402


def run(*command, **kwargs):
    print("+ " + " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plone", help="a Plone release of pins/ (6.2), else plain Zope")
    arguments = parser.parse_args(argv)
    flavour = "plone-%s" % arguments.plone if arguments.plone else "zope"
    pins = REPO / "pins" / ("plone-%s.cfg" % arguments.plone) if arguments.plone else REPO / "versions.cfg"
    if not pins.exists():
        parser.error("no %s: the demo runs on Plone 6.2 or on Zope" % pins)
    venv = DEMO / (".venv-pip-" + flavour)
    python = venv / "bin" / "python"
    instance = DEMO / ("instance-pip-" + flavour)

    if not (venv / ".installed").exists():
        run(sys.executable, "-m", "venv", "--clear", venv)
        constraints = shutil.copy2(constraints_file(pins), venv / "constraints.txt")
        requirements = ["Plone"] if arguments.plone else ["Zope"]
        # Paste: mkwsgiinstance's zope.ini logs requests through its translogger.  This
        # checkout's code as a release is installed, not in development mode, so that the
        # default watch is the demo package alone; installed again at each run, as it may
        # have changed.
        run(python, "-m", "pip", "install", "--quiet", "-c", constraints, *requirements, "Paste", "-e", PACKAGE, REPO)
        (venv / ".installed").write_text("")
    else:
        run(python, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", REPO)

    if not (instance / "etc" / "zope.ini").exists():
        run(venv / "bin" / "mkwsgiinstance", "-d", instance, "-u", "admin:admin")
        # A bare instance loads no add-on's ZCML by itself: the package includes do.
        includes = instance / "etc" / "package-includes"
        includes.mkdir(exist_ok=True)
        (includes / "001-demo.hello-configure.zcml").write_text('<include package="demo.hello" />\n')
    if arguments.plone and not (instance / "var" / ".site-created").exists():
        run(venv / "bin" / "zconsole", "run", instance / "etc" / "zope.conf", CREATE_SITE)
        (instance / "var" / ".site-created").write_text("")

    path = "/Plone/@@hello" if arguments.plone else "/@@hello"
    print("Serving the demo on http://127.0.0.1:8080%s -- edit %s" % (path, PACKAGE / "src/demo/hello/views.py"))
    os.chdir(DEMO)
    command = [str(venv / "bin" / "runwsgi-autoreload"), str(instance / "etc" / "zope.ini")]
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
