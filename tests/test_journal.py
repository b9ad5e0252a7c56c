"""The journal takes back every kind of change the checked reload makes, in reverse order;
and what the reload keeps stays right over several reloads of a module."""

import importlib
import sys
import textwrap

import pytest

from collective.autorestart.runtime.python.checked_reload import CheckedReloader
from collective.autorestart.runtime.python.journal import Journal


class Base:
    inherited = "base"


class Other:
    pass


def test_an_attribute_a_class_inherited_is_deleted_again():
    class Child(Base):
        own = "own"

    journal = Journal()
    journal.setattr(Child, "inherited", "child")
    journal.setattr(Child, "own", "changed")
    journal.delattr(Child, "own")
    journal.setattr(Child, "__bases__", (Other,))
    assert Child.__bases__ == (Other,) and not hasattr(Child, "own") and Child.inherited == "child"
    journal.rollback()
    assert "inherited" not in vars(Child) and Child.inherited == "base"
    assert Child.own == "own" and Child.__bases__ == (Base,)


def test_cells_functions_and_dicts_are_restored():
    def outer():
        value = "before"

        def inner():
            return value

        return inner

    inner = outer()
    original_code, namespace = inner.__code__, {"a": 1, "b": 2}
    journal = Journal()
    journal.set_cell(inner.__closure__[0], "after")
    journal.setattr(inner, "__code__", outer().__code__.replace(co_consts=(None, "replaced")))
    journal.setitem(vars(inner), "__wrapped__", outer)
    journal.keep_dict(namespace)
    namespace.clear()
    namespace.update(b=3, c=4)
    journal.rollback()
    assert inner() == "before" and inner.__code__ is original_code and "__wrapped__" not in vars(inner)
    assert list(namespace.items()) == [("a", 1), ("b", 2)]


def test_every_change_is_taken_back_even_when_one_undo_fails():
    items = ["a", "b"]
    journal = Journal()
    journal.setitem(items, 0, "x")
    journal.on_undo(lambda: 1 / 0)
    journal.setitem(items, 1, "y")
    with pytest.raises(ZeroDivisionError):
        journal.rollback()
    assert items == ["a", "b"] and len(journal) == 0


@pytest.fixture
def module(tmp_path, monkeypatch):
    """save(source) writes the module, imports it the first time, reloads it after."""
    name = "journal_case_module"
    path = tmp_path / (name + ".py")
    monkeypatch.syspath_prepend(str(tmp_path))

    def save(source):
        path.write_text(textwrap.dedent(source))
        if name not in sys.modules:
            return importlib.import_module(name)
        reloader = CheckedReloader(sys.modules[name], {})
        reloader.reload()
        assert not reloader.unsafe, reloader.unsafe
        return sys.modules[name]

    yield save
    sys.modules.pop(name, None)


def test_a_function_an_edit_added_sees_the_next_edits(module):
    """Made by the new code, it looks names up in the module, not in the namespace that
    code ran in: a second edit of what it calls reaches it."""
    module("class Widget:\n    pass\n\ndef text():\n    return 'one'\n")
    live = module(
        "class Widget:\n    pass\n\ndef text():\n    return 'two'\n\ndef show():\n    return text(), Widget\n"
    )
    show = live.show
    live = module(
        "class Widget:\n    pass\n\ndef text():\n    return 'three'\n\ndef show():\n    return text(), Widget\n"
    )
    assert live.show is show and show() == ("three", live.Widget)


def test_a_reload_taken_back_leaves_the_module_as_it_was(module):
    live = module("""
        class Base:
            def label(self):
                return "base"

        class Child(Base):
            def label(self):
                return super().label() + " one"

        ITEMS = [Child()]
        """)
    child, items = live.Child, live.ITEMS
    module_path = live.__file__
    with open(module_path, "w") as stream:
        stream.write(
            "class Base:\n    def label(self):\n        return 'new'\n\nclass Child(Base):\n    pass\n\nITEMS = []\n"
        )
    journal = Journal()
    CheckedReloader(live, {}, journal=journal).reload()
    assert live.Child().label() == "new" and live.ITEMS == []
    journal.rollback()
    assert live.Child is child and live.ITEMS is items and child().label() == "base one"
    assert items[0].label() == "base one"


def test_an_invariant_an_edit_gave_an_interface_sees_the_next_edits(module):
    """The interface is updated in place with the new code's invariant; a later edit of a
    constant alone (the interface unchanged, kept as it is) reaches that invariant."""
    interface = """
        from zope.interface import Attribute, Interface, Invalid, invariant

        LIMIT = {limit}

        class IItem(Interface):
            title = Attribute("the title"){more}

            @invariant
            def short(item):
                if len(item.title) > LIMIT:
                    raise Invalid("too long")

        class Item:
            title = "four"

        def valid():
            try:
                IItem.validateInvariants(Item())
            except Invalid:
                return False
            return True
        """
    module(interface.format(limit=10, more=""))
    assert module(interface.format(limit=10, more='\n            summary = Attribute("the summary")')).valid()
    assert not module(interface.format(limit=3, more='\n            summary = Attribute("the summary")')).valid()
