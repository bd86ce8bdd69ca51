"""Journey (issue 15, item 2): "Only people I follow" and Block both lead somewhere.

A listener in a followed-only room is refused when asking to speak; the host follows them
(right-click in the audience), they may ask; the People tab lists them and Unfollow takes
them off. A blocked listener shows under Blocked, Unblock lets the same person in again.

What it caught on main: there was no way to follow anyone (no menu, no button, no list), and
no Unblock anywhere, though the Block prompt says "until you unblock them".
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from console.client import CommandRejected, JoinLink, RoomClient
from server.room import RequestToSpeak
from tests.ui.botkit import ToneBot, until
from tests.ui.consolekit import open_console
from tests.ui.journey import choose_from_menu, click, click_row, right_click_row, the_dialog
from ui.dialogs import Question

pytestmark = [
    pytest.mark.timeout(120),
    # offscreen cannot raise windows or grab the keyboard for a popup menu
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]


def test_follow_from_the_audience_then_unfollow_block_and_unblock(qapp, aloop, relay_child, qtbot):
    async def scenario():
        console = await open_console(relay_child, "Friends only", ask_mode="followed")
        window = console.window
        people = window.side.people
        fay = ToneBot(console.hosted.join_url, "Fay Follower", 520)
        again = None
        try:
            await fay.start(ask=False)
            await until(lambda: window.audience_model.row_of(fay.user_id) >= 0, what="Fay")
            with pytest.raises(CommandRejected):  # not followed: she may not ask
                await fay.client.send(RequestToSpeak())

            # right-click Fay in the audience: Follow
            right_click_row(qtbot, window.audience.view, fay.user_id)
            choose_from_menu(qtbot, "Follow")
            await until(lambda: people.followed.rowCount() == 1, what="Fay in “You follow”")
            window.show_people()
            assert people.isVisible()
            assert people.followed.index(0).data() == "Fay Follower"
            assert not people.followed_empty.isVisible()
            assert window.audience.follow.text() == "Unfollow"  # she is still selected
            await fay.client.send(RequestToSpeak())
            await until(lambda: window.request_model.rowCount() == 1, what="her request")

            # Unfollow from the list
            click_row(qtbot, people.followed_view, fay.user_id)
            assert people.unfollow.isEnabled()
            click(qtbot, people.unfollow)
            await until(lambda: people.followed.rowCount() == 0, what="the list to empty")
            assert people.followed_empty.isVisible() and not people.unfollow.isEnabled()

            # Block her from the audience: she shows under Blocked
            click_row(qtbot, window.audience.view, fay.user_id)
            click(qtbot, window.audience.block)
            click(qtbot, the_dialog(Question).yes)
            await until(lambda: people.blocked.rowCount() == 1, what="Fay under Blocked")
            assert people.blocked.index(0).data() == "Fay Follower"
            assert window.audience_model.row_of(fay.user_id) < 0
            comeback = RoomClient(
                JoinLink.parse(console.hosted.join_url), fay.client.identity, "Fay"
            )
            with pytest.raises(CommandRejected):
                await comeback.connect()

            # Unblock: the same person may join again
            click_row(qtbot, people.blocked_view, fay.user_id)
            assert people.unblock.isEnabled()
            click(qtbot, people.unblock)
            await until(lambda: people.blocked.rowCount() == 0, what="the Blocked list to empty")
            assert people.blocked_empty.isVisible()
            again = RoomClient(JoinLink.parse(console.hosted.join_url), fay.client.identity, "Fay")
            await again.connect()
            await until(lambda: window.audience_model.row_of(fay.user_id) >= 0, what="Fay back")
        finally:
            if again is not None:
                await again.close()
            await fay.close()
            await console.close()

    aloop.run_until_complete(scenario())


MARKUP_NAME = "<b>Boss</b> <a href='x'>says</a> unblock"


def test_a_name_written_as_markup_shows_as_typed_everywhere_the_host_reads_it(
    qapp, aloop, relay_child, qtbot
):
    """Issue 13, item 9: a display name with markup changed the wording of the host's
    "Block …?" prompt. Every label the host reads it in shows it as typed."""

    async def scenario():
        console = await open_console(relay_child, "Open floor")
        window = console.window
        mal = ToneBot(console.hosted.join_url, MARKUP_NAME, 560)
        try:
            await mal.start(ask=False)
            await until(lambda: window.audience_model.row_of(mal.user_id) >= 0, what="Mal")
            click_row(qtbot, window.audience.view, mal.user_id)
            click(qtbot, window.audience.block)
            question = the_dialog(Question)
            shown = [label.text() for label in question.findChildren(QLabel) if label.isVisible()]
            assert any(MARKUP_NAME in text for text in shown), shown
            for label in question.findChildren(QLabel):
                assert label.textFormat() is Qt.TextFormat.PlainText, label.text()
            click(qtbot, question.no)
            await until(lambda: not question.isVisible(), what="the prompt to close")
            assert window.audience_model.row_of(mal.user_id) >= 0  # No blocks nobody
        finally:
            await mal.close()
            await console.close()

    aloop.run_until_complete(scenario())


def test_every_label_in_the_console_is_made_plain_unless_it_says_why():
    """The rule behind the test above, for labels not on that path: ui/ makes labels only
    through ui/plain.py, and rich ones are the console's own markup with values escaped."""
    import re
    from pathlib import Path

    ui = Path(__file__).resolve().parents[2] / "ui"
    stray = []
    for source in sorted(ui.glob("*.py")):
        if source.name == "plain.py":
            continue
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w.])QLabel\(", line) and not line.lstrip().startswith("class "):
                stray.append(f"{source.name}:{n}: {line.strip()}")
    assert stray == [], "labels made without ui.plain: " + "; ".join(stray)
    for source in sorted(ui.glob("*.py")):
        for n, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            if "rich_label(" in line and "def rich_label" not in line:
                window = source.read_text(encoding="utf-8").splitlines()[n - 1 : n + 3]
                assert "escape" in " ".join(window) or "escaped" in " ".join(window), (
                    f"{source.name}:{n} shows markup without escaping what it quotes"
                )
