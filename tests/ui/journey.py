"""What a person does and sees, for the journey tests: click a button or a list row as a
mouse would, press keys, and read which windows and dialogs are on screen.

Inside a scenario coroutine wait with `botkit.until` (it yields to the one qasync loop);
`qtbot.waitUntil` would nest a Qt loop inside the running task.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QDialog, QWidget

from ui.keyed_model import KEY_ROLE


def click(qtbot, widget: QWidget) -> None:
    """A left click in the middle of `widget` (the way a person presses a button)."""
    assert widget.isVisible(), f"{widget.objectName() or widget} is not on screen"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def click_row(qtbot, view: QAbstractItemView, key: str, button=Qt.MouseButton.LeftButton) -> None:
    """Click the row whose item key (user id, room id) is `key`."""
    model: QAbstractItemModel = view.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(KEY_ROLE) == key:
            view.scrollTo(index)
            centre: QPoint = view.visualRect(index).center()
            qtbot.mouseClick(view.viewport(), button, pos=centre)
            return
    raise AssertionError(f"no row {key!r} in {view.objectName() or view}")


def open_dialogs(kind: type[QDialog] = QDialog) -> list[QDialog]:
    """Every dialog of `kind` a person can see right now."""
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def titles(kind: type[QDialog] = QDialog) -> list[str]:
    return sorted(d.windowTitle() for d in open_dialogs(kind))


def the_dialog(kind: type[QDialog] = QDialog) -> QDialog:
    """The one dialog of `kind` on screen (fails when there are none or several)."""
    shown = open_dialogs(kind)
    assert len(shown) == 1, f"expected one dialog on screen, saw {[d.windowTitle() for d in shown]}"
    return shown[0]
