"""What the reload does for registrations derived from changed code (harness.more_corpus's
registrations cases, judged against a fresh import by test_engine_corpus): the cost side.
A method body edited in place derives nothing new, so nothing runs again; a changed
declaration or factory runs its ZCML file again, saying why."""

import pytest
from zope.interface import Interface
from zope.interface.registry import Components

from collective.autorestart.runtime.registry import HANDLER, in_order, registrations
from harness.engine import Outcome, edit, without_zope
from harness.fingerprint import differences
from harness.more_corpus.registrations import CASES, IN_PLACE_ONLY, ZCML_AGAIN


@pytest.mark.parametrize("name", sorted(IN_PLACE_ONLY))
def test_a_body_edit_of_registered_code_does_no_registry_work(name, tmp_path):
    before, after = CASES[name]
    outcome = edit(tmp_path, without_zope(before), without_zope(after)).outcome
    assert outcome.reloaded and not outcome.unsafe, outcome
    assert not outcome.zcml_reloaded, outcome.notes
    assert not [note for note in outcome.notes if "at import" in note or "re-registered" in note], outcome.notes


@pytest.mark.parametrize("name", sorted(ZCML_AGAIN))
def test_what_zcml_derived_from_changed_code_runs_again_saying_why(name, tmp_path):
    before, after = CASES[name]
    outcome = edit(tmp_path, without_zope(before), without_zope(after)).outcome
    assert outcome.zcml_reloaded and outcome.zcml_failure is None, outcome
    again = [note for note in outcome.notes if "/configure.zcml again: " in note]
    assert len(again) == 1 and (
        " was replaced" in again[0] or " changed" in again[0] or "configuration time" in again[0]
    )


class IEvent(Interface):
    pass


def first(event):
    pass


def second(event):
    pass


def third(event):
    pass


def test_subscribers_are_put_back_in_the_wanted_order_from_the_first_out_of_place():
    registry = Components()
    for handler in (third, first, second):
        registry.registerHandler(handler, (IEvent,), event=False)
    wanted = {first: 0, second: 1, third: 2}
    moved = in_order(
        registry, (HANDLER,), touched=lambda each: each.handler is third, position=lambda each: wanted[each.handler]
    )
    assert [registration.handler for _, registration in registrations(registry)] == [first, second, third]
    assert moved == 3


def test_a_group_none_of_whose_subscribers_was_touched_is_left_alone():
    registry = Components()
    for handler in (second, first):
        registry.registerHandler(handler, (IEvent,), event=False)
    wanted = {first: 0, second: 1}
    assert in_order(registry, (HANDLER,), touched=lambda each: False, position=lambda each: wanted[each.handler]) == 0
    assert [registration.handler for _, registration in registrations(registry)] == [second, first]


def test_what_zope_interface_caches_on_first_use_is_no_change():
    """A request may ask what a registered class implements after the facts were read:
    zope.interface then stores empty declarations on it, which no directive read."""
    from zope.interface import implementedBy, providedBy

    from collective.autorestart.runtime.zcml.derived import facts, namespace

    class Plain:
        pass

    def plain():
        pass

    read = [facts(Plain), namespace(Plain), facts(plain), facts(Plain())]
    implementedBy(Plain), providedBy(Plain()), implementedBy(plain)
    assert [facts(Plain), namespace(Plain), facts(plain), facts(Plain())] == read


def test_a_registry_left_as_it_was_is_told_from_the_cold_starts_by_its_slots(tmp_path):
    """The oracle's registry part can fail: without a reload, the adapter registered for
    the old declaration is named, and so is the slot the new one would take."""
    before, after = CASES["zcml-adapter-adapts-changed"]
    result = edit(tmp_path, without_zope(before), without_zope(after), apply=lambda state, changes: Outcome())
    stale = [line.split(": live")[0] for line in differences(result.live, result.cold) if line.startswith("registry")]
    assert stale[:2] == [
        "registry: ('adapter', ('tuple', 1, [('the object of', 'PKG.interfaces.IOther')]),"
        " ('the object of', 'PKG.interfaces.ILabel'), '')",
        "registry: ('adapter', ('tuple', 1, [('the object of', 'PKG.interfaces.IThing')]),"
        " ('the object of', 'PKG.interfaces.ILabel'), '')",
    ]
    # And the interfaces <adapter> provides as utilities: the new one's, not the old one's.
    assert stale[2:] == [
        "registry: ('utility', ('tuple', 0, []), ('interface', 'zope.interface.interfaces.IInterface'),"
        " 'PKG.interfaces.%s')" % name
        for name in ("IOther", "IThing")
    ]


def test_the_order_of_subscribers_is_part_of_the_registrys_description(tmp_path):
    before, after = CASES["zcml-subscriber-order-kept"]
    result = edit(tmp_path, without_zope(before), without_zope(before), apply=lambda state, changes: Outcome())
    key = next(path for path in result.cold if path.startswith("registry: subscribers ('handler'"))
    assert [entry[1][0] for entry in result.cold[key]] == [
        ("the object of", "PKG.handlers.on_first"),
        ("the object of", "PKG.others.on_second"),
    ]
