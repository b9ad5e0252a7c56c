"""runtime.caches: what the reload empties, what it leaves, and what the log line says.
Whether the reloaded package then equals a fresh import is test_engine_corpus's (the cases
of harness.more_corpus.caches)."""

import functools
import sys
import types

from collective.autorestart.runtime.caches import CacheClearer
from collective.autorestart.watching.modules import ModuleIndex
from harness.engine import edit, without_zope
from harness.more_corpus.caches import CASES


def _clearer(tmp_path):
    """As the runtime makes it: the watched modules are the Python reloader's index's."""
    return CacheClearer(ModuleIndex((str(tmp_path),)))


def _module(tmp_path, name, text):
    """A module of a watched root, imported."""
    path = tmp_path / (name + ".py")
    path.write_text(text)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    exec(compile(text, str(path), "exec"), vars(module))
    sys.modules[name] = module
    return module


def test_the_reload_line_says_which_caches_it_emptied(tmp_path):
    before, after = CASES["lru-cache-of-a-changed-callee"]
    result = edit(tmp_path, without_zope(before), without_zope(after))
    assert "cleared 1 functools cache" in result.outcome.notes, result.outcome.notes


def test_a_reload_with_nothing_cached_says_nothing_of_caches(tmp_path):
    before, after = CASES["lru-cache-body"]
    result = edit(tmp_path, without_zope(before), without_zope(after))
    assert not [note for note in result.outcome.notes if "cleared" in note], result.outcome.notes


def test_libraries_not_loaded_are_not_imported(tmp_path, monkeypatch):
    for name in ("zope.ramcache.ram", "plone.memoize.forever", "plone.supermodel"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    assert _clearer(tmp_path).clear([]) is None
    assert "zope.ramcache.ram" not in sys.modules and "plone.memoize.forever" not in sys.modules


def test_only_the_watched_modules_caches_are_emptied(tmp_path):
    watched = _module(tmp_path, "autorestart_cached", "import functools\n\n@functools.cache\ndef f(x):\n    return x\n")
    elsewhere = functools.cache(lambda x: x)
    watched.f(1)
    elsewhere(1)
    try:
        assert _clearer(tmp_path).clear([]) == "cleared 1 functools cache"
        assert watched.f.cache_info().currsize == 0 and elsewhere.cache_info().currsize == 1
    finally:
        del sys.modules[watched.__name__]


def test_a_container_the_import_fills_is_left_alone(tmp_path):
    """Only what the module's import leaves empty is a cache a cold start has empty."""
    memo = _module(
        tmp_path,
        "autorestart_memo",
        "SEEDED = {'kept': 1}\nRESULTS = {}\n\n"
        "def memoize(function):\n"
        "    def wrapper(*args):\n"
        "        SEEDED[args] = RESULTS[args] = function(*args)\n"
        "        return RESULTS[args]\n"
        "    wrapper.__wrapped__ = function\n"
        "    return wrapper\n",
    )
    user = _module(
        tmp_path, "autorestart_user", "import autorestart_memo\n\n@autorestart_memo.memoize\ndef f():\n    return 1\n"
    )
    try:
        user.f()
        assert _clearer(tmp_path).clear([user.__name__]) == "cleared 1 package memo dict"
        assert memo.RESULTS == {} and memo.SEEDED == {"kept": 1, (): 1}
    finally:
        for module in (memo, user):
            del sys.modules[module.__name__]


def test_persistent_objects_keep_their_cached_properties(tmp_path):
    """A cold start loads a persistent object with the value it was stored with."""
    things = _module(
        tmp_path,
        "autorestart_things",
        "import functools\n\n"
        "class Thing:\n    @functools.cached_property\n    def label(self):\n        return 'before'\n\n"
        "class Stored(Thing):\n    _p_oid = None\n",
    )
    try:
        thing, stored = things.Thing(), things.Stored()
        assert (thing.label, stored.label) == ("before", "before")
        assert _clearer(tmp_path).clear([things.__name__]) == "cleared 1 cached_property value"
        assert "label" not in vars(thing) and vars(stored) == {"label": "before"}
    finally:
        del sys.modules[things.__name__]


def test_library_dicts_are_emptied_and_counted(tmp_path, monkeypatch):
    """plone.supermodel's parsed models (faked: it needs more than the engine's tests have)."""
    supermodel = types.ModuleType("plone.supermodel")
    supermodel._model_cache = {"/src/pkg/models/a.xml": object(), "/src/pkg/models/b.xml": object()}
    monkeypatch.setitem(sys.modules, "plone.supermodel", supermodel)
    assert _clearer(tmp_path).clear([]) == "cleared 2 parsed supermodel files"
    assert supermodel._model_cache == {}
