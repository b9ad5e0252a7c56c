"""Inside Zope: start the watcher, reload code and ZCML, dump threads."""
