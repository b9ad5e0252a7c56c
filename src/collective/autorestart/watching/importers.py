"""Which modules imported names of a module by value (``from .config import TIMEOUT``), read
from their import statements: a reloaded module's new values never reach those copies by
themselves.  Found by source, not by object identity, since small ints and interned strings
are shared by unrelated modules."""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable
from dataclasses import dataclass

STAR = "*"


@dataclass(frozen=True)
class Binding:
    """``local`` in the importer is a copy of ``source`` of the imported module."""

    local: str
    source: str
    # The importer uses the name while it is being imported (DOUBLE = TIMEOUT * 2, a class
    # body, a decorator) or binds it again: only running it again gives what a cold start
    # gives, a new binding would not.
    used_at_import: bool


def _resolve(module: str | None, level: int, package: str) -> str | None:
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    if module:
        base.append(module)
    return ".".join(base) or None


class _ImportTimeNames(ast.NodeVisitor):
    """Names read or bound while the module body runs: everything outside function bodies
    (their defaults, decorators and annotations run at definition time)."""

    def __init__(self) -> None:
        self.read: set[str] = set()
        self.bound: dict[str, int] = {}

    def _bind(self, name: str) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.read.add(node.id)
        else:
            self._bind(node.id)

    def _visit_function(self, node) -> None:
        self._bind(node.name)
        for decorator in node.decorator_list:
            self.visit(decorator)
        self.visit(node.args)
        if node.returns is not None:
            self.visit(node.returns)

    visit_FunctionDef = visit_AsyncFunctionDef = _visit_function

    def visit_arguments(self, node: ast.arguments) -> None:
        for default in list(node.defaults) + [value for value in node.kw_defaults if value is not None]:
            self.visit(default)
        for argument in node.posonlyargs + node.args + node.kwonlyargs + [node.vararg, node.kwarg]:
            if argument is not None and argument.annotation is not None:
                self.visit(argument.annotation)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.visit(node.args)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._bind(node.name)
        for child in node.decorator_list + node.bases + node.keywords + node.body:
            self.visit(child)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._bind((alias.asname or alias.name).split(".")[0])

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != STAR:
                self._bind(alias.asname or alias.name)


def bindings(source: str, package: str, filename: str = "<unknown>") -> dict[str, list[Binding]]:
    """The names a module's source imports by value at module level, by the absolute name of
    the module they come from.  package: the importer's ``__package__``."""
    tree = ast.parse(source, filename)
    names = _ImportTimeNames()
    names.visit(tree)
    found: dict[str, list[Binding]] = {}
    for node in _module_level(tree.body):
        if not isinstance(node, ast.ImportFrom):
            continue
        origin = _resolve(node.module, node.level, package)
        if origin is None:
            continue
        for alias in node.names:
            local = alias.asname or alias.name
            used = local == STAR or local in names.read or names.bound.get(local, 0) > 1
            found.setdefault(origin, []).append(Binding(local, alias.name, used))
    return found


def _module_level(body: Iterable[ast.AST]):
    """Statements run at import: the body, and what if/try/with blocks in it hold."""
    for node in body:
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list) and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                yield from _module_level([child for child in inner if isinstance(child, ast.AST)])


class ImportIndex:
    """bindings() of the watched modules' files, parsed again only when a file changed."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[tuple[int, int], dict[str, list[Binding]]]] = {}

    def of(self, path: str, package: str) -> dict[str, list[Binding]]:
        try:
            stat = os.stat(path)
        except OSError:
            return {}
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._cache.get(path)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            with open(path, "rb") as stream:
                source = stream.read().decode("utf-8", errors="replace")
            found = bindings(source, package, path)
        except (SyntaxError, ValueError):
            # Broken or half-saved: its own reload reports it; it imports nothing we know of.
            found = {}
        self._cache[path] = (key, found)
        return found
