"""Journey (issue 15, item 2): the rooms on this relay. The host is live; two other rooms run
on the same relay (one of them theirs, made earlier). From the room window, Ctrl+Shift+D opens
"Rooms on this relay": a page at a time, with title, hosts and listeners; a stranger's room
opens in the browser, the host's other room opens its desk.

What it caught on main: the console had no room directory at all (GET /api/rooms was used
only to fill "Your rooms").
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices

from console.identity import Identity
from console.rooms_api import RelayApi
from tests.ui.botkit import BotProcess, until
from tests.ui.journey import click, click_row, the_dialog
from ui.console_app import ConsoleApp
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


class Browser(QObject):
    """Stands in for the web browser: Qt hands it every http link the console opens."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toString())


def test_rooms_on_this_relay_join_one_in_the_browser_open_the_desk_of_ours(
    qapp, aloop, tmp_path, qtbot
):
    browser = Browser()
    QDesktopServices.setUrlHandler("http", browser, "open")

    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        app.directory_page_size = 2
        bots: list[BotProcess] = []
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            # before any room: the start dialog opens the directory too, empty for now
            click(qtbot, dialog.directory)
            directory = app.directory
            assert directory is not None and directory.isVisible() and dialog.isVisible()
            await until(lambda: directory.empty.isVisible(), what="the empty directory")
            assert directory.summary.text() == "0 rooms on this relay · 0 live, 0 scheduled"
            directory.close()  # as the window's close button does

            qtbot.keyClicks(dialog.form.title, "Hana's talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            first_room = window.controller.room.room_id

            # another host's room with a listener, and a room Hana made earlier on this relay
            api = RelayApi(app.relay_url, admin_key=app.supervisor.admin_key())
            olga = Identity.new("host")
            other, _ = await api.create_room(olga, "Olga Other", "Other show")
            mine, _ = await api.create_room(app.identity, "Hana Host", "Hana's second room")
            app.book.add(mine)
            lee = BotProcess(other.join_url, tmp_path / "lee.json", "--name", "Lee Listener")
            bots.append(lee)
            await until(lambda: lee.said("joined"), 30, "Lee to join the other show")

            # Ctrl+Shift+D from the room window; the first page holds two of the three rooms
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")
            qtbot.keyClick(
                window,
                Qt.Key.Key_D,
                Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            )
            assert app.directory is directory and directory.isVisible()
            assert directory.windowTitle() == "Rooms on this relay — Roomcast"
            await until(lambda: directory.model.rowCount() == 2, what="the first page")
            assert directory.summary.text() == "3 rooms on this relay · showing 2"
            assert not directory.empty.isVisible()
            assert directory.more.isVisible() and directory.more.isEnabled()
            assert not directory.join.isEnabled() and not directory.desk.isEnabled()
            click(qtbot, directory.more)
            await until(lambda: directory.model.rowCount() == 3, what="the second page")
            assert not directory.more.isVisible()
            assert directory.summary.text() == "3 rooms on this relay · 3 live, 0 scheduled"
            lines = {directory.model.index(r).data() for r in range(3)}
            assert any(
                line.startswith("Other show   ·   LIVE   ·   hosted by Olga Other")
                and "1 listening" in line
                and "yours" not in line
                for line in lines
            ), lines
            assert any(
                line.startswith("Hana's second room") and line.endswith("yours") for line in lines
            ), lines

            # a stranger's room: Join in browser (no desk to open)
            click_row(qtbot, directory.view, other.room_id)
            assert directory.join.isEnabled() and not directory.desk.isEnabled()
            click(qtbot, directory.join)
            assert browser.opened == [f"{app.relay_url}/r/{other.room_id}"]

            # the host's other room: Open desk opens a second room window
            click_row(qtbot, directory.view, mine.room_id)
            assert directory.desk.isEnabled()
            click(qtbot, directory.desk)
            await until(lambda: len(app.windows) == 2, 30, "the second room's desk")
            second = app.windows[1]
            assert second.isVisible() and second.windowTitle() == "Hana's second room — Roomcast"

            # the room already open: Open desk brings its window back, no third one
            click_row(qtbot, directory.view, first_room)
            click(qtbot, directory.desk)
            await until(lambda: window.isActiveWindow(), what="the first room's window")
            assert len(app.windows) == 2
        finally:
            for bot in bots:
                bot.stop()
            await app.quit()

    try:
        aloop.run_until_complete(scenario())
    finally:
        QDesktopServices.unsetUrlHandler("http")
