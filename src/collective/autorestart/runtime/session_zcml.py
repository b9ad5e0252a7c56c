"""The site ZCML of a ``runwsgi-autoreload`` session: the instance's own, then the session's
slug (its config, and ``<include package="collective.autorestart" />``).

A buildout instance loads the recipe's slug from etc/package-includes; an instance made for
runwsgi (mkwsgiinstance, cookiecutter-zope-instance) has no such file, and a bare Zope loads
no autoinclude plugin either.  So the command names its slug in the environment, and its
processes (``runtime/serve.py``, the template) make Zope's ``load_site`` include it after the
instance's site.zcml, in the same configuration machine, as if the site.zcml ended with it.
Plain ``runwsgi`` never runs this code.
"""

from __future__ import annotations

import os

from collective.autorestart.contract import SESSION_SLUG_VARIABLE


def session_slug() -> str | None:
    return os.environ.get(SESSION_SLUG_VARIABLE) or None


def instance_site_zcml() -> str:
    """The file Zope's load_site loads: the instance's etc/site.zcml, or Zope's own."""
    from App.config import getConfiguration

    site_zcml = os.path.join(getConfiguration().instancehome, "etc", "site.zcml")
    if not os.path.exists(site_zcml):
        import Zope2.utilities

        site_zcml = os.path.join(os.path.dirname(Zope2.utilities.__file__), "skel", "etc", "site.zcml")
    return site_zcml


def site_files() -> list[str]:
    """What the site's ZCML is, in order: the instance's, then the session's slug if any."""
    slug = session_slug()
    return [instance_site_zcml()] + ([slug] if slug else [])


_installed = False


def install() -> None:
    """From now on Zope loads the session's slug after the site.zcml: at start-up and at a
    full ZCML reload (plone.reload calls ``Zope2.App.zcml.load_site`` again).  Done once
    Zope has read its configuration, as its start-up imports Zope2.App.zcml only then; and
    once per process: a forked child inherits it, and its own load_site hook with it."""
    if session_slug() is None:
        return
    import Zope2

    configure = Zope2._configure_wsgi

    def configure_then_install() -> None:
        global _installed
        configure()
        if not _installed:
            from Zope2.App import zcml

            zcml.load_site = load_site
            _installed = True

    Zope2._configure_wsgi = configure_then_install


def load_site(force: bool = False) -> None:
    """``Zope2.App.zcml.load_site``, with one more file: what ``xmlconfig.file`` does for
    one, for each of ``site_files()``."""
    from zope.configuration import config, xmlconfig
    from Zope2.App import zcml

    if zcml._initialized and not force:
        return
    zcml._initialized = True
    machine = config.ConfigurationMachine()
    xmlconfig.registerCommonDirectives(machine)
    for path in site_files():
        xmlconfig.include(machine, path)
    machine.execute_actions()
    zcml._context = machine
