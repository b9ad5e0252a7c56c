"""watching.roots: the one spelling of "under a watch root"."""

import os
import sys
import types

from collective.autorestart.watching.modules import ModuleIndex
from collective.autorestart.watching.roots import WatchedFiles, under_roots


def test_a_root_and_its_real_path_count_and_a_sibling_with_the_same_start_does_not(tmp_path):
    real = tmp_path / "checkouts" / "src"
    real.mkdir(parents=True)
    (tmp_path / "src").symlink_to(real)
    prefixes = under_roots((str(tmp_path / "src"),))
    assert str(tmp_path / "src" / "pkg" / "views.py").startswith(prefixes)
    assert str(real / "pkg" / "views.py").startswith(prefixes)
    assert not str(tmp_path / "src2" / "views.py").startswith(prefixes)


def test_a_relative_root_is_made_absolute_and_none_is_listed_twice(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path)
    assert under_roots(("src", str(tmp_path / "src"))) == (os.path.join(str(tmp_path / "src"), ""),)


def test_watched_files_skip_what_the_watcher_skips_below_a_root(tmp_path):
    """A cookieplone project is its own watch root and holds its .venv and its instance:
    their modules and ZCML are not the developer's code."""
    project = tmp_path / "project"
    for directory in ("src/my/addon", ".venv/lib/python3.11/site-packages/plone", "instance/etc", "node_modules/x"):
        (project / directory).mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    watched = WatchedFiles((str(project),), ("node_modules", str(project / "instance" / "etc")))
    assert watched(str(project / "src" / "my" / "addon" / "views.py"))
    assert watched(str(project / "setup.py"))
    assert not watched(str(project / ".venv" / "lib" / "python3.11" / "site-packages" / "plone" / "api.py"))
    assert not watched(str(project / "instance" / "etc" / "site.zcml"))
    assert not watched(str(project / "node_modules" / "x" / "y.py"))
    assert not watched(str(tmp_path / "elsewhere.py"))
    assert not watched(None)


def test_a_module_index_leaves_out_modules_of_a_venv_inside_a_root(tmp_path, monkeypatch):
    project = tmp_path / "project"
    venv_package = project / ".venv" / "lib" / "site-packages"
    (project / "src").mkdir(parents=True)
    venv_package.mkdir(parents=True)
    (project / ".venv" / "pyvenv.cfg").write_text("")
    ours, theirs = types.ModuleType("ours"), types.ModuleType("theirs")
    ours.__file__ = str(project / "src" / "ours.py")
    theirs.__file__ = str(venv_package / "theirs.py")
    monkeypatch.setitem(sys.modules, "ours", ours)
    monkeypatch.setitem(sys.modules, "theirs", theirs)
    found = ModuleIndex((str(project),)).refresh()
    assert found.get(os.path.realpath(ours.__file__)) == "ours"
    assert os.path.realpath(theirs.__file__) not in found
