"""Rooms on this relay: every live and scheduled room the relay lists (its directory), with
title, hosts and listeners, a page at a time; join one in the browser, or open the desk of a
room this console hosts.

Runs on: the Qt main thread; pages are fetched by an awaited `fetch_page` (HTTP), so the
window stays responsive while the relay answers. It refreshes itself while it is on screen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import QDateTime, QLocale, QModelIndex, Qt, QTimer, Signal, SignalInstance
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.room_directory import DirectoryRow, directory_rows
from console.rooms_api import ApiError, DirectoryPage
from ui.asyncs import spawn
from ui.keyed_model import KeyedListModel
from ui.placement import place_on_screen
from ui.plain import plain_label

PAGE_SIZE = 50
REFRESH_MS = 10_000  # only while the window is shown


def when(starts_at: float | None) -> str:
    """A start time in the reader's own locale, e.g. "Thu 3 Dec, 09:09" style."""
    if starts_at is None:
        return "no start time"
    moment = QDateTime.fromSecsSinceEpoch(int(starts_at))
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


class DirectoryModel(KeyedListModel[DirectoryRow]):
    def key_of(self, item: DirectoryRow) -> str:
        return item.room_id

    def display(self, item: DirectoryRow) -> str:
        state = "LIVE" if item.live else f"scheduled · {when(item.starts_at)}"
        hosts = ", ".join(item.hosts) or "?"
        heard = f"{item.listener_count} listening" if item.live else ""
        parts = [item.title, state, f"hosted by {hosts}", heard]
        if item.ticketed:
            parts.append("ticketed")
        if item.mine:
            parts.append("yours")
        return "   ·   ".join(p for p in parts if p)


class RoomDirectory(QWidget):
    browserWanted = Signal(str)  # room id: open its page in the browser
    deskWanted = Signal(str)  # room id: open (or show) this console's desk for it

    def __init__(
        self,
        fetch_page: Callable[[int, str | None], Awaitable[DirectoryPage]],
        mine: Callable[[], set[str]],
        parent: QWidget | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.fetch_page = fetch_page
        self.mine = mine
        self.page_size = page_size
        self.setWindowTitle("Rooms on this relay — Roomcast")
        self.resize(680, 420)
        place_on_screen(self)  # whole, on the host's screen
        self.model = DirectoryModel(self)
        self._cards: list[dict[str, object]] = []
        self._next_cursor: str | None = None
        self._loading = False

        layout = QVBoxLayout(self)
        self.summary = plain_label("Asking the relay…", self)
        self.summary.setObjectName("sectionTitle")
        layout.addWidget(self.summary)
        self.view = QListView(self)
        self.view.setObjectName("roomDirectory")
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAccessibleName("Rooms on this relay")
        layout.addWidget(self.view, 1)
        self.empty = plain_label("No live or scheduled rooms on this relay right now.", self)
        self.empty.setEnabled(False)
        self.empty.setVisible(False)
        layout.addWidget(self.empty)
        self.more = QPushButton("More rooms", self)
        self.more.setToolTip("Load the next page of the relay's rooms")
        self.more.setVisible(False)
        layout.addWidget(self.more, 0, Qt.AlignmentFlag.AlignLeft)

        buttons = QHBoxLayout()
        self.join = QPushButton("Join in browser", self)
        self.join.setObjectName("primary")
        self.join.setToolTip("Open the room's page in your web browser, as a listener would")
        self.desk = QPushButton("Open desk", self)
        self.desk.setToolTip("Open the host desk of a room you host")
        self.refresh = QPushButton("Refresh", self)
        buttons.addWidget(self.join)
        buttons.addWidget(self.desk)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh)
        layout.addLayout(buttons)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.join.clicked.connect(lambda: self._emit(self.browserWanted))
        self.desk.clicked.connect(lambda: self._emit(self.deskWanted))
        self.refresh.clicked.connect(self.reload)
        self.more.clicked.connect(lambda: spawn(self._load(self._next_cursor)))
        self.view.activated.connect(self._activated)  # Enter or double-click
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.reload)
        self._buttons()

    # -- what a person does -----------------------------------------------------------------------

    def selected(self) -> DirectoryRow | None:
        indexes = self.view.selectionModel().selectedIndexes()
        return self.model.item(indexes[0].row()) if indexes else None

    def _emit(self, signal: SignalInstance) -> None:
        row = self.selected()
        if row is not None:
            signal.emit(row.room_id)

    def _activated(self, index: QModelIndex) -> None:
        row = self.model.item(index.row())
        (self.deskWanted if row.mine else self.browserWanted).emit(row.room_id)

    def _buttons(self) -> None:
        row = self.selected()
        self.join.setEnabled(row is not None)
        self.desk.setEnabled(row is not None and row.mine)
        self.more.setVisible(self._next_cursor is not None)
        self.more.setEnabled(not self._loading)

    # -- pages ------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._timer.start()
        self.reload()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def reload(self) -> None:
        """From the first page again, keeping as many rows as were loaded."""
        if not self._loading:
            spawn(self._load(None, keep=max(self.page_size, len(self._cards))))

    async def _load(self, cursor: str | None, keep: int = 0) -> None:
        self._loading = True
        self._buttons()
        cards = [] if cursor is None else list(self._cards)
        try:
            while True:
                page = await self.fetch_page(self.page_size, cursor)
                cards += page.cards
                cursor = page.next_cursor
                if cursor is None or len(cards) >= keep:
                    break
        except ApiError as exc:
            self.status.setText(exc.message)
            return
        finally:
            self._loading = False
            self._buttons()
        self.status.setText("")
        self._cards, self._next_cursor = cards, cursor
        self.model.sync(directory_rows(cards, self.mine()))
        self._summarise(page.total)
        self._buttons()

    def _summarise(self, total: int) -> None:
        shown = self.model.rowCount()
        live = sum(1 for r in self.model.items() if r.live)
        rooms = f"{total} room{'s' if total != 1 else ''} on this relay"
        if shown < total:
            self.summary.setText(f"{rooms} · showing {shown}")
        else:
            self.summary.setText(f"{rooms} · {live} live, {shown - live} scheduled")
        self.empty.setVisible(total == 0)
