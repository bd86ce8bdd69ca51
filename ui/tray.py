"""The tray icon: on air (red) while a room is live, quiet grey otherwise."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

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
    def __init__(self, window: QWidget) -> None:
        super().__init__(on_air_icon(False), window)
        self.window = window
        menu = QMenu(window)
        menu.addAction("Show Roomcast", self._show)
        self.quit_action = menu.addAction("Quit…", window.close)
        self.setContextMenu(menu)
        self.setToolTip("Roomcast")
        self.activated.connect(lambda reason: self._show())
        self.live = False

    def set_live(self, live: bool, title: str = "") -> None:
        if live != self.live:
            self.live = live
            self.setIcon(on_air_icon(live))
        self.setToolTip(f"Roomcast — on air: {title}" if live else "Roomcast")

    def _show(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
