"""watching.unsafe: why a reload may not equal a cold start, as values whose text is what the
logs and the restart line say (the e2e tests and the README's Limits quote these texts)."""

import re
from pathlib import Path

import pytest

from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

TEXTS = [
    (
        Unsafe(UnsafeKind.CLOSURE_CHANGED, "text"),
        "the closure of text changed shape (another decorator, other free variables)",
    ),
    (Unsafe(UnsafeKind.BASES_CHANGED, "View"), "the bases of View changed"),
    (
        Unsafe(UnsafeKind.BASES_CHANGED, "View", "a new base has __init_subclass__"),
        "the bases of View changed (a new base has __init_subclass__)",
    ),
    (Unsafe(UnsafeKind.METACLASS_CHANGED, "View"), "the metaclass of View changed"),
    (Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing"), "the __slots__ of Thing changed"),
    (Unsafe(UnsafeKind.ENUM_MEMBERS_CHANGED, "Color"), "the members of the enum Color changed"),
    (
        Unsafe(UnsafeKind.INTERFACE_NOT_UPDATABLE, "IThing", "TypeError: no"),
        "the interface IThing could not be updated in place (TypeError: no)",
    ),
    (Unsafe(UnsafeKind.INTERFACE_CHANGED, "IThing"), "the interface IThing changed and could not be updated in place"),
    (
        Unsafe(UnsafeKind.NOT_UPDATABLE, "View", "AttributeError: x"),
        "View could not be updated in place (AttributeError: x)",
    ),
    (
        Unsafe(UnsafeKind.BODY_NAME_UNKNOWN, "View.render"),
        "View.render is gone from the class body or was added at start-up: can't tell which",
    ),
    (Unsafe(UnsafeKind.REMOVED_STILL_HELD, "pkg.views", "Old, older"), "pkg.views no longer defines Old, older"),
    (
        Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, "/src/pkg/configure.zcml:4", "security declared on pkg.View"),
        "/src/pkg/configure.zcml:4 can't be taken back (security declared on pkg.View) and is gone or changed",
    ),
    (
        Unsafe(UnsafeKind.PATCHES_AT_IMPORT, "pkg.patches", "zope.traversing.namespace.view.traverse"),
        "pkg.patches patches zope.traversing.namespace.view.traverse at import: run again, it would patch its own"
        " patch (a cold start patches once)",
    ),
    (
        Unsafe(UnsafeKind.HELD_ELSEWHERE, "pkg.plugins.Plugin", "pkg.base.Base.registry"),
        "the new pkg.plugins.Plugin the reload discards is held by pkg.base.Base.registry, which a cold start would"
        " not have",
    ),
    (
        Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing", within="autotest.app.views"),
        "autotest.app.views: the __slots__ of Thing changed",
    ),
    (
        Unsafe(UnsafeKind.ZCML_NOT_UNDOABLE, "/src/pkg/configure.zcml:4", "zope.i18n.zcml.handler", within="ZCML"),
        "ZCML: /src/pkg/configure.zcml:4 can't be taken back (zope.i18n.zcml.handler) and is gone or changed",
    ),
    (
        Unsafe(UnsafeKind.DECLARED_ON_ANOTHER_MODULE, "pkg.things.Thing", "pkg.interfaces.IThing", within="pkg.more"),
        "pkg.more: pkg.things.Thing, a class of another module, was declared to implement pkg.interfaces.IThing:"
        " what the module's old code declared on it can't be taken back",
    ),
    (
        Unsafe(
            UnsafeKind.PRODUCT_INITIALIZE_CHANGED, "Products.SiteErrorLog.initialize", within="Products.SiteErrorLog"
        ),
        "Products.SiteErrorLog: Products.SiteErrorLog.initialize changed: Zope runs a product's initialize()"
        " at start-up only",
    ),
]


@pytest.mark.parametrize("unsafe, text", TEXTS, ids=[text for _, text in TEXTS])
def test_the_text_is_the_one_the_logs_show(unsafe, text):
    assert str(unsafe) == text


def test_every_kind_has_a_text():
    assert {unsafe.kind for unsafe, _ in TEXTS} == set(UnsafeKind)


def test_values_compare_by_kind_subject_and_detail():
    assert Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing") == Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing")
    assert Unsafe(UnsafeKind.SLOTS_CHANGED, "Thing") != Unsafe(UnsafeKind.METACLASS_CHANGED, "Thing")


README = Path(__file__).parent.parent / "README.rst"
# The words each kind's log line shares with the README, where a user looks up why the
# instance restarted: "How it decides" lists what is unsafe, Limits says the rest.
IN_THE_README = {
    UnsafeKind.CLOSURE_CHANGED: "changed shape (another decorator, other free variables)",
    UnsafeKind.BASES_CHANGED: "the bases of",
    UnsafeKind.METACLASS_CHANGED: "the metaclass",
    UnsafeKind.SLOTS_CHANGED: "__slots__",
    UnsafeKind.ENUM_MEMBERS_CHANGED: "the members of",
    UnsafeKind.INTERFACE_NOT_UPDATABLE: "the interface",
    UnsafeKind.INTERFACE_CHANGED: "changed and could not be updated in place",
    UnsafeKind.NOT_UPDATABLE: "could not be updated in place",
    UnsafeKind.BODY_NAME_UNKNOWN: "is gone from the class body or was added at start-up: can't tell which",
    UnsafeKind.REMOVED_STILL_HELD: "no longer defines",
    UnsafeKind.ZCML_NOT_UNDOABLE: "can't be taken back",
    UnsafeKind.PATCHES_AT_IMPORT: "at import: run again, it would patch its own patch",
    UnsafeKind.HELD_ELSEWHERE: "the reload discards is held by",
    UnsafeKind.DECLARED_ON_ANOTHER_MODULE: "a class of another module",
    UnsafeKind.PRODUCT_INITIALIZE_CHANGED: "Zope runs a product's initialize() at start-up only",
}


def readme_section(title):
    """The section's text up to the next title, white space collapsed, ``literals`` plain."""
    text = README.read_text().split("\n%s\n%s\n" % (title, "=" * len(title)), 1)[1]
    text = re.split(r"\n[^\n]+\n=+\n", text, maxsplit=1)[0]
    return " ".join(text.replace("``", "").split())


def unsafe_list():
    """The clauses of the README's list of what is unsafe, in "How it decides"."""
    listed = readme_section("How it decides").split("on-unsafe-change decides: ", 1)[1]
    return listed.split(". The log line says which.", 1)[0].split("; ")


@pytest.mark.parametrize(
    "kind",
    list(UnsafeKind),
    ids=lambda kind: kind.name,
)
def test_every_kind_is_in_the_readme_in_the_words_of_its_log_line(kind):
    words = IN_THE_README.get(kind)
    assert words is not None, "%s: say in the README's Limits what makes it and what it does" % kind
    assert all(words in text for unsafe, text in TEXTS if unsafe.kind is kind)
    assert words in readme_section("How it decides") + " " + readme_section("Limits")


def test_the_readme_lists_no_unsafe_change_the_engine_does_not_make():
    clauses = unsafe_list()
    assert len(clauses) > 1
    assert [clause for clause in clauses if not any(words in clause for words in IN_THE_README.values())] == []
    # Limits: where it says what "warn" does instead of a restart, it is about one of the kinds.
    sentences = re.split(r"(?<=\.) ", readme_section("Limits"))
    warned = [sentence for sentence in sentences if "on-unsafe-change = warn" in sentence]
    assert warned
    assert [sentence for sentence in warned if not any(words in sentence for words in IN_THE_README.values())] == []
