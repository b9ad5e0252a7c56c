"""Inside Zope: watch the code, plan what a change needs, reload it, report."""
