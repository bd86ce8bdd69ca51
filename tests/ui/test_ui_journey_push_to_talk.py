"""Journey (issue 15, item 3): the push-to-talk key is captured by pressing it in Settings,
and holding it keeps the host live for as long as it is held, through the key's repeats.

A held key repeats as release+press pairs every ~40 ms. Qt flags a pair isAutoRepeat() only
when the press is already queued behind the release; when it is not, the pair arrives
unflagged. Both kinds are sent here, as the window system delivers them.

What it caught on main: an unflagged pair muted the host (release) and the press that
followed was dropped (the room had not caught up, so "already unmuted"): the host went
silent while still holding the key. And the setting was a text field: pressing F8 in it
typed nothing.
"""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from console.settings import Settings
from tests.ui.botkit import until
from tests.ui.consolekit import open_console
from tests.ui.journey import click
from ui.settings_dialog import SettingsDialog

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]

REPEAT_S = 0.04  # the key's repeat rate (25 Hz): the pace of the input, not a wait


def f8(kind: QEvent.Type, auto_repeat: bool = False) -> QKeyEvent:
    return QKeyEvent(kind, Qt.Key.Key_F8, Qt.KeyboardModifier.NoModifier, "", auto_repeat)


def test_capture_the_key_in_settings_then_hold_it_to_talk(qapp, aloop, relay_child, qtbot):
    async def scenario():
        # Settings: click the field, press F8, Save
        dialog = SettingsDialog(Settings(), "/tmp/roomcast")
        qtbot.addWidget(dialog)
        answers = []
        dialog.answered.connect(answers.append)
        dialog.show()
        click(qtbot, dialog.ptt)
        qtbot.keyClick(dialog.ptt, Qt.Key.Key_F8)
        assert dialog.ptt.keySequence().toString() == "F8"
        click(qtbot, dialog.save_button)
        assert answers and answers[0].push_to_talk_key == "F8"
        assert not dialog.isVisible()

        console = await open_console(relay_child, "Talk room")
        window = console.window
        me = console.controller.me
        try:
            window.set_push_to_talk(answers[0].push_to_talk_key)
            assert window.strip.ptt.text() == "Hold F8 to talk"
            assert window.strip.mute.text() == "Unmute"  # the host starts muted
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")

            def muted() -> bool:
                return console.controller.room.participants[me].muted

            holding = False
            seen_muted_while_held = []
            console.controller.roomChanged.connect(
                lambda room: holding and seen_muted_while_held.append(room.participants[me].muted)
            )
            QApplication.sendEvent(window, f8(QEvent.Type.KeyPress))
            await until(lambda: not muted(), what="live while F8 is down")
            await until(lambda: window.strip.mute.text() == "Mute", what="the strip to say live")
            holding = True
            for repeat in range(60):  # 2.4 s of the key held down
                flagged = repeat % 4 != 3  # every 4th pair arrives unflagged
                QApplication.sendEvent(window, f8(QEvent.Type.KeyRelease, flagged))
                QApplication.sendEvent(window, f8(QEvent.Type.KeyPress, flagged))
                await asyncio.sleep(REPEAT_S)
            await asyncio.sleep(0.3)  # anything in flight from the last repeats has landed
            holding = False
            assert not muted() and window.strip.mute.text() == "Mute"
            assert not any(seen_muted_while_held), "the host was muted while holding the key"

            # let go: muted again
            QApplication.sendEvent(window, f8(QEvent.Type.KeyRelease))
            await until(muted, what="muted after letting go")
            await until(lambda: window.strip.mute.text() == "Unmute", what="the strip")
        finally:
            await console.close()

    aloop.run_until_complete(scenario())
