"""The in-process corpus beyond harness.corpus (whose cases also run end to end): edits in
the shapes real Zope/Plone add-ons have, one module per kind of dependent (cells, importers,
registrations, side effects, caches, batches), each judged by test_engine_corpus against a
fresh import of the final sources.

Each module defines, with harness.corpus's page() and source():

``CASES``
    name -> (files before, files the edit saves), paths relative to the case's package;
    ``views.py`` holds ``show(view)``, what the page shows.
``RESTARTS``
    name -> a phrase the engine's reason must contain: the cases where a reload in place
    can't equal a cold start and the engine must escalate, saying why.  Every other case
    must be applied in place and equal the fresh import.
"""

import importlib
import pkgutil

CASES = {}
RESTARTS = {}
# Which module each case comes from, for the test ids and for telling duplicates apart.
ORIGIN = {}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    _module = importlib.import_module("%s.%s" % (__name__, _info.name))
    for _name, _case in getattr(_module, "CASES", {}).items():
        if _name in CASES:
            raise ValueError("corpus case %r is in both %s and %s" % (_name, ORIGIN[_name], _info.name))
        CASES[_name] = _case
        ORIGIN[_name] = _info.name
    for _name, _why in getattr(_module, "RESTARTS", {}).items():
        if _name not in getattr(_module, "CASES", {}):
            raise ValueError("%s: RESTARTS names %r, which is not among its CASES" % (_info.name, _name))
        RESTARTS[_name] = _why
