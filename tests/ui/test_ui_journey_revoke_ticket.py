"""Journey (issue 15, item 2): sell tickets -> issue codes -> copy one -> revoke it -> a bot
with that code is refused; then a buyer's used code is revoked (a refund) and she leaves.

The whole console from its composition root (it starts its own relay); `roomcast bot`
processes join as buyers would.

What it caught on main: the ticket desk had no way to take a code back, and the relay had no
RevokeTicket, so a sold code admitted its bearer whatever the host did.
"""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from tests.ui.botkit import BotProcess, until
from tests.ui.journey import click, click_row, open_dialogs, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_issue_copy_revoke_and_the_code_no_longer_admits(qapp, aloop, tmp_path, qtbot):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        bots: list[BotProcess] = []
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            qtbot.keyClicks(dialog.form.title, "Paid talk")
            click(qtbot, dialog.form.ticketed)
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            await until(lambda: window.header.tickets.isVisible(), what="the tickets button")
            click(qtbot, window.header.tickets)
            desk = window.tickets_window
            assert desk.isVisible()
            assert not desk.revoke.isEnabled()  # nothing selected

            # issue five codes; copy the first one on its own
            click(qtbot, desk.issue)
            await until(lambda: desk.model.rowCount() == 5, what="five codes listed")
            await until(
                lambda: len(QGuiApplication.clipboard().text().split("\n")) == 5,
                what="the five new codes on the clipboard",
            )
            codes = sorted(QGuiApplication.clipboard().text().split("\n"))
            refunded, sold = codes[0], codes[1]
            click_row(qtbot, desk.view, refunded)
            assert desk.copy_selected.isEnabled() and desk.revoke.isEnabled()
            click(qtbot, desk.copy_selected)
            assert QGuiApplication.clipboard().text() == refunded
            assert desk.status.text() == "Copied 1 code."

            # revoke it: unused, so no question; the row says so and it is no longer counted
            click(qtbot, desk.revoke)
            await until(lambda: row_text(desk, refunded).endswith("revoked"), what="revoked")
            assert open_dialogs(Question) == []
            # the row changes with the room's event; the line below it when the reply comes
            await until(
                lambda: desk.status.text() == "Revoked 1 code; it admits nobody now.",
                what="the revoke's confirmation",
            )
            assert desk.summary.text() == "$1.00 each  ·  4 of 100 issued  ·  0 used"
            assert window.header.tickets.text() == "🎟 4/100 tickets"
            assert not desk.revoke.isEnabled()  # the selected row is already revoked
            click(qtbot, desk.copy_unused)
            assert refunded not in QGuiApplication.clipboard().text().split("\n")

            # a buyer holding the revoked code is refused at the door
            join_url = app.book.rooms()[0].join_url
            late = BotProcess(
                join_url, tmp_path / "late.json", "--name", "Lou Late", "--ticket", refunded
            )
            bots.append(late)
            await until(lambda: late.process.poll() is not None, 30, "the refused bot to exit")
            assert late.process.returncode == 2 and late.said("ticket_revoked"), late.lines
            assert window.audience_model.row_of(late.user_id) < 0

            # Tina uses a valid code; revoking hers is a refund: asked first, then she leaves
            tina = BotProcess(
                join_url, tmp_path / "tina.json", "--name", "Tina Ticket", "--ticket", sold
            )
            bots.append(tina)
            await until(lambda: window.audience_model.row_of(tina.user_id) >= 0, 30, "Tina")
            await until(lambda: "used by Tina Ticket" in row_text(desk, sold), what="her code")
            click_row(qtbot, desk.view, sold)
            click(qtbot, desk.revoke)
            question = the_dialog(Question)
            assert question.windowTitle() == "Revoke Tina Ticket's ticket?"
            assert "leave the room" in question.body.text()
            click(qtbot, question.yes)
            await until(lambda: open_dialogs(Question) == [], what="the question to close")
            await until(lambda: row_text(desk, sold).endswith("revoked"), what="her code revoked")
            await until(lambda: window.audience_model.row_of(tina.user_id) < 0, 30, "Tina gone")
            await until(lambda: tina.process.poll() is not None, 30, "Tina's bot to stop")
            assert "Tina Ticket left the room" in desk.status.text()
            assert desk.summary.text() == "$1.00 each  ·  3 of 100 issued  ·  0 used"
        finally:
            for bot in bots:
                bot.stop()
            await app.quit()

    aloop.run_until_complete(scenario())


def row_text(desk, code: str) -> str:
    for row in range(desk.model.rowCount()):
        text = desk.model.index(row).data()
        if text.startswith(code):
            return text
    return ""
