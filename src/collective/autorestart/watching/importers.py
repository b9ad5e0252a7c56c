"""What other modules derived, while they were imported, from a module's names: read from their
source, not from object identity (small ints and interned strings are shared by unrelated
modules, and a function updated in place is the same object with new code).

A cold start runs an importer's module-level code with the new code of what it uses.  A
reload re-runs only the saved module, so an importer that used a changed name while being
imported (a decorator, a base class, a class body, a default argument, a module-level call,
an annotation) keeps what the old one gave it, whatever way it reached the name:
``from m import f``, ``import pkg.m`` then ``pkg.m.f``, ``import pkg.m as alias``,
``from pkg import m`` then ``m.f``, aliases, ``*``.  parse() tells, for one module's source,
which (module, name) pairs it uses at import and how; ImportIndex keeps that for the watched
files and answers, for the names a reload changed, which importers must run again.
"""

from __future__ import annotations

import ast
import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

STAR = "*"
# How a module uses a name while it is imported.
VALUE = "value"  # keeps the object itself (a default argument, an item of a list)
CALL = "call"  # runs its code: called, instantiated, a decorator, a metaclass
BASE = "base"  # a base of a class statement: runs its __init_subclass__ or metaclass
ATTRIBUTE = "attribute"  # reads something from it (Config.TIMEOUT, a class attribute)
# The uses whose result depends on the name's code, not only on which object it is: what a
# name updated in place (same object, new code) gives differs from what it gave at import.
RUNS_CODE = frozenset({CALL, ATTRIBUTE})
Key = tuple[str, str]  # (module, name)


@dataclass(frozen=True)
class Binding:
    """``local`` in the importer is a copy of ``source`` of the imported module."""

    local: str
    source: str
    # The importer uses the name while it is being imported (DOUBLE = TIMEOUT * 2, a class
    # body, a decorator) or binds it again: only running it again gives what a cold start
    # gives, a new binding would not.
    used_at_import: bool


@dataclass
class ModuleUses:
    """What one module's source does with other modules' names (and its own)."""

    # from-imports by value, by the module they come from: copies a new binding reaches.
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    # (module, name) -> how the module uses it while it is imported.
    at_import: dict[Key, set[str]] = field(default_factory=dict)
    # Own module-level name -> the (module, name) pairs its statements refer to, function
    # bodies included: what its behaviour depends on.
    refers: dict[str, set[Key]] = field(default_factory=dict)
    # Own module-level name -> a digest of the statements that bind it (positions left out).
    digests: dict[str, str] = field(default_factory=dict)
    # Own names bound by a def or class statement (updated in place by a reload); the others
    # are values the module computes, new objects each time it runs.
    definitions: set[str] = field(default_factory=set)
    # Own classes that run code when subclassed (__init_subclass__, a metaclass), and the
    # bases of each own class.
    hooks: set[str] = field(default_factory=set)
    bases: dict[str, set[Key]] = field(default_factory=dict)
    # The modules it imports at module level, for ordering runs as a cold start does.
    imports: set[str] = field(default_factory=set)


def resolve_import(module: str | None, level: int, package: str) -> str | None:
    """The absolute name of ``from <level dots><module> import ...`` in package."""
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base) or None


def _module_level(body: Iterable[ast.stmt]) -> Iterator[ast.stmt]:
    """Statements run at import: the body, and what if/try/with blocks in it hold (not what
    ``if TYPE_CHECKING:`` holds)."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        fields = ("orelse",) if _is_type_checking(node) else ("body", "orelse", "finalbody", "handlers")
        for name in fields:
            inner = getattr(node, name, None)
            if isinstance(inner, list):
                for child in inner:
                    if isinstance(child, ast.ExceptHandler):
                        yield from _module_level(child.body)
                    elif isinstance(child, ast.stmt):
                        yield from _module_level([child])


def _is_type_checking(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _chain(node: ast.expr) -> tuple[str, list[str]] | None:
    """``a.b.c`` as ("a", ["b", "c"]); None for anything else."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return node.id, attributes[::-1]


class _Scope:
    """What the module's top-level names stand for: a module, a name of a module, or both
    (``from pkg import m`` may bind a submodule or an attribute: both are kept, the one that
    is not is never reloaded)."""

    def __init__(self, module: str) -> None:
        self.module = module
        self.modules: dict[str, set[str]] = {}
        self.names: dict[str, set[Key]] = {}
        self.stars: list[str] = []

    def resolve(self, root: str, attributes: list[str], kind: str) -> Iterator[tuple[Key, str]]:
        """The (module, name) pairs a use of root.attributes reaches, each with how it is used."""
        modules = set(self.modules.get(root, ()))
        for key in self.names.get(root, ()):
            yield key, ATTRIBUTE if attributes else kind
            modules.add("%s.%s" % key)
        if root not in self.modules and root not in self.names:
            for origin in self.stars:
                yield (origin, root), ATTRIBUTE if attributes else kind
        for index, attribute in enumerate(attributes):
            last = index == len(attributes) - 1
            for module in modules:
                yield (module, attribute), kind if last else ATTRIBUTE
            modules = {"%s.%s" % (module, attribute) for module in modules}


class _Uses(ast.NodeVisitor):
    """The uses of names in what it visits: outside function bodies (their defaults,
    decorators and annotations run at definition time), unless into_bodies."""

    def __init__(self, scope: _Scope, into_bodies: bool, annotations: bool) -> None:
        self.scope = scope
        self.into_bodies = into_bodies
        self.annotations = annotations
        self.found: dict[Key, set[str]] = {}
        # Own names as read (for Binding.used_at_import) and bound.
        self.read: set[str] = set()
        self.bound: dict[str, int] = {}

    def _use(self, node: ast.expr, kind: str) -> None:
        chain = _chain(node)
        if chain is None:
            # f().attribute, items[0].attribute: what it is read from is used as a value.
            self.visit(node.value if isinstance(node, ast.Attribute) else node)
            return
        root, attributes = chain
        self.read.add(root)
        for key, how in self.scope.resolve(root, attributes, kind):
            self.found.setdefault(key, set()).add(how)

    def _bind(self, name: str) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._use(node, VALUE)
        else:
            self._bind(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Load):
            self._use(node, VALUE)
        else:
            self.visit(node.value)

    def visit_Call(self, node: ast.Call) -> None:
        self._use(node.func, CALL)
        for child in [*node.args, *node.keywords]:
            self.visit(child)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._bind(node.name)
        for decorator in node.decorator_list:
            self._use(decorator, CALL)
        self.visit(node.args)
        if node.returns is not None and self.annotations:
            self.visit(node.returns)
        if self.into_bodies:
            for statement in node.body:
                self.visit(statement)

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_arguments(self, node: ast.arguments) -> None:
        for default in [*node.defaults, *(value for value in node.kw_defaults if value is not None)]:
            self.visit(default)
        if not self.annotations:
            return
        for argument in [*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg]:
            if argument is not None and argument.annotation is not None:
                self.visit(argument.annotation)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)
        if self.into_bodies:
            self.visit(node.body)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        if self.annotations:
            self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node.name)
        for decorator in node.decorator_list:
            self._use(decorator, CALL)
        for base in node.bases:
            self._use(base, BASE)
        for keyword in node.keywords:
            # metaclass=Meta runs Meta; other keywords go to __init_subclass__ as values.
            self._use(keyword.value, CALL if keyword.arg == "metaclass" else VALUE)
        for statement in node.body:
            self.visit(statement)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != STAR:
                self._bind(alias.asname or alias.name)


def _bound_by(node: ast.stmt) -> list[str]:
    """The module-level names a definition or assignment statement binds."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    names: list[str] = []
    for target in targets:
        names.extend(child.id for child in ast.walk(target) if isinstance(child, ast.Name))
    return names


def _scope_of(statements: list[ast.stmt], module: str, package: str) -> tuple[_Scope, dict[str, list[Binding]]]:
    scope = _Scope(module)
    found: dict[str, list[Binding]] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.modules.setdefault(alias.asname, set()).add(alias.name)
                else:
                    root = alias.name.split(".")[0]
                    scope.modules.setdefault(root, set()).add(root)
        elif isinstance(node, ast.ImportFrom):
            origin = resolve_import(node.module, node.level, package)
            if origin is None:
                continue
            for alias in node.names:
                found.setdefault(origin, []).append(Binding(alias.asname or alias.name, alias.name, False))
                if alias.name == STAR:
                    scope.stars.append(origin)
                else:
                    scope.names.setdefault(alias.asname or alias.name, set()).add((origin, alias.name))
        else:
            for name in _bound_by(node):
                scope.names.setdefault(name, set()).add((module, name))
    # Aliases made at module level (``_tag = deco.tag``): a use of the alias is one of the name.
    for node in statements:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            chain = _chain(node.value)
            if chain is not None:
                aliased = {key for key, _ in scope.resolve(chain[0], chain[1], VALUE)}
                scope.names.setdefault(node.targets[0].id, set()).update(aliased)
    return scope, found


def parse(source: str, module: str, package: str, filename: str = "<unknown>") -> ModuleUses:
    """What the source of ``module`` (whose ``__package__`` is package) uses, and how."""
    tree = ast.parse(source, filename)
    annotations = not any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(alias.name == "annotations" for alias in node.names)
        for node in tree.body
    )
    lines = source.splitlines()
    statements = list(_module_level(tree.body))
    scope, found = _scope_of(statements, module, package)
    uses = ModuleUses(bindings=found)
    at_import = _Uses(scope, into_bodies=False, annotations=annotations)
    for node in tree.body:
        at_import.visit(node)
    uses.at_import = at_import.found
    digests: dict[str, list[str]] = {}
    bodies: dict[str, dict[Key, set[str]]] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            uses.imports.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            origin = resolve_import(node.module, node.level, package)
            if origin is not None:
                uses.imports.add(origin)
                uses.imports.update("%s.%s" % (origin, alias.name) for alias in node.names if alias.name != STAR)
        names = _bound_by(node)
        if not names:
            continue
        whole = _Uses(scope, into_bodies=True, annotations=annotations)
        whole.visit(node)
        digest = _statement_text(lines, node)
        for name in names:
            uses.refers.setdefault(name, set()).update(whole.found)
            digests.setdefault(name, []).append(digest)
            bodies.setdefault(name, {})
            for key, kinds in whole.found.items():
                bodies[name].setdefault(key, set()).update(kinds)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            uses.definitions.add(node.name)
        if isinstance(node, ast.ClassDef):
            uses.bases[node.name] = {key for base in node.bases for key in _keys(scope, base)}
            if any(keyword.arg == "metaclass" for keyword in node.keywords) or any(
                isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name == "__init_subclass__"
                for child in node.body
            ):
                uses.hooks.add(node.name)
    uses.digests = {name: hashlib.sha1("\n".join(parts).encode()).hexdigest() for name, parts in digests.items()}
    _add_own_calls(uses, module, bodies)
    for origin, bindings_ in found.items():
        found[origin] = [
            Binding(
                binding.local,
                binding.source,
                binding.local == STAR or binding.local in at_import.read or at_import.bound.get(binding.local, 0) > 1,
            )
            for binding in bindings_
        ]
    return uses


def _statement_text(lines: list[str], node: ast.stmt) -> str:
    """The statement's source without blank and comment lines, decorators included: what
    says whether it changed, wherever it moved (ast.dump would too, at three times the cost
    of parsing)."""
    first = min([node.lineno] + [decorator.lineno for decorator in getattr(node, "decorator_list", ())])
    last = node.end_lineno or node.lineno
    return "\n".join(line for line in lines[first - 1 : last] if line.strip() and not line.lstrip().startswith("#"))


def _keys(scope: _Scope, node: ast.expr) -> set[Key]:
    chain = _chain(node)
    return set() if chain is None else {key for key, _ in scope.resolve(chain[0], chain[1], VALUE)}


def _add_own_calls(uses: ModuleUses, module: str, bodies: dict[str, dict[Key, set[str]]]) -> None:
    """A function of the module called while it is imported (``_setup()``, a class of it
    instantiated, or subclassed where that runs its __init_subclass__ or metaclass) runs its
    body then: what that body uses is used at import."""
    done: set[str] = set()
    while True:
        called = [
            name
            for (origin, name), kinds in uses.at_import.items()
            if origin == module
            and name in uses.definitions
            and name not in done
            and (CALL in kinds or (BASE in kinds and name in uses.hooks))
        ]
        if not called:
            return
        for name in called:
            done.add(name)
            for key, kinds in bodies.get(name, {}).items():
                uses.at_import.setdefault(key, set()).update(kinds)
            if CALL in uses.at_import[(module, name)]:
                # An instance of a class runs what its bases of this module define too.
                for base in uses.bases.get(name, ()):
                    if base[0] == module:
                        uses.at_import.setdefault(base, set()).add(CALL)


def bindings(source: str, package: str, filename: str = "<unknown>") -> dict[str, list[Binding]]:
    """The names a module's source imports by value at module level, by the absolute name of
    the module they come from.  package: the importer's ``__package__``."""
    return parse(source, package + ".<module>", package, filename).bindings


@dataclass
class _Entry:
    key: tuple[int, int]
    uses: ModuleUses
    # The digests of the version parsed before this one: what a reload changed.
    previous: dict[str, str] | None


class ImportIndex:
    """parse() of the watched modules' files, parsed again only when a file changed."""

    def __init__(self) -> None:
        self._cache: dict[str, _Entry] = {}
        # The watched modules' uses as a graph, brought up to date by the caller.
        self.graph = Graph()

    def of(self, path: str, module: str, package: str) -> ModuleUses:
        try:
            stat = os.stat(path)
        except OSError:
            return ModuleUses()
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached.key == key:
            return cached.uses
        try:
            with open(path, "rb") as stream:
                source = stream.read().decode("utf-8", errors="replace")
            found = parse(source, module, package, path)
        except (SyntaxError, ValueError):
            # Broken or half-saved: its own reload reports it; it imports nothing we know of.
            found = ModuleUses()
        self._cache[path] = _Entry(key, found, None if cached is None else cached.uses.digests)
        return found

    def remember(self, path: str, module: str, package: str, source: bytes, stat: os.stat_result | None = None) -> None:
        """The source path's module was imported from (PythonReloader.remember_sources reads
        it): what its first reload compares with, so that even the first save of a module
        runs again only the importers of what it changed.  stat: the file's, as read (then
        the first scan does not parse it again while it stays so)."""
        try:
            found = parse(source.decode("utf-8", errors="replace"), module, package, path)
        except (SyntaxError, ValueError):
            return
        key = (-1, -1) if stat is None else (stat.st_mtime_ns, stat.st_size)
        self._cache[path] = _Entry(key, found, None)

    def changed_definitions(self, path: str) -> set[str] | None:
        """The module-level names whose statements differ from the version of path that last
        ran (parsed before its last change, or marked by ran_again); None when no earlier
        version was seen.  What it returns counts once: the next call compares with now."""
        entry = self._cache.get(path)
        if entry is None or entry.previous is None:
            return None
        now, before = entry.uses.digests, entry.previous
        entry.previous = now
        return {name for name in now if before.get(name) != now[name]} | (set(before) - set(now))

    def ran_again(self, path: str) -> None:
        """path's module is run again for what it imports, with the source parsed now: its
        own statements changed only if the file changes after this."""
        entry = self._cache.get(path)
        if entry is not None:
            entry.previous = entry.uses.digests


@dataclass
class Rerun:
    """An importer to run again, and what of which module it used at import."""

    module: str
    uses: Key


class Graph:
    """Who refers to and who uses at import each (module, name) of the watched modules,
    kept up to date by update(), which redoes only the modules parsed again: a save's
    question then costs what it reaches, not the size of the tree."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleUses] = {}
        # (module, name) -> the module-level names whose statements refer to it.
        self.referrers: dict[Key, set[Key]] = {}
        # (module, name) -> the modules that use it at import, and how.
        self.users: dict[Key, dict[str, set[str]]] = {}

    def update(self, modules: dict[str, ModuleUses]) -> Graph:
        for name in [name for name in self.modules if name not in modules]:
            self._drop(name)
        for name, uses in modules.items():
            if self.modules.get(name) is not uses:
                self._drop(name)
                self._add(name, uses)
        return self

    def _add(self, name: str, uses: ModuleUses) -> None:
        self.modules[name] = uses
        for own, keys in uses.refers.items():
            for key in keys:
                self.referrers.setdefault(key, set()).add((name, own))
        for key, kinds in uses.at_import.items():
            self.users.setdefault(key, {})[name] = kinds

    def _drop(self, name: str) -> None:
        uses = self.modules.pop(name, None)
        if uses is None:
            return
        for own, keys in uses.refers.items():
            for key in keys:
                self.referrers.get(key, set()).discard((name, own))
        for key in uses.at_import:
            self.users.get(key, {}).pop(name, None)


def to_run_again(graph: Graph, origin: str, replaced: set[str], in_place: set[str], order: list[str]) -> list[Rerun]:
    """The modules whose import-time code a cold start would run differently now that origin
    replaced the values of ``replaced`` and updated ``in_place`` in place (same objects, new
    code), in the order a cold start imports them (dependencies first).

    Transitive: a function whose body calls a changed name behaves differently too, so an
    importer that called it at import runs again; so does one that copied a value computed
    by a module that runs again.  order: the watched modules in sys.modules order, to break
    ties."""
    replaced_keys = {(origin, name) for name in replaced}
    changed = _behaving_differently(graph, replaced_keys | {(origin, name) for name in in_place})
    # (key, whether any use of it counts): a new object, or only a use of its code.
    pending = [(key, True) for key in replaced_keys] + [(key, False) for key in changed - replaced_keys]
    again: dict[str, Key] = {}
    while pending:
        key, any_use = pending.pop(0)
        for importer, kinds in graph.users.get(key, {}).items():
            if importer == origin or importer in again:
                continue
            if any_use or kinds & RUNS_CODE or (BASE in kinds and _hooked(graph.modules, key, set())):
                again[importer] = key
                uses = graph.modules[importer]
                # What it computes at import is made anew: whoever copied it needs it again.
                pending.extend(((importer, name), True) for name in uses.digests if _computed(uses, name))
    return [Rerun(name, again[name]) for name in _dependencies_first(graph.modules, set(again), order)]


def _behaving_differently(graph: Graph, seeds: set[Key]) -> set[Key]:
    """seeds, and every module-level name whose statements refer to one of them."""
    changed, pending = set(seeds), list(seeds)
    while pending:
        for referrer in graph.referrers.get(pending.pop(), ()):
            if referrer not in changed:
                changed.add(referrer)
                pending.append(referrer)
    return changed


def _computed(uses: ModuleUses, name: str) -> bool:
    """Whether the module computes name by an assignment (a new object each run), rather than
    defining it (updated in place) or importing it."""
    return name in uses.digests and name not in uses.definitions


def _hooked(modules: dict[str, ModuleUses], key: Key, seen: set[Key]) -> bool:
    """Whether subclassing the class at key runs code of the watched modules."""
    if key in seen:
        return False
    seen.add(key)
    uses = modules.get(key[0])
    if uses is None:
        return False
    return key[1] in uses.hooks or any(_hooked(modules, base, seen) for base in uses.bases.get(key[1], ()))


def _dependencies_first(modules: dict[str, ModuleUses], chosen: set[str], order: list[str]) -> list[str]:
    """chosen, each after the chosen modules it imports (directly or not), as a cold start
    finishes importing them; an import cycle is broken where it is met."""
    result: list[str] = []
    seen: set[str] = set()
    for start in order:
        if start not in chosen or start in seen:
            continue
        seen.add(start)
        # Depth first, without recursion (import chains can be long): (name, what it imports).
        stack = [(start, iter(sorted(modules[start].imports)))]
        while stack:
            name, imported = stack[-1]
            following = next((each for each in imported if each in modules and each not in seen), None)
            if following is None:
                stack.pop()
                if name in chosen:
                    result.append(name)
                continue
            seen.add(following)
            stack.append((following, iter(sorted(modules[following].imports))))
    return result
