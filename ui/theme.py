"""Light or dark, following the system unless the host chose; a few calm accents.

Qt 6.5+ reports the system's colour scheme (`QStyleHints.colorScheme`) and tells when it
changes; Fusion with our palette keeps the look the same on every platform.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = QColor("#2f7de1")
LIVE = QColor("#e0413a")
SPEAKING = QColor("#32c27d")
WARNING = QColor("#e8a23a")

_choice = "system"


def is_dark() -> bool:
    if _choice == "dark":
        return True
    if _choice == "light":
        return False
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def _palette(dark: bool) -> QPalette:
    palette = QPalette()
    if dark:
        base, window, text = QColor("#1e2025"), QColor("#26282e"), QColor("#e6e6e6")
        button, mid = QColor("#30333a"), QColor("#4a4d55")
    else:
        base, window, text = QColor("#ffffff"), QColor("#f3f4f6"), QColor("#1d1f23")
        button, mid = QColor("#e9eaee"), QColor("#b9bcc4")
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        palette.setColor(group, QPalette.ColorRole.Window, window)
        palette.setColor(group, QPalette.ColorRole.WindowText, text)
        palette.setColor(group, QPalette.ColorRole.Base, base)
        palette.setColor(group, QPalette.ColorRole.AlternateBase, window)
        palette.setColor(group, QPalette.ColorRole.Text, text)
        palette.setColor(group, QPalette.ColorRole.Button, button)
        palette.setColor(group, QPalette.ColorRole.ButtonText, text)
        palette.setColor(group, QPalette.ColorRole.Highlight, ACCENT)
        palette.setColor(group, QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        palette.setColor(group, QPalette.ColorRole.Mid, mid)
        palette.setColor(group, QPalette.ColorRole.ToolTipBase, window)
        palette.setColor(group, QPalette.ColorRole.ToolTipText, text)
        palette.setColor(group, QPalette.ColorRole.PlaceholderText, mid)
    disabled = QColor(text)
    disabled.setAlpha(110)
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    # A disabled field keeps its own background: Qt's default disabled base is light grey,
    # which left dark-theme text (light) unreadable on it.
    for role, colour in (
        (QPalette.ColorRole.Window, window),
        (QPalette.ColorRole.Base, window),
        (QPalette.ColorRole.Button, button),
        (QPalette.ColorRole.Mid, mid),
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, colour)
    return palette


STYLE = """
QPushButton { padding: 5px 12px; border-radius: 5px; }
QPushButton#destructive, QPushButton#endRoom { color: white; background: #c8413a; }
QPushButton#destructive:disabled, QPushButton#endRoom:disabled { background: transparent;
    color: palette(mid); }
QPushButton#primary { color: white; background: #2f7de1; }
QPushButton#primary:disabled { background: #6b89b0; }
QPushButton#destructive:focus, QPushButton#endRoom:focus, QPushButton#primary:focus {
    border: 2px solid #f5c542; padding: 3px 10px; }
QLabel#livePill { color: white; background: #e0413a; border-radius: 9px; padding: 2px 9px;
                  font-weight: bold; }
QLabel#statePill { color: white; background: #6d717b; border-radius: 9px; padding: 2px 9px; }
QLabel#recPill { color: #e0413a; font-weight: bold; }
QLabel#banner { background: #e8a23a; color: #1d1f23; padding: 6px 10px; border-radius: 5px; }
QLabel#mutedTalk { color: #e8a23a; font-weight: bold; }
QLabel#sectionTitle { font-weight: bold; font-size: 11pt; }
QLabel#roomTitle { font-size: 17pt; font-weight: bold; }
QListView#requestList::item, QListView#audienceList::item, QListView#logList::item,
QListView#reactionList::item, QListView#linkList::item, QListView#reportList::item,
QListView#talkList::item { padding: 3px 4px; }
"""


def apply_theme(app: QApplication, choice: str = "system") -> None:
    """Apply `choice` ("system", "light", "dark"); "system" follows later changes too."""
    global _choice
    _choice = choice
    app.setStyle("Fusion")
    app.setPalette(_palette(is_dark()))
    app.setStyleSheet(STYLE)
    hints = QGuiApplication.styleHints()
    if not getattr(app, "_roomcast_follows_scheme", False):
        hints.colorSchemeChanged.connect(lambda _scheme: app.setPalette(_palette(is_dark())))
        app._roomcast_follows_scheme = True  # type: ignore[attr-defined]
