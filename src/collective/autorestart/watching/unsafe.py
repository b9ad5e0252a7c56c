"""Why a reload may not give what a cold start gives: a value (kind, subject, detail), which
control flow and tests compare by kind, and whose text is the one the logs and the restart
line show. No Zope here: the cycle reads it, the runtime makes it."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class UnsafeKind(enum.Enum):
    """Each kind's text: {subject}, {detail} as it is, and {in_parentheses}: " (detail)"
    or nothing."""

    CLOSURE_CHANGED = "the closure of {subject} changed shape (another decorator, other free variables)"
    BASES_CHANGED = "the bases of {subject} changed{in_parentheses}"
    METACLASS_CHANGED = "the metaclass of {subject} changed"
    SLOTS_CHANGED = "the __slots__ of {subject} changed"
    ENUM_MEMBERS_CHANGED = "the members of the enum {subject} changed"
    # Made by a class statement of the module, but the update in place failed.
    INTERFACE_NOT_UPDATABLE = "the interface {subject} could not be updated in place{in_parentheses}"
    # Not made by a class statement (InterfaceClass(...)): never updated in place.
    INTERFACE_CHANGED = "the interface {subject} changed and could not be updated in place"
    NOT_UPDATABLE = "{subject} could not be updated in place{in_parentheses}"
    BODY_NAME_UNKNOWN = "{subject} is gone from the class body or was added at start-up: can't tell which"
    # subject: the module; detail: the names, comma-separated.
    REMOVED_STILL_HELD = "{subject} no longer defines {detail}"
    # subject: where the directive is (file:line); detail: why it can't be taken back.
    ZCML_NOT_UNDOABLE = "{subject} can't be taken back ({detail}) and is gone or changed"
    # subject: the module; detail: what it patches, comma-separated.  The module is not run.
    PATCHES_AT_IMPORT = (
        "{subject} patches {detail} at import: run again, it would patch its own patch (a cold start patches once)"
    )
    # subject: what the reload made and discarded; detail: what holds it.
    HELD_ELSEWHERE = "the new {subject} the reload discards is held by {detail}, which a cold start would not have"
    # subject: the class; detail: the interfaces. Declared at import by the module it is found in.
    DECLARED_ON_ANOTHER_MODULE = (
        "{subject}, a class of another module, was declared to implement {detail}: what the module's old code"
        " declared on it can't be taken back"
    )
    # subject: the product's initialize function.
    PRODUCT_INITIALIZE_CHANGED = "{subject} changed: Zope runs a product's initialize() at start-up only"


@dataclass(frozen=True)
class Unsafe:
    kind: UnsafeKind
    subject: str
    detail: str | None = None
    # What it was found in, said first: a module's name, or "ZCML".
    within: str | None = None

    def __str__(self) -> str:
        text = self.kind.value.format(
            subject=self.subject,
            detail=self.detail or "",
            in_parentheses=" (%s)" % self.detail if self.detail else "",
        )
        return "%s: %s" % (self.within, text) if self.within else text


def error_detail(error: BaseException) -> str:
    return "%s: %s" % (type(error).__name__, error)
