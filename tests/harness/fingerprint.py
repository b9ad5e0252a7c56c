"""What a package's modules are, as plain data to compare between a reloaded package and a
fresh import of the same sources (harness.engine): one description per path
(``PKG.views.Thing.label``), in which the package's own name reads ``PKG``.

A description says what an object is, not where it lives in memory: a function by its code
(bytes, constants, names, nested code), defaults, closure contents and attributes
(``__wrapped__``); a class by its metaclass, MRO, declared interfaces and own namespace; an
interface by its bases and attributes; what another path also holds, by that path (an
importer's ``from .m import f`` is the very object of ``m``, on a cold start).
"""

import inspect
import re
import types

from zope.interface import implementedBy, providedBy
from zope.interface.interface import InterfaceClass

# Module attributes that differ between two imports of the same sources by nature.
INCIDENTAL_MODULE = frozenset(
    {"__builtins__", "__file__", "__cached__", "__loader__", "__spec__", "__path__", "__warningregistry__"}
)
# Class attributes described otherwise (declarations) or not at all (slots of the type).
INCIDENTAL_CLASS = frozenset({"__dict__", "__weakref__", "__implemented__", "__provides__", "__providedBy__"})
# Attributes of an interface's attributes that differ between two executions of the same source.
INCIDENTAL_ELEMENT = frozenset({"interface", "order", "__name__"})
# Values whose identity means nothing (small ints and strings are shared anyway).
PLAIN = (type(None), bool, int, float, complex, str, bytes, tuple, frozenset, types.ModuleType)
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
DEPTH = 12


class Describer:
    def __init__(self, modules, package):
        """modules: name -> module, all of the package; package: its name."""
        self.package = package
        self.modules = modules
        # Where each non-plain module-level value lives: the first of its paths.
        self.paths = {}
        for name in sorted(modules):
            for key, value in sorted(vars(modules[name]).items()):
                if key not in INCIDENTAL_MODULE and not isinstance(value, PLAIN):
                    self.paths.setdefault(id(value), "%s.%s" % (name, key))
        for name in sorted(modules):
            for key, value in sorted(vars(modules[name]).items()):
                # A definition's own path first, where the module still holds it.
                home = _home(value)
                if home is not None and home.startswith(package + ".") and _lookup(modules, home) is value:
                    self.paths[id(value)] = home

    def normal(self, text):
        return ADDRESS.sub("", text.replace(self.package, "PKG"))

    def where(self, value):
        path = self.paths.get(id(value))
        return None if path is None else self.normal(path)

    def modules_described(self):
        """path -> description, for every module-level name and every class member."""
        described = {}
        for name in sorted(self.modules):
            for key, value in sorted(vars(self.modules[name]).items()):
                if key in INCIDENTAL_MODULE:
                    continue
                path = "%s.%s" % (name, key)
                self.member(value, path, described)
        return described

    def member(self, value, path, described):
        """Describe value at path into described; a class's own members at their own paths."""
        home = self.where(value)
        if home is not None and home != self.normal(path):
            described[self.normal(path)] = ("the object of", home)
            return
        if inspect.isclass(value) and self.ours(value):
            described[self.normal(path)] = self.class_header(value)
            for key, item in sorted(vars(value).items()):
                if key not in INCIDENTAL_CLASS:
                    self.member(item, "%s.%s" % (path, key), described)
            return
        described[self.normal(path)] = self.describe(value, top=True)

    def ours(self, value):
        module = getattr(value, "__module__", None)
        # (A class of a C extension may have a descriptor there, not a string.)
        return isinstance(module, str) and module.startswith(self.package)

    def derived(self, cls):
        """A class made elsewhere from one of ours (Five's views from the user's class): what
        the directive gave it (its namespace, its security declarations) is described too."""
        return any(self.ours(klass) for klass in cls.__mro__[1:])

    def class_header(self, cls):
        return (
            "class",
            self.normal("%s.%s" % (type(cls).__module__, type(cls).__qualname__)),
            [self.normal("%s.%s" % (klass.__module__, klass.__qualname__)) for klass in cls.__mro__],
            [self.normal(interface.__identifier__) for interface in implementedBy(cls).flattened()],
            [self.normal(interface.__identifier__) for interface in providedBy(cls).flattened()],
            self.security(cls),
        )

    def security(self, cls):
        """The security declarations the class carries, inherited ones included (Zope's
        ``__ac_permissions__`` and the ``name__roles__`` InitializeClass derives from them)."""
        return [
            (name, self.normal(repr(getattr(cls, name, None))))
            for name in sorted(dir(cls))
            if name == "__ac_permissions__" or name.endswith("__roles__")
        ]

    def describe(self, value, depth=0, seen=None, top=False):
        """A comparable stand-in for value; what another path holds is that path, except at
        the top (the path itself)."""
        seen = set() if seen is None else seen
        if depth > DEPTH:
            return ("too deep",)
        if not top and not isinstance(value, PLAIN):
            home = self.where(value)
            if home is not None:
                return ("the object of", home)
        if isinstance(value, types.ModuleType):
            return ("module", self.normal(value.__name__))
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self.describe(item, depth + 1, seen) for item in value]
            if isinstance(value, (set, frozenset)):
                items.sort(key=repr)
            return (type(value).__name__, len(value), items)
        if isinstance(value, dict):
            items = [(self.normal(repr(key)), self.describe(item, depth + 1, seen)) for key, item in value.items()]
            return ("dict", items)
        if isinstance(value, InterfaceClass):
            return self.interface(value, depth, seen)
        if inspect.isclass(value):
            if (self.ours(value) or self.derived(value)) and id(value) not in seen:
                seen.add(id(value))
                return self.class_header(value) + (
                    [
                        (key, self.describe(item, depth + 1, seen))
                        for key, item in sorted(vars(value).items())
                        if key not in INCIDENTAL_CLASS
                    ],
                )
            return ("class", self.normal("%s.%s" % (value.__module__, value.__qualname__)))
        if inspect.isfunction(value):
            if id(value) in seen:
                return ("again", self.normal(value.__qualname__))
            seen.add(id(value))
            return self.function(value, depth, seen)
        if isinstance(value, (classmethod, staticmethod)):
            return (type(value).__name__, self.describe(value.__func__, depth + 1, seen))
        if isinstance(value, property):
            parts = (value.fget, value.fset, value.fdel)
            return ("property",) + tuple(self.describe(part, depth + 1, seen) for part in parts)
        if isinstance(value, types.CodeType):
            return self.code(value, depth, seen)
        if type(value).__module__ == "builtins" or not hasattr(value, "__dict__"):
            return ("value", self.normal(repr(value)))
        if id(value) in seen:
            return ("again", self.normal(type(value).__qualname__))
        seen.add(id(value))
        if callable(getattr(value, "cache_info", None)):
            # A functools cache: what it holds was computed by some code, a cold start's holds
            # nothing yet (both are described before anything is called).
            return (
                "functools cache of",
                self.describe(getattr(value, "__wrapped__", None), depth + 1, seen),
                value.cache_info().currsize,
            )
        return (
            "instance of",
            self.describe(type(value), depth + 1, seen),
            [(key, self.describe(item, depth + 1, seen)) for key, item in sorted(vars(value).items())],
        )

    def function(self, function, depth, seen):
        cells = []
        for cell in function.__closure__ or ():
            try:
                cells.append(self.describe(cell.cell_contents, depth + 1, seen))
            except ValueError:
                cells.append(("empty cell",))
        return (
            "function",
            self.normal(function.__module__ or ""),
            function.__qualname__,
            self.code(function.__code__, depth, seen),
            self.describe(function.__defaults__, depth + 1, seen),
            self.describe(function.__kwdefaults__, depth + 1, seen),
            cells,
            function.__doc__,
            self.normal(repr(function.__annotations__)),
            [(key, self.describe(item, depth + 1, seen)) for key, item in sorted(vars(function).items())],
        )

    def code(self, code, depth, seen):
        return (
            code.co_name,
            code.co_firstlineno,
            code.co_code,
            code.co_names,
            code.co_varnames,
            code.co_freevars,
            code.co_cellvars,
            [
                self.code(const, depth + 1, seen) if isinstance(const, types.CodeType) else self.normal(repr(const))
                for const in code.co_consts
            ],
        )

    def interface(self, interface, depth, seen):
        if not self.ours(interface):
            return ("interface", interface.__identifier__)
        elements = []
        for name, element in sorted(interface.namesAndDescriptions(all=False)):
            if hasattr(element, "getSignatureString"):
                elements.append((name, "method", element.getSignatureString(), element.__doc__))
                continue
            state = {key: item for key, item in vars(element).items() if key not in INCIDENTAL_ELEMENT}
            elements.append((name, type(element).__qualname__, self.describe(state, depth + 1, seen)))
        tags = interface.getDirectTaggedValueTags()
        return (
            "interface",
            self.normal(interface.__identifier__),
            [self.normal(base.__identifier__) for base in interface.__bases__],
            [self.normal(base.__identifier__) for base in interface.__iro__],
            elements,
            [(tag, self.describe(interface.getTaggedValue(tag), depth + 1, seen)) for tag in sorted(tags)],
            interface.__doc__,
        )


def _home(value):
    """Where a class, function or interface was defined, by its own account."""
    if isinstance(value, InterfaceClass):
        return value.__identifier__
    if inspect.isclass(value) or inspect.isfunction(value):
        return "%s.%s" % (value.__module__, value.__qualname__)
    return None


def _lookup(modules, dotted):
    """The object at a dotted path of modules' namespaces (Class.attr included), else None."""
    for name in sorted(modules, key=len, reverse=True):
        if dotted.startswith(name + "."):
            value = modules[name]
            for part in dotted[len(name) + 1 :].split("."):
                value = vars(value).get(part) if hasattr(value, "__dict__") else None
            return value
    return None


def differences(live, cold):
    """The paths whose descriptions differ, each with both."""
    return [
        "%s: live %s, cold start %s" % (path, _short(live.get(path, "missing")), _short(cold.get(path, "missing")))
        for path in sorted(set(live) | set(cold))
        if live.get(path, "missing") != cold.get(path, "missing")
    ]


def _short(value, limit=600):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
