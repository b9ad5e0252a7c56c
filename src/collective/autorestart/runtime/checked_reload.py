"""plone.reload's xreload, made to say what it can't apply in place instead of applying it
wrongly: the runtime then restarts (or warns, with on-unsafe-change = warn) and the process
serves what a cold start would.

xreload keeps an old interface object, keeps a class's old bases, metaclass and slots, and
raises ClosureChanged half-way through a module on a function wrapped by a closure
decorator.  A classmethod it can't update at all; that one we update in place.
"""
from __future__ import annotations

import inspect
import types

from plone.reload.xreload import ClosureChanged, Reloader, _update_function
from zope.interface.interface import Specification

# Attributes of an interface's attributes and fields that differ between two executions of
# the same source.
INCIDENTAL = frozenset({"interface", "order", "__name__"})
# Each object costs two levels (itself, its attributes): deep enough for a Choice field
# with its vocabulary and terms.
DEPTH = 16


class CheckedReloader(Reloader):
    def __init__(self, module: types.ModuleType) -> None:
        super().__init__(module)
        # Why the reloaded module may not behave as a cold start would.
        self.unsafe: list[str] = []

    def _update(self, oldobj, newobj):
        ours = getattr(newobj, "__module__", None) == self.mod.__name__
        if not ours:
            return super()._update(oldobj, newobj)
        if isinstance(newobj, Specification) and isinstance(oldobj, Specification):
            if _interface_fingerprint(oldobj) != _interface_fingerprint(newobj):
                self.unsafe.append("the interface %s changed (interfaces are not updated in place)" % newobj.__name__)
            return oldobj
        if inspect.isclass(newobj) and inspect.isclass(oldobj):
            why = _class_change(oldobj, newobj)
            if why is not None:
                self.unsafe.append(why)
                return newobj
            _update_classmethods(oldobj, newobj)
        elif inspect.isfunction(newobj) and inspect.isfunction(oldobj):
            try:
                return super()._update(oldobj, newobj)
            except ClosureChanged:
                self.unsafe.append(
                    "the closure of %s changed (a decorated function is not updated in place)" % newobj.__name__
                )
                return newobj
        return super()._update(oldobj, newobj)


def _name(cls: type) -> tuple[str, str]:
    return (getattr(cls, "__module__", ""), getattr(cls, "__qualname__", cls.__name__))


def _class_change(old: type, new: type) -> str | None:
    if _name(type(old)) != _name(type(new)):
        return "the metaclass of %s changed" % new.__name__
    if [_name(base) for base in old.__bases__] != [_name(base) for base in new.__bases__]:
        return "the bases of %s changed" % new.__name__
    if old.__dict__.get("__slots__") != new.__dict__.get("__slots__"):
        return "the __slots__ of %s changed" % new.__name__
    return None


def _update_classmethods(old: type, new: type) -> None:
    """xreload sets __code__ on the bound method a classmethod gives, which fails: update the
    function inside instead, and take the name out of what xreload will look at."""
    old_dict = old.__dict__
    for name, value in list(new.__dict__.items()):
        previous = old_dict.get(name)
        if not (isinstance(value, classmethod) and isinstance(previous, classmethod)):
            continue
        try:
            _update_function(previous.__func__, value.__func__)
        except ClosureChanged:
            setattr(old, name, value)
        delattr(new, name)


def _interface_fingerprint(interface) -> tuple:
    tags = getattr(interface, "getDirectTaggedValueTags", interface.getTaggedValueTags)()
    return (
        tuple(base.__identifier__ for base in interface.__bases__),
        tuple(sorted((name, _description(value)) for name, value in interface.namesAndDescriptions(all=False))),
        tuple(sorted((tag, _normal(interface.getTaggedValue(tag))) for tag in tags)),
    )


def _description(description) -> tuple:
    signature = getattr(description, "getSignatureString", None)
    if signature is not None:
        return ("method", signature(), description.__doc__)
    return (_name(type(description)), _normal(description))


def _normal(value, depth: int = 0):
    """A comparable stand-in for value that is equal for two executions of the same source;
    where we can't tell, it differs, which costs a restart, never a stale process."""
    if depth > DEPTH:
        return ("too deep", repr(value))
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, dict):
        return tuple(sorted((str(key), _normal(item, depth + 1)) for key, item in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_normal(item, depth + 1) for item in value)
    if isinstance(value, (set, frozenset)):
        return tuple(sorted(repr(_normal(item, depth + 1)) for item in value))
    if isinstance(value, Specification) and hasattr(value, "__identifier__"):
        return ("interface", value.__identifier__)
    if inspect.isclass(value):
        return ("class",) + _name(value)
    if inspect.isfunction(value):
        code = value.__code__
        return ("function",) + _name(value) + (code.co_code, code.co_names, repr(code.co_consts))
    if hasattr(value, "__dict__"):
        attributes = {key: item for key, item in vars(value).items() if key not in INCIDENTAL}
        return (_name(type(value)), _normal(attributes, depth + 1))
    return ("object", repr(value))
