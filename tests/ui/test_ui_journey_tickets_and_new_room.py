"""Journey (issue 15, item 2): sell tickets -> issue codes -> a bot joins with one; then end
the room -> New room from the open window -> the second room goes live.

The whole console from its composition root (it starts its own relay); `roomcast bot`
processes join as buyers would.

What it caught on main: a ticketed room had no ticket desk (no way to issue, list or copy
codes, so every joiner was refused), and once a room was open there was no "New room".
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from console.room_view import RoomState
from tests.ui.botkit import BotProcess, until
from tests.ui.journey import click, open_dialogs, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_sell_tickets_issue_codes_a_bot_joins_with_one_then_a_new_room(
    qapp, aloop, tmp_path, qtbot
):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        bots: list[BotProcess] = []
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            qtbot.keyClicks(dialog.form.title, "Paid talk")
            click(qtbot, dialog.form.ticketed)
            assert dialog.form.price.isEnabled() and dialog.form.quantity.isEnabled()
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            assert open_dialogs(StartDialog) == []

            # the header shows the ticket count; it opens the ticket desk
            await until(lambda: window.header.tickets.isVisible(), what="the tickets button")
            assert window.header.tickets.text() == "🎟 0/100 tickets"
            click(qtbot, window.header.tickets)
            desk = window.tickets_window
            assert desk.isVisible()
            assert desk.summary.text() == "$1.00 each  ·  0 of 100 issued  ·  0 used"
            assert desk.empty.isVisible() and not desk.copy_unused.isEnabled()

            # issue two codes (the count down from 5 with the arrow key)
            for _ in range(3):
                qtbot.keyClick(desk.count, Qt.Key.Key_Down)
            assert desk.count.value() == 2
            click(qtbot, desk.issue)
            await until(lambda: desk.model.rowCount() == 2, what="two codes listed")
            await until(lambda: "Issued 2 codes" in desk.status.text(), what="the notice")
            codes = QGuiApplication.clipboard().text().split("\n")
            assert len(codes) == 2 and all(c in desk.model.index(0).data() or c in
                                           desk.model.index(1).data() for c in codes)  # fmt: skip
            assert "not used yet" in desk.model.index(0).data()
            assert window.header.tickets.text() == "🎟 2/100 tickets"
            assert desk.copy_unused.isEnabled()

            # without a code a joiner is refused; with one, Tina gets in and the code is hers
            join_url = app.book.rooms()[0].join_url
            nobody = BotProcess(join_url, tmp_path / "nobody.json", "--name", "No Ticket")
            bots.append(nobody)
            await until(lambda: nobody.process.poll() is not None, 30, "the refused bot to exit")
            assert nobody.process.returncode == 2 and nobody.said("ticket"), nobody.lines
            tina = BotProcess(
                join_url, tmp_path / "tina.json", "--name", "Tina Ticket", "--ticket", codes[0]
            )
            bots.append(tina)
            await until(lambda: window.audience_model.row_of(tina.user_id) >= 0, 30, "Tina")
            await until(
                lambda: any("used by Tina Ticket" in r for r in rows(desk)), what="her code used"
            )
            assert desk.summary.text() == "$1.00 each  ·  2 of 100 issued  ·  1 used"
            click(qtbot, desk.copy_unused)
            assert QGuiApplication.clipboard().text() == codes[1]

            # end the room, then New room (Ctrl+N) from the same window
            click(qtbot, window.strip.end_room)
            click(qtbot, the_dialog(Question).yes)
            await until(lambda: window.controller.room.state is RoomState.ENDED, what="ended")
            assert not desk.issue.isEnabled()  # nothing to sell in an ended room
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            start = the_dialog(StartDialog)
            assert "running" in start.status.text()
            assert start.go.text() == "Go live"
            qtbot.keyClicks(start.form.title, "Second talk")
            click(qtbot, start.go)
            await until(lambda: app.window is not window, 30, "the second room's window")
            second = app.window
            assert second.isVisible() and second.windowTitle() == "Second talk — Roomcast"
            assert second.header.state.text() == "LIVE"
            assert not second.header.tickets.isVisible()  # a free room
            assert open_dialogs(StartDialog) == []
            assert window.isVisible()  # the ended room's window stays until closed
        finally:
            for bot in bots:
                bot.stop()
            await app.quit()

    aloop.run_until_complete(scenario())


def rows(desk) -> list[str]:
    return [desk.model.index(r).data() for r in range(desk.model.rowCount())]
