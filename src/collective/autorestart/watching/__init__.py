"""Watching and planning, without Zope: shared by the runtime inside Zope and by the
supervisor, which watches on its own while the instance is down."""
