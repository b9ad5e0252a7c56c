"""Create the Plone site ``Plone`` (classic UI, no example content) unless the ZODB has one:
``bin/instance run create_plone_site.py``. Works on Plone 6.0 (``addPloneSite``) and on 6.1
and later (plone.distribution's ``classic``)."""

import sys

import transaction
from AccessControl.SecurityManagement import newSecurityManager
from Testing.makerequest import makerequest

SITE_ID = "Plone"


def create_site(app, site_id):
    try:
        from plone.distribution.api.site import create
    except ImportError:  # Plone 6.0 has no distributions
        from Products.CMFPlone.factory import addPloneSite

        return addPloneSite(
            app,
            site_id,
            extension_ids=["plone.app.contenttypes:default", "plonetheme.barceloneta:default"],
            setup_content=False,
        )
    answers = {
        "site_id": site_id,
        "title": "Plone",
        "description": "",
        "default_language": "en",
        "portal_timezone": "UTC",
        "setup_content": False,
    }
    return create(app, "classic", answers)


def main(app):
    if SITE_ID in app.objectIds():
        print("create_plone_site: %s exists already" % SITE_ID, file=sys.stderr)
        return
    app = makerequest(app)
    admin = app.acl_users.getUser("admin")
    newSecurityManager(None, admin.__of__(app.acl_users))
    create_site(app, SITE_ID)
    transaction.commit()
    print("create_plone_site: created %s" % SITE_ID, file=sys.stderr)


# bin/instance run executes this file with the Zope application bound to ``app``.
main(app)  # noqa: F821
