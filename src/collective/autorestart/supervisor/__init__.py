"""``bin/instance-autoreload``: run the Zope instance in the foreground with autoreload on.

The generated script calls ``main()`` with the paths baked in by the recipe, then ``--``
and the user's own arguments, which are passed on to Zope's WSGI server.  ``runwsgi-autoreload``
(``collective.autorestart.project``) runs an instance made for runwsgi through the same
``supervise``, with a ``Launch`` of its own.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from dataclasses import dataclass, field

from collective.autorestart.contract import (
    MODULES_VARIABLE,
    SWITCH_VALUE,
    SWITCH_VARIABLE,
    TEMPLATE_MODULE,
    ConfigError,
)
from collective.autorestart.watching.config import read_slug

LOG_FORMAT = "%(asctime)s %(levelname)-7.7s [%(name)s][supervisor] %(message)s"
ZOPE_SERVE_MODULE = "Zope2.Startup.serve"


@dataclass
class Launch:
    """How a session runs Zope's processes: the instance, the template, the import check."""

    # What runs a module with the instance's packages: [python, bin/interpreter] in a
    # buildout, [python] in a virtualenv.
    python: list[str]
    wsgi_ini: str
    slug: str
    zope_arguments: list[str]
    # The instance's own environment on top of ours (INSTANCE_HOME in a buildout).
    environment: dict[str, str] = field(default_factory=dict)
    serve_module: str = ZOPE_SERVE_MODULE
    # The instance's home, if its site.zcml must load the slug itself (a buildout's).
    instance_home: str | None = None
    # What the template is built with beside its modules (out of date once it changed):
    # the interpreter script; python's own executable by default.
    built_with: str = ""

    def serve_arguments(self):
        """Zope's serve, as ``bin/instance fg`` runs it, with debug mode on in the same two ways."""
        return [self.wsgi_ini, "-d", "debug-mode=on"] + self.zope_arguments

    def instance_command(self):
        return self.python + ["-m", self.serve_module] + self.serve_arguments()

    def template_command(self, modules_file):
        return (
            self.python
            + [
                "-m",
                TEMPLATE_MODULE,
                # Positional: the interpreter script reads options (getopt) up to the first one.
                self.slug,
                self.built_with or self.python[0],
                modules_file,
            ]
            + self.serve_arguments()
        )

    def instance_environment(self, modules_file=None):
        env = dict(os.environ)
        env.update(self.environment)
        env[SWITCH_VARIABLE] = SWITCH_VALUE
        if modules_file is not None:
            env[MODULES_VARIABLE] = modules_file
        return env


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


def buildout_launch(arguments):
    """The launch of a buildout's instance (plone.recipe.zope2instance's part)."""
    return Launch(
        python=[sys.executable, arguments.interpreter],
        wsgi_ini=arguments.wsgi_ini,
        slug=arguments.slug,
        zope_arguments=arguments.zope_arguments,
        environment={"INSTANCE_HOME": arguments.instance_home},
        instance_home=arguments.instance_home,
        built_with=arguments.interpreter,
    )


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    try:
        config = read_slug(arguments.slug)
    except (OSError, ConfigError) as error:
        print(
            "collective.autorestart: cannot read %s (%s); run bin/buildout again." % (arguments.slug, error),
            file=sys.stderr,
        )
        return 2
    return supervise(buildout_launch(arguments), config)


def supervise(launch, config):
    """Run the session to its end; its exit status."""
    from collective.autorestart.supervisor.template import Template

    logging.basicConfig(level=config.log_level, format=LOG_FORMAT, stream=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="autorestart-") as scratch:
        modules_file = os.path.join(scratch, "modules.txt") if config.fast_restart else None
        env = launch.instance_environment(modules_file)
        template = Template(launch.template_command(modules_file), env) if modules_file else None
        return _supervise(launch, config, env, template)


def _supervise(launch, config, env, template):
    from collective.autorestart.supervisor.diagnosis import Diagnosis
    from collective.autorestart.supervisor.ports import listen_address
    from collective.autorestart.supervisor.session import Supervisor
    from collective.autorestart.watching.factory import make_watch_service

    supervisor = Supervisor(
        launch.instance_command(),
        env,
        config,
        # While the instance is down, the supervisor watches with the runtime's own code.
        lambda on_batch, changed_since: make_watch_service(config, on_batch, changed_since=changed_since),
        listen=listen_address(launch.wsgi_ini),
        diagnosis=Diagnosis(launch.python, launch.slug, launch.instance_home),
        template=template,
    )
    return supervisor.run()
