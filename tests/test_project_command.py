"""runwsgi-autoreload's options, in-process: from pyproject.toml and flags, validated by the
recipe's own parsers with the recipe's problems and fixes; the default watch from the
editable installs; the instance from what the user names.  The real processes are in
test_e2e_projects.py."""

import json
import os
import sys
import textwrap

import pytest
import zc.buildout

from collective.autorestart.contract import OPTION_FIELDS, Config
from collective.autorestart.project import command, development
from collective.autorestart.project.instance import NoInstance, find_instance
from collective.autorestart.project.pyproject import PyprojectError, find_pyproject, read_options
from collective.autorestart.project.settings import OptionsError, resolve
from collective.autorestart.slug import render_slug
from collective.autorestart.watching.config import read_slug
from harness.recipes import parse_part

pytestmark = pytest.mark.usefixtures("buildout_global_state")


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project directory with src/ and an instance made for runwsgi, as the cwd; no
    package of it is installed in development mode unless a test says so."""
    (tmp_path / "src").mkdir()
    etc = tmp_path / "instance" / "etc"
    etc.mkdir(parents=True)
    (etc / "zope.ini").write_text("[server:main]\nlisten = 127.0.0.1:8080\n")
    (etc / "zope.conf").write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(development, "installed_in_development_mode", lambda: [("my.addon", str(tmp_path))])
    return tmp_path


def settings_of(project, table="", *argv):
    if table:
        (project / "pyproject.toml").write_text("[tool.collective.autorestart]\n" + textwrap.dedent(table))
    arguments = command.build_parser().parse_args(["instance/etc/zope.ini", *argv])
    options = read_options(find_pyproject(str(project)))
    return resolve(command.flags_of(arguments), options, find_instance(arguments.instance), str(project))


def error_of(project, table="", *argv):
    with pytest.raises(OptionsError) as info:
        settings_of(project, table, *argv)
    return str(info.value)


def test_defaults_watch_the_editable_project(project):
    settings = settings_of(project)
    assert settings["watch"] == [str(project)]
    assert settings["debounce"] == 10 and settings["sound"] is True
    assert settings["threaddump-file"] == str(project / "instance" / "var" / "log" / "zope-threaddump.txt")
    # What Zope writes and the environment are never watched, whatever the user lists.
    assert str(project / "instance" / "var") in settings["exclude"]
    assert str(project / "instance" / "etc") in settings["exclude"]
    assert sys.prefix in settings["exclude"] or os.path.realpath(sys.prefix) in settings["exclude"]
    assert settings["buildout-directory"] == ""


def test_pyproject_values_with_paths_relative_to_it(project):
    (project / "sources" / "other").mkdir(parents=True)
    settings = settings_of(
        project,
        """\
        watch = ["src", "sources/other"]
        debounce = 25
        sound = false
        restart-on = ["pyproject.toml", "*.txt"]
        on-zcml-change = "restart"
        """,
    )
    assert settings["watch"] == [str(project / "src"), str(project / "sources" / "other")]
    assert settings["debounce"] == 25 and settings["sound"] is False
    assert settings["restart-on"] == ["pyproject.toml", "*.txt"]
    assert settings["on-zcml-change"] == "restart"


def test_flags_win_and_are_relative_to_the_current_directory(project, monkeypatch):
    (project / "pyproject.toml").write_text('[tool.collective.autorestart]\ndebounce = 25\nwatch = ["src"]\n')
    (project / "sub" / "code").mkdir(parents=True)
    monkeypatch.chdir(project / "sub")
    arguments = command.build_parser().parse_args(
        ["../instance/etc/zope.ini", "--debounce", "40", "--watch", "code", "--watch", "..", "--sound", "off"]
    )
    options = read_options(find_pyproject(os.getcwd()))
    settings = resolve(command.flags_of(arguments), options, find_instance(arguments.instance), os.getcwd())
    assert settings["debounce"] == 40
    assert settings["watch"] == [str(project / "sub" / "code"), str(project)]
    assert settings["sound"] is False


# One bad value of each kind, written once in buildout.cfg and once in pyproject.toml (and
# as a flag): the recipe's parsers judge both, so the problem and the fix are the same text.
SAME_MISTAKES = [
    ("debounce", "fast", '"fast"'),
    ("debounce", "20000", "20000"),
    ("sound", "loud", '"loud"'),
    ("log-level", "chatty", '"chatty"'),
    ("on-zcml-change", "sometimes", '"sometimes"'),
    ("exclude", "**/build", '["**/build"]'),
    ("include", "src/*.py", '["src/*.py"]'),
    ("success-sound", "ding.wav", '"ding.wav"'),
    ("watch", "nothere", '["nothere"]'),
    ("reload-timeout", "10s", '"10s"'),
]


@pytest.mark.parametrize("option, value, toml", SAME_MISTAKES)
def test_a_mistake_gets_the_recipes_problem_and_fix(project, tmp_path, option, value, toml):
    buildout_dir = tmp_path / "buildout"
    buildout_dir.mkdir()
    with pytest.raises(zc.buildout.UserError) as info:
        parse_part(buildout_dir, **{option.replace("-", "_"): value})
    in_buildout = str(info.value)
    said_by_recipe = in_buildout.split("%s = %s: " % (option, value), 1)[1]
    said_by_recipe = said_by_recipe.replace(str(buildout_dir), str(project))

    in_pyproject = error_of(project, "%s = %s\n" % (option, toml))
    assert in_pyproject.startswith(
        "%s [tool.collective.autorestart] %s = %s: " % (project / "pyproject.toml", option, value)
    )
    assert in_pyproject.split("%s = %s: " % (option, value), 1)[1] == said_by_recipe

    as_flag = error_of(project, "", "--" + option, value)
    assert as_flag.startswith("--%s %s: " % (option, value))
    assert as_flag.split("--%s %s: " % (option, value), 1)[1] == said_by_recipe


def test_an_unknown_key_names_the_closest_option(project):
    message = error_of(project, "on_zcml_change = 'restart'\n")
    assert message.endswith("on_zcml_change = restart: unknown option. Did you mean 'on-zcml-change'? Rename it.")
    message = error_of(project, "colour = 'blue'\n")
    assert "colour = blue: unknown option. The options are watch, include, exclude" in message


def test_a_toml_value_of_no_option_kind_is_refused(project):
    (project / "pyproject.toml").write_text("[tool.collective.autorestart]\nwatch = {src = true}\n")
    with pytest.raises(PyprojectError) as info:
        read_options(str(project / "pyproject.toml"))
    assert "[tool.collective.autorestart] watch = {'src': True}: not a string, a list of strings" in str(info.value)


def test_a_broken_pyproject_names_the_file(project):
    (project / "pyproject.toml").write_text("[tool.collective.autorestart\n")
    with pytest.raises(PyprojectError) as info:
        read_options(str(project / "pyproject.toml"))
    assert str(info.value).startswith("%s can't be read: " % (project / "pyproject.toml"))


def test_nothing_installed_in_development_mode_says_how_to_watch(project, monkeypatch):
    monkeypatch.setattr(development, "installed_in_development_mode", lambda: [])
    message = error_of(project)
    assert message.startswith("--watch (default: the packages installed in development mode): there is nothing")
    assert message.endswith("Set watch in [tool.collective.autorestart] of pyproject.toml, or pass --watch DIRECTORY.")


def test_the_slug_holds_what_was_resolved(project):
    settings = settings_of(project, "debounce = 30\n", "--log-level", "DEBUG")
    slug = project / "slug.zcml"
    slug.write_text(render_slug("test", settings))
    config = read_slug(str(slug))
    assert isinstance(config, Config)
    assert (config.debounce, config.log_level, config.watch) == (30, "DEBUG", (str(project),))
    # No buildout: the messages point at pyproject.toml and the flags.
    assert config.command == "runwsgi-autoreload"
    assert config.where_to_set("stop-grace") == (
        "stop-grace in [tool.collective.autorestart] of pyproject.toml, or --stop-grace"
    )


def test_help_lists_every_option_with_its_default():
    text = " ".join(command.build_parser().format_help().split())
    for field in OPTION_FIELDS:
        assert "--%s " % field.option in text
    assert "--debounce MS Milliseconds of quiet before changes are applied (default: 10)" in text
    assert "--sound on|off Play a sound after each reload (default: on)" in text
    assert "(default: the directories of the packages installed in development mode" in text
    assert "(default: setup.py setup.cfg pyproject.toml)" in text


def test_main_says_what_is_wrong_and_exits_2(project, capsys):
    (project / "pyproject.toml").write_text("[tool.collective.autorestart]\ndebounce = -1\n")
    assert command.main(["instance/etc/zope.ini"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(
        "runwsgi-autoreload: %s [tool.collective.autorestart] debounce = -1: out of range"
        % (project / "pyproject.toml")
    )


@pytest.mark.parametrize("named", ["instance/etc/zope.ini", "instance/etc/zope.conf", "instance", "instance/etc"])
def test_the_instance_from_its_ini_conf_or_directory(project, named):
    instance = find_instance(named)
    assert instance.wsgi_ini == str(project / "instance" / "etc" / "zope.ini")
    assert instance.home == str(project / "instance")


def test_a_zope_conf_without_zope_ini_or_nothing_at_all(project):
    (project / "instance" / "etc" / "zope.ini").unlink()
    with pytest.raises(NoInstance) as info:
        find_instance("instance/etc/zope.conf")
    assert "has no zope.ini beside it, which runwsgi needs" in str(info.value)
    with pytest.raises(NoInstance) as info:
        find_instance("elsewhere/zope.ini")
    assert str(info.value).startswith("elsewhere/zope.ini does not exist")


def test_editable_installs_are_found_outermost_and_never_in_the_environment(tmp_path, monkeypatch):
    """PEP 610's direct_url.json, as pip and uv write it for -e; a regular install (no
    editable flag) and a checkout inside another are not roots of their own."""
    site = tmp_path / "site"
    projects = {
        "addon": (tmp_path / "addon", True),
        "checkout": (tmp_path / "addon" / "sources" / "checkout", True),
        "released": (tmp_path / "released", False),
        "elsewhere": (tmp_path / "elsewhere", True),
    }
    for name, (directory, editable) in projects.items():
        directory.mkdir(parents=True, exist_ok=True)
        info = site / ("%s-1.0.dist-info" % name)
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name)
        url = {"url": directory.as_uri(), "dir_info": {"editable": True} if editable else {}}
        (info / "direct_url.json").write_text(json.dumps(url))
    monkeypatch.setattr(sys, "path", [str(site)])
    found = development.installed_in_development_mode()
    assert [name for name, _ in found] == ["addon", "checkout", "elsewhere"]
    monkeypatch.setattr(development, "environment_directories", lambda: [str(tmp_path / "elsewhere")])
    assert development.default_watch() == [str(tmp_path / "addon")]


def test_a_root_chosen_inside_the_environment_is_not_excluded_with_it(project, monkeypatch):
    """pip install -e git+... clones into the virtualenv's src/: a developer may watch it."""
    checkout = project / "venv" / "src" / "other"
    checkout.mkdir(parents=True)
    monkeypatch.setattr(development, "environment_directories", lambda: [str(project / "venv")])
    settings = settings_of(project, "", "--watch", str(checkout))
    assert settings["watch"] == [str(checkout)]
    assert str(project / "venv") not in settings["exclude"]
    assert str(project / "venv") in settings_of(project)["exclude"]
