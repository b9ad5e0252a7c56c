"""Turn a failure into "file:line: message", the way a developer reads it in a terminal."""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass

from collective.autorestart.watching.roots import under_roots

# zope.configuration puts the innermost ZCML location last.
ZCML_LOCATION = re.compile(r'File "([^"]+)", line (\d+)')


@dataclass(frozen=True)
class Failure:
    filename: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = self.filename if self.line is None else "%s:%d" % (self.filename, self.line)
        return "%s: %s" % (where, self.message)


def _message(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    detail = text[-1].strip() if text else ""
    name = type(error).__name__
    return "%s: %s" % (name, detail) if detail else name


def describe(error: BaseException, fallback: str, roots: tuple[str, ...]) -> Failure:
    """``fallback`` names the file being reloaded, used when nothing better is known."""
    if isinstance(error, SyntaxError) and error.filename:
        message = "%s: %s" % (type(error).__name__, error.msg)
        return Failure(error.filename, error.lineno, message)
    malformed = _malformed_xml(error)
    if malformed is not None:
        return malformed
    zcml = _zcml_location(error, roots)
    if zcml is not None:
        return Failure(zcml[0], zcml[1], _conflict_message(error, zcml) or _zcml_message(error))
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if frame.filename.startswith(under_roots(roots))]
    if ours:
        return Failure(ours[-1].filename, ours[-1].lineno, _message(error))
    if os.path.isabs(fallback):
        # Raised in plone.reload or the compiler, about the file being reloaded: that file
        # is the one to fix, not a library's.
        return Failure(fallback, _null_byte_line(fallback, error), _message(error))
    if not frames:
        return Failure(fallback, None, _message(error))
    return Failure(frames[-1].filename, frames[-1].lineno, _message(error))


def _null_byte_line(filename: str, error: BaseException) -> int | None:
    """Where the first NUL byte is, when that is what the compiler refused."""
    if "null bytes" not in str(error):
        return None
    try:
        with open(filename, "rb") as stream:
            content = stream.read()
    except OSError:
        return None
    position = content.find(b"\0")
    return None if position < 0 else content.count(b"\n", 0, position) + 1


def _zcml_location(error: BaseException, roots: tuple[str, ...]) -> tuple[str, int] | None:
    """The innermost location in the user's files: an error in a file Plone includes, raised
    by a directive of the user's, is the user's to fix first."""
    found = [(filename, int(line)) for filename, line in ZCML_LOCATION.findall(str(error))]
    if not found or not found[-1][0].endswith(".zcml"):
        return None
    prefixes = under_roots(roots)
    theirs = [location for location in found if location[0].startswith(prefixes)]
    return theirs[-1] if theirs else found[-1]


def _malformed_xml(error: BaseException | None) -> Failure | None:
    """zope.configuration reports a file that is not well-formed at the include that read it;
    the parser knows the file and line that are wrong."""
    from xml.sax import SAXParseException

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, SAXParseException) and error.getSystemId():
            return Failure(
                str(error.getSystemId()),
                error.getLineNumber(),
                "SAXParseException: %s" % error.getMessage(),
            )
        error = getattr(error, "evalue", None) or error.__cause__ or error.__context__
    return None


def _conflict_message(error: BaseException, reported: tuple[str, int]) -> str | None:
    """Two directives that register the same: the other one is what the user needs to see."""
    text = str(error)
    if not text.lstrip().startswith("Conflicting configuration actions"):
        return None
    others = []
    for filename, line in ZCML_LOCATION.findall(text):
        location = "%s:%s" % (filename, line)
        if (filename, int(line)) != reported and location not in others:
            others.append(location)
    return "Conflicting configuration actions: %s registers the same as %s" % (
        "this directive",
        ", ".join(others) or "another directive",
    )


def _zcml_message(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    details = [line for line in lines if not ZCML_LOCATION.search(line)]
    return details[-1] if details else type(error).__name__


def raced_with_a_request(error: BaseException | None) -> bool:
    """Errors from zope.interface's registry internals, not from the user's ZCML."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (RuntimeError, KeyError)):
            # A KeyError may come from a WeakKeyDictionary that zope.interface iterates.
            frames = traceback.extract_tb(error.__traceback__)
            if any("zope/interface/" in frame.filename.replace(os.sep, "/") for frame in frames):
                return True
        error = getattr(error, "evalue", None) or error.__cause__ or error.__context__
    return False
