"""``runwsgi-autoreload instance/etc/zope.ini``: what ``runwsgi instance/etc/zope.ini`` does, in
the foreground, in debug mode, with autoreload on; the options as flags or in pyproject.toml."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

from collective.autorestart.contract import (
    OPTION_FIELDS,
    SESSION_SERVE_MODULE,
    SESSION_SLUG_VARIABLE,
    SLUG_NAME,
    Kind,
)
from collective.autorestart.project.instance import NoInstance, find_instance
from collective.autorestart.project.pyproject import TABLE, PyprojectError, find_pyproject, read_options
from collective.autorestart.project.settings import OptionsError, resolve

PROG = "runwsgi-autoreload"
DEFAULT_SHOWN = {
    "watch": "the directories of the packages installed in development mode (pip install -e, mxdev)",
    "threaddump-file": "var/log/zope-threaddump.txt in the instance",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run a Zope or Plone instance made for runwsgi (mkwsgiinstance,"
        " cookiecutter-zope-instance) in the foreground, in debug mode, and reload changed code"
        " in place (collective.autorestart). Options come from these flags, else from [%s] in"
        " the nearest pyproject.toml, else their defaults." % TABLE,
        epilog="Arguments after -- go to Zope's serve, as runwsgi takes them.",
    )
    parser.add_argument(
        "instance", help="the instance's zope.ini (e.g. instance/etc/zope.ini), its zope.conf or directory"
    )
    for field in OPTION_FIELDS:
        parser.add_argument("--" + field.option, **_flag(field))
    return parser


def split_arguments(argv: list[str]) -> tuple[list[str], list[str]]:
    """Ours, and Zope's (after --): flags may come before or after the instance."""
    if "--" in argv:
        index = argv.index("--")
        return argv[:index], argv[index + 1 :]
    return argv, []


def _flag(field) -> dict:
    spec = field.spec
    default = DEFAULT_SHOWN.get(field.option) or _shown(spec.default)
    keywords: dict = {"dest": field.option, "default": None}
    if spec.kind in (Kind.DIRECTORIES, Kind.NAME_GLOBS, Kind.PATH_GLOBS):
        keywords.update(action="append", metavar="DIRECTORY" if spec.kind is Kind.DIRECTORIES else "PATTERN")
        help_text = "%s; repeat it for more (default: %s)" % (spec.title, default)
    elif spec.kind is Kind.SWITCH:
        keywords.update(metavar="on|off")
        help_text = "%s (default: %s)" % (spec.title, default)
    elif spec.kind is Kind.CHOICE:
        keywords.update(metavar="|".join(spec.choices))
        help_text = "%s (default: %s)" % (spec.title, default)
    else:
        keywords.update(metavar="MS" if spec.kind is Kind.MILLISECONDS else "FILE")
        help_text = "%s (default: %s)" % (spec.title, default)
    keywords["help"] = help_text.replace("%", "%%")
    return keywords


def _shown(default) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    if isinstance(default, (list, tuple)):
        return " ".join(default)
    return str(default)


def flags_of(arguments) -> dict[str, str | None]:
    flags = {}
    for field in OPTION_FIELDS:
        value = getattr(arguments, field.option)
        flags[field.option] = "\n".join(value) if isinstance(value, list) else value
    return flags


def main(argv=None) -> int:
    from collective.autorestart.slug import render_slug
    from collective.autorestart.supervisor import Launch, supervise
    from collective.autorestart.watching.config import read_slug

    ours, zope_arguments = split_arguments(sys.argv[1:] if argv is None else list(argv))
    arguments = build_parser().parse_args(ours)
    cwd = os.getcwd()
    try:
        instance = find_instance(arguments.instance)
        project = read_options(find_pyproject(cwd))
        settings = resolve(flags_of(arguments), project, instance, cwd)
    except (NoInstance, PyprojectError, OptionsError) as error:
        print("%s: %s" % (PROG, error), file=sys.stderr)
        return 2
    source = "%s [%s] and the command line" % (project.path, TABLE) if project.path else "the command line"
    with tempfile.TemporaryDirectory(prefix="autorestart-session-") as scratch:
        slug = os.path.join(scratch, SLUG_NAME)
        with open(slug, "w") as file:
            file.write(render_slug("Written by %s from %s, for this session only." % (PROG, source), settings))
        launch = Launch(
            # -P: nothing from the current directory shadows the instance's packages, as
            # with runwsgi (a console script's path starts with its bin directory).
            python=[sys.executable, "-P"],
            wsgi_ini=instance.wsgi_ini,
            slug=slug,
            zope_arguments=zope_arguments,
            environment={SESSION_SLUG_VARIABLE: slug},
            serve_module=SESSION_SERVE_MODULE,
            built_with=sys.executable,
        )
        return supervise(launch, read_slug(slug))
