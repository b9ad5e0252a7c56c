"""Monkey patches a module applies while it is imported, found in its source before it runs
again: running a patch twice patches the patch (``old_traverse = view.traverse`` now is the
previous wrapper) or, if the run fails half-way, leaves the target without its original.  A
cold start patches once, so a module that patches (or patched, in its previous source) is
not run again: the instance restarts.

A patch is a statement run at import (at module level, in a class body, or in a function of
the module that module-level code calls) that assigns, deletes or ``setattr``s an attribute
of an object the module did not make itself (it imported it, or an alias of it), or appends
to one of its containers (``other.HOOKS.append(f)``: run twice, it holds f twice)."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator

from collective.autorestart.watching.importers import resolve_import
from collective.autorestart.watching.unsafe import Unsafe, UnsafeKind

# Calls that change their first argument's attributes.
SETTERS = frozenset({"setattr", "delattr"})
# Declarations zope.interface keeps on the class itself.
DECLARERS = frozenset({"classImplements", "classImplementsOnly", "classImplementsFirst"})
# Methods that add to a container whatever it already holds: run again, it holds it twice.
ACCUMULATORS = frozenset({"append", "extend", "insert", "appendleft", "extendleft"})
# How deep module-level calls into the module's own functions are followed.
CALL_DEPTH = 3
# Lines without which a source patches nothing (a superset: what matches is parsed): an
# assignment to a dotted name not on self or cls, del, the setters and declarers, the
# accumulators.  Most modules have none and cost a scan instead of a parse.
MAYBE_PATCH = re.compile(
    rb"^[ \t]*(?!self\.|cls\.)[A-Za-z_]\w*(?:[ \t]*\.[ \t]*[A-Za-z_]\w*)+"
    rb"[ \t]*(?:,|(?:[-+*/%&|^@]|//|\*\*|>>|<<)?=(?!=))"
    rb"|^[ \t]*del\b"
    rb"|=[ \t]*[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+[ \t]*=(?!=)"
    rb"|\b(?:setattr|delattr|classImplements\w*)\b"
    rb"|\.[ \t]*(?:append|extend|insert|appendleft|extendleft)\b",
    re.MULTILINE,
)


def patched_targets(source: bytes | str, module: str, package: str) -> list[str]:
    """What the module's code patches at import, as dotted names (``pkg.target.Target.speak``);
    [] when the source does not parse (running it fails before anything is patched)."""
    if isinstance(source, str):
        source = source.encode("utf-8", "surrogateescape")
    if not MAYBE_PATCH.search(source):
        return []
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    finder = _PatchFinder(module, package, tree)
    finder.scan(tree.body, depth=0)
    return sorted(set(finder.targets))


class PatchCheck:
    """Tells, before a module runs again, whether it patches what it imported.  Keeps, by
    file, that a module's last run patched nothing (what it ran once it passed the check)."""

    def __init__(self) -> None:
        self._clean: set[str] = set()

    def check(self, module: str, package: str, filename: str, old_source: bytes | None) -> list[Unsafe]:
        try:
            with open(filename, "rb") as stream:
                new_source = stream.read()
        except OSError:
            return []
        targets = set(patched_targets(new_source, module, package))
        if old_source is not None and filename not in self._clean:
            # A patch the new source no longer makes stays applied until a cold start.
            targets.update(patched_targets(old_source, module, package))
        if not targets:
            self._clean.add(filename)
            return []
        self._clean.discard(filename)
        return [Unsafe(UnsafeKind.PATCHES_AT_IMPORT, module, ", ".join(sorted(targets)))]


class _PatchFinder:
    def __init__(self, module: str, package: str, tree: ast.Module) -> None:
        self.module = module
        self.package = package
        self.targets: list[str] = []
        # Module-level name -> the dotted name of what it imported (or aliased).
        self.imported: dict[str, str] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.star = False
        self._visited: set[str] = set()
        for node in _run_at_import(tree.body):
            self._learn(node)

    def _learn(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    self.imported[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    self.imported[top] = top
        elif isinstance(node, ast.ImportFrom):
            origin = resolve_import(node.module, node.level, self.package) or "?"
            for alias in node.names:
                if alias.name == "*":
                    self.star = True
                else:
                    self.imported[alias.asname or alias.name] = "%s.%s" % (origin, alias.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.functions[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            # An alias of something imported (``view = namespace.view``) is as foreign.
            dotted = self.dotted(node.value, set())
            if dotted is not None:
                self.imported[node.targets[0].id] = dotted

    def dotted(self, node: ast.expr, local: set[str]) -> str | None:
        """The dotted name of an attribute chain rooted at an imported name, else None."""
        if isinstance(node, ast.Attribute):
            base = self.dotted(node.value, local)
            return None if base is None else "%s.%s" % (base, node.attr)
        if isinstance(node, ast.Name) and node.id not in local:
            if node.id in self.imported:
                return self.imported[node.id]
            if self.star and node.id not in self.functions and not hasattr(builtins, node.id):
                return "%s (from a * import)" % node.id
        return None

    def scan(self, body: list[ast.stmt], depth: int, local: frozenset[str] = frozenset()) -> None:
        for node in _run_at_import(body):
            for target in self._patched_by(node, set(local)):
                self.targets.append(target)
            if depth < CALL_DEPTH:
                for called in self._own_calls(node):
                    if called not in self._visited:
                        self._visited.add(called)
                        self._scan_function(self.functions[called], depth + 1)

    def _scan_function(self, function: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> None:
        """A function's body, with what it imports itself counted as imported."""
        saved = dict(self.imported)
        for node in ast.walk(function):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._learn(node)
        try:
            self.scan(function.body, depth, frozenset(_assigned_in(function)))
        finally:
            self.imported = saved

    def _patched_by(self, node: ast.stmt, local: set[str]) -> Iterator[str]:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                yield from self._attributes(target, local)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            yield from self._attributes(node.target, local)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                yield from self._attributes(target, local)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield from self._called(node.value, local)

    def _attributes(self, target: ast.expr, local: set[str]) -> Iterator[str]:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                yield from self._attributes(element, local)
        elif isinstance(target, ast.Attribute):
            dotted = self.dotted(target, local)
            if dotted is not None:
                yield dotted

    def _called(self, call: ast.Call, local: set[str]) -> Iterator[str]:
        function = call.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", None)
        if name in SETTERS | DECLARERS and call.args:
            owner = self.dotted(call.args[0], local)
            if owner is None:
                return
            if name in DECLARERS:
                yield "%s (its interface declaration)" % owner
            elif len(call.args) > 1 and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str):
                yield "%s.%s" % (owner, call.args[1].value)
            else:
                yield "%s (an attribute)" % owner
        elif isinstance(function, ast.Attribute) and function.attr in ACCUMULATORS:
            owner = self.dotted(function.value, local)
            if owner is not None:
                yield "%s (%s)" % (owner, function.attr)

    def _own_calls(self, node: ast.stmt) -> Iterator[str]:
        """The module's own functions a statement run at import calls (not those it only
        defines or passes along)."""
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Its decorators run; its body does not.
            parts: list[ast.AST] = list(node.decorator_list)
        elif isinstance(node, ast.ClassDef):
            parts = [*node.decorator_list, *node.bases]
        else:
            parts = [node]
        for part in parts:
            for inner in ast.walk(part):
                if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id in self.functions:
                    yield inner.func.id


def _run_at_import(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body that run when it does: into if/try/with/for blocks and class
    bodies, not into function bodies."""
    for node in body:
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _run_at_import([child for child in inner if isinstance(child, ast.stmt)])
        for handler in getattr(node, "handlers", ()) or ():
            yield from _run_at_import(handler.body)


def _assigned_in(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """A function's local names: its parameters and what it assigns, unless declared global
    (what it imports is foreign, as at module level)."""
    arguments = function.args
    names = {
        argument.arg
        for argument in arguments.posonlyargs
        + arguments.args
        + arguments.kwonlyargs
        + [arguments.vararg, arguments.kwarg]
        if argument is not None
    }
    declared_global: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, ast.Global):
            declared_global.update(node.names)
    return names - declared_global
