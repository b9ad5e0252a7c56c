"""The incremental ZCML reload in-process, in milliseconds: a package's ZCML executed as
Zope's start-up does, one edit saved and reloaded as production does, and the global
registry compared with a fresh execution of the final files on an empty registry
(harness.zcml_engine). Where the reload can't do it alone it must say so (a Fallback to the
full reload, or a restart) and leave the registry as it was; where the user's ZCML is wrong
it must report what a cold start reports, and leave the registry as it was.
test_e2e_zcml_incremental and test_e2e_registrations stay the integration checks, in Zope.
"""

from dataclasses import dataclass, field

import pytest

from harness.zcml_engine import Applied, Fallback, UnsafeKind, configure, edit, line_of

BASE = '<utility component=".components.loud" name="loud" />'
UTILITY = '<utility component=".components.greeter" name="hello" />'
UTILITY_CHANGED = '<utility component=".components.loud" name="hello" />'
ADAPTER = '<adapter factory=".components.Shout" for=".components.IThing" provides=".components.IShout" />'
ADAPTER_CHANGED = '<adapter factory=".components.Whisper" for=".components.IThing" provides=".components.IShout" />'
SUBSCRIPTION = '<subscriber factory=".components.Listener" for=".components.IThing" provides=".components.IListener" />'
SUBSCRIPTION_CHANGED = (
    '<subscriber factory=".components.OtherListener" for=".components.IThing" provides=".components.IListener" />'
)
HANDLER = '<subscriber handler=".components.on_ping" for=".components.IPing" />'
HANDLER_CHANGED = '<subscriber handler=".components.on_ping_too" for=".components.IPing" />'
NAMED_MULTI_ADAPTER = (
    '<adapter factory=".components.Whisper" for=".components.IThing .components.IPing" provides=".components.IShout"'
    ' name="quiet" />'
)
UTILITY_FACTORY = '<utility factory=".components.Loud" provides=".components.IGreeter" name="hello" />'
INTERFACE = '<interface interface=".components.IThing" />'
ADAPTER_OFF = ADAPTER.replace(" />", ' zcml:condition="installed no.such.package" />')
INCLUDE_MORE = '<include file="more/handlers.zcml" />'
INCLUDE_SUB = '<include package=".sub" />'
SUB_UTILITY = '<utility component=".things.sub_greeter" />'
SUB_UTILITY_CHANGED = '<utility component=".things.sub_greeter" name="sub" />'
# In sub/configure.zcml: names relative to the package sub.
SUB_ADAPTER = ADAPTER.replace(".components", "..components")
SUB_UTILITY_CLASHING = UTILITY_CHANGED.replace(".components", "..components")
TRANSLATIONS = '<i18n:registerTranslations directory="locales" />'
OWN_META = '<include file="meta.zcml" />'
REMEMBER = '<pkg:remember name="this" />'
REFUSE_BROKEN = '<subscriber handler=".components.refuse_broken" for="zope.interface.interfaces.IRegistered" />'
BROKEN = '<utility component=".components.greeter" name="broken" />'
MISSING = '<utility component=".components.nowhere" name="missing" />'
MORE = "more/handlers.zcml"
SUB = "sub/configure.zcml"


def package(*directives, more=None, sub=None):
    """The package's configure.zcml (BASE first: a file that made no actions is found
    through its includer), and the texts of the files INCLUDE_MORE and INCLUDE_SUB read."""
    files = {"configure.zcml": configure(BASE, *directives)}
    files.update((path, text) for path, text in ((MORE, more), (SUB, sub)) if text is not None)
    return files


@dataclass
class Case:
    before: dict
    after: dict  # the files the edit saves
    known: str = None  # a difference from the cold start today: the test is an xfail


@dataclass
class FallbackCase:
    before: dict
    after: dict
    says: str  # in the Fallback's text
    unsafe: UnsafeKind = None  # not even the full reload takes it back
    restart: bool = False


@dataclass
class ErrorCase:
    before: dict
    after: dict
    directive: str  # the directive of the changed file the error must point at
    changed: str = "configure.zcml"
    kinds: tuple = field(default=("ConfigurationError",))


SAME = {
    "utility-added": Case(package(), package(UTILITY)),
    "utility-changed": Case(package(UTILITY), package(UTILITY_CHANGED)),
    "utility-removed": Case(package(UTILITY), package()),
    "adapter-added": Case(package(), package(ADAPTER)),
    "adapter-changed": Case(package(ADAPTER), package(ADAPTER_CHANGED)),
    "adapter-removed": Case(package(ADAPTER), package()),
    "subscription-adapter-added": Case(package(), package(SUBSCRIPTION)),
    "subscription-adapter-changed": Case(package(SUBSCRIPTION), package(SUBSCRIPTION_CHANGED)),
    "subscription-adapter-removed": Case(package(SUBSCRIPTION), package()),
    "handler-added": Case(package(), package(HANDLER)),
    "handler-changed": Case(package(HANDLER), package(HANDLER_CHANGED)),
    "handler-removed": Case(package(HANDLER), package()),
    "interface-added": Case(package(), package(INTERFACE)),
    "interface-removed": Case(package(INTERFACE), package()),
    # Names in a file included by file= (from a directory that is a Python package too)
    # are relative to the includer's package.
    "included-by-file-changed": Case(
        package(INCLUDE_MORE, more=configure(HANDLER)),
        {MORE: configure(HANDLER_CHANGED, ADAPTER)},
    ),
    "included-by-file-was-empty": Case(
        package(INCLUDE_MORE, more=configure()),
        {MORE: configure(SUBSCRIPTION, UTILITY)},
    ),
    "included-by-package-changed": Case(
        package(INCLUDE_SUB, sub=configure(SUB_UTILITY)),
        {SUB: configure(SUB_UTILITY_CHANGED, SUB_ADAPTER)},
    ),
    "included-by-package-was-empty": Case(
        package(INCLUDE_SUB, sub=configure()),
        {SUB: configure(SUB_UTILITY)},
    ),
    "includer-and-included-changed-together": Case(
        package(INCLUDE_MORE, UTILITY, more=configure(HANDLER)),
        package(INCLUDE_MORE, ADAPTER, more=configure(HANDLER_CHANGED)),
    ),
    "several-directives-changed": Case(package(UTILITY, ADAPTER, HANDLER), package(UTILITY_CHANGED, SUBSCRIPTION)),
    # Directives that can't be taken back stay as they are while the file's text has them.
    "translations-unchanged": Case(package(TRANSLATIONS, UTILITY), package(TRANSLATIONS, ADAPTER)),
    "own-directive-unchanged": Case(package(OWN_META, REMEMBER, UTILITY), package(OWN_META, REMEMBER, ADAPTER)),
    # Handlers run in the order the registry holds them: a cold start's is the order of
    # the directives; a reload runs the changed file's again after the others.
    "handlers-of-two-files-keep-their-order": Case(
        package(HANDLER, INCLUDE_MORE, more=configure(HANDLER_CHANGED)),
        package(HANDLER, INCLUDE_MORE, UTILITY),
    ),
    "subscription-adapters-of-two-files-keep-their-order": Case(
        package(SUBSCRIPTION, INCLUDE_MORE, more=configure(SUBSCRIPTION_CHANGED)),
        package(SUBSCRIPTION, INCLUDE_MORE, ADAPTER),
    ),
    "moved-between-files": Case(
        package(INCLUDE_MORE, UTILITY, HANDLER, more=configure(ADAPTER)),
        package(INCLUDE_MORE, ADAPTER, more=configure(UTILITY, HANDLER)),
    ),
    "named-and-multi-adapter": Case(package(ADAPTER), package(NAMED_MULTI_ADAPTER)),
    "utility-made-by-a-factory": Case(package(UTILITY), package(UTILITY_FACTORY)),
    "condition-turned-off": Case(package(UTILITY, ADAPTER), package(UTILITY, ADAPTER_OFF)),
    # Registered by a directive of each file: taking back one file's leaves the other's.
    "interface-of-two-files": Case(
        package(INTERFACE, INCLUDE_MORE, more=configure(INTERFACE)), package(INCLUDE_MORE, ADAPTER)
    ),
    "same-handler-in-two-files": Case(
        package(HANDLER, INCLUDE_MORE, more=configure(HANDLER)),
        package(HANDLER, INCLUDE_MORE, UTILITY),
    ),
    "same-handler-removed-from-one-of-two-files": Case(
        package(HANDLER, INCLUDE_MORE, more=configure(HANDLER)),
        package(INCLUDE_MORE),
    ),
    "same-subscription-adapter-in-two-files": Case(
        package(SUBSCRIPTION, INCLUDE_MORE, more=configure(SUBSCRIPTION)),
        package(SUBSCRIPTION, INCLUDE_MORE, UTILITY),
    ),
    "handlers-of-one-file-keep-their-order": Case(
        package(HANDLER, HANDLER_CHANGED, UTILITY), package(HANDLER, HANDLER_CHANGED, ADAPTER)
    ),
}
FALLBACKS = {
    "include-removed": FallbackCase(package(INCLUDE_MORE, more=configure(HANDLER)), package(), "the includes of"),
    "include-added": FallbackCase(package(more=configure(HANDLER)), package(INCLUDE_MORE), "the includes of"),
    "include-by-package-of-another-file": FallbackCase(
        package(INCLUDE_SUB, sub=configure(SUB_UTILITY)),
        package(INCLUDE_MORE, more=configure(HANDLER)),
        "the includes of",
    ),
    # On a cold start the includer's directive wins over its included file's.
    "overrides-an-included-file": FallbackCase(
        package(INCLUDE_MORE, more=configure(UTILITY)),
        package(INCLUDE_MORE, UTILITY_CHANGED),
        "overrides",
    ),
    # The full reload empties the registry, translation domains with it.
    "translations-removed": FallbackCase(
        package(TRANSLATIONS, UTILITY), package(UTILITY), "can't be taken back (zope.i18n.zcml.handler)"
    ),
    # What the package's own directive did, nothing takes back but a restart.
    "own-directive-removed": FallbackCase(
        package(OWN_META, REMEMBER), package(OWN_META), "can't be taken back", UnsafeKind.ZCML_NOT_UNDOABLE, True
    ),
    "own-directive-added": FallbackCase(
        package(OWN_META), package(OWN_META, REMEMBER), "could not be taken back again"
    ),
}
ERRORS = {
    # Two files register the same: the changed one and one the edit left alone.
    "conflict-with-an-unchanged-file": ErrorCase(
        package(INCLUDE_MORE, INCLUDE_SUB, more=configure(UTILITY), sub=configure(SUB_UTILITY)),
        {SUB: configure(SUB_UTILITY, SUB_UTILITY_CLASHING)},
        SUB_UTILITY_CLASHING,
        changed=SUB,
        kinds=("ConfigurationConflictError",),
    ),
    # Raised when the action runs (a subscriber of IRegistered refuses it), after the
    # directives before it ran.
    "fails-when-executed": ErrorCase(
        package(REFUSE_BROKEN, UTILITY),
        package(REFUSE_BROKEN, UTILITY_CHANGED, ADAPTER, BROKEN, HANDLER),
        BROKEN,
        kinds=("ConfigurationExecutionError",),
    ),
    "fails-when-parsed": ErrorCase(package(UTILITY), package(ADAPTER, MISSING), MISSING),
    "not-well-formed": ErrorCase(
        package(UTILITY),
        package(ADAPTER, UTILITY.replace(" />", ">")),
        "</configure>",
        kinds=("ZopeSAXParseException",),
    ),
    "conflict-within-the-changed-file": ErrorCase(
        package(UTILITY),
        package(UTILITY, ADAPTER, UTILITY_CHANGED),
        UTILITY_CHANGED,
        kinds=("ConfigurationConflictError",),
    ),
}


def differences(live, cold):
    """What the live registry has that a cold start's has not, and the reverse; then, as
    handlers and subscription adapters run in the registry's order, that order."""
    only_live = sorted(set(live) - set(cold))
    only_cold = sorted(set(cold) - set(live))
    found = ["only live: " + line for line in only_live] + ["only cold: " + line for line in only_cold]
    if not found and sorted(live) != sorted(cold):
        found.append("the same registrations, not as many times")
    if not found and _run_order(live) != _run_order(cold):
        found.append("run order: live %s, cold %s" % (_run_order(live), _run_order(cold)))
    return found


def _run_order(lines):
    return [line for line in lines if line.startswith(("handler", "subscription adapter"))]


def marked(cases):
    for name, case in sorted(cases.items()):
        known = getattr(case, "known", None)
        yield pytest.param(name, marks=[pytest.mark.xfail(strict=True, reason=known)] if known else [])


@pytest.mark.parametrize("name", list(marked(SAME)))
def test_the_reloaded_registry_is_a_cold_starts(name, tmp_path):
    case = SAME[name]
    result = edit(tmp_path, case.before, case.after)
    assert isinstance(result.outcome, Applied), result.outcome
    assert sorted(result.outcome.files) == sorted(str(result.package / path) for path in case.after)
    assert isinstance(result.cold, list), result.cold
    assert result.before != result.cold, "the edit changes nothing"
    stale = differences(result.live, result.cold)
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("name", list(marked(FALLBACKS)))
def test_what_the_incremental_reload_cant_do_goes_to_the_full_reload(name, tmp_path):
    case = FALLBACKS[name]
    result = edit(tmp_path, case.before, case.after)
    assert isinstance(result.outcome, Fallback), result.outcome
    assert case.says in str(result.outcome), result.outcome
    assert result.outcome.internal is None, result.outcome.internal
    assert getattr(result.outcome.unsafe, "kind", None) is case.unsafe, result.outcome.unsafe
    assert result.outcome.restart is case.restart
    # The full reload starts from the registry as it was, as does the restart.
    assert result.live == result.before, "\n".join(differences(result.live, result.before))
    assert isinstance(result.cold, list), result.cold


@pytest.mark.parametrize("name", list(marked(ERRORS)))
def test_the_users_error_is_a_cold_starts_and_changes_nothing(name, tmp_path):
    case = ERRORS[name]
    result = edit(tmp_path, case.before, case.after)
    assert type(result.outcome).__name__ in case.kinds, repr(result.outcome)
    assert type(result.cold).__name__ in case.kinds, repr(result.cold)
    failure = result.failure
    assert (failure.filename, failure.line) == (
        str(result.package / case.changed),
        line_of(case.after[case.changed], case.directive),
    ), failure
    assert failure == result.cold_failure
    assert result.live == result.before, "\n".join(differences(result.live, result.before))


def test_every_case_has_a_name_of_its_own():
    assert not (set(SAME) & set(FALLBACKS) or set(SAME) & set(ERRORS) or set(FALLBACKS) & set(ERRORS))


def test_a_registry_left_as_it_was_is_told_from_the_cold_starts(tmp_path):
    """The comparison can fail: without a reload, it names what is stale."""
    result = edit(
        tmp_path, package(HANDLER, UTILITY), package(HANDLER_CHANGED, UTILITY), reload=lambda paths: Applied((), 0, 0)
    )
    assert differences(result.live, result.cold) == [
        "only live: handler (PKG.components.IPing) -> - '': PKG.components.on_ping",
        "only live: notify(Ping()) runs: on_ping",
        "only cold: handler (PKG.components.IPing) -> - '': PKG.components.on_ping_too",
        "only cold: notify(Ping()) runs: on_ping_too",
    ]


def test_handlers_in_another_order_are_told_from_the_cold_starts():
    first, second = "handler (I) -> - '': a", "handler (I) -> - '': b"
    assert differences([first, second], [second, first]) == [
        "run order: live %s, cold %s" % ([first, second], [second, first])
    ]
