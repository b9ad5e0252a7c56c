"""The project installs with the packaging tools that maintained Plone releases pin.

zc.buildout's develop step uses the buildout's own setuptools, whatever ``[build-system]``
says: the metadata in pyproject.toml must suit the oldest of them.  Each case runs a real
buildout whose only job is ``develop``, in a venv with those versions (cached in .cache/).
"""

import email.parser
import textwrap

import pytest

from harness.buildouts import run_buildout
from harness.venvs import copy_project, tools_venv

pytestmark = pytest.mark.buildout

BUILDOUT_TIMEOUT = 120
LICENSE = "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)"


@pytest.mark.parametrize(
    "setuptools, buildout",
    [("74.0.0", "3.1.0"), ("80.10.2", "6.0.1")],
    ids=["Plone 6.0 (setuptools 74, zc.buildout 3.1)", "Plone 6.1 (setuptools 80, zc.buildout 6.0)"],
)
def test_develop_with_old_setuptools_and_buildout(tmp_path, setuptools, buildout):
    venv = tools_venv(setuptools, buildout)
    project = copy_project(tmp_path / "project")
    (tmp_path / "buildout.cfg").write_text(
        textwrap.dedent(
            """\
            [buildout]
            develop = {project}
            parts =
            newest = false
            offline = true
            """
        ).format(project=project)
    )
    result = run_buildout(tmp_path, BUILDOUT_TIMEOUT, buildout=venv / "bin" / "buildout")
    assert result.returncode == 0, result.stdout
    assert "Develop: '%s'" % project in result.stdout
    assert (tmp_path / "develop-eggs" / "collective.autorestart.egg-link").read_text().split()[0] == str(
        project / "src"
    )
    egg_info = project / "src" / "collective.autorestart.egg-info"
    metadata = email.parser.Parser().parsestr((egg_info / "PKG-INFO").read_text())
    assert metadata["Name"] == "collective.autorestart"
    assert metadata["Version"] == "1.0.0.dev0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert LICENSE in metadata.get_all("Classifier")
    assert (
        "[zc.buildout]\ndefault = collective.autorestart.recipe:Recipe" in (egg_info / "entry_points.txt").read_text()
    )
