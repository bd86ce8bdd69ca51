"""Journey (issue 15, items 4 and 5): schedule a room, close every window, and the due notice
still reaches the host (the tray, and "Your rooms" back on screen with the room to start);
Start now; and the tray is on air the moment a room is live, before anyone joins.

The tray's state is read from the console's tray object (offscreen Qt has no tray host; the
console is told one exists through its `tray_available` seam).

What it caught on main: the due notice needed the rooms list open (its timer lived there);
closing "Your rooms" left the console running with no window and no tray; and the tray was
made by the first room window and only turned on air when someone joined.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication

from console.room_view import RoomState
from console.supervisor import RelayState
from tests.ui.botkit import until
from tests.ui.journey import click, click_row, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore(
        "This plugin does not support (raise|grabbing)", "No such signal QPlatformNativeInterface"
    ),
]

DUE = "“Soon talk” is due to start — open Your rooms and press Start now."


def test_the_due_notice_reaches_a_host_with_no_window_and_the_tray_goes_on_air_at_once(
    qapp, aloop, tmp_path, qtbot
):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        app.tray_available = lambda: True
        app.scheduled.due_check_ms = 200
        try:
            await app.start()
            tray = app.tray
            assert tray is not None and tray.isVisible()
            assert not tray.live and tray.toolTip() == "Roomcast"

            # schedule a room a few seconds ahead
            dialog = the_dialog(StartDialog)
            await until(lambda: "running" in dialog.status.text(), what="the relay")
            qtbot.keyClicks(dialog.form.title, "Soon talk")
            click(qtbot, dialog.form.schedule)
            dialog.form.starts_at.setDateTime(QDateTime.currentDateTime().addSecs(3))
            click(qtbot, dialog.go)
            await until(lambda: app.rooms_list is not None and app.rooms_list.isVisible(),
                        30, "Your rooms")  # fmt: skip
            rooms = app.rooms_list
            await until(lambda: rooms.model.rowCount() == 1, what="the scheduled room")
            assert not rooms.notice.isVisible()

            # close the last window: the console waits in the tray, and says so
            rooms.close()
            assert visible_windows() == []
            assert tray.messages[-1].startswith("Roomcast keeps running here")
            assert app.supervisor.state is RelayState.RUNNING

            # the start time passes: the tray says so and "Your rooms" comes back with it
            await until(lambda: rooms.isVisible(), 20, "the due notice")
            assert tray.messages[-1] == DUE
            assert rooms.notice.isVisible() and rooms.notice.text() == DUE
            assert "due now" in rooms.model.index(0).data()
            assert tray.messages.count(DUE) == 1  # once, not once per check

            # Start now: the room window opens and the tray goes on air
            click_row(qtbot, rooms.view, rooms.model.item(0).room_id)
            assert rooms.start.isEnabled()
            click(qtbot, rooms.start)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            await until(lambda: window.controller.room.state is RoomState.LIVE, what="live")
            assert tray.live and tray.toolTip() == "Roomcast — on air: Soon talk"

            # end it: off air; a new room goes live and is on air before anyone joins
            click(qtbot, window.strip.end_room)
            click(qtbot, the_dialog(Question).yes)
            await until(lambda: window.controller.room.state is RoomState.ENDED, what="ended")
            await until(lambda: not tray.live, what="the tray off air")
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            start = the_dialog(StartDialog)
            qtbot.keyClicks(start.form.title, "Second talk")
            click(qtbot, start.go)
            await until(lambda: app.window is not window, 30, "the second room's window")
            second = app.window
            assert second.isVisible() and len(second.controller.room.participants) == 1
            assert tray.live and tray.toolTip() == "Roomcast — on air: Second talk"
        finally:
            await app.quit()

    aloop.run_until_complete(scenario())


def visible_windows() -> list[str]:
    return [w.windowTitle() for w in QApplication.topLevelWidgets() if w.isVisible()]
