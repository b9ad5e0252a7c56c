"""plone.reload's xreload (what we keep of it is in our xreload module), made to update in
place what it can make equal to a cold start and to say what it can't instead of applying
it wrongly: the runtime then restarts (or warns, with on-unsafe-change = warn).

xreload keeps an old interface object (while the module's other new objects refer to the new
one), keeps a class's old bases, metaclass and slots, leaves what a class body no longer
defines, raises ClosureChanged half-way through a module on a function wrapped by a closure
decorator, and can't update a classmethod.  Here the module's interfaces are updated in
place as their class statements run, so that everything refers to the one object a cold
start would have; class bodies, classmethods and function details are updated in place; a
changed closure, bases, metaclass, slots or enum members are reported as unsafe.
"""

from __future__ import annotations

import builtins
import dis
import enum
import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable

from zope.interface.declarations import ClassProvides, Implements, implementedBy
from zope.interface.interface import InterfaceClass, Specification

from collective.autorestart.runtime.python.holders import Discarded, discarded_of
from collective.autorestart.runtime.python.journal import FUNCTION_SLOTS, Journal
from collective.autorestart.runtime.python.kept import Kept, Relinker
from collective.autorestart.runtime.python.xreload import CLASS_STATICS, compile_source, update_scope
from collective.autorestart.runtime.touchpoints import INTERFACE_ATTRIBUTES, TAGGED_VALUES
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind, error_detail

# Attributes of an interface's attributes and fields that differ between two executions of
# the same source.
INCIDENTAL = frozenset({"interface", "order", "__name__"})
# Functions and classes one module's reload may update in place, closures included (a bound
# for code that builds functions by the thousand).
MAX_FUNCTIONS = 10000
MISSING = object()
# What AccessControl's InitializeClass names a method's security declaration: X__roles__.
ROLES_SUFFIX = "__roles__"
# The key of bodies under which the module-level names its code bound are kept (no class
# has an empty qualname).
MODULE_BODY = ""
# Each object costs two levels (itself, its attributes): deep enough for a Choice field
# with its vocabulary and terms.
DEPTH = 16


# What a package's module has that its code needs to run as the package it is (relative
# imports in an __init__.py).
PACKAGE_ATTRIBUTES = ("__package__", "__path__", "__spec__", "__loader__")


class CheckedReloader:
    """bodies: what each class body defined when it last ran, by (module, qualname), kept
    by the caller across reloads.  journal: where every change to live objects is recorded,
    for the caller to take the reload back."""

    def __init__(
        self,
        module: types.ModuleType,
        bodies: dict[tuple[str, str], frozenset[str]],
        old_source: bytes | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.mod = module
        self.bodies = bodies
        self.journal = Journal() if journal is None else journal
        # The old objects updated in place, by the new ones they were updated from.
        self.kept = Kept()
        # The source the module was imported from, when it was read before the save.
        self.old_source = old_source
        # Why the reloaded module may not behave as a cold start would.
        self.unsafe: list[Unsafe] = []
        # The module's namespace before the reload, for what holds copies of its values.
        self.before: dict[str, object] = {}
        self._old_bodies: dict[str, frozenset[str]] | None = None
        # Interfaces that changed and were updated in place, for the log line.
        self.updated_interfaces: list[str] = []
        # What the reload did beyond updating in place, for the log line.
        self.notes: list[str] = []
        # What the module's new run made and the reload discarded (see holders).
        self.discarded = Discarded()

    def reload(self) -> types.ModuleType:
        namespace = vars(self.mod)
        self.before = dict(namespace)
        self.journal.keep_dict(namespace)
        prefix = self.mod.__name__ + "."
        # A cold start imports the package, then its submodules, which sets them as its
        # attributes; xreload drops whatever the new __init__ does not define itself.
        submodules = {
            name: value
            for name, value in namespace.items()
            if isinstance(value, types.ModuleType) and sys.modules.get(prefix + name) is value
        }
        try:
            return self._reload()
        finally:
            namespace.update(submodules)

    def _reload(self) -> types.ModuleType:
        """xreload's reload, but with the module's interfaces kept while its code runs."""
        module_name = self.mod.__name__
        namespace = vars(self.mod)
        spec = importlib.util.find_spec(module_name)
        if spec is None or not spec.has_location or spec.origin is None:
            return importlib.reload(self.mod)
        with open(spec.origin, "rb") as stream:
            code = compile_source(stream.read(), spec.origin)
        scratch = {"__name__": module_name, "__file__": spec.origin, "__doc__": namespace.get("__doc__")}
        scratch.update((name, namespace[name]) for name in PACKAGE_ATTRIBUTES if name in namespace)
        build_class = builtins.__build_class__  # a touchpoint (see touchpoints)

        def keeping_interfaces(body: Callable[[], object], name: str, /, *bases: object, **keywords: object) -> object:
            made = build_class(body, name, *bases, **keywords)
            # Only this module's own top-level class statements, whatever other threads do.
            if getattr(body, "__globals__", None) is scratch and body.__qualname__ == name:
                return self._kept_interface(namespace.get(name), made)
            return made

        builtins.__build_class__ = keeping_interfaces
        try:
            exec(code, scratch)
        finally:
            builtins.__build_class__ = build_class
        update_scope(namespace, scratch, self._bound_before())
        # What this run bound, for the next reload's update_scope (see _bound_before).
        self.journal.setitem(self.bodies, (module_name, MODULE_BODY), frozenset(scratch))
        for name in set(namespace) & set(scratch):
            namespace[name] = self._update(namespace[name], scratch[name])
        # What the new run made and the module did not keep, for holders.held_elsewhere: told
        # from the scratch namespace before relink() gives it the kept objects.
        self.discarded = discarded_of(scratch, namespace, module_name)
        try:
            Relinker(self.kept, self.journal, self.mod, scratch, self._refused, self.before).relink()
        except Exception as error:  # noqa: B902 - whatever the module's objects do
            self.unsafe.append(Unsafe(UnsafeKind.NOT_UPDATABLE, module_name, error_detail(error)))
        # Its pairs hold the discarded objects, which must be free for held_elsewhere.
        self.kept = Kept()
        return self.mod

    def _bound_before(self) -> frozenset[str] | None:
        """The module-level names the module's code bound when it last ran: as recorded at
        the last reload, else from the source it was imported from; None when unknown."""
        return self._defined_before_by_name(MODULE_BODY)

    def _refused(self, path: str, error: Exception) -> None:
        """An object the module made at import of its own class, which can't be made an
        instance of the kept class: it stays of a class nothing else refers to."""
        self.unsafe.append(Unsafe(UnsafeKind.NOT_UPDATABLE, path, "its class: %s" % error_detail(error)))

    def _kept_interface(self, old, new):
        """The old interface object, updated to be what the new class statement made: what
        the rest of the module, other modules and the registry hold stays the interface a
        cold start would have."""
        if not (isinstance(new, InterfaceClass) and type(old) is type(new)):
            return new
        if getattr(old, "__identifier__", None) != new.__identifier__:
            return new
        if _interface_fingerprint(old) == _interface_fingerprint(new):
            self.kept.add(new, old)
            return old
        try:
            _update_interface(old, new, self.journal)
        except Exception as error:  # noqa: B902 - an interface subclass may not allow it
            self.unsafe.append(Unsafe(UnsafeKind.INTERFACE_NOT_UPDATABLE, new.__name__, error_detail(error)))
            return new
        self.updated_interfaces.append(new.__name__)
        self.kept.add(new, old)
        return old

    def _update(self, oldobj, newobj):
        """oldobj updated in place to be newobj, or newobj where that can't be done (and,
        where that differs from a cold start, why in unsafe)."""
        ours = getattr(newobj, "__module__", None) == self.mod.__name__
        if not ours or not isinstance(oldobj, type(newobj)):
            # Imported from elsewhere, or no longer of the same type: the new object.
            if ours and inspect.isclass(oldobj) and inspect.isclass(newobj):
                # A plain class that gained a metaclass: its instances keep the old class.
                self.unsafe.append(Unsafe(UnsafeKind.METACLASS_CHANGED, newobj.__name__))
            return newobj
        if isinstance(newobj, Specification) and isinstance(oldobj, Specification):
            if oldobj is not newobj and _interface_fingerprint(oldobj) != _interface_fingerprint(newobj):
                # Not made by a class statement of the module (interface.InterfaceClass(...)).
                self.unsafe.append(Unsafe(UnsafeKind.INTERFACE_CHANGED, newobj.__name__))
            self.kept.add(newobj, oldobj)
            return oldobj
        try:
            if inspect.isclass(newobj):
                return self._update_class(oldobj, newobj)
            if inspect.isfunction(newobj):
                return self._update_module_function(oldobj, newobj)
        except Exception as error:  # noqa: B902 - whatever a class does on setattr
            # Part of the old object may be updated already: only a restart is sure.
            self.unsafe.append(Unsafe(UnsafeKind.NOT_UPDATABLE, newobj.__name__, error_detail(error)))
            return newobj
        return newobj

    def _update_module_function(self, old, new):
        if _updated_in_place(old, new, self.kept, self.journal):
            return old
        # Importers and the registry get the new function, but not what else may hold the
        # old one (a class attribute, a monkey patch, a decorator's registry).
        self.unsafe.append(Unsafe(UnsafeKind.CLOSURE_CHANGED, new.__name__))
        return new

    def _update_class(self, old: type, new: type) -> type:
        why = _class_change(old, new)
        if why is not None and why.kind is UnsafeKind.BASES_CHANGED:
            why = self._rebase(old, new)
        if why is not None:
            self.unsafe.append(why)
            return new
        qualname = new.__qualname__
        defined_before = self._defined_before(old)
        # Recorded at the last reload, after the module's own InitializeClass: exact.
        recorded = self.bodies.get((self.mod.__name__, qualname)) is not None
        self.journal.setitem(self.bodies, (self.mod.__name__, qualname), frozenset(new.__dict__))
        self.kept.add(new, old)
        if issubclass(new, enum.Enum) and issubclass(old, enum.Enum):  # (one metaclass: see _class_change)
            return self._update_enum(old, new)
        old_dict, new_dict = old.__dict__, new.__dict__
        gone = set(old_dict) - set(new_dict) - CLASS_STATICS
        for name in gone:
            if _defined_by_body(old, name, defined_before):
                self.journal.delattr(old, name)
            elif defined_before is None and not _added_at_start_up(name):
                self.unsafe.append(Unsafe(UnsafeKind.BODY_NAME_UNKNOWN, "%s.%s" % (qualname, name)))
            elif not recorded and _declares_security_of(name, gone):
                # The security declaration of a method the body no longer defines: made by the
                # module's own InitializeClass (gone on a cold start) or by ZCML (there on a
                # cold start too): the source does not say which.
                self.unsafe.append(Unsafe(UnsafeKind.BODY_NAME_UNKNOWN, "%s.%s" % (qualname, name)))
        for name, value in new_dict.items():
            if name in CLASS_STATICS:
                continue
            if name not in old_dict:
                self.journal.setattr(old, name, value)
                continue
            self._update_attribute(old, name, old_dict[name], value)
        if old_dict.get("__doc__") != new_dict.get("__doc__"):
            # Not an attribute update: a docstring, or what a decorator derived (a dataclass's
            # signature), which help() and Zope's publisher read.
            self.journal.setattr(old, "__doc__", new_dict.get("__doc__"))
        return old

    def _rebase(self, old: type, new: type) -> Unsafe | None:
        """Give old the bases of new, as this module's objects (the ones kept), where Python
        allows it and nothing a cold start runs at class creation is missed; else why not."""
        if type(old) is not type:
            return Unsafe(
                UnsafeKind.BASES_CHANGED, new.__name__, "its metaclass %s can't be rebased" % type(old).__name__
            )
        bases = tuple(self._kept(base) for base in new.__bases__)
        if any("__init_subclass__" in vars(klass) for base in bases for klass in base.__mro__ if klass is not object):
            return Unsafe(UnsafeKind.BASES_CHANGED, new.__name__, "a new base has __init_subclass__")
        try:
            self.journal.setattr(old, "__bases__", bases)
        except TypeError as error:
            return Unsafe(UnsafeKind.BASES_CHANGED, new.__name__, str(error))
        _refresh_implemented(old, self.journal)
        self.notes.append("rebased %s on %s" % (new.__name__, ", ".join(base.__name__ for base in bases)))
        return None

    def _kept(self, base: type) -> type:
        """A base the new class statement used, as the object the module keeps: a class of
        this module is the old object, updated in place."""
        if getattr(base, "__module__", None) == self.mod.__name__:
            kept = self.before.get(base.__name__)
            if inspect.isclass(kept) and kept.__qualname__ == base.__qualname__:
                return kept
        return base

    def _update_attribute(self, cls: type, name: str, old, new) -> None:
        """In place where that keeps what holds the old function working; otherwise the
        class gets the new object, which is what its instances and subclasses look up."""
        if name == "__implemented__" and isinstance(old, Implements) and isinstance(new, Implements):
            # The new declaration names the new class; the kept one gets what it declares.
            if old.inherit is cls:
                self.journal.setattr(old, "declared", new.declared)
                self.journal.setattr(old, "inherit", cls if new.inherit is not None else None)
                _refresh_implemented(cls, self.journal)
                return
        if name == "__provides__" and isinstance(old, ClassProvides) and isinstance(new, ClassProvides):
            declared = new.__reduce__()[1][2:]
            if old.__reduce__()[1][2:] != declared:
                self.journal.setattr(cls, name, ClassProvides(cls, type(cls), *declared))
            return
        old_function, new_function = old, new
        if isinstance(old, (classmethod, staticmethod)) and type(old) is type(new):
            old_function, new_function = old.__func__, new.__func__
        if _updated_in_place(old_function, new_function, self.kept, self.journal):
            self.kept.add(new, old)
        else:
            self.journal.setattr(cls, name, new)

    def _update_enum(self, old: type[enum.Enum], new: type[enum.Enum]) -> type:
        """Members are instances made by the metaclass: a cold start has the new ones, which
        setattr can't give.  Methods of an unchanged set of members are updated in place."""
        if [(name, member.value) for name, member in old.__members__.items()] != [
            (name, member.value) for name, member in new.__members__.items()
        ]:
            self.unsafe.append(Unsafe(UnsafeKind.ENUM_MEMBERS_CHANGED, new.__name__))
            return new
        for name, member in new.__members__.items():
            self.kept.add(member, old.__members__[name])  # DEFAULT = Color.RED: the kept member
        for name, value in new.__dict__.items():
            current = old.__dict__.get(name)
            if not (inspect.isfunction(value) and inspect.isfunction(current)):
                continue
            if not _updated_in_place(current, value, self.kept, self.journal):
                self.journal.setattr(old, name, value)
        return old

    def _defined_before(self, old: type) -> frozenset[str] | None:
        """What the class body that made ``old`` defined: as recorded at the last reload,
        else from the source the module was imported from; None when unknown."""
        return self._defined_before_by_name(old.__qualname__)

    def _defined_before_by_name(self, qualname: str) -> frozenset[str] | None:
        recorded = self.bodies.get((self.mod.__name__, qualname))
        if recorded is not None:
            return recorded
        if self._old_bodies is None:
            self._old_bodies = {}
            if self.old_source is not None:
                self._old_bodies = bodies_of_source(self.old_source, getattr(self.mod, "__file__", "?"))
        return self._old_bodies.get(qualname)


def _refresh_implemented(cls: type, journal: Journal) -> None:
    """What zope.interface derives from a class's bases when it declares what the class
    implements (classImplements): its declaration's bases."""
    spec = cls.__dict__.get("__implemented__")
    if not isinstance(spec, Implements):
        return
    seen, bases = set(spec.declared), list(spec.declared)
    if spec.inherit is not None:
        for base in cls.__bases__:
            implemented = implementedBy(base)
            if implemented not in seen:
                seen.add(implemented)
                bases.append(implemented)
    journal.setattr(spec, "__bases__", tuple(bases))


def _update_interface(old, new, journal: Journal) -> None:
    """Give old the attributes, fields, methods, tagged values (invariants, form hints),
    docstring and bases of new; then tell what depends on it (derived interfaces, the
    declarations of classes and objects, adapter lookups) that it changed."""
    state, new_state = vars(old), vars(new)
    # Taken back, what depends on it hears again that it changed (last, once restored).
    journal.on_undo(lambda: old.changed(old))
    attributes = new_state[INTERFACE_ATTRIBUTES]
    for attribute in attributes.values():
        attribute.interface = old  # new's own objects: nothing to take back
    journal.setitem(state, INTERFACE_ATTRIBUTES, attributes)
    journal.setitem(state, TAGGED_VALUES, new_state.get(TAGGED_VALUES))
    journal.setattr(old, "__doc__", new.__doc__)
    if tuple(old.__bases__) != tuple(new.__bases__):
        journal.setattr(old, "__bases__", new.__bases__)  # the setter re-subscribes and calls changed()
    else:
        old.changed(old)


def _updated_in_place(old, new, kept: Kept, journal: Journal) -> bool:
    """Whether old (a function) now behaves as new; False when that can't be done.

    Through closures: a decorator's wrapper keeps its old object, and the function it wraps
    (a cell of its closure) is updated in place in turn, as is what else its cells hold that
    is a function; other cell values are the new ones, as a cold start's wrapper has them
    (or the kept objects in their place: see kept).  kept gets each new function with the
    old one updated from it."""
    if not (inspect.isfunction(old) and inspect.isfunction(new)):
        return False
    if kept.get(new) is not None:
        return kept.get(new) is old
    if old.__code__.co_freevars != new.__code__.co_freevars or len(kept) > MAX_FUNCTIONS:
        return False
    kept.add(new, old)
    for old_cell, new_cell in zip(old.__closure__ or (), new.__closure__ or ()):
        try:
            value = new_cell.cell_contents
        except ValueError:  # not assigned yet where the closure was made
            continue
        try:
            previous = old_cell.cell_contents
        except ValueError:
            previous = MISSING
        if previous is value or _updated_in_place(previous, value, kept, journal):
            continue
        journal.set_cell(old_cell, value)
    journal.keep_function(old)
    for slot in FUNCTION_SLOTS:
        setattr(old, slot, getattr(new, slot))
    # What decorators set as function attributes (functools.wraps's __wrapped__, @provider's
    # declarations), with the functions among them that were kept.
    vars(old).update({key: kept.get(value, value) for key, value in vars(new).items()})
    return True


def _defined_by_body(cls: type, name: str, defined_before: frozenset[str] | None) -> bool:
    if defined_before is not None:
        return name in defined_before
    # Unknown body: a function made by this class's body says so by its qualified name,
    # which nothing ZCML adds at start-up has.
    value = cls.__dict__[name]
    function = getattr(value, "__func__", None) or getattr(value, "fget", None) or value
    return inspect.isfunction(function) and function.__qualname__ == "%s.%s" % (cls.__qualname__, name)


def _declares_security_of(name: str, gone: set[str]) -> bool:
    """Whether name is the security declaration (``X__roles__``) of an X that is gone too."""
    return name.endswith(ROLES_SUFFIX) and name[: -len(ROLES_SUFFIX)] in gone


def _added_at_start_up(name: str) -> bool:
    """Names Zope's and zope.interface's start-up wiring put on classes (security
    declarations, interface declarations, Five's view machinery)."""
    return (name.startswith("__") and name.endswith("__")) or name.endswith(ROLES_SUFFIX)


def bodies_of_source(source: bytes, filename: str) -> dict[str, frozenset[str]]:
    """The names each class body in source stores, by class qualname, and the module's own
    (MODULE_BODY: what its body stores, and what its functions store as globals); {} if it
    does not compile."""
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return {}
    bodies: dict[str, frozenset[str]] = {}
    _collect(code, bodies)
    bodies[MODULE_BODY] = frozenset(_stored(code, ("STORE_NAME", "STORE_GLOBAL"))) | frozenset(_globals_stored(code))
    return bodies


def _stored(code: types.CodeType, opnames: tuple[str, ...]) -> list[str]:
    return [instruction.argval for instruction in dis.get_instructions(code) if instruction.opname in opnames]


def _globals_stored(code: types.CodeType) -> list[str]:
    found = []
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            found.extend(_stored(const, ("STORE_GLOBAL",)))
            found.extend(_globals_stored(const))
    return found


def _collect(code: types.CodeType, bodies: dict) -> None:
    for const in code.co_consts:
        if not isinstance(const, types.CodeType):
            continue
        if not const.co_flags & inspect.CO_OPTIMIZED:  # a class body, not a function
            bodies[getattr(const, "co_qualname", const.co_name)] = frozenset(
                instruction.argval for instruction in dis.get_instructions(const) if instruction.opname == "STORE_NAME"
            )
        _collect(const, bodies)


def _name(cls: type | types.FunctionType) -> tuple[str, str]:
    return (getattr(cls, "__module__", ""), getattr(cls, "__qualname__", cls.__name__))


def _class_change(old: type, new: type) -> Unsafe | None:
    if _name(type(old)) != _name(type(new)):
        return Unsafe(UnsafeKind.METACLASS_CHANGED, new.__name__)
    if old.__dict__.get("__slots__") != new.__dict__.get("__slots__"):
        return Unsafe(UnsafeKind.SLOTS_CHANGED, new.__name__)
    # Last: the caller may mend this one alone.
    if [_name(base) for base in old.__bases__] != [_name(base) for base in new.__bases__]:
        return Unsafe(UnsafeKind.BASES_CHANGED, new.__name__)
    return None


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
