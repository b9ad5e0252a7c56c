"""Parse and validate the part's options, in one place: ``OPTIONS``.

Every option of the contract (``collective.autorestart.contract``) is parsed by the parser
of its kind (``collective.autorestart.options``, shared with runwsgi-autoreload);
``instance`` and ``script`` concern only the recipe.  Any other
option is an error unless buildout or zc.recipe.egg put it there (``FOREIGN_OPTIONS``): a
typo would otherwise be ignored without a word.  Every problem becomes a
``zc.buildout.UserError`` that names the part, the option, the value and how to fix it.
"""

import difflib
import functools
import glob
import os

import zc.buildout

from collective.autorestart.contract import OPTION_FIELDS, PACKAGE
from collective.autorestart.options import PARSERS, Context, nocomments_split

INSTANCE_RECIPE = "plone.recipe.zope2instance"


class ErrorBuilder:
    """Makes the part's UserErrors, so that every message has the same shape."""

    def __init__(self, part):
        self.part = part

    def __call__(self, option, value, problem, fix):
        return zc.buildout.UserError(
            "[{part}] {option} = {value}: {problem}. {fix}".format(
                part=self.part,
                option=option,
                value=value if value != "" else "(empty)",
                problem=problem,
                fix=fix,
            )
        )


def parse_script_name(context, value):
    name = context.part if value is None else value.strip()
    if not name or os.sep in name or name.startswith("."):
        raise context.error("script", value, "not a file name", "Use a plain name such as instance-autoreload.")
    return name


# Every option the part takes but instance, which names the part that the others need.
OPTIONS = {"script": parse_script_name}
OPTIONS.update((field.option, functools.partial(PARSERS[field.spec.kind], field=field)) for field in OPTION_FIELDS)


# The options the user writes: ours, and zc.recipe.egg's that reach the working set the
# script is made from.
USER_OPTIONS = ("instance",) + tuple(OPTIONS) + ("find-links", "index")
# Options a part holds that are not the user's.  During __init__ a real bin/buildout run
# gives the recipe only what the user wrote (a <= macro already merged) plus what buildout
# reads itself; the rest is written in later, by this recipe (Recipe.__init__), by
# zc.recipe.egg (bin-directory ... executable; buildout-directory when [buildout] has
# relative-paths = true) and by buildout after __init__ (the signature and installed
# files).  All stay allowed so that it does not matter when the check runs.
FOREIGN_OPTIONS = (
    "recipe",
    "<part-dependencies>",
    "__buildout_signature__",
    "__buildout_installed__",
    "eggs",
    "slug",
    "instance-location",
    "bin-directory",
    "_b",
    "eggs-directory",
    "_e",
    "develop-eggs-directory",
    "_d",
    "executable",
    "buildout-directory",
)
KNOWN_OPTIONS = frozenset(USER_OPTIONS + FOREIGN_OPTIONS)
# zc.recipe.egg's script options: this recipe makes its one script itself, so they would do
# nothing here.
EGG_SCRIPT_OPTIONS = (
    "scripts",
    "entry-points",
    "interpreter",
    "initialization",
    "arguments",
    "dependent-scripts",
    "extra-paths",
    "relative-paths",
)


def check_known(error, options):
    """Reject the first option, in name order, that the part does not take."""
    for option in sorted(options):
        if option not in KNOWN_OPTIONS:
            raise error(option, options[option], "unknown option", unknown_option_fix(option))


def unknown_option_fix(option):
    if option in EGG_SCRIPT_OPTIONS:
        return (
            "It is an option of zc.recipe.egg's scripts, which this recipe does not pass on:"
            " it makes only its own script. Remove it."
        )
    # Buildout keeps the name as written: on_zcml_change or Debounce still find theirs.
    spelled = option.strip().lower().replace("_", "-")
    close = difflib.get_close_matches(spelled, USER_OPTIONS, n=1)
    if close:
        return "Did you mean %r? Rename it." % close[0]
    return "Remove it; the options are %s." % ", ".join(USER_OPTIONS)


def as_option(value):
    """A parsed value as buildout option text, to write back into the part's options."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return "\n".join(value)
    return str(value)


def instance_section(error, buildout, name):
    """The zope2instance part we run, checked to be one and to load our package."""
    try:
        section = buildout[name]
    except (KeyError, zc.buildout.buildout.MissingSection):
        raise error("instance", name, "there is no such part", "Name your plone.recipe.zope2instance part.") from None
    recipe = section.get("recipe", "")
    if recipe.split(":")[0].split("[")[0].strip() != INSTANCE_RECIPE:
        raise error(
            "instance",
            name,
            "part [%s] uses recipe %r, not %s" % (name, recipe or "(none)", INSTANCE_RECIPE),
            "Name your plone.recipe.zope2instance part.",
        )
    if our_requirement(section) is None:
        raise error(
            "instance",
            name,
            "the part's eggs do not include %s, so Zope could not load the runtime" % PACKAGE,
            "Add %s to the eggs of [%s]." % (PACKAGE, name),
        )
    return section


def our_requirement(instance):
    """Our line in the instance's eggs (extras such as [sound] included), or None."""
    for line in nocomments_split(instance.get("eggs", "")):
        if _requirement_name(line) == PACKAGE:
            return line
    return None


def _requirement_name(requirement):
    for stop in "[<>=!~;":
        requirement = requirement.split(stop, 1)[0]
    return requirement.strip().lower().replace("_", "-")


def parse(part, buildout, options):
    """All options of the part, validated: a dict of plain values keyed by option name,
    with ``buildout-directory`` and what the recipe needs of the instance part."""
    error = ErrorBuilder(part)
    check_known(error, options)
    buildout_options = buildout["buildout"]
    directory = buildout_options["directory"]
    context = Context(part, error, directory, nocomments_split(buildout_options.get("develop", "")))
    instance_name = options.get("instance", "instance").strip()
    instance = instance_section(error, buildout, instance_name)
    settings = {
        "instance": instance_name,
        "buildout-directory": directory,
        "instance-location": instance["location"],
        "site-zcml": bool(instance.get("site-zcml", "").strip()),
        "requirement": our_requirement(instance),
    }
    for option, parse_option in OPTIONS.items():
        settings[option] = parse_option(context, options.get(option))
    settings["exclude"] = settings["exclude"] + [
        path for path in buildout_output(buildout_options) if path not in settings["exclude"]
    ]
    return settings


# What buildout and Zope write: a watch root such as develop = . holds them, and a change
# there (a compiled page template, an .installed.cfg) is never code to reload.
BUILDOUT_OUTPUT = (
    "parts-directory",
    "bin-directory",
    "eggs-directory",
    "develop-eggs-directory",
    "download-cache",
)


def buildout_output(buildout_options):
    """Absolute path globs of the directories buildout and Zope write to, and of the file
    in which buildout records what it installed."""
    paths = [buildout_options.get(option, "") for option in BUILDOUT_OUTPUT]
    directory = buildout_options["directory"]
    paths.append(os.path.join(directory, "var"))
    paths.append(buildout_options.get("installed", "") or os.path.join(directory, ".installed.cfg"))
    return [glob.escape(os.path.normpath(path)) for path in paths if path and os.path.isabs(path)]
