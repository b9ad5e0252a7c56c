"""``bin/instance-autoreload``: run the Zope instance in the foreground with autoreload on.

The generated script calls ``main()`` with the paths baked in by the recipe, then ``--``
and the user's own arguments, which are passed on to Zope's WSGI server.
"""

import argparse
import logging
import os
import sys
import tempfile

from collective.autorestart.contract import (
    MODULES_VARIABLE,
    SWITCH_VALUE,
    SWITCH_VARIABLE,
    TEMPLATE_MODULE,
    ConfigError,
)
from collective.autorestart.watching.config import read_slug

LOG_FORMAT = "%(asctime)s %(levelname)-7.7s [%(name)s][supervisor] %(message)s"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="instance-autoreload",
        description="Run the Zope instance in the foreground, in debug mode, and reload"
        " changed code in place (collective.autorestart).",
    )
    parser.add_argument("--instance-home", required=True)
    parser.add_argument("--interpreter", required=True)
    parser.add_argument("--wsgi-ini", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("zope_arguments", nargs=argparse.REMAINDER)
    arguments = parser.parse_args(argv)
    if arguments.zope_arguments[:1] == ["--"]:
        del arguments.zope_arguments[0]
    return arguments


def serve_arguments(arguments):
    """Zope's serve, as ``bin/instance fg`` runs it, with debug mode on in the same two ways."""
    return [arguments.wsgi_ini, "-d", "debug-mode=on"] + arguments.zope_arguments


def instance_command(arguments):
    return [sys.executable, arguments.interpreter, "-m", "Zope2.Startup.serve"] + serve_arguments(arguments)


def template_command(arguments, modules_file):
    return [
        sys.executable,
        arguments.interpreter,
        "-m",
        TEMPLATE_MODULE,
        # Positional: the interpreter script reads options (getopt) up to the first one.
        arguments.slug,
        arguments.interpreter,
        modules_file,
    ] + serve_arguments(arguments)


def instance_environment(arguments, modules_file=None):
    env = dict(os.environ)
    env["INSTANCE_HOME"] = arguments.instance_home
    env[SWITCH_VARIABLE] = SWITCH_VALUE
    if modules_file is not None:
        env[MODULES_VARIABLE] = modules_file
    return env


def main(argv=None):
    from collective.autorestart.supervisor.template import Template

    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        config = read_slug(arguments.slug)
    except (OSError, ConfigError) as error:
        print(
            "collective.autorestart: cannot read %s (%s); run bin/buildout again." % (arguments.slug, error),
            file=sys.stderr,
        )
        return 2
    logging.basicConfig(level=config.log_level, format=LOG_FORMAT, stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="autorestart-") as scratch:
        modules_file = os.path.join(scratch, "modules.txt") if config.fast_restart else None
        env = instance_environment(arguments, modules_file)
        template = Template(template_command(arguments, modules_file), env) if modules_file else None
        return _supervise(arguments, config, env, template)


def _supervise(arguments, config, env, template):
    from collective.autorestart.supervisor.diagnosis import Diagnosis
    from collective.autorestart.supervisor.ports import listen_address
    from collective.autorestart.supervisor.session import Supervisor
    from collective.autorestart.watching.factory import make_watch_service

    supervisor = Supervisor(
        instance_command(arguments),
        env,
        config,
        # While the instance is down, the supervisor watches with the runtime's own code.
        lambda on_batch, changed_since: make_watch_service(config, on_batch, changed_since=changed_since),
        listen=listen_address(arguments.wsgi_ini),
        diagnosis=Diagnosis(arguments.interpreter, arguments.slug, arguments.instance_home),
        template=template,
    )
    return supervisor.run()
