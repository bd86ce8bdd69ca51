"""The room header: title, state and live timer, listener count, recording, and sharing
(copy the listener link, a co-host link, or show the link as a QR code)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.room_view import Room, RoomState
from ui.plain import plain_label
from ui.room_models import clock_text


@dataclass(frozen=True, slots=True)
class ShareLinks:
    join_url: str
    host_token: str | None = None  # only the host can make co-host links


def qr_image(text: str, scale: int = 8) -> QImage | None:
    """The text as a QR code (None when the segno package is missing)."""
    try:
        import segno
    except ImportError:
        return None
    code = segno.make(text, error="m", micro=False)
    matrix = list(code.matrix_iter(scale=scale, border=4))
    size = len(matrix)
    image = QImage(size, size, QImage.Format.Format_Grayscale8)
    image.fill(255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.setPixel(x, y, 0)
    return image


class QrDialog(QDialog):
    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Room link")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        picture = plain_label(self)
        image = qr_image(url)
        if image is not None:
            picture.setPixmap(QPixmap.fromImage(image))
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(picture)
        link = plain_label(url, self)
        link.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        link.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(link)


class RoomHeader(QWidget):
    coHostLinkWanted = Signal()
    # The host's link leaked: make a new one (the old one stops working at once).
    hostLinkRotateWanted = Signal()
    ticketsWanted = Signal()
    broadcastWanted = Signal(bool)  # the host flipped the Broadcast mode toggle
    notice = Signal(str)

    def __init__(self, share: ShareLinks, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.share = share
        self._started_at: float | None = None
        self._state: RoomState | None = None
        self._joined_listeners = 0
        self._hls_listeners = (0, False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        left = QVBoxLayout()
        self.title = plain_label("", self)
        self.title.setObjectName("roomTitle")
        self.subtitle = plain_label("", self)
        self.subtitle.setEnabled(False)
        left.addWidget(self.title)
        left.addWidget(self.subtitle)
        layout.addLayout(left, 1)
        self.broadcast_note = plain_label(
            "This room is broadcast: listeners hear it a few seconds late.", self
        )
        self.broadcast_note.setObjectName("broadcastNote")
        self.broadcast_note.setVisible(False)
        left.addWidget(self.broadcast_note)
        self.state = plain_label("", self)
        self.timer = plain_label("", self)
        self.timer.setObjectName("liveTimer")
        self.listeners = plain_label("", self)
        self.listeners.setObjectName("listenerCount")
        self.recording = plain_label("● REC", self)
        self.recording.setObjectName("recPill")
        self.recording.setToolTip("This room is being recorded; everyone in it can see that.")
        for widget in (self.state, self.timer, self.listeners, self.recording):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)
            layout.addSpacing(10)
        self.state.setFixedHeight(22)
        self.tickets = QToolButton(self)
        self.tickets.setToolTip("Issue, list and copy this room's ticket codes")
        self.tickets.clicked.connect(self.ticketsWanted.emit)
        self.tickets.setVisible(False)
        layout.addWidget(self.tickets, 0, Qt.AlignmentFlag.AlignVCenter)
        self.broadcast = QToolButton(self)
        self.broadcast.setObjectName("broadcastToggle")
        self.broadcast.setText("📡 Broadcast mode")
        self.broadcast.setCheckable(True)
        self.broadcast.setToolTip(
            "Broadcast the room: every listener who joins hears it over HLS, a few seconds "
            "late, and the relay's WebRTC seats stay free. Needs a relay started with --hls."
        )
        self.broadcast.clicked.connect(
            lambda: self.broadcastWanted.emit(self.broadcast.isChecked())
        )
        self.broadcast.setVisible(False)
        layout.addWidget(self.broadcast, 0, Qt.AlignmentFlag.AlignVCenter)
        self.share_button = QToolButton(self)
        self.share_button.setText("Share")
        self.share_button.setToolTip("Copy the room link or a co-host link, or show a QR code")
        self.share_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.share_button)
        menu.addAction("Copy the room link", self.copy_link)
        cohost = menu.addAction("Copy a co-host link", self.coHostLinkWanted.emit)
        cohost.setEnabled(share.host_token is not None)
        rotate = menu.addAction(
            "Make a new host link (the old one stops working)", self.hostLinkRotateWanted.emit
        )
        rotate.setEnabled(share.host_token is not None)
        qr = menu.addAction("Show the link as a QR code", self.show_qr)
        qr.setEnabled(qr_image("x") is not None)
        self.share_button.setMenu(menu)
        layout.addWidget(self.share_button, 0, Qt.AlignmentFlag.AlignVCenter)

    def copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self.share.join_url)
        self.notice.emit("Room link copied.")

    def show_qr(self) -> QrDialog:
        dialog = QrDialog(self.share.join_url, self)
        dialog.show()
        return dialog

    def update_room(self, room: Room) -> None:
        self.title.setText(room.card.title)
        topics = "  ·  ".join(f"#{t}" for t in room.card.topics)
        self.subtitle.setText("   ".join(x for x in (room.card.description, topics) if x))
        self._state, self._started_at = room.state, room.started_at
        if room.state is RoomState.LIVE:
            self.state.setText("LIVE")
            self.state.setObjectName("livePill")
        else:
            self.state.setText(room.state.value.capitalize())
            self.state.setObjectName("statePill")
        self.state.style().unpolish(self.state)
        self.state.style().polish(self.state)
        # an ended room has nobody in it, whatever the mirror last saw of them
        self.listeners.setVisible(not room.state.is_over)
        self._joined_listeners = len(room.listeners())
        self._show_listeners()
        self.broadcast.setChecked(room.broadcast)
        self.broadcast_note.setVisible(room.broadcast and not room.state.is_over)
        if room.state.is_over and room.ended_at is not None:
            ended = time.strftime("%H:%M", time.localtime(room.ended_at))
            self.state.setText(f"{room.state.value.capitalize()} at {ended}")
        self.recording.setVisible(room.is_recording)
        tickets = room.tickets
        self.tickets.setVisible(tickets is not None and self.share.host_token is not None)
        if tickets is not None:
            self.tickets.setText(f"🎟 {len(tickets.issued)}/{tickets.quantity} tickets")
        self.tick()

    def set_hls_listeners(self, extra: int, estimated: bool) -> None:
        """Listeners on HLS without joining (from their heartbeats), added to the count."""
        self._hls_listeners = (extra, estimated)
        self._show_listeners()

    def _show_listeners(self) -> None:
        extra, estimated = self._hls_listeners
        about = "about " if estimated and extra else ""
        self.listeners.setText(f"👥 {about}{self._joined_listeners + extra} listening")
        self.listeners.setToolTip(
            f"{self._joined_listeners} joined, {about}{extra} more over HLS"
            if extra
            else "Everyone listening has the room's page or an app open."
        )

    def tick(self) -> None:
        if self._state is RoomState.LIVE and self._started_at is not None:
            self.timer.setText(clock_text(time.time() - self._started_at))
        else:
            self.timer.setText("")
