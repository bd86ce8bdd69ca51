"""The whole console from its composition root: it starts its own relay, the host creates a
room in the start dialog and goes live, schedules another that shows in the rooms list, and
closing the window while live asks first, then ends the room and stops the relay."""

from __future__ import annotations

import time

import pytest

from console.room_view import RoomState
from console.supervisor import RelayState
from tests.ui.botkit import until
from ui.console_app import ConsoleApp

pytestmark = [
    pytest.mark.timeout(90),
    # the offscreen platform cannot raise a window; the rooms list raises itself when shown
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
]


def test_start_go_live_schedule_and_close_with_confirmation(qapp, aloop, tmp_path, qtmodeltester):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        finished = []
        app.finished.connect(lambda: finished.append(True))
        await app.start()
        dialog = app.start_dialog
        assert app.supervisor.state is RelayState.RUNNING
        assert "running" in dialog.status.text()

        # a title is required; the dialog says so instead of failing later
        dialog.go.click()
        assert dialog.error.isVisible() and "title" in dialog.error.text()

        dialog.form.title.setText("Friday night audio")
        dialog.form.topics.setText("music, radio")
        dialog.go.click()
        await until(lambda: app.window is not None, 30, "the main window")
        window = app.window
        assert window.header.title.text() == "Friday night audio"
        assert window.header.state.text() == "LIVE"
        assert app.book.rooms()[0].title == "Friday night audio"

        # schedule a second room: it shows in the rooms list with its start time
        await app._chosen(
            __import__("ui.start_dialog", fromlist=["NewRoom"]).NewRoom(
                "Next week", starts_at=time.time() + 3600
            )
        )
        await until(
            lambda: app.rooms_list is not None and app.rooms_list.model.rowCount() == 2,
            10,
            "rooms list",
        )
        qtmodeltester.check(app.rooms_list.model)
        rows = app.rooms_list.model.items()
        assert [r.state for r in rows] == ["live", "scheduled"]
        assert "0 reminders" in app.rooms_list.model.index(1).data()
        assert app.rooms_list.check_due(time.time() + 7200)[0].title == "Next week"

        # closing while live asks first; "keep going" keeps it
        window.close()
        assert window.isVisible()
        window.pending_question.no.click()
        assert window.isVisible() and window.controller.room.state is RoomState.LIVE
        window.close()
        window.pending_question.yes.click()
        await until(lambda: finished, 20, "the console to quit")
        assert app.supervisor.state is RelayState.STOPPED

    aloop.run_until_complete(scenario())
