"""Journey (issue 15, item 4): schedule -> edit -> save, and "My rooms" says which rooms ended.

What it caught on main: after visiting another tab the button said "Go live" while the
room would be scheduled; the Edit dialog was titled "Save changes?", had a stray "100" spin
box over the Title label and never closed; "My rooms" listed ended rooms as if they could be
opened.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox

from console.room_view import RoomState
from tests.ui.botkit import until
from tests.ui.journey import click, click_row, open_dialogs, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_schedule_edit_and_my_rooms_show_what_ended(qapp, aloop, tmp_path, qtbot):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            await until(lambda: "running" in dialog.status.text(), what="the relay")

            # go live with a first room, then end it
            qtbot.keyClicks(dialog.form.title, "Short talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None, 30, "the room window")
            window = app.window
            click(qtbot, window.strip.end_room)
            click(qtbot, the_dialog(Question).yes)
            await until(lambda: window.controller.room.state is RoomState.ENDED, what="ended")

            # New room: schedule one; the button keeps saying Schedule across tabs
            window.activateWindow()
            await until(window.isActiveWindow, what="focus")
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            start = the_dialog(StartDialog)
            click(qtbot, start.form.schedule)
            assert start.go.text() == "Schedule"
            click_tab(qtbot, start, 1)  # “My rooms”
            assert start.go.text() == "Open"
            # "My rooms": the ended room says so, and Open refuses with what to do instead
            await until(lambda: "ended" in start.rooms.item(0).text(), what="ended in My rooms")
            centre = start.rooms.visualItemRect(start.rooms.item(0)).center()
            qtbot.mouseClick(start.rooms.viewport(), Qt.MouseButton.LeftButton, pos=centre)
            click(qtbot, start.go)
            assert start.error.isVisible() and "has ended" in start.error.text()
            assert window.isVisible() and app.window is window  # nothing reopened
            click_tab(qtbot, start, 0)  # back to “New room”
            assert start.go.text() == "Schedule"  # main said "Go live" here
            qtbot.keyClicks(start.form.title, "Later talk")
            click(qtbot, start.go)
            await until(lambda: app.rooms_list is not None and app.rooms_list.isVisible(),
                        30, "Your rooms")  # fmt: skip
            rooms = app.rooms_list
            await until(lambda: rooms.model.rowCount() == 1, what="the scheduled room listed")
            room_id = rooms.model.item(0).room_id
            assert "Later talk" in rooms.model.index(0).data()

            # Edit: a dialog titled for the room, with no stray spin box; Save closes it
            click_row(qtbot, rooms.view, room_id)
            assert rooms.edit.isEnabled()
            click(qtbot, rooms.edit)
            edit = the_dialog(Question)
            assert edit.windowTitle() == "Edit “Later talk”"
            assert edit.form.title.text() == "Later talk"
            shown_spin_boxes = [
                w for w in edit.findChildren(QAbstractSpinBox) if w.isVisible()
            ]  # the date-time edit is one; main also showed the ticket quantity "100"
            assert [type(w).__name__ for w in shown_spin_boxes] == ["QDateTimeEdit"]
            edit.form.title.selectAll()
            qtbot.keyClicks(edit.form.title, "Later talk, edited")
            click(qtbot, edit.yes)
            assert open_dialogs(Question) == []
            await until(lambda: "Later talk, edited" in rooms.model.index(0).data(),
                        what="the new title in the list")  # fmt: skip
        finally:
            await app.quit()

    aloop.run_until_complete(scenario())


def click_tab(qtbot, dialog: StartDialog, index: int) -> None:
    bar = dialog.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert dialog.tabs.currentIndex() == index
