"""GenericSetup profile files: watched, planned as what no reload applies, by profile."""

import pytest

from collective.autorestart.contract import DEFAULTS
from collective.autorestart.watching.batcher import Change
from collective.autorestart.watching.filters import watch_filter
from collective.autorestart.watching.planner import make_plan

FILTER = watch_filter(DEFAULTS["include"], DEFAULTS["restart_on"], DEFAULTS["exclude"])


@pytest.mark.parametrize(
    "path, accepted",
    [
        ("/src/pkg/profiles/default/metadata.xml", True),
        ("/src/pkg/profiles/default/types/Thing.xml", True),
        ("/src/pkg/profiles/uninstall/registry/main.xml", True),
        # Not a profile: a supermodel schema, read when the code asks for it.
        ("/src/pkg/models/thing.xml", False),
        ("/src/pkg/profiles/default/.metadata.xml.swp", False),
        ("/src/pkg/profiles/default/metadata.xml~", False),
    ],
)
def test_profile_files_are_watched(path, accepted):
    assert FILTER.accepts_file(path) is accepted


def test_the_start_up_line_says_profiles_are_watched():
    assert repr(FILTER).endswith(", profiles=profiles/**/*.xml)")


def test_profile_files_are_planned_by_profile_and_reload_nothing():
    loaded = {"/src/pkg/__init__.py": "pkg", "/src/pkg/views.py": "pkg.views"}
    changes = {
        "/src/pkg/profiles/default/metadata.xml": Change.CHANGED,
        "/src/pkg/profiles/default/types/Thing.xml": Change.CREATED,
        "/src/pkg/profiles/uninstall/registry.xml": Change.DELETED,
        "/src/loose/profiles/default/metadata.xml": Change.CHANGED,
    }
    plan = make_plan(changes, loaded)
    assert dict(plan.profiles) == {
        "/src/loose/profiles/default": ("/src/loose/profiles/default/metadata.xml",),
        "pkg:default": ("/src/pkg/profiles/default/metadata.xml", "/src/pkg/profiles/default/types/Thing.xml"),
        "pkg:uninstall": ("/src/pkg/profiles/uninstall/registry.xml",),
    }
    assert not plan.needs_reload and plan.restart is None and plan.ignored == ()
