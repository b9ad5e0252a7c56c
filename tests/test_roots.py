"""watching.roots: the one spelling of "under a watch root"."""

import os

from collective.autorestart.watching.roots import under_roots


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
