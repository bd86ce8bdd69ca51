"""The tray icon: on air (red) while a room is live, quiet grey otherwise; and where notices
reach a host who has no window open (a scheduled room is due)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui import theme


def on_air_icon(live: bool, size: int = 64) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.LIVE if live else QColor("#7b7f88"))
    painter.drawEllipse(QRectF(4, 4, size - 8, size - 8))
    painter.setBrush(QColor("white"))
    inner = size * 0.28
    painter.drawEllipse(QRectF(size / 2 - inner / 2, size / 2 - inner / 2, inner, inner))
    painter.end()
    return QIcon(pixmap)


class OnAirTray(QSystemTrayIcon):
    def __init__(self, show: Callable[[], object], quit_: Callable[[], object]) -> None:
        super().__init__(on_air_icon(False))
        self.menu = QMenu()  # a tray menu has no parent window; kept alive here
        self.menu.addAction("Show Roomcast", show)
        self.quit_action = self.menu.addAction("Quit…", quit_)
        self.setContextMenu(self.menu)
        self.setToolTip("Roomcast")
        self.activated.connect(lambda reason: show())
        self.live = False
        self.messages: list[str] = []  # every notice shown, newest last (what the host saw)

    def notify(self, text: str) -> None:
        self.messages.append(text)
        self.showMessage("Roomcast", text)

    def set_live(self, live: bool, title: str = "") -> None:
        if live != self.live:
            self.live = live
            self.setIcon(on_air_icon(live))
        self.setToolTip(f"Roomcast — on air: {title}" if live else "Roomcast")
