"""Journey (issue 15, item 7): keyboard and accessibility. In a live room Ctrl+Shift+M mutes
and unmutes the host; every menu item has a shortcut; Mute, Share, Remove and Block say what
they do; a focused red button shows a focus ring; in the dark theme a disabled field stays
dark with readable text.

What it caught on main: no self-mute hotkey, menu items without shortcuts, no tooltips on
those buttons, no focus ring on the red buttons (the style sheet's background hid Fusion's),
and disabled fields white on light grey in the dark theme.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from tests.ui.botkit import until
from tests.ui.journey import click, the_dialog
from ui.console_app import ConsoleApp
from ui.start_dialog import StartDialog
from ui.theme import apply_theme

pytestmark = [
    pytest.mark.timeout(150),
    pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)"),
]

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def test_self_mute_hotkey_shortcuts_tooltips_focus_ring_and_dark_disabled_fields(
    qapp, aloop, tmp_path, qtbot
):
    async def scenario():
        app = ConsoleApp(tmp_path / "data")
        app.settings = app.settings.with_changes(relay_port=0, display_name="Hana Host")
        try:
            await app.start()
            dialog = the_dialog(StartDialog)

            # the dark theme: the disabled start time keeps a dark field and light text
            apply_theme(qapp, "dark")
            field = dialog.form.starts_at
            assert not field.isEnabled()
            image = field.grab().toImage()
            background = image.pixelColor(image.width() // 2, 3)
            assert background.lightness() < 90, background.name()
            text = field.palette().color(field.palette().ColorGroup.Disabled,
                                         field.palette().ColorRole.Text)  # fmt: skip
            assert text.lightness() > 150, text.name()
            apply_theme(qapp, "light")

            qtbot.keyClicks(dialog.form.title, "Keyboard talk")
            click(qtbot, dialog.go)
            await until(lambda: app.window is not None and app.window.isVisible(), 30, "window")
            window = app.window
            me = window.controller.me
            strip = window.strip

            # Ctrl+Shift+M unmutes, and again mutes; the button says which
            assert strip.mute.text() == "Unmute" and window.controller.room.participants[me].muted
            window.activateWindow()
            await until(window.isActiveWindow, what="the room window to have the focus")
            qtbot.keyClick(window, Qt.Key.Key_M, CTRL_SHIFT)
            await until(lambda: not window.controller.room.participants[me].muted, what="live")
            assert strip.mute.text() == "Mute"
            qtbot.keyClick(window, Qt.Key.Key_M, CTRL_SHIFT)
            await until(lambda: window.controller.room.participants[me].muted, what="muted")
            assert strip.mute.text() == "Unmute"

            # every menu item has a shortcut
            missing = [
                action.text()
                for menu in window.menuBar().actions()
                for action in menu.menu().actions()
                if not action.isSeparator() and action.shortcut().isEmpty()
            ]
            assert missing == []

            # the buttons a host hesitates over say what they do
            for button in (
                strip.mute,
                window.header.share_button,
                window.stage.mute,
                window.stage.remove,
                window.stage.block,
                window.audience.remove,
                window.audience.block,
            ):
                assert button.toolTip(), button.text()

            # a focused red button has a ring
            strip.end_room.setFocus(Qt.FocusReason.TabFocusReason)
            await until(strip.end_room.hasFocus, what="focus on End room")
            ring = strip.end_room.grab().toImage()
            edge = ring.pixelColor(1, ring.height() // 2)
            assert close_to(edge, QColor("#f5c542")), edge.name()
        finally:
            apply_theme(qapp, "system")
            await app.quit()

    aloop.run_until_complete(scenario())


def close_to(colour: QColor, wanted: QColor, tolerance: int = 40) -> bool:
    return all(
        abs(a - b) <= tolerance
        for a, b in zip(colour.getRgb()[:3], wanted.getRgb()[:3], strict=True)
    )
