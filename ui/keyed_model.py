"""A list model kept in step with a list of keyed items by the smallest set of row changes.

`sync(items)` removes rows whose key is gone, moves and inserts the rest into place, and
emits `dataChanged` for one row only when that row's item changed: a view never resets, a
selection survives, and 500 rows cost one pass.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QListView

T = TypeVar("T")

KEY_ROLE = int(Qt.ItemDataRole.UserRole) + 1
ITEM_ROLE = int(Qt.ItemDataRole.UserRole) + 2
FIRST_CUSTOM_ROLE = int(Qt.ItemDataRole.UserRole) + 10

Index = QModelIndex | QPersistentModelIndex


class KeyedListModel(QAbstractListModel, Generic[T]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._keys: list[Hashable] = []
        self._items: list[T] = []

    # -- what subclasses say ---------------------------------------------------------------------

    def key_of(self, item: T) -> Hashable:
        raise NotImplementedError

    def display(self, item: T) -> str:
        return str(item)

    def extra(self, item: T, row: int, role: int) -> Any:
        return None

    # -- Qt ---------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(item)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.display(item)
        if role == KEY_ROLE:
            return self._keys[index.row()]
        if role == ITEM_ROLE:
            return item
        return self.extra(item, index.row(), role)

    # -- reading ----------------------------------------------------------------------------------

    def items(self) -> list[T]:
        return list(self._items)

    def item(self, row: int) -> T:
        return self._items[row]

    def row_of(self, key: Hashable) -> int:
        try:
            return self._keys.index(key)
        except ValueError:
            return -1

    # -- writing ----------------------------------------------------------------------------------

    def sync(self, items: Sequence[T]) -> None:
        new_keys = [self.key_of(item) for item in items]
        if not self._items and items:  # first fill: one insertion
            self.beginInsertRows(QModelIndex(), 0, len(items) - 1)
            self._keys, self._items = new_keys, list(items)
            self.endInsertRows()
            return
        wanted = set(new_keys)
        for row in range(len(self._keys) - 1, -1, -1):
            if self._keys[row] not in wanted:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._keys[row]
                del self._items[row]
                self.endRemoveRows()
        position = {key: row for row, key in enumerate(self._keys)}
        for target, (key, item) in enumerate(zip(new_keys, items, strict=True)):
            current = (
                position.get(key, -1)
                if target >= len(self._keys) or (self._keys[target] != key)
                else target
            )
            if current == target:
                if self._items[target] != item:
                    self._items[target] = item
                    index = self.index(target)
                    self.dataChanged.emit(index, index)
                continue
            if current == -1:
                self.beginInsertRows(QModelIndex(), target, target)
                self._keys.insert(target, key)
                self._items.insert(target, item)
                self.endInsertRows()
            else:
                self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), target)
                self._keys.insert(target, self._keys.pop(current))
                self._items.insert(target, self._items.pop(current))
                self.endMoveRows()
                if self._items[target] != item:
                    self._items[target] = item
                    index = self.index(target)
                    self.dataChanged.emit(index, index)
            position = {k: row for row, k in enumerate(self._keys)}

    def append(self, item: T, keep: int | None = None) -> None:
        """Add at the end (a log); drop the oldest past `keep` rows."""
        row = len(self._items)
        self.beginInsertRows(QModelIndex(), row, row)
        self._keys.append(self.key_of(item))
        self._items.append(item)
        self.endInsertRows()
        if keep is not None and len(self._items) > keep:
            drop = len(self._items) - keep
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self._keys[:drop]
            del self._items[:drop]
            self.endRemoveRows()


class PeopleListView(QListView):
    """A list of people whose selection never moves to someone else by itself.

    When the selected row is removed (the person left, or was removed), Qt makes the next row
    current and selects it: after a remove, the next person would be selected with Remove and
    Block live for them. Here the selection goes with its row, and nobody is selected."""

    def rowsAboutToBeRemoved(self, parent: Index, start: int, end: int) -> None:
        selected = self.selectionModel().selectedIndexes()
        doomed = any(start <= index.row() <= end for index in selected if index.parent() == parent)
        super().rowsAboutToBeRemoved(parent, start, end)
        if doomed:
            self.selectionModel().clear()  # selection and current index: nobody
