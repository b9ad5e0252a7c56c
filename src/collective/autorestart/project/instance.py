"""Which instance the command runs: the zope.ini runwsgi would get, found from what the user
named (a zope.ini, the zope.conf beside it, or the instance's directory)."""

from __future__ import annotations

import os
from dataclasses import dataclass

MAKE_ONE = "make one with mkwsgiinstance or cookiecutter-zope-instance (make config in a cookieplone project)"


class NoInstance(ValueError):
    """What the user named is not an instance made for runwsgi; the text says why and how."""


@dataclass(frozen=True)
class Instance:
    wsgi_ini: str
    # The instance's directory (the parent of etc/): what Zope writes there (var/) and what
    # was generated (etc/) are never code to reload.
    home: str


def find_instance(named: str) -> Instance:
    path = os.path.abspath(os.path.expanduser(named))
    if os.path.isdir(path):
        candidates = [os.path.join(path, "etc", "zope.ini"), os.path.join(path, "zope.ini")]
        wsgi_ini = next((candidate for candidate in candidates if os.path.isfile(candidate)), None)
        if wsgi_ini is None:
            raise NoInstance("%s holds no etc/zope.ini: name the instance's zope.ini, or %s" % (named, MAKE_ONE))
    elif os.path.isfile(path) and path.endswith(".conf"):
        wsgi_ini = os.path.join(os.path.dirname(path), "zope.ini")
        if not os.path.isfile(wsgi_ini):
            raise NoInstance(
                "%s has no zope.ini beside it, which runwsgi needs (the WSGI server and the app): %s"
                % (named, MAKE_ONE)
            )
    elif os.path.isfile(path):
        wsgi_ini = path
    else:
        raise NoInstance("%s does not exist: name the instance's zope.ini (e.g. instance/etc/zope.ini)" % named)
    etc = os.path.dirname(wsgi_ini)
    home = os.path.dirname(etc) if os.path.basename(etc) == "etc" else etc
    return Instance(wsgi_ini, home)
