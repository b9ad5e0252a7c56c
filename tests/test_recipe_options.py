"""Unit tests of the recipe against zc.buildout.testing: option parsing and validation (every
mistake is a clear UserError), and the Recipe's contract with buildout.

The buildout is a real ``zc.buildout.testing.Buildout`` in tmp_path with sections added, so
the recipe gets buildout's own ``Options`` (substitutions, missing sections and all), as
zc.recipe.testrunner's tests do.  Nothing is downloaded and no bin/buildout runs: those are
in test_recipe_buildout.py.
"""

import json
import os
import xml.dom.minidom

import pytest
import zc.buildout
import zc.buildout.testing

from collective.autorestart.contract import DEFAULTS, SLUG_NAME
from collective.autorestart.recipe import Recipe
from collective.autorestart.recipe import options as parsing
from collective.autorestart.recipe.templates import render_slug
from harness.recipes import PART, add_part, make_buildout, parse_part

pytestmark = pytest.mark.usefixtures("buildout_global_state")


def parse(tmp_path, buildout=None, **options):
    return parse_part(tmp_path, buildout, **options)


def error_of(tmp_path, buildout=None, **options):
    with pytest.raises(zc.buildout.UserError) as info:
        parse(tmp_path, buildout, **options)
    return str(info.value)


def test_defaults(tmp_path):
    settings = parse(tmp_path)
    assert settings["instance"] == "instance"
    assert settings["watch"] == [str(tmp_path / "src")]
    assert settings["include"] == ["*.py", "*.zcml"]
    assert "__pycache__" in settings["exclude"] and ".git" in settings["exclude"]
    assert settings["debounce"] == DEFAULTS["debounce"]
    assert settings["sound"] is True
    assert settings["success-sound"].endswith("sounds/success.wav")
    assert settings["failure-sound"].endswith("sounds/failure.wav")
    assert settings["script"] == "autoreload"
    assert settings["log-level"] == "INFO"


def test_shipped_sounds_exist(tmp_path):
    settings = parse(tmp_path)
    for option in ("success-sound", "failure-sound"):
        with open(settings[option], "rb") as sound:
            assert sound.read(4) == b"RIFF"


def test_watch_lines_comments_and_relative_paths(tmp_path):
    (tmp_path / "other").mkdir()
    settings = parse(tmp_path, watch="src  # my code\n\n other\nsrc")
    assert settings["watch"] == [str(tmp_path / "src"), str(tmp_path / "other")]


def test_missing_watch_directory(tmp_path):
    message = error_of(tmp_path, watch="nothere")
    assert message.startswith("[autoreload] watch = nothere:")
    assert str(tmp_path / "nothere") in message and "does not exist" in message


def test_no_develop_and_no_watch(tmp_path):
    message = error_of(tmp_path, make_buildout(tmp_path, develop=""))
    assert "[autoreload] watch" in message and "Set watch =" in message


@pytest.mark.parametrize(
    "value, problem",
    [("fast", "not a whole number"), ("-5", "out of range"), ("20000", "out of range")],
)
def test_bad_debounce(tmp_path, value, problem):
    message = error_of(tmp_path, debounce=value)
    assert message.startswith("[autoreload] debounce = %s:" % value)
    assert problem in message


def test_debounce_accepts_ms_suffix(tmp_path):
    assert parse(tmp_path, debounce="25ms")["debounce"] == 25
    assert parse(tmp_path, debounce="0")["debounce"] == 0


def test_reload_timeout(tmp_path):
    assert parse(tmp_path)["reload-timeout"] == 10000
    assert parse(tmp_path, **{"reload-timeout": "3000 ms"})["reload-timeout"] == 3000
    message = error_of(tmp_path, **{"reload-timeout": "10s"})
    assert message.startswith("[autoreload] reload-timeout = 10s: not a whole number")
    message = error_of(tmp_path, **{"reload-timeout": "700000"})
    assert "out of range" in message and "Use 0 to 600000 milliseconds (default 10000)" in message


def test_watcher_and_poll_interval(tmp_path):
    assert (parse(tmp_path)["watcher"], parse(tmp_path)["poll-interval"]) == ("auto", 1000)
    settings = parse(tmp_path, watcher="Polling", **{"poll-interval": "250ms"})
    assert (settings["watcher"], settings["poll-interval"]) == ("polling", 250)
    message = error_of(tmp_path, watcher="fsevents")
    assert message == (
        "[autoreload] watcher = fsevents: unknown watcher. Use one of auto, inotify, native, polling (default auto)."
    )
    # A scan stats every file: more often than 10 times a second is no longer cheap.
    message = error_of(tmp_path, **{"poll-interval": "10"})
    assert message == ("[autoreload] poll-interval = 10: out of range. Use 100 to 60000 milliseconds (default 1000).")


@pytest.mark.parametrize("value, expected", [("off", False), ("No", False), ("1", True), ("true", True)])
def test_sound_boolean(tmp_path, value, expected):
    assert parse(tmp_path, sound=value)["sound"] is expected


def test_bad_boolean(tmp_path):
    message = error_of(tmp_path, sound="loud")
    assert message.startswith("[autoreload] sound = loud: not a boolean")
    assert "Use on or off" in message


def test_missing_sound_file(tmp_path):
    message = error_of(tmp_path, success_sound="ding.wav")
    assert message.startswith("[autoreload] success-sound = ding.wav:")
    assert "does not exist" in message


def test_own_sound_file(tmp_path):
    (tmp_path / "ding.ogg").write_bytes(b"OggS")
    assert parse(tmp_path, failure_sound="ding.ogg")["failure-sound"] == str(tmp_path / "ding.ogg")


@pytest.mark.parametrize(
    "option, pattern, hint",
    [
        ("exclude", "**/build", "Recursive ** is not supported"),
        ("exclude", "{a,b}.py", "Brace expansion"),
        ("exclude", "!keep.py", "Negation"),
        ("exclude", "*.py[co", "Close every ["),
        ("exclude", "relative/dir", "absolute path"),
        ("include", "src/*.py", "without /"),
    ],
)
def test_bad_globs(tmp_path, option, pattern, hint):
    message = error_of(tmp_path, **{option: pattern})
    assert message.startswith("[autoreload] %s = %s: unsupported glob syntax" % (option, pattern))
    assert hint in message


def test_good_globs(tmp_path):
    settings = parse(tmp_path, include="*.py\n*.zcml *.pt", exclude="%s/static\n*.py[co]" % tmp_path)
    assert settings["include"] == ["*.py", "*.zcml", "*.pt"]
    # The user's patterns, then what buildout and Zope write (see test_buildout_output_...).
    assert settings["exclude"][:2] == ["%s/static" % tmp_path, "*.py[co]"]


def test_empty_include(tmp_path):
    assert "no pattern given" in error_of(tmp_path, include="  ")


def test_bad_log_level(tmp_path):
    message = error_of(tmp_path, log_level="chatty")
    assert message.startswith("[autoreload] log-level = chatty: unknown log level")
    assert parse(tmp_path, log_level="debug")["log-level"] == "DEBUG"


def test_bad_script_name(tmp_path):
    assert "not a file name" in error_of(tmp_path, script="../evil")


def test_missing_instance_part(tmp_path):
    message = error_of(tmp_path, instance="zope")
    assert message.startswith("[autoreload] instance = zope: there is no such part")


def test_instance_part_with_other_recipe(tmp_path):
    buildout = make_buildout(tmp_path, instance={"recipe": "zc.recipe.egg", "eggs": "x"})
    message = error_of(tmp_path, buildout)
    assert "uses recipe 'zc.recipe.egg', not plone.recipe.zope2instance" in message


def test_instance_without_our_egg(tmp_path):
    buildout = make_buildout(
        tmp_path,
        instance={"recipe": "plone.recipe.zope2instance", "eggs": "Zope", "location": "/x"},
    )
    message = error_of(tmp_path, buildout)
    assert "do not include collective.autorestart" in message
    assert "Add collective.autorestart to the eggs of [instance]" in message


def test_instance_egg_with_extra_counts(tmp_path):
    buildout = make_buildout(
        tmp_path,
        instance={
            "recipe": "plone.recipe.zope2instance",
            "eggs": "Zope\ncollective.autorestart[sound]",
            "location": "/x",
        },
    )
    assert parse(tmp_path, buildout)["instance-location"] == "/x"


def test_slug_escapes_values(tmp_path):
    odd = tmp_path / 'a "dir" & <more>'
    odd.mkdir()
    settings = parse(tmp_path)
    settings["watch"] = [str(odd)]
    slug = render_slug("autoreload", settings)
    assert "&amp;" in slug and "&lt;more&gt;" in slug
    element = xml.dom.minidom.parseString(slug).getElementsByTagName("autorestart:config")[0]
    assert json.loads(element.getAttribute("watch")) == [str(odd)]
    assert element.getAttribute("debounce") == str(DEFAULTS["debounce"])


def test_threaddump_file(tmp_path):
    assert parse(tmp_path)["threaddump-file"] == str(tmp_path / "var" / "log" / "zope-threaddump.txt")
    assert parse(tmp_path, threaddump_file="dumps/t.txt")["threaddump-file"] == str(tmp_path / "dumps" / "t.txt")
    message = error_of(tmp_path, threaddump_file="src")
    assert message.startswith("[autoreload] threaddump-file = src:") and "is a directory" in message


def test_restart_policies(tmp_path):
    settings = parse(tmp_path)
    assert settings["restart-on"] == ["setup.py", "setup.cfg", "pyproject.toml"]
    assert settings["on-zcml-change"] == "reload" and settings["on-reload-error"] == "keep"
    settings = parse(tmp_path, restart_on="setup.py *.toml", on_zcml_change="Restart", on_reload_error="restart")
    assert settings["restart-on"] == ["setup.py", "*.toml"]
    assert settings["on-zcml-change"] == "restart" and settings["on-reload-error"] == "restart"
    assert parse(tmp_path, restart_on="")["restart-on"] == []


@pytest.mark.parametrize(
    "option, value, hint",
    [
        ("on_zcml_change", "reboot", "Use reload or restart (default reload)."),
        ("on_reload_error", "ignore", "Use keep or restart (default keep)."),
        ("restart_on", "src/setup.py", "without /"),
    ],
)
def test_bad_restart_policies(tmp_path, option, value, hint):
    message = error_of(tmp_path, **{option: value})
    assert message.startswith("[autoreload] %s = %s:" % (option.replace("_", "-"), value))
    assert hint in message


def test_buildout_output_is_never_watched(tmp_path):
    buildout = make_buildout(tmp_path, develop=".")
    buildout["buildout"].update(
        {
            "parts-directory": str(tmp_path / "parts"),
            "bin-directory": str(tmp_path / "bin"),
            "eggs-directory": str(tmp_path / "eggs [cache]"),
            "develop-eggs-directory": str(tmp_path / "develop-eggs"),
            "download-cache": "",
        }
    )
    settings = parse(tmp_path, buildout, exclude="*.pyc")
    assert settings["watch"] == [str(tmp_path)]
    assert settings["exclude"] == ["*.pyc"] + [
        str(tmp_path / name) for name in ("parts", "bin", "eggs [[]cache]", "develop-eggs", "var", ".installed.cfg")
    ]


# The Recipe itself: what it writes back into the options, what install() creates.


def develop_our_egg(buildout, tmp_path):
    """What ``develop =`` with this checkout leaves in develop-eggs, cut down to what
    resolving ``collective.autorestart`` offline needs: an egg-link to its metadata (without
    requirements, so that nothing is downloaded), and the bin directory bootstrap makes."""
    location = tmp_path / "autorestart-develop"
    info = location / "collective.autorestart.egg-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: collective.autorestart\nVersion: 1.0.0.dev0\n")
    options = buildout["buildout"]
    os.makedirs(options["develop-eggs-directory"], exist_ok=True)
    with open(os.path.join(options["develop-eggs-directory"], "collective.autorestart.egg-link"), "w") as link:
        link.write("%s\n." % location)
    os.makedirs(options["bin-directory"], exist_ok=True)
    options["offline"] = "true"
    return buildout


def installable(tmp_path, **options):
    buildout = develop_our_egg(make_buildout(tmp_path), tmp_path)
    return Recipe(buildout, PART, add_part(buildout, **options))


def test_recipe_writes_derived_values_back_into_the_options(tmp_path):
    buildout = make_buildout(tmp_path)
    options = add_part(buildout, debounce="25ms", sound="No", log_level="debug")
    Recipe(buildout, PART, options)
    # Buildout compares these with the last run's to decide whether to reinstall the part.
    assert set(parsing.OPTIONS) <= set(options)
    assert options["watch"] == str(tmp_path / "src")
    assert options["debounce"] == "25" and options["sound"] == "off" and options["log-level"] == "DEBUG"
    assert options["include"] == "*.py\n*.zcml"
    assert options["script"] == PART
    assert options["threaddump-file"] == str(tmp_path / "var" / "log" / "zope-threaddump.txt")
    assert options["instance-location"] == str(tmp_path / "parts" / "instance")
    assert options["slug"] == str(tmp_path / "parts" / "instance" / "etc" / "package-includes" / SLUG_NAME)
    assert options["eggs"] == "collective.autorestart"


def test_a_new_develop_path_changes_the_options(tmp_path):
    """So that buildout reinstalls the part when the default watch list changed."""
    (tmp_path / "other").mkdir()
    before = add_part(make_buildout(tmp_path))
    Recipe(before.buildout, PART, before)
    after = add_part(make_buildout(tmp_path, develop="src\nother"))
    Recipe(after.buildout, PART, after)
    assert before["watch"] != after["watch"] == "%s\n%s" % (tmp_path / "src", tmp_path / "other")


def test_install_returns_the_paths_it_created(tmp_path):
    recipe = installable(tmp_path, sound="off")
    slug = tmp_path / "parts" / "instance" / "etc" / "package-includes" / SLUG_NAME
    script = tmp_path / "bin" / PART
    assert recipe.install() == [str(slug), str(script)]
    assert slug.read_text() == render_slug(PART, recipe.settings)
    assert os.access(script, os.X_OK)
    text = script.read_text()
    assert "collective.autorestart.supervisor" in text and "sys.argv[1:]" in text
    assert repr(["--instance-home", str(tmp_path / "parts" / "instance")])[1:-1] in text
    assert repr(["--slug", str(slug), "--"])[1:-1] in text


def test_the_runtime_options_end_up_in_the_slug_alone(tmp_path):
    """The script is the same whatever they say: a test may set them by rewriting the slug
    (harness.buildouts.Buildout.configured) instead of running bin/buildout."""
    script = tmp_path / "bin" / PART
    installable(tmp_path).install()
    plain_script, plain_slug = script.read_text(), render_slug(PART, installable(tmp_path).settings)
    changed = dict(
        debounce="25",
        sound="off",
        stop_grace="1500",
        reload_timeout="3000",
        on_zcml_change="restart",
        on_reload_error="restart",
        on_unsafe_change="warn",
        log_level="DEBUG",
        restart_on="",
        include="*.py",
    )
    recipe = installable(tmp_path, **changed)
    recipe.install()
    assert script.read_text() == plain_script
    assert render_slug(PART, recipe.settings) != plain_slug


def test_a_custom_script_name_is_the_script_installed(tmp_path):
    paths = installable(tmp_path, script="zope-live").install()
    assert paths[1:] == [str(tmp_path / "bin" / "zope-live")]
    assert os.access(tmp_path / "bin" / "zope-live", os.X_OK)
    assert not (tmp_path / "bin" / PART).exists()


def test_second_install_and_update_with_unchanged_options_rewrite_nothing(tmp_path):
    paths = installable(tmp_path).install()
    old = 1_000_000_000
    for path in paths:
        os.utime(path, ns=(old, old))
    # A later buildout run makes the part anew from the same options.
    recipe = installable(tmp_path)
    assert recipe.update() == paths
    assert recipe.install() == paths
    assert [os.stat(path).st_mtime_ns for path in paths] == [old] * len(paths)


def test_site_zcml_is_warned_about_at_install(tmp_path, caplog):
    buildout = make_buildout(
        tmp_path,
        instance={
            "recipe": "plone.recipe.zope2instance",
            "eggs": "Zope\ncollective.autorestart",
            "location": "${buildout:parts-directory}/instance",
            "site-zcml": "<configure />",
        },
    )
    develop_our_egg(buildout, tmp_path)
    recipe = Recipe(buildout, PART, add_part(buildout))
    recipe.install()
    [warning] = [record.getMessage() for record in caplog.records if record.name == PART]
    assert warning.startswith("[autoreload] instance part [instance] has its own site-zcml")
    assert '<include file="%s" />' % recipe.slug_path in warning


def test_watch_paths_are_whole_lines_with_spaces_and_hashes(tmp_path):
    for name in ("my src", "code#2"):
        (tmp_path / name).mkdir()
    settings = parse(tmp_path, watch="my src\ncode#2  # the second checkout\n# a comment line\n")
    assert settings["watch"] == [str(tmp_path / "my src"), str(tmp_path / "code#2")]


def test_watch_paths_expand_home_and_variables(tmp_path, monkeypatch):
    (tmp_path / "home" / "code").mkdir(parents=True)
    (tmp_path / "checkouts").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CHECKOUTS", str(tmp_path / "checkouts"))
    settings = parse(tmp_path, watch="~/code\n$CHECKOUTS")
    assert settings["watch"] == [str(tmp_path / "home" / "code"), str(tmp_path / "checkouts")]


def test_a_watched_file_is_not_a_directory(tmp_path):
    buildout = make_buildout(tmp_path)
    (tmp_path / "src" / "views.py").write_text("")
    message = error_of(tmp_path, buildout, watch="src/views.py")
    path = tmp_path / "src" / "views.py"
    assert message.startswith("[autoreload] watch = src/views.py: %s is not a directory" % path)
    assert "Name the directory that holds it." in message


# Unknown options: a typo is an error, not an option silently ignored.


def parse_verbatim(tmp_path, **options):
    """parse with the option names as written: add_part would turn _ into -."""
    buildout = make_buildout(tmp_path)
    buildout[PART] = dict(options, recipe="collective.autorestart")
    return parsing.parse(PART, buildout, buildout[PART])


def verbatim_error_of(tmp_path, **options):
    with pytest.raises(zc.buildout.UserError) as info:
        parse_verbatim(tmp_path, **options)
    return str(info.value)


@pytest.mark.parametrize(
    "option, value, closest",
    [("on_zcml_change", "restart", "on-zcml-change"), ("debounse", "50", "debounce"), ("Sound", "off", "sound")],
)
def test_a_typo_names_the_closest_option(tmp_path, option, value, closest):
    message = verbatim_error_of(tmp_path, **{option: value})
    assert message == "[autoreload] %s = %s: unknown option. Did you mean '%s'? Rename it." % (option, value, closest)


def test_an_unknown_option_without_a_close_one_lists_the_options(tmp_path):
    message = verbatim_error_of(tmp_path, colour="red")
    assert message.startswith("[autoreload] colour = red: unknown option. Remove it; the options are instance, ")
    assert "Did you mean" not in message
    assert "on-zcml-change" in message and "stop-grace" in message


def test_an_unknown_option_is_reported_before_a_bad_value(tmp_path):
    message = verbatim_error_of(tmp_path, debounse="50", sound="loud")
    assert message.startswith("[autoreload] debounse = 50: unknown option")


@pytest.mark.parametrize("option", ["interpreter", "scripts", "extra-paths", "relative-paths"])
def test_zc_recipe_egg_script_options_are_not_ignored_silently(tmp_path, option):
    message = verbatim_error_of(tmp_path, **{option: "x"})
    assert message.startswith("[autoreload] %s = x: unknown option." % option)
    assert "It is an option of zc.recipe.egg's scripts, which this recipe does not pass on" in message


# What buildout, zc.recipe.egg and the recipe put into a part's options (seen in a real
# bin/buildout run: buildout reads recipe and <part-dependencies>, zc.recipe.egg writes the
# directories, executable and buildout-directory, buildout the signature and installed files).
@pytest.mark.parametrize(
    "option, value",
    [
        ("<part-dependencies>", "instance"),
        ("find-links", "https://example.org/eggs"),
        ("index", "https://example.org/simple"),
        ("eggs", "collective.autorestart"),
        ("_b", "/b"),
        ("_d", "/d"),
        ("_e", "/e"),
        ("bin-directory", "/b"),
        ("develop-eggs-directory", "/d"),
        ("eggs-directory", "/e"),
        ("executable", "/usr/bin/python3"),
        ("buildout-directory", "/"),
        ("slug", "/x.zcml"),
        ("instance-location", "/x"),
        ("__buildout_signature__", "collective.autorestart-0123"),
        ("__buildout_installed__", "/x.zcml"),
    ],
)
def test_options_of_buildout_and_zc_recipe_egg_stay_accepted(tmp_path, option, value):
    assert parse_verbatim(tmp_path, **{option: value})["debounce"] == DEFAULTS["debounce"]


def test_a_part_after_the_recipe_and_zc_recipe_egg_wrote_into_it_is_accepted(tmp_path):
    buildout = develop_our_egg(make_buildout(tmp_path), tmp_path)
    # zc.recipe.egg writes buildout-directory when the buildout makes relative paths.
    buildout["buildout"]["relative-paths"] = "true"
    options = add_part(buildout, debounce="25")
    recipe = Recipe(buildout, PART, options)
    recipe.install()
    assert {"slug", "_b", "executable", "buildout-directory"} <= set(options)
    assert parsing.parse(PART, buildout, options)["debounce"] == 25


def test_an_option_referencing_another_part_is_fine(tmp_path):
    buildout = make_buildout(tmp_path)
    buildout.parse(
        """
        [base]
        sound = off
        [autoreload]
        <= base
        recipe = collective.autorestart
        threaddump-file = ${instance:location}/var/threads.txt
        script = ${:_buildout_section_name_}-live
        """
    )
    settings = parsing.parse(PART, buildout, buildout[PART])
    assert settings["threaddump-file"] == str(tmp_path / "parts" / "instance" / "var" / "threads.txt")
    assert settings["script"] == "autoreload-live" and settings["sound"] is False
