"""Our part of the ``collective`` namespace imports beside every other kind of portion, in
every order on sys.path.

Three fake eggs share the namespace: one pkg_resources-style (an egg as buildout installs
it, with ``namespace_packages.txt``; its ``__init__.py`` falls back to pkgutil where there is
no pkg_resources, as no real one does), one pkgutil-style and one PEP 420 portion.  Each
order is a fresh interpreter that puts the portions on sys.path the way buildout's scripts
do, imports ``collective.autorestart.contract`` and the others' modules, then imports
pkg_resources, as Plone does later, which declares the namespaces of every egg again.

The interpreters: this one (without pkg_resources since setuptools 82) and one with
setuptools 74 (Plone 6.0's pin, with the real pkg_resources), made by harness.venvs.
"""

import itertools
import json
import subprocess
import sys
import textwrap

import pytest

from harness.buildouts import REPO, write
from harness.venvs import tools_venv

CHECK_TIMEOUT = 30
PKG_RESOURCES_STYLE = textwrap.dedent(
    """\
    try:
        __import__("pkg_resources").declare_namespace(__name__)
    except ImportError:
        __path__ = __import__("pkgutil").extend_path(__path__, __name__)
    """
)
PKGUTIL_STYLE = '__path__ = __import__("pkgutil").extend_path(__path__, __name__)\n'

# Run with the sys.path entries to put first as JSON in argv[1]; prints a JSON report.
CHECK = textwrap.dedent(
    """\
    import importlib, json, sys, warnings

    warnings.simplefilter("ignore")  # pkg_resources' own deprecation warning
    sys.path[0:0] = json.loads(sys.argv[1])
    report = {}
    for name in sys.argv[2:]:
        try:
            importlib.import_module(name)
        except ImportError as error:
            report[name] = "%s: %s" % (type(error).__name__, error)
        else:
            report[name] = "ok"
    try:
        import pkg_resources
    except ImportError:
        report["pkg_resources"] = None
    else:
        report["pkg_resources"] = pkg_resources.__file__
        if report[sys.argv[2]] == "ok":
            report["after pkg_resources"] = importlib.import_module(sys.argv[2]).__name__
    collective = sys.modules.get("collective")
    report["collective.__path__"] = list(getattr(collective, "__path__", []))
    print(json.dumps(report))
    """
)
OURS = "collective.autorestart.contract"
OTHERS = {
    "pkg_resources": "collective.pstyle",
    "pkgutil": "collective.ustyle",
    "PEP 420": "collective.nstyle",
}


def make_portions(root):
    """sys.path entries by kind: each a directory holding a collective/ portion."""
    python = "py%d.%d" % sys.version_info[:2]
    egg = root / ("collective.pstyle-1.0-%s.egg" % python)
    write(egg / "collective" / "__init__.py", PKG_RESOURCES_STYLE)
    write(egg / "collective" / "pstyle" / "__init__.py", "")
    write(egg / "EGG-INFO" / "PKG-INFO", "Metadata-Version: 1.1\nName: collective.pstyle\nVersion: 1.0\n")
    write(egg / "EGG-INFO" / "namespace_packages.txt", "collective\n")
    write(egg / "EGG-INFO" / "top_level.txt", "collective\n")
    pkgutil_entry = root / "pkgutil-style"
    write(pkgutil_entry / "collective" / "__init__.py", PKGUTIL_STYLE)
    write(pkgutil_entry / "collective" / "ustyle" / "__init__.py", "")
    pep420_entry = root / "pep420"
    write(pep420_entry / "collective" / "nstyle" / "__init__.py", "")
    return {"pkg_resources": egg, "pkgutil": pkgutil_entry, "PEP 420": pep420_entry, "ours": REPO / "src"}


def check(python, entries, modules, cwd):
    result = subprocess.run(
        [str(python), "-I", "-c", CHECK, json.dumps([str(entry) for entry in entries])] + list(modules),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=CHECK_TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


ORDERS = list(itertools.permutations(["pkg_resources", "pkgutil", "PEP 420", "ours"]))


def assert_ours_imports_in_every_order(python, tmp_path):
    portions = make_portions(tmp_path)
    failures = []
    for order in ORDERS:
        modules = [OURS] + [OTHERS[kind] for kind in order if kind in ("pkg_resources", "pkgutil")]
        report = check(python, [portions[kind] for kind in order], modules, tmp_path)
        # Ours, and the portions every mechanism finds, whatever the order.
        if (
            any(report[module] != "ok" for module in modules)
            or str(REPO / "src" / "collective") not in (report["collective.__path__"])
        ):
            failures.append((order, report))
    assert not failures, "\n".join("%s: %s" % (" < ".join(order), report) for order, report in failures)
    return report


def test_every_order_without_pkg_resources_here(tmp_path):
    """This Python: pkg_resources may be gone (setuptools 82 and later)."""
    assert_ours_imports_in_every_order(sys.executable, tmp_path)


@pytest.mark.buildout
def test_every_order_with_the_real_pkg_resources_of_setuptools_74(tmp_path):
    venv = tools_venv("74.0.0", "3.1.0")
    report = assert_ours_imports_in_every_order(venv / "bin" / "python", tmp_path)
    assert report["pkg_resources"].startswith(str(venv))


@pytest.mark.buildout
def test_a_pep_420_portion_is_invisible_behind_a_pkg_resources_one(tmp_path):
    """Why src/collective/__init__.py exists: without it, the Plone 6.0 case fails."""
    venv = tools_venv("74.0.0", "3.1.0")
    portions = make_portions(tmp_path)
    pep420_ours = tmp_path / "ours-pep420"
    write(pep420_ours / "collective" / "autorestart" / "__init__.py", "")
    write(pep420_ours / "collective" / "autorestart" / "contract.py", "")
    report = check(venv / "bin" / "python", [portions["pkg_resources"], pep420_ours], [OURS], tmp_path)
    assert report[OURS].startswith("ModuleNotFoundError: No module named 'collective.autorestart'")
