"""``bin/instance-autoreload``: run the Zope instance in the foreground with autoreload on.

The generated script calls ``main()`` with the paths baked in by the recipe, then ``--``
and the user's own arguments, which are passed on to Zope's WSGI server.
"""
import argparse
import os
import signal
import sys

from collective.autorestart.supervisor.child import Child
from collective.autorestart.supervisor.child import Stop
from collective.autorestart.supervisor.child import exit_status


# The one switch the runtime inside Zope obeys (see README.rst, "The generated files").
SWITCH_VARIABLE = "COLLECTIVE_AUTORESTART"
SWITCH_VALUE = "1"


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog="instance-autoreload",
        description="Run the Zope instance in the foreground, in debug mode, and reload"
        " changed code in place (collective.autorestart).",
    )
    parser.add_argument("--part", required=True)
    parser.add_argument("--instance-home", required=True)
    parser.add_argument("--interpreter", required=True)
    parser.add_argument("--wsgi-ini", required=True)
    parser.add_argument("--slug", required=True)
    parser.add_argument("zope_arguments", nargs=argparse.REMAINDER)
    arguments = parser.parse_args(argv)
    if arguments.zope_arguments[:1] == ["--"]:
        del arguments.zope_arguments[0]
    return arguments


def instance_command(arguments):
    """What ``bin/instance fg`` runs, with debug mode on in the same two ways it uses."""
    return [
        sys.executable,
        arguments.interpreter,
        "-m",
        "Zope2.Startup.serve",
        arguments.wsgi_ini,
        "-d",
        "debug-mode=on",
    ] + arguments.zope_arguments


def instance_environment(arguments):
    env = dict(os.environ)
    env["INSTANCE_HOME"] = arguments.instance_home
    env[SWITCH_VARIABLE] = SWITCH_VALUE
    return env


def _raise_stop(signum, frame):
    raise Stop(signum)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    if not os.path.exists(arguments.slug):
        print(
            "collective.autorestart: %s is missing; run bin/buildout again." % arguments.slug,
            file=sys.stderr,
        )
        return 2
    child = Child(instance_command(arguments), instance_environment(arguments))
    # Our own process is not Zope: here we may handle signals.
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGHUP, _raise_stop)
    try:
        child.start()
        returncode = child.wait()
    except Stop as stop:
        # A second Ctrl-C while we wait for the child must not leave it behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        returncode = child.stop(stop.signum)
    return exit_status(returncode)
