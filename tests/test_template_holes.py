"""The template's ZCML split, in-process: the site parsed with holes for the watched files,
the holes filled later, gives the actions a cold start (one ``xmlconfig.file``) executes, in
its order, overrides included; where it can't, it says which file is why.  And the watched
modules imported meanwhile stay placeholders until a child runs them."""

import importlib
import importlib.resources
import sys
import textwrap

import pytest
from zope.configuration import xmlconfig

from collective.autorestart.template import holes
from collective.autorestart.template.placeholders import Placeholders

# A directive of our own: each use is an action with a discriminator, whose execution is
# recorded, so that the order and the override winners show.
DIRECTIVE = """\
from zope.interface import Interface
from zope.schema import TextLine

EXECUTED = []


class IRecord(Interface):
    name = TextLine(title="name")
    value = TextLine(title="value", required=False)


def record(_context, name, value=""):
    _context.action(discriminator=("record", name), callable=EXECUTED.append, args=((name, value or name),))
"""
ZCML = '<configure xmlns="http://namespaces.zope.org/zope" xmlns:t="http://example.com/t">%s</configure>'


@pytest.fixture
def site(tmp_path, monkeypatch):
    """Two packages, tplbase (not watched) and tplwatched (watched), and a site.zcml."""
    counter = tmp_path.name.replace("-", "_")
    base, watched = "tplbase_%s" % counter, "tplwatched_%s" % counter
    (tmp_path / base).mkdir()
    (tmp_path / base / "__init__.py").write_text("")
    (tmp_path / base / "directive.py").write_text(DIRECTIVE)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / watched).mkdir()
    (tmp_path / "w" / watched / "__init__.py").write_text("import sys\nsys.modules[__name__].RAN = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(tmp_path / "w"))
    meta = (
        '<configure xmlns="http://namespaces.zope.org/zope" xmlns:meta="http://namespaces.zope.org/meta">'
        '<meta:directive namespace="http://example.com/t" name="record" schema=".directive.IRecord"'
        ' handler=".directive.record" /></configure>'
    )
    (tmp_path / base / "meta.zcml").write_text(meta)

    class Site:
        root = tmp_path
        roots = (str(tmp_path / "w"),)

        def write(self, package, name, body):
            directory = tmp_path / (package if package == base else "w/" + package)
            (directory / name).write_text(ZCML % textwrap.dedent(body))

        def executed(self):
            return list(sys.modules[base + ".directive"].EXECUTED)

        def reset(self):
            for name in [name for name in sys.modules if name.startswith((base, watched))]:
                del sys.modules[name]

    Site.base, Site.watched = base, watched
    yield Site()
    Site().reset()


def cold(site):
    site.reset()
    xmlconfig.file(str(site.root / site.base / "site.zcml"))
    return site.executed()


def parsed(site):
    """What the template does: the site parsed, watched modules kept from running."""
    site.reset()
    placeholders = Placeholders(site.roots)
    placeholders.install()
    try:
        return holes.parse_site([str(site.root / site.base / "site.zcml")], placeholders.watched), placeholders
    finally:
        placeholders.uninstall()


def split_then_filled(site):
    split, placeholders = parsed(site)
    placeholders.realize()
    holes.fill_and_execute(split)
    return split, site.executed()


def write_site(site, body):
    (site.root / site.base / "site.zcml").write_text(
        ZCML % ('<include package="%s" file="meta.zcml" />' % site.base + textwrap.dedent(body))
    )


def test_the_actions_are_a_cold_starts_in_its_order_overrides_included(site):
    site.write(site.base, "first.zcml", '<t:record name="a" /><t:record name="shared" value="base" />')
    site.write(site.base, "last.zcml", '<t:record name="z" />')
    site.write(site.watched, "configure.zcml", '<t:record name="w1" /><include file="more.zcml" />')
    site.write(site.watched, "more.zcml", '<t:record name="w2" />')
    site.write(site.watched, "overrides.zcml", '<t:record name="shared" value="watched override" />')
    write_site(
        site,
        """
        <include package="{base}" file="first.zcml" />
        <include package="{watched}" />
        <include package="{base}" file="last.zcml" />
        <includeOverrides package="{watched}" file="overrides.zcml" />
        """.format(base=site.base, watched=site.watched),
    )
    expected = cold(site)
    assert ("shared", "watched override") in expected and ("w2", "w2") in expected
    split, executed = split_then_filled(site)
    assert executed == expected
    assert [hole.path.rsplit("/", 1)[1] for hole in split.holes] == ["configure.zcml", "overrides.zcml"]


def test_the_template_never_runs_a_watched_module_and_the_child_runs_it_once(site):
    site.write(site.watched, "configure.zcml", '<t:record name="w" />')
    write_site(site, '<include package="%s" />' % site.watched)
    split, placeholders = parsed(site)
    module = sys.modules[site.watched]
    assert not hasattr(module, "RAN")
    assert placeholders.created == [site.watched]
    assert placeholders.realize() == [site.watched]
    assert module.RAN is True and sys.modules[site.watched] is module
    assert placeholders.realize() == []
    holes.fill_and_execute(split)
    assert site.executed() == [("w", "w")]


def test_a_file_a_hole_includes_that_the_template_parsed_later_moves_into_the_hole(site):
    """A cookieplone add-on, included before five:loadProducts, includes CMFCore's
    permissions.zcml: a cold start parses it (and what it includes) in the add-on's."""
    site.write(site.base, "shared.zcml", '<t:record name="s" /><include file="nested.zcml" /><t:record name="s2" />')
    site.write(site.base, "nested.zcml", '<t:record name="n" />')
    site.write(site.base, "again.zcml", '<include file="nested.zcml" /><t:record name="a" />')
    site.write(
        site.watched,
        "configure.zcml",
        '<t:record name="w1" /><include package="%s" file="shared.zcml" /><t:record name="w2" />' % site.base,
    )
    write_site(
        site,
        """
        <t:record name="first" />
        <include package="{watched}" />
        <t:record name="between" />
        <include package="{base}" file="shared.zcml" />
        <include package="{base}" file="again.zcml" />
        <t:record name="last" />
        """.format(base=site.base, watched=site.watched),
    )
    expected = cold(site)
    assert expected == [(name, name) for name in ("first", "w1", "s", "n", "s2", "w2", "between", "a", "last")]
    split, placeholders = parsed(site)
    placeholders.realize()
    executing = split.machine.execute_actions
    split.machine.execute_actions = lambda: (executed_actions.extend(split.machine.actions), executing())
    executed_actions: list = []
    holes.fill_and_execute(split)
    assert site.executed() == expected
    # The moved actions' include path is the hole's, as a cold start's is (conflicts and
    # overrides are decided by it).
    by_name = {action["args"][0][0]: action["includepath"] for action in executed_actions}
    assert [path.rsplit("/", 1)[1] for path in by_name["n"]] == [
        "site.zcml",
        "configure.zcml",
        "shared.zcml",
        "nested.zcml",
    ]


def test_a_later_file_that_defines_directives_or_skipped_a_file_met_after_the_hole_is_not_moved(site):
    site.write(site.base, "defines.zcml", open_meta(site))
    site.write(site.watched, "configure.zcml", '<include package="%s" file="defines.zcml" />' % site.base)
    write_site(
        site,
        '<include package="{watched}" /><include package="{base}" file="defines.zcml" />'.format(
            base=site.base, watched=site.watched
        ),
    )
    with pytest.raises(holes.CannotSplit, match=r"configure\.zcml includes .*defines\.zcml, .*defines directives"):
        split_then_filled(site)

    site.write(site.base, "middle.zcml", '<t:record name="m" />')
    site.write(site.base, "later.zcml", '<include file="middle.zcml" /><t:record name="l" />')
    site.write(site.watched, "configure.zcml", '<include package="%s" file="later.zcml" />' % site.base)
    write_site(
        site,
        """
        <include package="{watched}" />
        <include package="{base}" file="middle.zcml" />
        <include package="{base}" file="later.zcml" />
        """.format(base=site.base, watched=site.watched),
    )
    # A cold start parses middle.zcml inside later.zcml, in the hole: the template, before it.
    with pytest.raises(holes.CannotSplit, match=r"includes .*later\.zcml, .*with .*middle\.zcml in it"):
        split_then_filled(site)


def open_meta(site):
    return (
        '<meta:directive xmlns:meta="http://namespaces.zope.org/meta" namespace="http://example.com/t"'
        ' name="other" schema="%s.directive.IRecord" handler="%s.directive.record" />' % (site.base, site.base)
    )


def test_a_hole_including_a_file_the_template_parsed_before_is_split(site):
    site.write(site.base, "shared.zcml", '<t:record name="s" />')
    site.write(
        site.watched, "configure.zcml", '<include package="%s" file="shared.zcml" /><t:record name="w" />' % site.base
    )
    write_site(
        site,
        '<include package="{base}" file="shared.zcml" /><include package="{watched}" />'.format(
            base=site.base, watched=site.watched
        ),
    )
    expected = cold(site)
    assert split_then_filled(site)[1] == expected == [("s", "s"), ("w", "w")]


def test_a_module_that_uses_watched_code_at_import_fails_there_and_one_that_hides_it_is_told(site):
    failing, hiding = ("tpl%s_%s" % (kind, site.root.name.replace("-", "_")) for kind in ("failing", "hiding"))
    (site.root / (failing + ".py")).write_text("import %s\nVALUE = %s.RAN\n" % (site.watched, site.watched))
    (site.root / (hiding + ".py")).write_text(
        "try:\n    from %s import RAN\nexcept ImportError:\n    RAN = False\n" % site.watched
    )
    placeholders = Placeholders(site.roots)
    placeholders.install()
    try:
        with pytest.raises(AttributeError, match="is watched"):
            importlib.import_module(failing)
        # A failed import leaves nothing behind: the child imports it, as a cold start does.
        assert failing not in sys.modules
        assert placeholders.swallowed_uses() == []
        importlib.import_module(hiding)
        # It now holds RAN = False, which a cold start would not give it: the template says so.
        assert [(use.placeholder, use.attribute, use.importing[-1]) for use in placeholders.swallowed_uses()] == [
            (site.watched, "RAN", hiding)
        ]
    finally:
        placeholders.uninstall()
        for name in (failing, hiding):
            sys.modules.pop(name, None)


def test_a_watched_module_that_fails_in_a_child_and_those_after_it_are_imported_as_cold(site):
    (site.root / "w" / site.watched / "__init__.py").write_text("raise ValueError('broken')\n")
    (site.root / "w" / site.watched / "views.py").write_text("VALUE = 1\n")
    placeholders = Placeholders(site.roots)
    placeholders.install()
    try:
        importlib.import_module(site.watched + ".views")
    finally:
        placeholders.uninstall()
    assert placeholders.created == [site.watched, site.watched + ".views"]
    with pytest.raises(ValueError, match="broken"):
        placeholders.realize()
    # Gone, as after any failed import: the next import runs it again, and fails as a cold
    # start would; nothing half-made stays behind.
    assert site.watched not in sys.modules and site.watched + ".views" not in sys.modules
    with pytest.raises(ValueError, match="broken"):
        importlib.import_module(site.watched + ".views")


def test_a_file_moved_into_a_hole_of_include_overrides_overrides_as_in_a_cold_start(site):
    site.write(site.base, "base.zcml", '<t:record name="shared" value="base" />')
    site.write(site.base, "later.zcml", '<t:record name="shared" value="later" /><t:record name="l" />')
    site.write(site.watched, "overrides.zcml", '<include package="%s" file="later.zcml" />' % site.base)
    write_site(
        site,
        """
        <include package="{base}" file="base.zcml" />
        <includeOverrides package="{watched}" file="overrides.zcml" />
        <include package="{base}" file="later.zcml" />
        """.format(base=site.base, watched=site.watched),
    )
    expected = cold(site)
    assert ("shared", "later") in expected and ("shared", "base") not in expected
    assert split_then_filled(site)[1] == expected


def test_a_placeholder_package_s_files_are_found_as_plone_autoinclude_looks_for_them(site):
    """plone.autoinclude finds an add-on's ZCML with importlib.resources: a watched add-on
    loaded only by autoinclude (a checkout of mxdev) must leave its hole, not vanish."""
    site.write(site.watched, "configure.zcml", '<t:record name="w" />')
    placeholders = Placeholders(site.roots)
    placeholders.install()
    try:
        module = importlib.import_module(site.watched)
        assert not hasattr(module, "RAN")
        found = importlib.resources.files(site.watched) / "configure.zcml"
        assert found.is_file() and str(found) == str(site.root / "w" / site.watched / "configure.zcml")
    finally:
        placeholders.uninstall()


def test_a_watched_file_included_twice_is_parsed_at_its_first_include(site):
    """A cookieplone site includes the add-on by name before five:loadProducts, and
    plone.autoinclude includes it again later: two holes, one parse, as in a cold start."""
    site.write(site.base, "later.zcml", '<t:record name="l" />')
    site.write(site.watched, "configure.zcml", '<t:record name="w" />')
    write_site(
        site,
        """
        <include package="{watched}" />
        <include package="{base}" file="later.zcml" />
        <include package="{watched}" />
        """.format(base=site.base, watched=site.watched),
    )
    expected = cold(site)
    split, executed = split_then_filled(site)
    assert executed == expected == [("w", "w"), ("l", "l")]
    assert len(split.holes) == 2


def test_a_file_included_inside_a_later_file_and_before_it_by_the_hole_is_placed_once(site):
    site.write(site.base, "outer.zcml", '<t:record name="o1" /><include file="inner.zcml" /><t:record name="o2" />')
    site.write(site.base, "inner.zcml", '<t:record name="i" />')
    site.write(
        site.watched,
        "configure.zcml",
        '<include package="{base}" file="inner.zcml" /><t:record name="w" />'
        '<include package="{base}" file="outer.zcml" />'.format(base=site.base),
    )
    site_body = (
        '<include package="{watched}" /><t:record name="between" /><include package="{base}" file="outer.zcml" />'
    )
    write_site(site, site_body.format(base=site.base, watched=site.watched))
    expected = cold(site)
    assert expected == [(name, name) for name in ("i", "w", "o1", "o2", "between")]
    assert split_then_filled(site)[1] == expected


def test_a_hole_that_excludes_a_file_the_template_parsed_later_is_not_split(site):
    site.write(site.base, "later.zcml", '<t:record name="l" />')
    site.write(site.watched, "configure.zcml", '<exclude package="%s" file="later.zcml" />' % site.base)
    write_site(
        site,
        '<include package="{watched}" /><include package="{base}" file="later.zcml" />'.format(
            base=site.base, watched=site.watched
        ),
    )
    assert cold(site) == []
    with pytest.raises(holes.CannotSplit, match=r"configure\.zcml excludes .*later\.zcml, which the template parsed"):
        split_then_filled(site)


def test_a_later_file_testing_a_feature_provided_between_is_not_moved(site):
    site.write(
        site.base,
        "later.zcml",
        '<configure xmlns:zcml="http://namespaces.zope.org/zcml" zcml:condition="have between">'
        '<t:record name="l" /></configure>',
    )
    site.write(site.watched, "configure.zcml", '<include package="%s" file="later.zcml" />' % site.base)
    write_site(
        site,
        """
        <include package="{watched}" />
        <meta:provides xmlns:meta="http://namespaces.zope.org/meta" feature="between" />
        <include package="{base}" file="later.zcml" />
        """.format(base=site.base, watched=site.watched),
    )
    # A cold start parses later.zcml in the hole, before the feature: no record.
    assert cold(site) == []
    with pytest.raises(holes.CannotSplit, match=r"includes .*later\.zcml, .*before the feature between it tests"):
        split_then_filled(site)


def test_a_later_file_that_provides_a_feature_is_not_moved(site):
    site.write(
        site.base,
        "later.zcml",
        '<meta:provides xmlns:meta="http://namespaces.zope.org/meta" feature="late" /><t:record name="l" />',
    )
    site.write(site.watched, "configure.zcml", '<include package="%s" file="later.zcml" />' % site.base)
    write_site(
        site,
        '<include package="{watched}" /><include package="{base}" file="later.zcml" />'.format(
            base=site.base, watched=site.watched
        ),
    )
    with pytest.raises(holes.CannotSplit, match=r"includes .*later\.zcml, .*\(it provides a feature\)"):
        split_then_filled(site)
