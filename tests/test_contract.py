"""The contract between the recipe and the runtime, from both sides.

The recipe parses the part's options (a real ``zc.buildout.testing.Buildout``) and renders the
slug; ``watching.config.read_slug`` reads it back, as the supervisor and the runtime do.
"""

import os
import re
from pathlib import Path

import pytest

from collective.autorestart import contract
from collective.autorestart.contract import FIELDS, OPTION_FIELDS, Config, ConfigError, Kind
from collective.autorestart.recipe import options as parsing
from collective.autorestart.recipe.templates import render_slug
from collective.autorestart.watching.config import read_slug
from collective.autorestart.watching.filters import watch_filter
from harness.recipes import PART, parse_part

pytestmark = pytest.mark.usefixtures("buildout_global_state")
README = Path(__file__).parent.parent / "README.rst"


def recipe_settings(tmp_path, **options):
    """What the recipe makes of the part's options, in a buildout developing tmp_path/src."""
    return parse_part(tmp_path, **options)


def write_slug(tmp_path, settings, edit=lambda text: text):
    slug = tmp_path / "slug.zcml"
    slug.write_text(edit(render_slug(PART, settings)))
    return str(slug)


def test_slug_written_by_the_recipe_is_read_by_the_runtime(tmp_path):
    """The contract between recipe and runtime, both sides at once."""
    settings = recipe_settings(tmp_path, debounce="25", sound="off", restart_on="setup.py", on_zcml_change="restart")
    config = read_slug(write_slug(tmp_path, settings))
    assert config.watch == (str(tmp_path / "src"),)
    assert config.include == ("*.py", "*.zcml")
    assert config.debounce == 25 and config.sound is False
    assert config.restart_on == ("setup.py",)
    assert config.on_zcml_change == "restart" and config.on_reload_error == "keep"
    assert config.threaddump_file == str(tmp_path / "var" / "log" / "zope-threaddump.txt")
    assert config.buildout_directory == str(tmp_path)


def test_every_field_is_an_option_the_recipe_parses(tmp_path):
    for field in OPTION_FIELDS:
        assert field.spec.kind in parsing.PARSERS, field
        assert field.option in parsing.OPTIONS, field
    # The one field that is no option is filled in by the recipe.
    [derived] = [field for field in FIELDS if field not in OPTION_FIELDS]
    assert derived.spec.kind is Kind.BUILDOUT_DIRECTORY
    assert recipe_settings(tmp_path)[derived.option] == str(tmp_path)
    # And the recipe takes no option the contract does not know, but its own script name.
    assert set(parsing.OPTIONS) - {field.option for field in OPTION_FIELDS} == {"script"}


def test_every_option_but_watch_has_a_default_its_parser_takes():
    for field in OPTION_FIELDS:
        if field.spec.kind is not Kind.DIRECTORIES:  # watch: the develop paths
            assert contract.DEFAULTS[field.name] is not None, field
        if field.spec.kind is Kind.CHOICE:
            assert field.spec.default in field.spec.choices, field


def samples(field):
    """Values of the field's kind worth a round trip: the default and awkward ones."""
    kind = field.spec.kind
    if kind in contract.LIST_KINDS:
        return [(), ("/a dir/with spaces", 'quote"s & <brackets>', "é", "a,b", "[x]"), tuple(field.spec.default or ())]
    if kind is Kind.MILLISECONDS:
        return [0, field.spec.default, field.spec.maximum]
    if kind is Kind.SWITCH:
        return [True, False]
    if kind is Kind.CHOICE:
        return list(field.spec.choices)
    return ["/some path/with spaces & <more>.wav", field.spec.default or "/x"]


@pytest.mark.parametrize("field", FIELDS, ids=lambda field: field.name)
def test_every_field_round_trips_through_encode_and_decode(field):
    for value in samples(field):
        text = contract.encode(field, value)
        assert isinstance(text, str)
        assert contract.decode(field, text) == value


def test_config_round_trips_through_its_attributes(tmp_path):
    config = read_slug(write_slug(tmp_path, recipe_settings(tmp_path)))
    attributes = {field.name: contract.encode(field, getattr(config, field.name)) for field in FIELDS}
    assert Config.from_attributes(attributes) == config


def test_slug_with_an_unknown_attribute_is_a_clear_error(tmp_path):
    def add_speed(text):
        return text.replace("debounce=", 'speed="fast"\n        debounce=')

    slug = write_slug(tmp_path, recipe_settings(tmp_path), add_speed)
    with pytest.raises(ConfigError) as info:
        read_slug(slug)
    message = str(info.value)
    assert "autorestart:config does not match this version of collective.autorestart" in message
    assert "(unknown: speed)" in message and message.endswith("run bin/buildout again")


def test_slug_with_a_missing_attribute_is_a_clear_error(tmp_path):
    slug = write_slug(tmp_path, recipe_settings(tmp_path), lambda text: re.sub(r'\s+debounce="\d+"', "", text))
    with pytest.raises(ConfigError) as info:
        read_slug(slug)
    message = str(info.value)
    assert "autorestart:config does not match this version of collective.autorestart" in message
    assert "(missing: debounce)" in message and message.endswith("run bin/buildout again")


def test_unknown_and_missing_attributes_are_named_together():
    attributes = {field.name: contract.encode(field, "x") for field in FIELDS if field.name not in ("sound", "watch")}
    attributes["colour"] = "blue"
    with pytest.raises(ConfigError, match=r"\(unknown: colour; missing: watch, sound\)"):
        Config.from_attributes(attributes)


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("debounce", "soon", "autorestart:config debounce must be whole milliseconds"),
        ("sound", "maybe", "autorestart:config sound must be on or off"),
        ("watch", "src", "autorestart:config watch is not a JSON list"),
        ("include", '["*.py", 3]', "autorestart:config include must be a JSON list of strings"),
        ("log_level", "LOUD", "autorestart:config log_level must be one of DEBUG, INFO, WARNING, ERROR"),
    ],
)
def test_slug_with_a_bad_value_is_a_clear_error(name, text, problem):
    [field] = [field for field in FIELDS if field.name == name]
    with pytest.raises(ConfigError) as info:
        contract.decode(field, text)
    assert str(info.value).startswith(problem)


def test_every_option_is_documented_in_the_readme():
    readme = README.read_text()
    # A definition list term: "``option``", or several options on one line.
    undocumented = [
        field.option
        for field in OPTION_FIELDS
        if not re.search(r"^(``[a-z-]+``, )*``%s``(, ``[a-z-]+``)*$" % field.option, readme, re.M)
    ]
    assert undocumented == []


def readme_option_entries():
    """{option: the text of its README entry, white space collapsed}, from the definition
    list of the Options section."""
    section = README.read_text().split("\nOptions\n=======\n", 1)[1].split("\n\n\n", 1)[0]
    entries = {}
    for term, body in re.findall(r"^(``.+)\n((?:    .*\n|\n)+)", section + "\n", re.M):
        for option in re.findall(r"``([a-z-]+)``", term):
            entries[option] = " ".join(body.split())
    return entries


def documented_default(entry):
    return entry.rsplit("Default: ", 1)[1]


@pytest.mark.parametrize(
    "field", [field for field in OPTION_FIELDS if field.spec.default is not None], ids=lambda field: field.option
)
def test_the_readme_gives_the_contracts_default(field):
    default, kind = field.spec.default, field.spec.kind
    written = documented_default(readme_option_entries()[field.option])
    if kind in (Kind.EXISTING_FILE, Kind.OUTPUT_FILE):
        # Shipped files are named by their file name, the others relative to the buildout.
        name = os.path.basename(default) if os.path.isabs(default) else default
        assert "``%s``" % name in written
        return
    if kind is Kind.SWITCH:
        expected = "on" if default else "off"
    elif kind in contract.LIST_KINDS:
        expected = " ".join(default)
    else:
        expected = str(default)
    assert written.startswith("``%s``" % expected)


def test_the_readme_start_up_line_shows_the_default_filter():
    """The sample session's filter is what the runtime prints with the default options."""
    printed = repr(watch_filter(contract.DEFAULTS["include"], contract.DEFAULTS["restart_on"], ()))
    assert "%s, exclude=.git .hg ..." % printed.split(", exclude=")[0] in README.read_text()
