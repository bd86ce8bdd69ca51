"""This console's scheduled rooms: start time and reminders; start, edit, cancel; and a
notice when a scheduled room is due."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.keyed_model import KeyedListModel
from ui.placement import place_on_screen
from ui.plain import plain_label


@dataclass(frozen=True, slots=True)
class ScheduledRow:
    room_id: str
    title: str
    starts_at: float | None
    reminders: int
    state: str
    description: str = ""
    topics: tuple[str, ...] = ()

    def due(self, now: float) -> bool:
        return self.state == "scheduled" and self.starts_at is not None and self.starts_at <= now


class ScheduledModel(KeyedListModel[ScheduledRow]):
    def key_of(self, item: ScheduledRow) -> str:
        return item.room_id

    def display(self, item: ScheduledRow) -> str:
        if item.state == "live":
            when = "live now"
        elif item.starts_at is None:
            when = "no start time"
        else:
            when = time.strftime("%a %d %b, %H:%M", time.localtime(item.starts_at))
        reminders = f"{item.reminders} reminder" + ("" if item.reminders == 1 else "s")
        due = "  — due now" if item.due(time.time()) else ""
        return f"{item.title}   ·   {when}   ·   {reminders}{due}"


def rows_from_cards(cards: list[dict[str, Any]], mine: set[str]) -> list[ScheduledRow]:
    rows = [
        ScheduledRow(
            str(c["room_id"]),
            str(c.get("title", "")),
            c.get("starts_at"),
            int(c.get("reminders") or 0),
            str(c.get("state", "")),
            str(c.get("description") or ""),
            tuple(str(t) for t in c.get("topics") or ()),
        )
        for c in cards
        if c.get("room_id") in mine
    ]
    rows.sort(key=lambda r: (r.state != "live", r.starts_at or 0.0))
    return rows


class RoomsList(QWidget):
    startWanted = Signal(str)
    editWanted = Signal(str)
    cancelWanted = Signal(str)
    refreshWanted = Signal()
    due = Signal(str, str)  # room id, title: once per room
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your rooms — Roomcast")
        self.resize(620, 360)
        place_on_screen(self)  # whole, on the host's screen
        self.model = ScheduledModel(self)
        self._announced: set[str] = set()
        layout = QVBoxLayout(self)
        title = plain_label("Your live and scheduled rooms", self)
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.notice = plain_label("", self)
        self.notice.setObjectName("banner")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        layout.addWidget(self.notice)
        self.view = QListView(self)
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.view, 1)
        self.empty = plain_label("No rooms scheduled. Schedule one from “New room”.", self)
        self.empty.setEnabled(False)
        layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.start = QPushButton("Start now", self)
        self.start.setObjectName("primary")
        self.edit = QPushButton("Edit…", self)
        self.cancel = QPushButton("Cancel room", self)
        self.refresh = QPushButton("Refresh", self)
        for button in (self.start, self.edit, self.cancel):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh)
        layout.addLayout(buttons)
        self.start.clicked.connect(lambda: self._emit(self.startWanted))
        self.edit.clicked.connect(lambda: self._emit(self.editWanted))
        self.cancel.clicked.connect(lambda: self._emit(self.cancelWanted))
        self.refresh.clicked.connect(self.refreshWanted.emit)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(True)

    def closeEvent(self, event: QCloseEvent) -> None:
        super().closeEvent(event)
        self.closed.emit()

    def selected(self) -> ScheduledRow | None:
        indexes = self.view.selectionModel().selectedIndexes()
        return self.model.item(indexes[0].row()) if indexes else None

    def _emit(self, signal: Any) -> None:
        row = self.selected()
        if row is not None:
            signal.emit(row.room_id)

    def _update_buttons(self) -> None:
        row = self.selected()
        scheduled = row is not None and row.state == "scheduled"
        self.start.setEnabled(scheduled)
        self.edit.setEnabled(scheduled)
        self.cancel.setEnabled(scheduled)
        self.empty.setVisible(self.model.rowCount() == 0)

    def show_rows(self, rows: list[ScheduledRow]) -> None:
        self.model.sync(rows)
        self._update_buttons()
        self.check_due(time.time())

    def check_due(self, now: float) -> list[ScheduledRow]:
        fresh = [r for r in self.model.items() if r.due(now) and r.room_id not in self._announced]
        for row in fresh:
            self._announced.add(row.room_id)
            self.due.emit(row.room_id, row.title)
        return fresh
