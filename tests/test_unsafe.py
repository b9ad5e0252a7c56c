"""watching.unsafe: why a reload may not equal a cold start, as values whose text is what the
logs and the restart line say (the e2e tests and the README's Limits quote these texts)."""
import pytest

from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

TEXTS = [
    (Unsafe(UnsafeKind.CLOSURE_CHANGED, "text"),
     "the closure of text changed shape (another decorator, other free variables)"),
    (Unsafe(UnsafeKind.BASES_CHANGED, "View"), "the bases of View changed"),
    (Unsafe(UnsafeKind.BASES_CHANGED, "View", "a new base has __init_subclass__"),
     "the bases of View changed (a new base has __init_subclass__)"),
    (Unsafe(UnsafeKind.METACLASS_CHANGED, "View"), "the metaclass of View changed"),
    (Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing"), "the __slots__ of Thing changed"),
    (Unsafe(UnsafeKind.ENUM_MEMBERS_CHANGED, "Color"), "the members of the enum Color changed"),
    (Unsafe(UnsafeKind.INTERFACE_NOT_UPDATABLE, "IThing", "TypeError: no"),
     "the interface IThing could not be updated in place (TypeError: no)"),
    (Unsafe(UnsafeKind.INTERFACE_CHANGED, "IThing"), "the interface IThing changed and could not be updated in place"),
    (Unsafe(UnsafeKind.NOT_UPDATABLE, "View", "AttributeError: x"),
     "View could not be updated in place (AttributeError: x)"),
    (Unsafe(UnsafeKind.BODY_NAME_UNKNOWN, "View.render"),
     "View.render is gone from the class body or was added at start-up: can't tell which"),
    (Unsafe(UnsafeKind.REMOVED_STILL_HELD, "pkg.views", "Old, older"), "pkg.views no longer defines Old, older"),
    (Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, "/src/pkg/configure.zcml:4", "security declared on pkg.View"),
     "/src/pkg/configure.zcml:4 can't be taken back (security declared on pkg.View) and is gone or changed"),
    (Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing", within="autotest.app.views"),
     "autotest.app.views: the __slots__ of Thing changed"),
    (Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, "/src/pkg/configure.zcml:4", "zope.i18n.zcml.handler", within="ZCML"),
     "ZCML: /src/pkg/configure.zcml:4 can't be taken back (zope.i18n.zcml.handler) and is gone or changed"),
]


@pytest.mark.parametrize("unsafe, text", TEXTS, ids=[text for _, text in TEXTS])
def test_the_text_is_the_one_the_logs_show(unsafe, text):
    assert str(unsafe) == text


def test_every_kind_has_a_text():
    assert {unsafe.kind for unsafe, _ in TEXTS} == set(UnsafeKind)


def test_values_compare_by_kind_subject_and_detail():
    assert Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing") == Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing")
    assert Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing") != Unsafe(UnsafeKind.METACLASS_CHANGED, "Thing")
