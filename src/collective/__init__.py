# A pkgutil-style namespace package, not a PEP 420 one (a directory without this file).
# Many collective.* eggs (collective.monkeypatcher 1.2.1, which Plone 6.0 pins) still ship a
# pkg_resources-style collective/__init__.py.  Ahead of us on sys.path, theirs is the one
# that runs, and pkg_resources only collects portions that have an __init__.py: a PEP 420
# portion of ours would be invisible and `import collective.autorestart` would fail.  This
# file is found by pkg_resources, pkgutil and PEP 420 portions alike, in any order, and it
# needs no pkg_resources (setuptools 82 and later have none).  See tests/test_namespace.py.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)
