"""The recipe in a real bin/buildout with plone.recipe.zope2instance and Zope."""
import json
import os
import xml.dom.minidom

import pytest

from harness.buildouts import REPO


pytestmark = pytest.mark.buildout


def slug_config(buildout):
    document = xml.dom.minidom.parse(str(buildout.slug))
    return document.getElementsByTagName("autorestart:config")[0]


@pytest.mark.smoke
def test_generates_script_and_slug(buildout):
    buildout.run(autoreload="watch = ${buildout:directory}/src\ndebounce = 25\nsound = off")
    assert os.access(buildout.script, os.X_OK)
    script = buildout.script.read_text()
    assert "collective.autorestart.supervisor.main(" in script
    assert "+ sys.argv[1:]" in script
    assert str(buildout.directory / "parts/instance/etc/wsgi.ini") in script
    config = slug_config(buildout)
    assert json.loads(config.getAttribute("watch")) == [str(buildout.directory / "src")]
    assert config.getAttribute("debounce") == "25"
    assert config.getAttribute("sound") == "off"
    # The part is named in the slug's comment, for whoever opens the file.
    assert "from part [instance-autoreload]" in buildout.slug.read_text()
    assert os.path.isfile(config.getAttribute("success_sound"))
    # Plain bin/instance is the zope2instance script, untouched by us.
    assert "plone.recipe.zope2instance.ctl" in (buildout.directory / "bin/instance").read_text()


def test_watch_paths_with_spaces_and_hashes_survive_buildout(buildout, monkeypatch):
    for name in ("my src", "code#2"):
        (buildout.directory / name).mkdir(parents=True)
    monkeypatch.setenv("AUTOTEST_CHECKOUT", str(buildout.directory / "code#2"))
    buildout.run(autoreload="watch =\n    my src\n    $AUTOTEST_CHECKOUT  # the second checkout\nsound = off")
    watched = json.loads(slug_config(buildout).getAttribute("watch"))
    assert watched == [str(buildout.directory / "my src"), str(buildout.directory / "code#2")]


def test_default_watch_is_the_develop_paths(buildout):
    buildout.run()
    watched = json.loads(slug_config(buildout).getAttribute("watch"))
    assert watched == [str(REPO), str(buildout.package)]


def test_rerun_rewrites_nothing(buildout):
    # Without zcml options zope2instance leaves etc/package-includes alone.
    config = buildout.config().replace("zcml = autotest.app", "")
    buildout.run(config=config)
    stamps = {path: path.stat().st_mtime_ns for path in (buildout.slug, buildout.script)}
    result = buildout.run(config=config)
    assert "Updating instance-autoreload" in result.stdout
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps


def test_slug_survives_instance_updates_and_reinstalls(buildout):
    buildout.run()
    content = buildout.slug.read_text()
    script_stamp = buildout.script.stat().st_mtime_ns
    # zope2instance wipes etc/package-includes on every run when it has zcml options...
    buildout.run()
    assert buildout.slug.read_text() == content
    assert buildout.script.stat().st_mtime_ns == script_stamp
    # ...and a changed instance part is reinstalled from scratch.
    result = buildout.run(instance="debug-mode = on")
    assert "Installing instance." in result.stdout
    assert buildout.slug.read_text() == content


def test_removing_the_part_removes_what_it_generated(buildout):
    buildout.run()
    assert buildout.slug.exists() and buildout.script.exists()
    buildout.run(parts="instance")
    assert not buildout.script.exists()
    assert not buildout.slug.exists()
    assert (buildout.directory / "bin" / "instance").exists()


def test_custom_script_name(buildout):
    buildout.run(autoreload="script = zope-live")
    assert (buildout.directory / "bin" / "zope-live").exists()
    assert not buildout.script.exists()


def test_site_zcml_gets_a_clear_warning(buildout):
    result = buildout.run(
        instance="""\
        site-zcml =
            <configure xmlns="http://namespaces.zope.org/zope">
              <include package="Products.Five" />
            </configure>
        """
    )
    assert "has its own site-zcml" in result.stdout
    assert '<include file="%s" />' % buildout.slug in result.stdout


@pytest.mark.parametrize(
    "autoreload, expected",
    [
        ("instance = zope", "[instance-autoreload] instance = zope: there is no such part"),
        ("debounce = soon", "[instance-autoreload] debounce = soon: not a whole number"),
    ],
)
def test_bad_options_are_user_errors(buildout, autoreload, expected):
    """Every mistake is covered in test_recipe_options; here two show how buildout says it."""
    result = buildout.run(autoreload=autoreload, check=False)
    assert result.returncode != 0
    # A UserError prints "Error: <message>" and no traceback.
    assert "Error: " + expected in result.stdout
    assert "Traceback" not in result.stdout
