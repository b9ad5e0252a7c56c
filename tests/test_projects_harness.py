"""The pure parts of the harness that makes projects without buildout: pip constraints from
buildout pins, mkwsgiinstance's listen address, the vendored templates."""

import re
import tarfile

import pytest

from harness.project_envs import (
    COOKIEPLONE_TEMPLATES,
    PLONE_PINS,
    ZOPE_INSTANCE_TEMPLATE,
    ZOPE_PINS,
    constraints_from_versions,
)
from harness.projects import listen_on

PINS = """\
[buildout]
# A comment, and an option that is no pin.
extends = base.cfg

[versions]
# Plone's pins
Products.CMFPlone = 6.2.2
zope.interface = 8.7  # why this one
AccessControl = 7.5

[versionannotations]
AccessControl = the reason
"""


def test_constraints_are_the_versions_section_only_with_case_kept():
    assert constraints_from_versions(PINS) == ["Products.CMFPlone==6.2.2", "zope.interface==8.7", "AccessControl==7.5"]


def test_pins_without_a_versions_section_are_refused():
    with pytest.raises(ValueError, match=r"\[versions\]"):
        constraints_from_versions("[buildout]\nparts =\n")


@pytest.mark.parametrize("pins", [PLONE_PINS, ZOPE_PINS], ids=lambda path: path.name)
def test_every_pin_of_our_files_becomes_one_constraint(pins):
    text = pins.read_text()
    versions = text[text.index("[versions]") :].split("\n[", 1)[0]
    expected = re.findall(r"(?m)^([A-Za-z0-9_.-]+) = (\S+)$", versions)
    constraints = constraints_from_versions(text)
    assert constraints == ["%s==%s" % pin for pin in expected]
    assert len(constraints) > 80


ZOPE_INI = """\
[server:main]
use = egg:waitress#main
host = 0.0.0.0
port = 8080
"""


def test_listen_on_sets_host_and_port():
    assert listen_on(ZOPE_INI, 54321) == ZOPE_INI.replace("0.0.0.0", "127.0.0.1").replace("8080", "54321")


def test_listen_on_refuses_a_zope_ini_it_does_not_know():
    with pytest.raises(ValueError):
        listen_on("[server:main]\nlisten = 127.0.0.1:8080\n", 1)


def _names(archive):
    with tarfile.open(archive) as tar:
        return set(tar.getnames())


def test_the_vendored_cookieplone_template_holds_the_backend_add_on_only():
    names = _names(COOKIEPLONE_TEMPLATES)
    project = "templates/add-ons/backend/{{ cookiecutter.__folder_name }}"
    assert {"cookiecutter.json", "templates/add-ons/backend/cookiecutter.json", project + "/instance.yaml"} <= names
    assert {"templates/add-ons/backend/hooks/post_gen_project.py", project + "/scripts/create_site.py"} <= names
    assert {name.split("/")[1] for name in names if name.startswith("templates/")} == {"add-ons"}


def test_the_vendored_zope_instance_template_holds_what_cookiecutter_runs():
    names = _names(ZOPE_INSTANCE_TEMPLATE)
    assert {"cookiecutter.json", "hooks/post_gen_project.py", "local_extensions/__init__.py"} <= names
    assert "{{ cookiecutter.target }}/etc/zope.ini" in names
    assert not any(name.startswith(("docs", "tests")) for name in names)
