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


def right_click_row(qtbot, view: QAbstractItemView, key: str) -> None:
    """Right-click the row whose key is `key`: press, then the context-menu event the window
    system sends on a right press (QTest's mouse events skip that step for widgets)."""
    from PySide6.QtGui import QContextMenuEvent

    model: QAbstractItemModel = view.model()
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(KEY_ROLE) == key:
            view.scrollTo(index)
            centre: QPoint = view.visualRect(index).center()
            qtbot.mousePress(view.viewport(), Qt.MouseButton.RightButton, pos=centre)
            event = QContextMenuEvent(
                QContextMenuEvent.Reason.Mouse, centre, view.viewport().mapToGlobal(centre)
            )
            QApplication.sendEvent(view.viewport(), event)
            qtbot.mouseRelease(view.viewport(), Qt.MouseButton.RightButton, pos=centre)
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


def choose_from_menu(qtbot, text: str) -> None:
    """Click the item `text` in the popup menu on screen (a right-click menu)."""
    from PySide6.QtWidgets import QMenu

    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu), "no menu is open"
    for action in menu.actions():
        if action.text() == text:
            assert action.isEnabled(), f"“{text}” is greyed out"
            qtbot.mouseClick(
                menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center()
            )
            return
    raise AssertionError(f"no “{text}” in the menu: {[a.text() for a in menu.actions()]}")
