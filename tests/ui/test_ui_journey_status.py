"""Journey (issue 15, item 5): what the console says is true.

The relay's port is held by another program: the start dialog says so and offers a free
port; taking it starts the relay and the host goes live. After End room nobody is listed and
the header says when it ended, not "N listening". A link to a relay that is not running is
refused in words a host can act on.

What it caught on main: the port clash was reported as the relay's last log line with no way
forward; an ended room still showed "1 listening" with the departed listed; a dead link
showed "Cannot connect to host 127.0.0.1:… ssl:default".
"""

from __future__ import annotations

import socket

import pytest
from PySide6.QtCore import Qt

from console.room_view import RoomState
from tests.ui.botkit import ToneBot, until
from tests.ui.journey import click, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_port_taken_then_an_ended_room_is_empty_and_a_dead_link_is_explained(
    qapp, aloop, tmp_path, qtbot
):
    squatter = socket.socket()  # another program holding the relay's port
    squatter.bind(("127.0.0.1", 0))
    squatter.listen()
    taken = squatter.getsockname()[1]

    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=taken, display_name="Hana Host")
        lou = None
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            assert dialog.error.isVisible()
            assert f"Port {taken} is in use by another program" in dialog.error.text()
            assert dialog.other_port.isVisible() and not dialog.go.isEnabled()
            offered = int(dialog.other_port.property("port"))
            assert dialog.other_port.text() == f"Use port {offered}"
            click(qtbot, dialog.other_port)
            await until(lambda: dialog.go.isEnabled(), 30, "the relay on the other port")
            assert f":{offered}" in dialog.status.text() and "running" in dialog.status.text()
            assert not dialog.error.isVisible() and not dialog.other_port.isVisible()
            assert app.settings.relay_port == offered  # kept for the next start

            qtbot.keyClicks(dialog.form.title, "True talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None, 30, "the room window")
            window = app.window
            lou = ToneBot(app.book.rooms()[0].join_url, "Lou Listener", 480)
            await lou.start(ask=False)
            await until(lambda: window.header.listeners.text() == "👥 1 listening", what="Lou")
            assert window.audience_model.rowCount() == 1

            # End room: the header says when it ended; nobody is listed
            click(qtbot, window.strip.end_room)
            click(qtbot, the_dialog(Question).yes)
            await until(lambda: window.controller.room.state is RoomState.ENDED, what="ended")
            await until(lambda: window.header.state.text().startswith("Ended at"), what="header")
            assert not window.header.listeners.isVisible()
            assert window.audience_model.rowCount() == 0
            assert window.stage_model.rowCount() == 0
            assert window.audience.title.text() == "Audience (0)"

            # a host link to a relay that is not running: said in words
            window.activateWindow()
            await until(window.isActiveWindow, what="focus")
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            start = the_dialog(StartDialog)
            bar = start.tabs.tabBar()
            qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(2).center())
            dead = nobody_listening()
            qtbot.keyClicks(start.link, f"http://127.0.0.1:{dead}/r/abc123#token=xyz")
            click(qtbot, start.go)
            await until(lambda: start.error.isVisible(), 30, "the error")
            text = start.error.text()
            assert f"No relay is running at http://127.0.0.1:{dead}" in text, text
            assert "ssl:default" not in text and "Cannot connect to host" not in text
            assert start.go.isEnabled()  # the host can correct the link and try again
        finally:
            if lou is not None:
                await lou.close()
            await app.quit()

    try:
        aloop.run_until_complete(scenario())
    finally:
        squatter.close()


def nobody_listening() -> int:
    """A loopback port with nothing on it (bound, then let go)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
