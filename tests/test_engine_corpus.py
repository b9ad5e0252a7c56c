"""The e2e corpus's edits (harness.corpus) in-process, in milliseconds: each case's package
imported, its edit saved and reloaded by the engine as production does, then compared
with a fresh import of the final sources, path by path (harness.engine).  Where the engine
says it can't (outcome.unsafe: the instance would restart) it must be for exactly the cases
test_e2e_corpus expects to restart; elsewhere the reloaded package must be the fresh one.
test_e2e_corpus stays the integration check, through a real Zope.
"""

import pytest

from harness.corpus import CASES, IN_PLACE, page, source
from harness.engine import Outcome, edit, without_zope
from harness.fingerprint import differences
from harness.more_corpus import CASES as MORE_CORPUS
from harness.more_corpus import RESTARTS as MORE_RESTARTS

# Cases that need Zope itself, tested end to end only.
E2E_ONLY = {
    # Five's ViewPageTemplateFile, which re-reads the file in debug mode: no reload involved.
    "template",
}
# Edits the corpus does not have (yet), in its shape: found by these tests.
MORE_CASES = {
    "class-docstring": (
        {"views.py": page('class Thing:\n    """before"""\n\ndef show(view):\n    return Thing.__doc__\n')},
        {"views.py": page('class Thing:\n    """after"""\n\ndef show(view):\n    return Thing.__doc__\n')},
    ),
    "annotation": (
        {
            "views.py": page(
                source("""
            def greet(name: str):
                return name

            def show(view):
                return greet.__annotations__
            """)
            )
        },
        {
            "views.py": page(
                source("""
            def greet(name: int):
                return name

            def show(view):
                return greet.__annotations__
            """)
            )
        },
    ),
}
# Where the live package differs from the fresh import today (for issue 22).
KNOWN_DIFFERENCES: dict[str, str] = {}
ALL_CASES = dict(CASES, **MORE_CASES)
assert not set(ALL_CASES) & set(MORE_CORPUS), set(ALL_CASES) & set(MORE_CORPUS)
ALL_CASES.update(MORE_CORPUS)


def cases():
    for name in sorted(set(ALL_CASES) - E2E_ONLY):
        known = KNOWN_DIFFERENCES.get(name)
        marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
        yield pytest.param(name, marks=marks)


def test_every_case_named_here_is_a_case():
    assert E2E_ONLY <= set(CASES) and set(KNOWN_DIFFERENCES) <= set(ALL_CASES)


@pytest.mark.parametrize("name", list(cases()))
def test_the_reloaded_package_is_the_fresh_import(name, tmp_path):
    before, after = ALL_CASES[name]
    result = edit(tmp_path, without_zope(before), without_zope(after))
    assert not result.outcome.failed_modules, result.outcome.failed_modules
    if name in CASES and name not in IN_PLACE:
        assert result.outcome.unsafe, "the engine applied in place what must restart: %s" % name
        return
    if name in MORE_RESTARTS:
        reasons = "; ".join(str(why) for why in result.outcome.unsafe)
        assert MORE_RESTARTS[name] in reasons, "%s: expected a restart because of %r, the engine said %r" % (
            name,
            MORE_RESTARTS[name],
            reasons,
        )
        return
    assert not result.outcome.unsafe, result.outcome.unsafe
    assert result.before != result.cold["PKG.views.Page(context)() returns"], "the edit changes nothing shown"
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)


def test_a_package_left_as_it_was_is_told_from_the_fresh_import(tmp_path):
    """The comparison can fail: without a reload, it names what is stale, by path."""
    before, after = CASES["helper-function"]
    result = edit(tmp_path, without_zope(before), without_zope(after), apply=lambda state, changes: Outcome())
    stale = differences(result.live, result.cold)
    assert [line.split(":")[0] for line in stale] == [
        "PKG.helpers.text",
        "PKG.helpers.text (as kept)",
        "PKG.helpers.text() returns",
        "PKG.views.Page(context)() returns",
        "PKG.views.text() returns",
    ], stale
