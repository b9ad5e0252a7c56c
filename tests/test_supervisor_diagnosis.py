"""Why the runtime never reported in: the check in the instance's interpreter, the slug, the
instance's own site.zcml.  The interpreter is a stand-in for the one zc.recipe.egg generates
(parts/instance/bin/interpreter): it puts the instance's eggs first on sys.path and runs -c."""

import subprocess
import sys
import textwrap
import time

import pytest

from collective.autorestart import contract
from collective.autorestart.supervisor.diagnosis import Diagnosis
from harness.buildouts import REPO, write

INTERPRETER = textwrap.dedent(
    """\
    import sys

    sys.path[0:0] = {path!r}
    _options, _args = __import__("getopt").getopt(sys.argv[1:], "Iic:m:")
    for _opt, _val in _options:
        if _opt == "-c":
            exec(_val)
    """
)
TIMEOUT = 15


def instance(tmp_path, *path, site_zcml=None):
    """A Diagnosis of an instance in tmp_path whose eggs are path, with its slug written."""
    home = tmp_path / "instance"
    interpreter = write(home / "bin" / "interpreter", INTERPRETER.format(path=[str(entry) for entry in path]))
    slug = write(home / "etc" / "package-includes" / contract.SLUG_NAME, "<configure />\n")
    if site_zcml is not None:
        write(home / "etc" / "site.zcml", site_zcml)
    return Diagnosis([sys.executable, str(interpreter)], str(slug), str(home))


def causes(diagnosis):
    check = diagnosis.start_check()
    deadline = time.monotonic() + TIMEOUT
    while not check.done(time.monotonic()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return diagnosis.causes(check.report())


def test_nothing_to_say_when_all_is_well(tmp_path):
    assert causes(instance(tmp_path, REPO / "src")) == []


def test_a_regular_collective_package_ahead_of_ours_is_named(tmp_path):
    shadow = tmp_path / "shadow"
    write(shadow / "collective" / "__init__.py", "")
    [cause] = causes(instance(tmp_path, shadow, REPO / "src"))
    assert cause == (
        "collective.autorestart can't be imported in the instance (ModuleNotFoundError: No module named"
        " 'collective.autorestart'): collective is %s, whose __path__ ['%s'] does not hold ours: a"
        " collective/__init__.py that is not a namespace package shadows it"
        % (shadow / "collective" / "__init__.py", shadow / "collective")
    )


def test_a_pkg_resources_style_egg_without_pkg_resources_is_named(tmp_path):
    # Not in this process: zc.buildout 6 puts a pkg_resources of its own on sys.path.
    if subprocess.run([sys.executable, "-c", "import pkg_resources"], stderr=subprocess.DEVNULL).returncode == 0:
        pytest.skip("this Python has pkg_resources")
    egg = tmp_path / "collective.monkeypatcher-1.2.1-py3.11.egg"
    write(egg / "collective" / "__init__.py", "__import__('pkg_resources').declare_namespace(__name__)\n")
    [cause] = causes(instance(tmp_path, egg, REPO / "src"))
    assert cause == (
        "collective.autorestart can't be imported in the instance (ModuleNotFoundError: No module named"
        " 'pkg_resources'): importing %s failed" % (egg / "collective" / "__init__.py")
    )


def test_a_missing_slug_is_named(tmp_path):
    diagnosis = instance(tmp_path, REPO / "src")
    (tmp_path / "instance" / "etc" / "package-includes" / contract.SLUG_NAME).unlink()
    assert causes(diagnosis) == ["the ZCML slug %s is missing: run bin/buildout again" % diagnosis.slug]


SITE_ZCML = """\
<configure xmlns="http://namespaces.zope.org/zope">
  <include package="Products.Five" />
  {include}
</configure>
"""


@pytest.mark.parametrize(
    "include, loads_it",
    [
        ("", False),
        ('<include files="package-includes/*-meta.zcml" />', False),
        ('<include files="package-includes/*-configure.zcml" />', True),
        ('<include file="package-includes/%s" />' % contract.SLUG_NAME, True),
        ('<include file="{slug}" />', True),
    ],
)
def test_an_own_site_zcml_that_does_not_load_the_slug_is_named(tmp_path, include, loads_it):
    slug = tmp_path / "instance" / "etc" / "package-includes" / contract.SLUG_NAME
    diagnosis = instance(tmp_path, REPO / "src", site_zcml=SITE_ZCML.format(include=include.format(slug=slug)))
    expected = (
        []
        if loads_it
        else [
            '%s (site-zcml in buildout.cfg) does not load the ZCML slug: add <include file="%s" /> to it'
            % (tmp_path / "instance" / "etc" / "site.zcml", slug)
        ]
    )
    assert causes(diagnosis) == expected


def test_a_check_that_fails_says_so(tmp_path):
    diagnosis = instance(tmp_path, REPO / "src")
    write(diagnosis.python[-1], "import sys\nprint('broken interpreter')\nsys.exit(3)\n")
    assert causes(diagnosis) == ["the import check failed with status 3 (broken interpreter)"]


def test_the_check_runs_with_the_supervisors_python(tmp_path):
    """As the instance does: sys.executable runs the interpreter script."""
    diagnosis = instance(tmp_path, REPO / "src")
    check = diagnosis.start_check()
    try:
        assert check.process.args[:2] == [sys.executable, diagnosis.python[-1]]
    finally:
        check.stop()


def test_a_check_that_cannot_start_says_so(tmp_path, monkeypatch):
    def no_process(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    diagnosis = instance(tmp_path, REPO / "src")
    assert causes(diagnosis) == ["the import check could not start ([Errno 11] Resource temporarily unavailable)"]
