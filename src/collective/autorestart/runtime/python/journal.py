"""Every change a batch's reload makes to live objects, to take back when one of its modules
fails: a batch is applied whole or not at all, never half (the previous code keeps serving
only if it is all still there).

Each change is recorded with what it replaced before it is made; rollback() undoes them in
reverse order.  What the failed module's code did outside its own namespace while it ran is
not the journal's: it can't see it.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable, MutableMapping, MutableSequence

MISSING = object()
# What a reload updates of a function in place, besides its cells and attributes.
# __name__ and __qualname__ too: an alias in a class body (``manage_FTPget = manage_DAVget``)
# updates the old function of one name from the new function of the other.
FUNCTION_SLOTS = (
    "__code__",
    "__defaults__",
    "__kwdefaults__",
    "__doc__",
    "__annotations__",
    "__name__",
    "__qualname__",
)


class Journal:
    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def __len__(self) -> int:
        return len(self._undo)

    def setattr(self, owner: object, name: str, value: object) -> None:
        """setattr(owner, name, value); undone by setting back what getattr gave, or by
        deleting the attribute where a class did not have it itself (it inherited it)."""
        if isinstance(owner, type) and not _slot(owner, name) and name not in vars(owner):
            self._undo.append(lambda: _delattr_if_there(owner, name))
        else:
            before = getattr(owner, name)
            self._undo.append(lambda: setattr(owner, name, before))
        setattr(owner, name, value)

    def delattr(self, owner: object, name: str) -> None:
        before = vars(owner)[name]
        delattr(owner, name)
        self._undo.append(lambda: setattr(owner, name, before))

    def setitem(self, container: MutableMapping | MutableSequence, key, value) -> None:
        if isinstance(container, MutableMapping) and key not in container:
            self._undo.append(lambda: container.pop(key, None))
        else:
            before = container[key]
            self._undo.append(lambda: container.__setitem__(key, before))
        container[key] = value

    def set_class(self, instance: object, cls: type) -> None:
        """instance.__class__ = cls, past a __setattr__ of the class (a frozen dataclass)."""
        before = type(instance)
        object.__setattr__(instance, "__class__", cls)
        self._undo.append(lambda: object.__setattr__(instance, "__class__", before))

    def keep_function(self, function: types.FunctionType) -> None:
        """Undone by giving function back its code, defaults, docstring, annotations and
        attributes as they are now (one record where a reload changes them all)."""
        slots = {name: getattr(function, name) for name in FUNCTION_SLOTS}
        attributes = dict(vars(function))

        def restore() -> None:
            for name, value in slots.items():
                setattr(function, name, value)
            vars(function).clear()
            vars(function).update(attributes)

        self._undo.append(restore)

    def set_cell(self, cell: types.CellType, value: object) -> None:
        try:
            before = cell.cell_contents
        except ValueError:
            before = MISSING
        self._undo.append(lambda: _restore_cell(cell, before))
        cell.cell_contents = value

    def keep_dict(self, mapping: dict) -> None:
        """Undone by giving mapping back all it holds now (keys, values and their order)."""
        before = dict(mapping)

        def restore() -> None:
            mapping.clear()
            mapping.update(before)

        self._undo.append(restore)

    def keep_set(self, items: set) -> None:
        before = set(items)

        def restore() -> None:
            items.clear()
            items.update(before)

        self._undo.append(restore)

    def on_undo(self, action: Callable[[], None]) -> None:
        """action, when the changes recorded after this call have been undone."""
        self._undo.append(action)

    def rollback(self) -> None:
        """Undo every change, last first.  Each undo runs even when one before it raised;
        the first error is raised at the end."""
        error: BaseException | None = None
        while self._undo:
            try:
                self._undo.pop()()
            except Exception as raised:  # noqa: B902 - whatever a class does on setattr
                error = error or raised
        if error is not None:
            raise error


def _slot(owner: object, name: str) -> bool:
    """Whether name is a data descriptor of owner's type (a class's __bases__), which
    getattr(type(owner), name) can't tell: on a metaclass it gives the metaclass's own."""
    return any(inspect.isdatadescriptor(vars(klass).get(name)) for klass in type(owner).__mro__)


def _delattr_if_there(owner: object, name: str) -> None:
    if name in vars(owner):
        delattr(owner, name)


def _restore_cell(cell: types.CellType, before: object) -> None:
    if before is MISSING:
        del cell.cell_contents
    else:
        cell.cell_contents = before
