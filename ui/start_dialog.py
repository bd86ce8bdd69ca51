"""How a session starts: a new room (now or scheduled), one of this console's rooms, or a
host or co-host link to a room on another relay. Non-modal; answers with `chosen`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from PySide6.QtCore import QDateTime, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.rooms_api import HostedRoom
from ui.plain import plain_label

STATE_ROLE = int(Qt.ItemDataRole.UserRole) + 1  # "ended", "live", … from the relay

ASK_MODES = (
    ("everyone", "Everyone may ask to speak"),
    ("followed", "Only people I follow"),
    ("invited", "Nobody asks — I invite"),
)


@dataclass(frozen=True)
class NewRoom:
    title: str
    description: str = ""
    topics: tuple[str, ...] = ()
    ask_mode: str = "everyone"
    starts_at: float | None = None
    tickets: dict[str, object] | None = field(default=None)
    broadcast: bool = False


@dataclass(frozen=True)
class Reopen:
    room: HostedRoom


@dataclass(frozen=True)
class JoinLinkChoice:
    url: str


MAX_TOPICS = 3  # the relay's card keeps three (server/room/validation.py)


class RoomForm(QWidget):
    """Title, description, topics, who may ask, schedule and tickets (also used to edit)."""

    def __init__(self, parent: QWidget | None = None, *, with_tickets: bool = True) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.title = QLineEdit(self)
        self.title.setMaxLength(70)
        self.title.setPlaceholderText("What is the room about?")
        self.description = QLineEdit(self)
        self.description.setMaxLength(280)
        self.topics = QLineEdit(self)
        self.topics.setPlaceholderText("up to 3, separated by commas")
        self.ask_mode = QComboBox(self)
        for value, label in ASK_MODES:
            self.ask_mode.addItem(label, value)
        self.schedule = QCheckBox("Schedule for later", self)
        self.starts_at = QDateTimeEdit(QDateTime.currentDateTime().addSecs(3600), self)
        self.starts_at.setDisplayFormat("ddd d MMM yyyy, HH:mm")  # not "3 12 2026 09:09"
        self.starts_at.setCalendarPopup(True)
        self.starts_at.setEnabled(False)
        self.schedule.toggled.connect(self.starts_at.setEnabled)
        form.addRow("Title", self.title)
        form.addRow("Description", self.description)
        form.addRow("Topics", self.topics)
        form.addRow("Who may ask", self.ask_mode)
        self.broadcast = QCheckBox(
            "Broadcast mode: listeners hear it over HLS, a few seconds late", self
        )
        self.broadcast.setToolTip(
            "Every listener hears the room over HLS (any HTTP cache or CDN can carry it), "
            "not live over WebRTC. Needs a relay started with --hls. You can turn it on or off "
            "in the live room."
        )
        form.addRow("", self.broadcast)
        form.addRow(self.schedule, self.starts_at)
        self.ticketed = QCheckBox("Sell tickets", self)
        self.price = QDoubleSpinBox(self)
        self.price.setRange(1.0, 999.0)
        self.price.setPrefix("$ ")
        self.quantity = QSpinBox(self)
        self.quantity.setRange(1, 10_000)
        self.quantity.setValue(100)
        self.price.setEnabled(False)
        self.quantity.setEnabled(False)
        self.ticketed.toggled.connect(self.price.setEnabled)
        self.ticketed.toggled.connect(self.quantity.setEnabled)
        if with_tickets:
            form.addRow(self.ticketed, self.price)
            form.addRow("Tickets", self.quantity)
        else:  # outside the layout they would sit at the top left, over the Title label
            for widget in (self.ticketed, self.price, self.quantity):
                widget.setVisible(False)
        self.with_tickets = with_tickets

    def topic_list(self) -> list[str]:
        return [t.strip() for t in self.topics.text().split(",") if t.strip()]

    def value(self) -> NewRoom:
        topics = tuple(self.topic_list())[:MAX_TOPICS]
        starts_at = (
            self.starts_at.dateTime().toSecsSinceEpoch() if self.schedule.isChecked() else None
        )
        tickets = None
        if self.with_tickets and self.ticketed.isChecked():
            tickets = {
                "price_cents": round(self.price.value() * 100),
                "currency": "USD",
                "quantity": self.quantity.value(),
            }
        return NewRoom(
            self.title.text().strip(),
            self.description.text().strip(),
            topics,
            str(self.ask_mode.currentData()),
            float(starts_at) if starts_at is not None else None,
            tickets,
            self.broadcast.isChecked(),
        )


class StartDialog(QDialog):
    chosen = Signal(object)  # NewRoom | Reopen | JoinLinkChoice
    cancelled = Signal()
    portChosen = Signal(int)  # run the relay on this port instead
    directoryWanted = Signal()  # "Rooms on this relay…"
    micCheckWanted = Signal()  # "Check microphone…"
    nameChosen = Signal(str)  # first start: the name listeners will see

    def __init__(
        self, rooms: list[HostedRoom], parent: QWidget | None = None, *, ask_name: bool = False
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Roomcast — start")
        self.setModal(False)
        self.resize(520, 420)
        layout = QVBoxLayout(self)
        self.status = plain_label("Starting the relay…", self)
        self.status.setEnabled(False)
        layout.addWidget(self.status)
        self.name_row = QWidget(self)
        name_form = QFormLayout(self.name_row)
        name_form.setContentsMargins(0, 0, 0, 0)
        self.name = QLineEdit(self.name_row)
        self.name.setMaxLength(40)
        self.name.setPlaceholderText("How listeners will see you, e.g. Hana Kim")
        name_form.addRow("Your name", self.name)
        self.name_row.setVisible(ask_name)
        layout.addWidget(self.name_row)
        self.tabs = QTabWidget(self)
        self.form = RoomForm(self.tabs)
        self.tabs.addTab(self.form, "New room")
        self.rooms = QListWidget(self.tabs)
        for room in rooms:
            item = QListWidgetItem(f"{room.title}   ({room.join_url})", self.rooms)
            item.setData(Qt.ItemDataRole.UserRole, room)
        self.tabs.addTab(self.rooms, f"My rooms ({len(rooms)})")
        link_page = QWidget(self.tabs)
        link_form = QFormLayout(link_page)
        self.link = QLineEdit(link_page)
        self.link.setPlaceholderText("http://host:port/r/ROOM#token=…")
        link_form.addRow("Host or co-host link", self.link)
        self.tabs.addTab(link_page, "Join with a link")
        layout.addWidget(self.tabs, 1)
        self.error = plain_label("", self)
        self.error.setObjectName("banner")
        self.error.setVisible(False)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.other_port = QPushButton("", self)
        self.other_port.setVisible(False)
        self.other_port.clicked.connect(
            lambda: self.portChosen.emit(int(self.other_port.property("port")))
        )
        layout.addWidget(self.other_port)
        buttons = QDialogButtonBox(self)
        self.go = buttons.addButton("Go live", QDialogButtonBox.ButtonRole.AcceptRole)
        self.go.setObjectName("primary")
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.directory = buttons.addButton(
            "Rooms on this relay…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.directory.setToolTip("Every live and scheduled room on this relay")
        self.directory.clicked.connect(self.directoryWanted.emit)
        self.mic_check = buttons.addButton(
            "Check microphone…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.mic_check.setToolTip("Hear yourself as listeners will, before you go live")
        self.mic_check.clicked.connect(self.micCheckWanted.emit)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self._finished = False
        layout.addWidget(buttons)
        self.form.schedule.toggled.connect(lambda _on: self._label_go())
        self.tabs.currentChanged.connect(lambda _index: self._label_go())
        # typing starts where the host begins: their name the first time, else the title
        (self.name if ask_name else self.form.title).setFocus()

    def _label_go(self) -> None:
        """The button says what it will do: on the first tab, that depends on the schedule."""
        page = self.tabs.currentIndex()
        if page == 0:
            self.go.setText("Schedule" if self.form.schedule.isChecked() else "Go live")
        else:
            self.go.setText(("Open", "Join")[page - 1])

    def set_room_states(self, states: dict[str, str]) -> None:
        """Mark "My rooms" with what the relay says of each: ended, cancelled, live, or that
        its relay cannot be reached (room id -> a short phrase)."""
        for row in range(self.rooms.count()):
            item = self.rooms.item(row)
            room: HostedRoom = item.data(Qt.ItemDataRole.UserRole)
            state = states.get(room.room_id)
            if state is None:
                continue
            item.setData(STATE_ROLE, state)
            item.setText(f"{room.title}   — {state}   ({room.join_url})")
            if state in ("ended", "cancelled"):
                item.setForeground(self.palette().placeholderText())

    def show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(True)
        self.go.setEnabled(True)

    def offer_port(self, taken: int, free: int) -> None:
        """The relay's port is held by another program: say so, and offer a free one."""
        self.show_error(
            f"Port {taken} is in use by another program, so Roomcast's relay cannot start "
            f"there and nobody could join your room. Use port {free} instead (links shared "
            f"for port {taken} will not reach it), or close that program and start again."
        )
        self.other_port.setText(f"Use port {free}")
        self.other_port.setProperty("port", free)
        self.other_port.setVisible(True)
        self.go.setEnabled(False)  # no relay, no room

    def relay_ready(self, text: str) -> None:
        self.set_status(text)
        self.error.setVisible(False)
        self.other_port.setVisible(False)
        self.go.setEnabled(True)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def _accept(self) -> None:
        name = self.name.text().strip()
        if self.name_row.isVisible() and not name:
            self.show_error("Tell listeners who you are: type your name at the top.")
            self.name.setFocus()
            return
        page = self.tabs.currentIndex()
        if page == 0:
            value = self.form.value()
            topics = self.form.topic_list()
            if len(topics) > MAX_TOPICS:
                self.show_error(
                    f"A room has at most {MAX_TOPICS} topics; you typed {len(topics)} — "
                    "remove one (separate them with commas)."
                )
                self.form.topics.setFocus()
                return
            if not value.title:
                self.show_error("Give the room a title — it is what people see before joining.")
                return
            if value.starts_at is not None and value.starts_at <= time.time():
                self.show_error("The start time has passed; pick a later one or go live now.")
                return
            choice: object = value
        elif page == 1:
            item = self.rooms.currentItem()
            if item is None:
                self.show_error("Pick one of your rooms.")
                return
            state = item.data(STATE_ROLE)
            if state in ("ended", "cancelled"):
                self.show_error(f"That room has {state}; nobody can join it again. "
                                "Start a new room on the first tab.")  # fmt: skip
                return
            choice = Reopen(item.data(Qt.ItemDataRole.UserRole))
        else:
            url = self.link.text().strip()
            if "/r/" not in url:
                self.show_error("That is not a room link (http://HOST:PORT/r/ROOM#token=…).")
                return
            choice = JoinLinkChoice(url)
        self.error.setVisible(False)
        self.go.setEnabled(False)
        if self.name_row.isVisible():
            self.nameChosen.emit(name)
        self.chosen.emit(choice)

    def finish(self) -> None:
        """Close after a choice went through (not a cancel)."""
        self._finished = True
        super().done(QDialog.DialogCode.Accepted)

    def reject(self) -> None:  # Cancel, Escape, or the window's close button
        if not self._finished:
            self._finished = True
            self.cancelled.emit()
        super().reject()
