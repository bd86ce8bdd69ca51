"""Several rooms at once (as co-host): a compact card per room with its stage meters,
request count, reports and listener count; click a card to open that room's window."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QMouseEvent, QPainter, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from console.room_view import RoomState
from ui import theme
from ui.meter import MeterState, paint_meter
from ui.placement import place_on_screen
from ui.plain import plain_label
from ui.room_controller import RoomController

DISPLAY_HZ = 20
CARD_COLUMNS = 3


class RoomCard(QWidget):
    """One room in miniature. Painted in one go; repainted only when something moved."""

    clicked = Signal(object)  # RoomController

    def __init__(self, controller: RoomController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.meters: dict[str, MeterState] = {}
        self.setMinimumSize(300, 190)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Open this room")
        controller.roomChanged.connect(lambda _room: self.update())

    def sizeHint(self) -> QSize:
        return QSize(320, 200)

    def tick(self, elapsed_s: float) -> None:
        room = self.controller.room
        if room is None:
            return
        board = self.controller.session.board
        moved = False
        stage = room.stage()
        for person in stage:
            meter = self.meters.setdefault(person.user_id, MeterState())
            sample = board.latest(person.user_id)
            moved |= meter.step(sample.rms_db, sample.peak_db, elapsed_s)
        if moved:
            self.update()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit(self.controller)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        card = QRectF(self.rect()).adjusted(2, 2, -2, -2)
        painter.setPen(QColor(palette.mid().color()))
        painter.setBrush(palette.base())
        painter.drawRoundedRect(card, 10, 10)
        room = self.controller.room
        if room is None:
            painter.end()
            return
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.text().color())
        title_rect = QRectF(card.left() + 12, card.top() + 8, card.width() - 90, 22)
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            painter.fontMetrics().elidedText(
                room.card.title, Qt.TextElideMode.ElideRight, int(title_rect.width())
            ),
        )
        live = room.state is RoomState.LIVE
        painter.setPen(theme.LIVE if live else palette.mid().color())
        painter.drawText(
            QRectF(card.right() - 80, card.top() + 8, 68, 22),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            "● LIVE" if live else room.state.value,
        )
        font.setBold(False)
        painter.setFont(font)
        painter.setPen(palette.text().color())
        reports = len(room.reports) + sum(room.folded_reports.values())
        counts = (
            f"👥 {len(room.listeners())}    ✋ {len(room.requests)} waiting    "
            f"⚑ {reports} report{'' if reports == 1 else 's'}"
        )
        painter.drawText(
            QRectF(card.left() + 12, card.top() + 32, card.width() - 24, 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            counts,
        )
        track = QColor(palette.mid().color())
        track.setAlpha(90)
        y = card.top() + 60
        for person in room.stage()[:7]:
            meter = self.meters.get(person.user_id) or MeterState()
            speaking = self.controller.speaking.get(person.user_id, False) and not person.muted
            painter.setPen(theme.SPEAKING if speaking else palette.text().color())
            name = painter.fontMetrics().elidedText(
                person.display_name, Qt.TextElideMode.ElideRight, 110
            )
            painter.drawText(
                QRectF(card.left() + 12, y, 115, 16), Qt.AlignmentFlag.AlignVCenter, name
            )
            paint_meter(
                painter,
                QRectF(card.left() + 132, y + 5, card.width() - 150, 6),
                meter.vu_db,
                meter.peak_db,
                muted=person.muted,
                track=track,
            )
            y += 18
        painter.end()


class ModeratorView(QWidget):
    addWanted = Signal(str)  # a host or co-host link
    focusWanted = Signal(object)  # RoomController

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Moderator view — Roomcast")
        self.resize(1040, 520)
        place_on_screen(self)  # whole, on the host's screen
        self.cards: list[RoomCard] = []
        layout = QVBoxLayout(self)
        row = QHBoxLayout()
        self.link = QLineEdit(self)
        self.link.setPlaceholderText("Paste a co-host link to watch another room…")
        self.add = QPushButton("Watch", self)
        self.add.clicked.connect(self._add)
        self.link.returnPressed.connect(self._add)  # Enter, as in any address field
        row.addWidget(self.link, 1)
        row.addWidget(self.add)
        layout.addLayout(row)
        self.error = plain_label("", self)
        self.error.setObjectName("banner")
        self.error.setVisible(False)
        layout.addWidget(self.error)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        holder = QWidget(scroll)
        self.grid = QGridLayout(holder)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll.setWidget(holder)
        layout.addWidget(scroll, 1)
        self._elapsed = QElapsedTimer()
        self._elapsed.start()
        self.timer = QTimer(self)
        self.timer.setInterval(1000 // DISPLAY_HZ)
        self.timer.timeout.connect(self._tick)  # runs only while the view is on screen

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._elapsed.restart()
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()  # a closed view costs nothing at display rate
        super().hideEvent(event)

    def add_room(self, controller: RoomController) -> RoomCard:
        card = RoomCard(controller, self)
        card.clicked.connect(self.focusWanted.emit)
        index = len(self.cards)
        self.grid.addWidget(card, index // CARD_COLUMNS, index % CARD_COLUMNS)
        self.cards.append(card)
        return card

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))

    def _add(self) -> None:
        url = self.link.text().strip()
        if url:
            self.addWanted.emit(url)
            self.link.clear()

    def _tick(self) -> None:
        elapsed_s = self._elapsed.restart() / 1000.0
        for card in self.cards:
            card.tick(elapsed_s)
