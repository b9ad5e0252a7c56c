"""The recipe in a real bin/buildout with plone.recipe.zope2instance and Zope."""

import json
import os
import xml.dom.minidom

import pytest

pytestmark = pytest.mark.buildout


def slug_config(buildout):
    document = xml.dom.minidom.parse(str(buildout.slug))
    return document.getElementsByTagName("autorestart:config")[0]


@pytest.mark.smoke
def test_generates_script_and_slug(buildout, monkeypatch):
    # Watch paths with spaces and hashes, a variable and a comment, as buildout's parser
    # hands them to the recipe.
    for name in ("my src", "code#2"):
        (buildout.directory / name).mkdir(parents=True)
    monkeypatch.setenv("AUTOTEST_CHECKOUT", str(buildout.directory / "code#2"))
    buildout.run(
        autoreload="watch =\n    my src\n    $AUTOTEST_CHECKOUT  # the second checkout\ndebounce = 25\nsound = off"
    )
    assert os.access(buildout.script, os.X_OK)
    script = buildout.script.read_text()
    assert "collective.autorestart.supervisor.main(" in script
    assert "+ sys.argv[1:]" in script
    assert str(buildout.directory / "parts/instance/etc/wsgi.ini") in script
    config = slug_config(buildout)
    assert json.loads(config.getAttribute("watch")) == [
        str(buildout.directory / "my src"),
        str(buildout.directory / "code#2"),
    ]
    assert config.getAttribute("debounce") == "25"
    assert config.getAttribute("sound") == "off"
    # The part is named in the slug's comment, for whoever opens the file.
    assert "from part [instance-autoreload]" in buildout.slug.read_text()
    assert os.path.isfile(config.getAttribute("success_sound"))
    # Plain bin/instance is the zope2instance script, untouched by us.
    assert "plone.recipe.zope2instance.ctl" in (buildout.directory / "bin/instance").read_text()


def test_rerun_rewrites_nothing(buildout):
    # Without zcml options zope2instance leaves etc/package-includes alone.
    config = buildout.config().replace("zcml = autotest.app", "")
    buildout.run(config=config)
    stamps = {path: path.stat().st_mtime_ns for path in (buildout.slug, buildout.script)}
    result = buildout.run(config=config)
    assert "Updating instance-autoreload" in result.stdout
    assert {path: path.stat().st_mtime_ns for path in stamps} == stamps


def test_slug_survives_instance_updates_and_reinstalls_and_goes_with_the_part(buildout):
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
    # Without the part, what it generated is gone, and the instance stays.
    buildout.run(parts="instance", instance="debug-mode = on")
    assert not buildout.script.exists()
    assert not buildout.slug.exists()
    assert (buildout.directory / "bin" / "instance").exists()


def test_bad_options_are_user_errors(buildout):
    """Every mistake is covered in test_recipe_options; here one shows how buildout says it."""
    result = buildout.run(autoreload="instance = zope", check=False)
    assert result.returncode != 0
    # A UserError prints "Error: <message>" and no traceback.
    assert "Error: [instance-autoreload] instance = zope: there is no such part" in result.stdout
    assert "Traceback" not in result.stdout
