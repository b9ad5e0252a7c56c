"""Unit tests of the import statements that copy a module's names by value."""

import os
import textwrap

from collective.autorestart.watching.importers import Binding, ImportIndex, bindings


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


def test_a_star_import_always_runs_the_importer_again():
    found = bindings("from .config import *\n", package="acme")
    assert found == {"acme.config": [Binding("*", "*", True)]}


def test_the_index_parses_a_file_again_only_once_it_changed(tmp_path):
    path = tmp_path / "views.py"
    path.write_text("from .config import A\n")
    index = ImportIndex()
    assert list(index.of(str(path), "acme")) == ["acme.config"]
    first = index.of(str(path), "acme")
    assert index.of(str(path), "acme") is first
    path.write_text("from .other import B, C\n")
    os.utime(path, ns=(1, 1))
    assert list(index.of(str(path), "acme")) == ["acme.other"]


def test_a_file_that_does_not_parse_imports_nothing(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("from .config import (\n")
    assert ImportIndex().of(str(path), "acme") == {}
    assert ImportIndex().of(str(tmp_path / "gone.py"), "acme") == {}
