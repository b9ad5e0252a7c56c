"""Unit tests of what a module's source uses of other modules while it is imported (parse),
of the index of the watched files, and of which importers a change runs again
(to_run_again); then, through the engine, that a name used only in function bodies runs
nothing again."""

import os
import textwrap

from collective.autorestart.watching.importers import (
    ATTRIBUTE,
    BASE,
    CALL,
    VALUE,
    Binding,
    Graph,
    ImportIndex,
    bindings,
    parse,
    to_run_again,
)
from harness.engine import edit, production_apply, without_zope
from harness.more_corpus.importers import CASES, DECO, DECO_AFTER


def at_import(text, module="acme.views", package="acme"):
    return parse(textwrap.dedent(text), module, package).at_import


def test_relative_and_absolute_imports_resolve_to_module_names():
    found = bindings(
        textwrap.dedent(
            """\
            from .config import TIMEOUT
            from ..shared import helper as shared_helper
            from acme.settings import DEBUG
            from . import config
            """
        ),
        package="acme.sub",
    )
    assert found["acme.sub.config"] == [Binding("TIMEOUT", "TIMEOUT", False)]
    assert found["acme.shared"] == [Binding("shared_helper", "helper", False)]
    assert found["acme.settings"] == [Binding("DEBUG", "DEBUG", False)]
    assert found["acme.sub"] == [Binding("config", "config", False)]


def test_a_name_used_while_the_module_is_imported_needs_the_module_run_again():
    found = bindings(
        textwrap.dedent(
            """\
            from .config import TIMEOUT, LIMIT, LABEL, COLOR, SIZE, LATE

            DOUBLE = TIMEOUT * 2


            class Thing:
                label = LABEL


            @decorate(COLOR)
            def run(size=SIZE):
                return LIMIT + LATE


            LATE = 3
            """
        ),
        package="acme",
    )
    used = {binding.local: binding.used_at_import for binding in found["acme.config"]}
    # Only LIMIT is read nowhere but inside a function body when it is called.
    assert used == {"TIMEOUT": True, "LIMIT": False, "LABEL": True, "COLOR": True, "SIZE": True, "LATE": True}


def test_imports_inside_functions_are_left_out_and_those_in_blocks_are_found():
    found = bindings(
        textwrap.dedent(
            """\
            try:
                from .fast import parse
            except ImportError:
                from .slow import parse

            def later():
                from .lazy import value
                return value
            """
        ),
        package="acme",
    )
    assert set(found) == {"acme.fast", "acme.slow"}
    # Bound twice at import time: which one wins only a run of the module tells.
    assert found["acme.fast"][0].used_at_import


def test_a_star_import_is_a_binding_of_every_name():
    found = bindings("from .config import *\n", package="acme")
    assert found == {"acme.config": [Binding("*", "*", True)]}


# Each form of reference, resolved to (module, name) with how it is used at import.


def test_from_import_and_its_alias():
    uses = at_import("from .deco import tag, tag as mark\n\n@tag\ndef a(): pass\n\n@mark\ndef b(): pass\n")
    assert uses[("acme.deco", "tag")] == {CALL}


def test_import_of_a_dotted_module_then_its_attribute():
    uses = at_import("import acme.helpers\n\nTITLE = acme.helpers.make_title()\n")
    assert uses[("acme.helpers", "make_title")] == {CALL}
    # What the chain went through is only read from.
    assert uses[("acme", "helpers")] == {ATTRIBUTE}


def test_import_of_a_module_as_an_alias():
    uses = at_import("import acme.helpers as h\n\nclass Thing(h.Base):\n    size = h.SIZE\n")
    assert uses[("acme.helpers", "Base")] == {BASE}
    assert uses[("acme.helpers", "SIZE")] == {VALUE}


def test_from_package_import_module_then_its_attribute():
    uses = at_import("from acme import deco\n\n@deco.tag\ndef show(view): pass\n")
    assert uses[("acme.deco", "tag")] == {CALL}
    # deco may be a name of acme rather than a submodule: it is read from, either way.
    assert uses[("acme", "deco")] == {ATTRIBUTE}


def test_relative_import_of_a_module_then_its_attribute():
    uses = at_import("from . import config\n\ndef show(view, limit=config.LIMIT):\n    return limit\n")
    assert uses[("acme.config", "LIMIT")] == {VALUE}


def test_star_import_reaches_names_not_bound_otherwise():
    uses = at_import("from .deco import *\nfrom .other import plain\n\n@tag\ndef show(view):\n    return plain\n")
    assert uses[("acme.deco", "tag")] == {CALL}
    assert ("acme.deco", "plain") not in uses


def test_a_decorator_factory_and_a_metaclass_are_calls():
    uses = at_import("from . import deco, meta\n\n@deco.tag('x')\nclass Thing(metaclass=meta.Meta):\n    pass\n")
    assert uses[("acme.deco", "tag")] == {CALL}
    assert uses[("acme.meta", "Meta")] == {CALL}


def test_an_attribute_read_from_a_name_is_a_use_of_its_code():
    uses = at_import("from . import config\n\nTIMEOUT = config.Settings.timeout\n")
    assert uses[("acme.config", "Settings")] == {ATTRIBUTE}


def test_a_module_level_alias_is_the_name_it_stands_for():
    uses = at_import("from . import deco\n\n_tag = deco.tag\n\n@_tag\ndef show(view): pass\n")
    assert CALL in uses[("acme.deco", "tag")]


def test_function_bodies_are_not_run_at_import_unless_the_module_calls_them():
    uses = at_import(
        """\
        from . import helpers, other

        def later():
            return helpers.make_title()

        def _setup():
            return other.compute()

        _setup()
        handler = lambda: helpers.other()
        """
    )
    assert ("acme.helpers", "make_title") not in uses and ("acme.helpers", "other") not in uses
    assert uses[("acme.other", "compute")] == {CALL}


def test_annotations_are_used_at_import_unless_postponed():
    text = "from . import config\n\ndef greet(name: config.KIND) -> config.RESULT:\n    return name\n"
    assert {("acme.config", "KIND"), ("acme.config", "RESULT")} <= set(at_import(text))
    assert ("acme.config", "KIND") not in at_import("from __future__ import annotations\n" + text)


def test_what_only_type_checkers_import_is_not_used():
    uses = at_import("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import types\n    X = types.T\n")
    assert ("acme.types", "T") not in uses


def test_what_each_definition_refers_to_and_its_digest():
    text = (
        "from . import helpers\n\ndef tag(function):\n    return _mark(function)\n\n"
        "def _mark(function):\n    return helpers.x\n"
    )
    uses = parse(text, "acme.deco", "acme")
    assert uses.refers["tag"] == {("acme.deco", "_mark")}
    assert ("acme.helpers", "x") in uses.refers["_mark"]
    assert uses.definitions == {"tag", "_mark"}
    moved = parse("\n\n" + text, "acme.deco", "acme")
    # Where a statement is does not matter; what it says does.
    assert moved.digests == uses.digests
    assert parse(text.replace("helpers.x", "helpers.y"), "acme.deco", "acme").digests["tag"] == uses.digests["tag"]


# Which importers a change runs again.


def _modules(**sources):
    return {"acme." + name: parse(textwrap.dedent(text), "acme." + name, "acme") for name, text in sources.items()}


def _again(modules, origin, replaced=(), in_place=()):
    graph = Graph().update(modules)
    return [rerun.module for rerun in to_run_again(graph, origin, set(replaced), set(in_place), list(modules))]


def test_a_function_updated_in_place_runs_again_only_its_callers_at_import():
    modules = _modules(
        helpers="def make_title():\n    return 'x'\n",
        caller="from . import helpers\nTITLE = helpers.make_title()\n",
        holder="from . import helpers\nHANDLERS = [helpers.make_title]\n",
        later="from .helpers import make_title\ndef show():\n    return make_title()\n",
    )
    assert _again(modules, "acme.helpers", in_place={"make_title"}) == ["acme.caller"]
    # A new object: whoever kept the old one at import needs it again.
    assert _again(modules, "acme.helpers", replaced={"make_title"}) == ["acme.caller", "acme.holder"]


def test_a_change_reaches_the_callers_of_what_calls_it_and_importers_of_values_computed_again():
    modules = _modules(
        views="from . import middle\nTITLE = middle.title()\nLABEL = middle.LABEL\n",
        middle="from . import helpers\ndef title():\n    return helpers.make_title()\nLABEL = helpers.make_title()\n",
        helpers="def make_title():\n    return 'x'\n",
    )
    # Dependencies first, whatever sys.modules's order.
    assert _again(modules, "acme.helpers", in_place={"make_title"}) == ["acme.middle", "acme.views"]


def test_a_base_class_runs_its_subclasses_again_only_when_subclassing_runs_changed_code():
    modules = _modules(
        base="class Plain:\n    def m(self): pass\nclass Hooked:\n    def __init_subclass__(cls): pass\n"
        "class Derived(Hooked):\n    pass\n",
        plain="from . import base\nclass A(base.Plain):\n    pass\n",
        hooked="from . import base\nclass B(base.Hooked):\n    pass\n",
        derived="from .base import Derived\nclass C(Derived):\n    pass\n",
    )
    assert _again(modules, "acme.base", in_place={"Plain"}) == []
    assert _again(modules, "acme.base", in_place={"Hooked"}) == ["acme.hooked", "acme.derived"]
    assert _again(modules, "acme.base", replaced={"Plain"}) == ["acme.plain"]


def test_an_import_cycle_ends():
    modules = _modules(
        a="from . import b\nTITLE = b.title()\ndef helper():\n    return TITLE\n",
        b="from . import a\ndef title():\n    return a.helper()\nVALUE = a.TITLE\n",
    )
    assert _again(modules, "acme.b", in_place={"title"}) == ["acme.a"]


# The index.


def test_the_index_parses_a_file_again_only_once_it_changed_and_says_what_changed(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("from .config import A\n\ndef f():\n    return 1\n\ndef g():\n    return 1\n")
    index = ImportIndex()
    first = index.of(str(path), "acme.views", "acme")
    assert list(first.bindings) == ["acme.config"]
    assert index.of(str(path), "acme.views", "acme") is first
    # Nothing seen before the first parse: unknown, not "nothing".
    assert index.changed_definitions(str(path)) is None
    path.write_text("from .other import B, C\n\ndef f():\n    return 2\n\ndef g():\n    return 1\n")
    os.utime(path, ns=(1, 1))
    assert list(index.of(str(path), "acme.views", "acme").bindings) == ["acme.other"]
    # Only definitions count: f changed, g did not, imports are not definitions.
    assert index.changed_definitions(str(path)) == {"f"}
    # Told once: the next question compares with what runs now.
    assert index.changed_definitions(str(path)) == set()


def test_a_module_run_again_for_its_imports_has_no_changed_definitions(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("def f():\n    return 1\n")
    index = ImportIndex()
    index.of(str(path), "acme.views", "acme")
    index.ran_again(str(path))
    assert index.changed_definitions(str(path)) == set()


def test_a_file_that_does_not_parse_imports_nothing(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("from .config import (\n")
    assert ImportIndex().of(str(path), "acme.broken", "acme").bindings == {}
    assert ImportIndex().of(str(tmp_path / "gone.py"), "acme.gone", "acme").at_import == {}


# Through the engine: what the outcome says.


def _package_module(outcome, suffix):
    return [name for name in outcome.reloaded if name.endswith(suffix)]


def test_a_name_used_only_in_function_bodies_runs_nothing_again(tmp_path):
    before, after = CASES["used-only-in-function-bodies"]
    outcome = edit(tmp_path, without_zope(before), without_zope(after)).outcome
    assert _package_module(outcome, ".helpers") and not _package_module(outcome, ".views"), outcome.reloaded
    assert not [note for note in outcome.notes if "views" in note], outcome.notes


def test_a_decorator_edited_in_its_module_runs_its_users_again_and_says_why(tmp_path):
    before, after = CASES["decorator-through-module"]
    outcome = edit(tmp_path, without_zope(before), without_zope(after)).outcome
    assert [name.rpartition(".")[2] for name in outcome.reloaded] == ["deco", "views"]
    assert any(note.startswith("reloaded ") and "uses tag of" in note for note in outcome.notes), outcome.notes


def test_an_import_cycle_runs_each_module_once(tmp_path):
    before, after = CASES["import-cycle"]
    outcome = edit(tmp_path, without_zope(before), without_zope(after)).outcome
    assert [name.rpartition(".")[2] for name in outcome.reloaded] == ["b", "a"]


def test_the_graph_forgets_what_a_module_parsed_again_no_longer_uses():
    modules = _modules(
        helpers="def make_title():\n    return 'x'\n", views="from . import helpers\nT = helpers.make_title()\n"
    )
    graph = Graph().update(modules)
    assert [rerun.module for rerun in to_run_again(graph, "acme.helpers", set(), {"make_title"}, list(modules))] == [
        "acme.views"
    ]
    modules["acme.views"] = parse(
        "from . import helpers\ndef later():\n    return helpers.make_title()\n", "acme.views", "acme"
    )
    graph.update(modules)
    assert to_run_again(graph, "acme.helpers", set(), {"make_title"}, list(modules)) == []
    del modules["acme.views"]
    assert "acme.views" not in graph.update(modules).modules


def test_a_class_of_the_module_subclassed_at_import_runs_no_method_body():
    text = (
        "from . import helpers\n\nclass Base:\n    def __call__(self):\n        return helpers.convert(self)\n\n"
        "class Derived(Base):\n    pass\n"
    )
    assert ("acme.helpers", "convert") not in at_import(text)
    assert at_import(text + "\nINSTANCE = Derived()\n")[("acme.helpers", "convert")] == {CALL}


def _forgetting(state, changes):
    """production_apply by a reloader that never read the sources the package was imported
    from (as for a module saved while the instance started)."""
    reloader, _ = state
    reloader.python.imports = ImportIndex()
    return production_apply(state, changes)


def test_once_the_old_source_is_known_only_the_users_of_what_changed_run_again(tmp_path):
    """The runtime reads them at its start (PythonReloader.remember_sources)."""
    other = "\n\ndef other():\n    return 1\n"
    before = {"deco.py": DECO + other, "views.py": without_zope(CASES["decorator-through-module"][0])["views.py"]}
    unrelated = {"deco.py": DECO + other.replace("1", "2")}
    outcome = edit(tmp_path / "one", before, unrelated).outcome
    assert [name.rpartition(".")[2] for name in outcome.reloaded] == ["deco"], outcome.notes
    # Without the old source, any definition may have changed: views runs again.
    outcome = edit(tmp_path / "two", before, unrelated, apply=_forgetting).outcome
    assert [name.rpartition(".")[2] for name in outcome.reloaded] == ["deco", "views"], outcome.notes
    changed = {"deco.py": DECO_AFTER + other}
    outcome = edit(tmp_path / "three", before, changed).outcome
    assert [name.rpartition(".")[2] for name in outcome.reloaded] == ["deco", "views"], outcome.notes


def test_a_remembered_source_read_with_its_stat_is_not_parsed_again(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("def f():\n    return 1\n")
    index = ImportIndex()
    index.remember(str(path), "acme.views", "acme", path.read_bytes(), os.stat(path))
    remembered = index.of(str(path), "acme.views", "acme")
    assert remembered.definitions == {"f"}
    path.write_text("def f():\n    return 2\n\ndef g():\n    return 1\n")
    os.utime(path, ns=(1, 1))
    assert index.of(str(path), "acme.views", "acme") is not remembered
    assert index.changed_definitions(str(path)) == {"f", "g"}
