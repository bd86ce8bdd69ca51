"""Where a new top-level window opens: whole, on the screen the host is working on.

A window that sizes itself (900 × 460 for the library) opened where the window system put it,
which on a small or second screen left part of it off-screen. `place_on_screen` shrinks it to
the screen's free area if it must and centres it on the screen of the window the host is
using (the active window, else the cursor's screen, else the primary).
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QCursor, QGuiApplication, QScreen
from PySide6.QtWidgets import QApplication, QWidget

MARGIN = 24  # px kept free around a window that had to shrink


def _screen_for(near: QWidget | None) -> QScreen | None:
    for widget in (near, QApplication.activeWindow()):
        if widget is not None and widget.isVisible() and widget.screen() is not None:
            return widget.screen()
    return QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()


def place_on_screen(window: QWidget, near: QWidget | None = None) -> None:
    """Fit `window` inside its screen's available area and centre it there (call before the
    first show; later shows keep where the host moved it)."""
    screen = _screen_for(near)
    if screen is None:
        return
    free: QRect = screen.availableGeometry()
    width = min(window.width(), free.width() - 2 * MARGIN)
    height = min(window.height(), free.height() - 2 * MARGIN)
    window.resize(max(width, window.minimumWidth()), max(height, window.minimumHeight()))
    frame = window.frameGeometry()
    frame.moveCenter(free.center())
    window.move(frame.topLeft())


def is_on_screen(window: QWidget) -> bool:
    """True if the window's whole frame lies within one screen's available area."""
    frame = window.frameGeometry()
    return any(s.availableGeometry().contains(frame) for s in QGuiApplication.screens())
