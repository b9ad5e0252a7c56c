"""The recipe on zc.buildout.testing, as zc.recipe.testrunner's tests drive theirs: a real
``Buildout`` in a temporary directory with sections added, so that the recipe gets buildout's
own ``Options``.  Nothing is downloaded and no bin/buildout runs."""

import contextlib

import zc.buildout.easy_install
import zc.buildout.testing

PART = "autoreload"
# What zc.buildout.buildout.Buildout() sets for the whole process; the tests' fixture
# (conftest.py, buildout_global_state) puts these back.
INSTALLER_STATE = (
    "_versions",
    "_prefer_final",
    "_use_dependency_links",
    "_index_url",
    "_allow_picked_versions",
    "_store_required_by",
    "_download_cache",
    "_install_from_cache",
)


def installer_state():
    return {name: getattr(zc.buildout.easy_install.Installer, name) for name in INSTALLER_STATE}


def make_buildout(tmp_path, develop="src", instance=None):
    """A buildout in tmp_path with an [instance] part; the part under test is added by add_part."""
    (tmp_path / "src").mkdir(exist_ok=True)
    with contextlib.chdir(tmp_path):
        buildout = zc.buildout.testing.Buildout()
    buildout["buildout"]["develop"] = develop
    if instance is None:
        instance = {
            "recipe": "plone.recipe.zope2instance",
            "eggs": "Zope\nmy.package\ncollective.autorestart",
            "location": "${buildout:parts-directory}/instance",
        }
    buildout["instance"] = instance
    return buildout


def add_part(buildout, **options):
    """The part under test, with options as keyword arguments (underscores for hyphens)."""
    options = {key.replace("_", "-"): value for key, value in options.items()}
    buildout[PART] = dict(options, recipe="collective.autorestart")
    return buildout[PART]


def parse_part(tmp_path, buildout=None, **options):
    """What the recipe makes of the part's options: ``recipe.options.parse``'s settings."""
    from collective.autorestart.recipe import options as parsing

    buildout = buildout or make_buildout(tmp_path)
    return parsing.parse(PART, buildout, add_part(buildout, **options))
