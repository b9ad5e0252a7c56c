"""Side effects outside the module (issue 22, point 4): monkey patches found in the source
before a module runs again (runtime.python.patches), and what a reload discards but
something else holds, named (runtime.python.holders).  The corpus cases of
harness.more_corpus.side_effects judge the outcome against a fresh import; these test the
parts: what counts as a patch, that a failing patch module never runs, and that the check
costs a young collection, not a search of the heap, when nothing holds what was discarded."""

import gc
import importlib
import sys
import textwrap
import time
import warnings

import pytest

from collective.autorestart.runtime.python import holders
from collective.autorestart.runtime.python.batch import PythonReloader
from collective.autorestart.runtime.python.patches import PatchCheck, patched_targets
from collective.autorestart.watching.outcome import Outcome
from collective.autorestart.watching.unsafe import UnsafeKind

PATCHES = {
    "the classic shape": (
        """
        from zope.traversing import namespace
        old_traverse = namespace.view.traverse
        def traverse(self, name, ignored):
            return old_traverse(self, name, ignored)
        namespace.view.traverse = traverse
        """,
        ["zope.traversing.namespace.view.traverse"],
    ),
    "setattr and delattr": (
        'from pkg.target import Target\nsetattr(Target, "speak", len)\ndelattr(Target, "old")\n',
        ["pkg.target.Target.old", "pkg.target.Target.speak"],
    ),
    "del and augmented assignment": (
        "import pkg.target\ndel pkg.target.Target.speak\npkg.target.COUNT += 1\n",
        ["pkg.target.COUNT", "pkg.target.Target.speak"],
    ),
    "an alias": (
        "from zope.traversing import namespace\nview = namespace.view\nview.traverse = len\n",
        ["zope.traversing.namespace.view.traverse"],
    ),
    "a relative import, under an if": (
        "from ..other import Thing\nif True:\n    Thing.x = 1\n",
        ["pkg.other.Thing.x"],
    ),
    "in a function called at import, which imports its target": (
        "def apply():\n    from .target import Target\n    Target.speak = len\n\napply()\n",
        ["pkg.sub.target.Target.speak"],
    ),
    "appending to another module's list": (
        "from pkg import hooks\nhooks.HOOKS.append(len)\n",
        ["pkg.hooks.HOOKS (append)"],
    ),
    "classImplements on an imported class": (
        "from zope.interface import classImplements, Interface\nfrom pkg.target import Target\n\n"
        "class IThing(Interface):\n    pass\n\nclassImplements(Target, IThing)\n",
        ["pkg.target.Target (its interface declaration)"],
    ),
    "the module's own objects": (
        "class Thing:\n    pass\n\nThing.x = 1\nsetattr(Thing, 'y', 2)\nITEMS = []\nITEMS.append(1)\n",
        [],
    ),
    "a function that patches but is not called at import": (
        "from pkg.target import Target\n\ndef apply():\n    Target.speak = len\n",
        [],
    ),
    "methods setting their instance's attributes": (
        "from pkg.target import Target\n\nclass View(Target):\n    def __init__(self, context):\n"
        "        self.context = context\n\nView.__doc__ = 'a view'\n",
        [],
    ),
    "a local shadowing an imported name": (
        "from pkg import target\n\ndef apply(target):\n    target.x = 1\n\napply(object())\n",
        [],
    ),
    "not Python": ("def (:\n", []),
}


@pytest.mark.parametrize("name", list(PATCHES))
def test_what_is_a_patch(name):
    source, expected = PATCHES[name]
    assert patched_targets(textwrap.dedent(source), "pkg.sub.patches", "pkg.sub") == expected


def test_a_patch_the_new_source_no_longer_makes_still_needs_a_cold_start(tmp_path):
    path = tmp_path / "patches.py"
    path.write_text("def speak(self):\n    return 1\n")
    old = b"from pkg.target import Target\nTarget.speak = len\n"
    [why] = PatchCheck().check("pkg.patches", "pkg", str(path), old)
    assert why.kind is UnsafeKind.PATCHES_AT_IMPORT
    assert str(why).startswith("pkg.patches patches pkg.target.Target.speak at import")


def test_once_a_module_ran_without_patching_its_old_source_no_longer_counts(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("X = 1\n")
    check = PatchCheck()
    assert check.check("pkg.views", "pkg", str(path), None) == []
    assert check.check("pkg.views", "pkg", str(path), b"import os\nos.x = 1\n") == []


@pytest.fixture
def package(tmp_path, monkeypatch, request):
    """write(files) writes the package's files; load() imports them; reload(*modules) runs
    the engine's Python half on them, as production does, and returns its Outcome."""
    name = "side_effects_%s" % request.node.name.replace("[", "_").replace("]", "").replace("-", "_")
    monkeypatch.syspath_prepend(str(tmp_path))
    engine = PythonReloader((str(tmp_path),))

    class Package:
        def write(self, files):
            (tmp_path / name).mkdir(exist_ok=True)
            for path, text in dict({"__init__.py": ""}, **files).items():
                (tmp_path / name / path).write_text(textwrap.dedent(text))

        def load(self, *modules):
            importlib.invalidate_caches()
            loaded = [importlib.import_module("%s.%s" % (name, module)) for module in modules]
            engine.remember_sources(time.time() + 1)
            return loaded

        def reload(self, *modules):
            outcome = Outcome()
            with warnings.catch_warnings():
                # As Python's default filters do (see harness.engine.edit).
                warnings.simplefilter("ignore", ImportWarning)
                engine.reload(tuple("%s.%s" % (name, module) for module in modules), outcome)
            return outcome

    yield Package()
    for module in [module for module in sys.modules if module.split(".")[0] == name]:
        del sys.modules[module]


TARGET = 'class Target:\n    def speak(self):\n        return "original"\n'
CLASSIC_PATCH = """
from .target import Target

old_speak = Target.speak

def speak(self):
    return "[" + old_speak(self) + "]"

Target.speak = speak
"""


def test_a_patch_module_that_would_fail_half_way_is_not_run(package):
    """The issue's earlypatches/security.py: run again and failing after its first lines,
    it left every request failing on NameError: name 'old_traverse' is not defined."""
    package.write({"target.py": TARGET, "patches.py": CLASSIC_PATCH})
    target, patches = package.load("target", "patches")
    assert target.Target().speak() == "[original]"
    package.write({"patches.py": "del old_speak\n" + CLASSIC_PATCH.replace('"["', '"<"') + "\nundefined_name\n"})
    outcome = package.reload("patches")
    assert [why.kind for why in outcome.unsafe] == [UnsafeKind.PATCHES_AT_IMPORT]
    assert "Target.speak" in str(outcome.unsafe[0])
    assert outcome.failed_modules == {} and outcome.reloaded == []
    assert target.Target().speak() == "[original]"
    assert patches.old_speak is not None


REGISTRY = "REGISTRY = []\n\ndef register(cls):\n    REGISTRY.append(cls)\n    return cls\n"
REGISTERED = """
from .registry import register

@register
class Plugin:
    def name(self):
        return %r
"""


def test_a_discarded_class_held_by_another_module_is_named(package):
    package.write({"registry.py": REGISTRY, "plugins.py": REGISTERED % "before"})
    package.load("registry", "plugins")
    package.write({"plugins.py": REGISTERED % "after"})
    outcome = package.reload("plugins")
    assert outcome.reloaded and not outcome.failed_modules
    [why] = outcome.unsafe
    assert why.kind is UnsafeKind.HELD_ELSEWHERE
    assert why.subject.endswith(".plugins.Plugin") and why.detail.endswith(".registry.REGISTRY")


def test_a_holder_further_than_the_search_goes_is_still_a_holder(package, monkeypatch):
    monkeypatch.setattr(holders, "LEVELS", 1)
    package.write({"registry.py": REGISTRY, "plugins.py": REGISTERED % "before"})
    package.load("registry", "plugins")
    package.write({"plugins.py": REGISTERED % "after"})
    [why] = package.reload("plugins").unsafe
    assert why.kind is UnsafeKind.HELD_ELSEWHERE and why.subject.endswith(".plugins.Plugin")
    assert why.detail == "something the search did not name (through a list)"


def test_objects_the_module_code_promoted_to_the_old_generation_are_no_false_alarm(package):
    """User code that collects itself moves what the reload made out of the young
    generations: the check then searches, and finds that nothing holds it."""
    source = "import gc\n\nclass Thing:\n    def text(self):\n        return %r\n\ngc.collect()\n"
    package.write({"things.py": source % "before"})
    (things,) = package.load("things")
    package.write({"things.py": source % "after"})
    outcome = package.reload("things")
    assert outcome.unsafe == [] and outcome.failed_modules == {} and outcome.reloaded
    assert things.Thing().text() == "after"


def many_classes(text, count=200):
    parts = ["from zope.interface import Interface, implementer\n\nclass IThing(Interface):\n    pass\n"]
    for number in range(count):
        parts.append(
            "@implementer(IThing)\nclass Thing%d(%s):\n    def text(self):\n        return %r\n\n"
            "    @property\n    def me(self):\n        return self\n"
            % (number, "object" if number == 0 else "Thing%d" % (number - 1), text)
        )
    return "\n".join(parts)


def test_on_a_big_heap_the_check_is_a_young_collection(package, monkeypatch, figures):
    """200 classes discarded and held by nothing, on a heap of two million objects (a Plone
    site has two to three): no search of the heap, and a few milliseconds."""
    package.write({"things.py": many_classes("before")})
    (things,) = package.load("things")
    gc.disable()  # built faster without the collections its growth triggers ...
    try:
        heap = [[] for _ in range(2_000_000)]
    finally:
        gc.enable()
    gc.collect()  # ... then in the old generation, as a long-running process has its objects
    searched = []
    monkeypatch.setattr(holders, "_holders", lambda targets: searched.append(targets) or {})
    timed = []
    check = holders.held_elsewhere

    def timing(discarded, module):
        start = time.perf_counter()
        try:
            return check(discarded, module)
        finally:
            timed.append(time.perf_counter() - start)

    monkeypatch.setattr("collective.autorestart.runtime.python.batch.held_elsewhere", timing)
    package.write({"things.py": many_classes("after")})
    outcome = package.reload("things")
    assert outcome.unsafe == [] and outcome.failed_modules == {}
    assert searched == []
    assert things.Thing199().text() == "after"
    figures.append("holders check, 200 classes discarded, heap of %d objects: %.1f ms" % (len(heap), timed[0] * 1000))
    del heap
