"""The full ZCML reload, made to survive the requests served while it runs."""

from __future__ import annotations

import logging

from collective.autorestart.runtime.repeated_warnings import RepeatedWarnings
from collective.autorestart.runtime.zcml import outside
from collective.autorestart.watching.report import raced_with_a_request

log = logging.getLogger("collective.autorestart")

# A ZCML reload rebuilds the global registry; should a request (one that went ahead after the
# gate's patience ran out) iterate it meanwhile, zope.interface trips over that
# ("dictionary changed size during iteration").  plone.reload rolls the registry back, so
# trying again is safe.
ZCML_ATTEMPTS = 3


def reload_zcml_despite_requests(quiet: RepeatedWarnings) -> list[str]:
    """Returns the registrations made outside ZCML that it registered again."""
    # Here, not at the top: plone.reload's ZCML reload needs Zope, the rest of the engine not.
    from plone.reload.zcml import reload_zcml

    with quiet.applied():
        for _ in range(ZCML_ATTEMPTS - 1):
            try:
                reload_zcml()
            except Exception as error:  # noqa: B902 - re-raised unless it is a race
                if not raced_with_a_request(error):
                    raise
                log.debug("ZCML reload raced with a request (%s), trying again", error)
            else:
                return outside.restore_outside()
        reload_zcml()  # the last attempt: whatever it raises is the answer
        return outside.restore_outside()


def minimize_zodb_caches() -> None:
    # As plone.reload's view does: cached persistent objects may hold the old registrations.
    # (Zope2.DB: a touchpoint, see touchpoints.)  Without Zope (the engine's in-process
    # tests), there is no database to minimize.
    try:
        import Zope2
    except ImportError:
        return

    if Zope2.DB is not None:
        Zope2.DB.cacheMinimize()
