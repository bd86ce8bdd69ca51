"""Journeys (issue 15, item 6): what a host notices in the first minutes.

First start: the start dialog asks for the host's name (focus there), refuses a missing name
and a 4th topic in words, reads its date in words, and the room shows the name. In a room:
the log says "unmuted", keeps one line for a run of someone's mute toggles, says "accepted
the co-host invitation" (not "Rosa made Rosa a co-host") and follows the newest line. The
moderator view's link field watches a room on Enter.

What they caught on main: no name prompt (the host was "Host") and no focus; a 4th topic was
dropped silently; "3 12 2026 09:09"; the log repeated "muted themself", never said
"unmuted", and stayed on its first lines; Enter in the link field did nothing.
"""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from console import settings as settings_store
from console.identity import Identity
from console.room_view import Mute, PinLink, Report, Unmute, UnpinLink
from console.rooms_api import RelayApi
from server.room import AcceptInvite, InviteKind
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from tests.ui.journey import click, click_row, the_dialog
from ui.console_app import ConsoleApp
from ui.dialogs import Question
from ui.start_dialog import StartDialog

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_first_start_asks_the_name_refuses_a_fourth_topic_and_the_room_shows_the_name(
    qapp, aloop, tmp_path, qtbot
):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")  # a first start: no name saved yet
        app.settings = app.settings.with_changes(relay_port=0)
        try:
            await app.start()
            dialog = the_dialog(StartDialog)
            assert dialog.name_row.isVisible() and dialog.focusWidget() is dialog.name
            assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d\d:\d\d",
                                dialog.form.starts_at.text()), dialog.form.starts_at.text()  # fmt: skip
            await until(lambda: "running" in dialog.status.text(), what="the relay")

            qtbot.keyClicks(dialog.form.title, "Launch night")
            qtbot.keyClicks(dialog.form.topics, "music, radio, news, sport")
            click(qtbot, dialog.go)
            assert dialog.error.isVisible() and "type your name" in dialog.error.text()
            assert dialog.focusWidget() is dialog.name
            qtbot.keyClicks(dialog.name, "Rosa Ruiz")
            click(qtbot, dialog.go)
            assert dialog.error.text() == (
                "A room has at most 3 topics; you typed 4 — remove one (separate them with commas)."
            )
            assert dialog.focusWidget() is dialog.form.topics and dialog.isVisible()
            dialog.form.topics.selectAll()
            qtbot.keyClicks(dialog.form.topics, "music, radio, news")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            me = window.controller.me
            assert window.controller.room.participants[me].display_name == "Rosa Ruiz"
            assert window.controller.room.card.topics == ("music", "radio", "news")
            assert settings_store.load(tmp_path / "data").display_name == "Rosa Ruiz"

            # the next start dialog (New room) does not ask again, and starts on the title
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")
            qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
            again = the_dialog(StartDialog)
            assert not again.name_row.isVisible() and again.focusWidget() is again.form.title
        finally:
            await app.quit()

    aloop.run_until_complete(scenario())


def test_the_log_says_unmuted_merges_toggles_names_the_accepted_invitation_and_follows(
    qapp, aloop, relay_child, qtbot
):
    async def scenario():
        console = await open_console(relay_child, "Log talk")
        bot = ToneBot(console.hosted.join_url, "Tia Tone", 330.0)
        window = console.window
        log = window.side.log
        try:
            await bot.start()  # asks to speak
            await until(lambda: window.request_model.rowCount() == 1, what="Tia's request")
            click_row(qtbot, window.requests.view, bot.user_id)
            click(qtbot, window.requests.approve)
            await until(lambda: has(log, "Tia Tone unmuted"), what="her unmute in the log")

            # a run of her own toggles is one line, the latest
            for command in (Mute(bot.user_id), Unmute(), Mute(bot.user_id)):
                await bot.client.send(command)
            await until(lambda: lines(log)[-1].endswith("Tia Tone muted themself"), what="mute")
            mic_lines = [t for t in lines(log) if "muted themself" in t or t.endswith("unmuted")]
            assert len(mic_lines) == 1, lines(log)

            # invited to co-host, she accepts: said once, in words
            click_row(qtbot, window.stage.view, bot.user_id)
            click(qtbot, window.stage.cohost)
            await until(lambda: has(log, "invited Tia Tone to co-host"), what="the invitation")
            await bot.client.send(AcceptInvite(InviteKind.COHOST))
            await until(lambda: has(log, "Tia Tone accepted the co-host invitation"), what="yes")
            assert not any("made Tia Tone" in t for t in lines(log)), lines(log)

            # many lines later the newest one is on screen
            side = window.side
            side.setCurrentWidget(side.log_view)
            for n in range(15):
                url = f"https://example.org/{n}"
                await console.session.client.send(PinLink(url, ""))
                await console.session.client.send(UnpinLink(url))
            await until(lambda: has(log, "unpinned https://example.org/14"), what="the last line")
            await until(lambda: newest_on_screen(side.log_view), what="the log to follow")
        finally:
            await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())


def test_enter_in_the_moderator_views_link_field_watches_the_room(qapp, aloop, tmp_path, qtbot):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        try:
            await app.start()
            await until(lambda: app.relay_url is not None, what="the relay")
            api = RelayApi(app.relay_url, admin_key=app.supervisor.admin_key())
            other, _ = await api.create_room(Identity.new("host"), "Olga Other", "Other show")
            token = other.host_url.split("#token=", 1)[1]
            link = await api.cohost_link(other.room_id, token)
            view = app.show_moderator_view()
            assert view.isVisible() and view.cards == []
            qtbot.keyClicks(view.link, link)
            qtbot.keyClick(view.link, Qt.Key.Key_Return)
            await until(lambda: len(view.cards) == 1, 30, "the watched room's card")
            assert view.link.text() == "" and not view.error.isVisible()
        finally:
            await app.quit()

    aloop.run_until_complete(scenario())


def lines(model) -> list[str]:
    return [model.index(r).data() for r in range(model.rowCount())]


def has(model, text: str) -> bool:
    return any(text in line for line in lines(model))


def newest_on_screen(view) -> bool:
    model = view.model()
    rect = view.visualRect(model.index(model.rowCount() - 1, 0))
    return rect.isValid() and rect.top() >= 0 and rect.bottom() <= view.viewport().height()


def test_a_report_is_announced_and_listed_with_dismiss_remove_and_block(
    qapp, aloop, relay_child, qtbot
):
    async def scenario():
        console = await open_console(relay_child, "Report talk")
        rita = ToneBot(console.hosted.join_url, "Rita Reporter", 300.0)
        sam = ToneBot(console.hosted.join_url, "Sam Spammer", 320.0)
        window = console.window
        side = window.side
        bots = [rita, sam]
        try:
            await rita.start(ask=False)
            await sam.start(ask=False)
            await until(lambda: window.audience_model.rowCount() == 2, what="both listening")
            assert not window.banner.isVisible()

            await rita.client.send(Report("Posting spam links", sam.user_id))
            await until(lambda: side.reports.rowCount() == 1, what="the report listed")
            assert window.banner.isVisible()
            assert window.banner.text() == (
                "Rita Reporter reported Sam Spammer: “Posting spam links” — see Reports."
            )
            assert side.tabText(side.reports_tab) == "Reports (1)"
            side.setCurrentIndex(side.reports_tab)
            assert not side.dismiss_report.isEnabled()  # nothing selected yet
            click_row(qtbot, side.report_view, side.reports.item(0).key)
            assert side.dismiss_report.isEnabled() and side.remove_reported.isEnabled()
            assert side.block_reported.isEnabled()

            # dismiss: off the list, nothing happens to Sam
            click(qtbot, side.dismiss_report)
            assert side.reports.rowCount() == 0 and side.tabText(side.reports_tab) == "Reports"
            assert window.audience_model.row_of(sam.user_id) >= 0

            # a second report (from someone else): block him from the inbox
            ola = ToneBot(console.hosted.join_url, "Ola Other", 340.0)
            bots.append(ola)
            await ola.start(ask=False)
            await ola.client.send(Report("Spam again", sam.user_id))
            await until(lambda: side.reports.rowCount() == 1, what="the second report")
            click_row(qtbot, side.report_view, side.reports.item(0).key)
            click(qtbot, side.block_reported)
            question = the_dialog(Question)
            assert question.windowTitle() == "Block Sam Spammer?"
            click(qtbot, question.yes)
            await until(lambda: window.audience_model.row_of(sam.user_id) < 0, what="Sam gone")
            assert sam.user_id in window.controller.room.blocked
        finally:
            for bot in bots:
                await bot.close()
            await console.close()

    aloop.run_until_complete(scenario())
