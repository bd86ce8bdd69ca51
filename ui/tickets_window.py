"""The host's ticket desk for one room: price and quantity, every code issued and who used
it, issuing more, copying codes to send to buyers, and revoking a code (a refund).

A revoked code admits nobody; if someone already used it they leave the room and need a new
code (a refund ends access, as on X's ticketed Spaces), so that case is confirmed first.

A code is made here and recorded by the relay (`IssueTicket`); a joiner types it in the
page, or a bot passes `--ticket CODE`. Runs on: the Qt main thread; sends are awaited.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDoubleSpinBox,
    QHBoxLayout,
    QListView,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.client import ClientClosed, CommandRejected
from console.room_view import IssueTicket, RevokeTicket, Room, SetTicketing
from console.tickets import TicketRow, new_ticket_code, ticket_rows
from ui.asyncs import spawn
from ui.dialogs import Question, open_again
from ui.keyed_model import ITEM_ROLE, KEY_ROLE, KeyedListModel
from ui.placement import place_on_screen
from ui.plain import plain_label
from ui.room_controller import RoomController


class TicketModel(KeyedListModel[TicketRow]):
    def key_of(self, item: TicketRow) -> str:
        return item.code

    def display(self, item: TicketRow) -> str:
        if item.revoked:
            return f"{item.code}   ·   revoked"
        used = f"used by {item.holder_name}" if item.holder_id else "not used yet"
        return f"{item.code}   ·   {used}"


def money(cents: int, currency: str) -> str:
    return f"${cents / 100:.2f}" if currency == "USD" else f"{cents / 100:.2f} {currency}"


class TicketsWindow(QWidget):
    def __init__(self, controller: RoomController, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.controller = controller
        self.setWindowTitle("Tickets — Roomcast")
        self.resize(520, 460)
        place_on_screen(self)  # whole, on the host's screen
        self.model = TicketModel(self)
        layout = QVBoxLayout(self)
        self.summary = plain_label("", self)
        self.summary.setObjectName("sectionTitle")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        terms = QHBoxLayout()
        self.price = QDoubleSpinBox(self)
        self.price.setRange(0.0, 999.0)
        self.price.setPrefix("$ ")
        self.quantity = QSpinBox(self)
        self.quantity.setRange(1, 10_000)
        self.quantity.setValue(100)
        self.save_terms = QPushButton("Sell tickets", self)
        terms.addWidget(plain_label("Price", self))
        terms.addWidget(self.price)
        terms.addWidget(plain_label("Tickets", self))
        terms.addWidget(self.quantity)
        terms.addWidget(self.save_terms)
        terms.addStretch(1)
        layout.addLayout(terms)

        self.view = QListView(self)
        self.view.setObjectName("ticketList")
        self.view.setModel(self.model)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout.addWidget(self.view, 1)
        self.empty = plain_label("No codes yet. Issue one per buyer; each admits one person.", self)
        self.empty.setEnabled(False)
        layout.addWidget(self.empty)

        issue = QHBoxLayout()
        self.count = QSpinBox(self)
        self.count.setRange(1, 100)
        self.count.setValue(5)
        self.issue = QPushButton("Issue codes", self)
        self.issue.setObjectName("primary")
        self.copy_selected = QPushButton("Copy selected", self)
        self.copy_unused = QPushButton("Copy unused codes", self)
        self.revoke = QPushButton("Revoke selected", self)
        self.revoke.setObjectName("destructive")
        self.revoke.setToolTip(
            "A revoked code admits nobody; whoever used it leaves the room (a refund)"
        )
        self.question: Question | None = None
        issue.addWidget(self.count)
        issue.addWidget(self.issue)
        issue.addStretch(1)
        issue.addWidget(self.revoke)
        issue.addWidget(self.copy_selected)
        issue.addWidget(self.copy_unused)
        layout.addLayout(issue)
        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)

        self.issue.clicked.connect(lambda: spawn(self._issue(self.count.value())))
        self.save_terms.clicked.connect(lambda: spawn(self._set_terms()))
        self.copy_selected.clicked.connect(self._copy_selected)
        self.copy_unused.clicked.connect(self._copy_unused)
        self.revoke.clicked.connect(self._ask_revoke)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        controller.roomChanged.connect(self.sync_room)
        if controller.room is not None:
            self.sync_room(controller.room)

    def sync_room(self, room: Room) -> None:
        self.setWindowTitle(f"Tickets — {room.card.title}")
        self.model.sync(ticket_rows(room, self.controller.names))
        tickets = room.tickets
        if tickets is None:
            self.summary.setText("This room is free: anyone with the link may join.")
            self.save_terms.setText("Sell tickets")
        else:
            used = len(tickets.holders)
            self.summary.setText(
                f"{money(tickets.price_cents, tickets.currency)} each  ·  "
                f"{len(tickets.issued)} of {tickets.quantity} issued  ·  {used} used"
            )
            self.save_terms.setText("Change")
            if not self.price.hasFocus() and not self.quantity.hasFocus():
                self.price.setValue(tickets.price_cents / 100)
                self.quantity.setValue(tickets.quantity)
        self._buttons()

    def _buttons(self) -> None:
        room = self.controller.room
        tickets = room.tickets if room else None
        host = room is not None and room.host_id == self.controller.me and not room.state.is_over
        left = tickets.quantity - len(tickets.issued) if tickets else 0
        self.issue.setEnabled(host and left > 0)
        self.count.setEnabled(host and left > 0)
        self.count.setMaximum(max(1, min(100, left)))
        self.save_terms.setEnabled(host)
        self.empty.setVisible(self.model.rowCount() == 0)
        self.copy_selected.setEnabled(bool(self._selected()))
        self.copy_unused.setEnabled(any(r.unused for r in self.model.items()))
        self.revoke.setEnabled(host and any(not r.revoked for r in self._selected()))

    def _selected(self) -> list[TicketRow]:
        return [i.data(ITEM_ROLE) for i in self.view.selectionModel().selectedIndexes()]

    async def _send(self, command: object) -> bool:
        try:
            await self.controller.session.send(command)
        except CommandRejected as refused:
            self.status.setText(refused.message or f"The relay refused ({refused.code}).")
            return False
        except (ClientClosed, TimeoutError):
            self.status.setText("Not connected to the relay; try again once it is back.")
            return False
        return True

    async def _issue(self, count: int) -> None:
        self.issue.setEnabled(False)
        issued = []
        for _ in range(count):
            code = new_ticket_code()
            if not await self._send(IssueTicket(code)):
                break
            issued.append(code)
        if issued:
            QGuiApplication.clipboard().setText("\n".join(issued))
            self.status.setText(
                f"Issued {len(issued)} code{'s' if len(issued) != 1 else ''}; "
                "they are on the clipboard. Send one to each buyer."
            )
        self._buttons()

    async def _set_terms(self) -> None:
        command = SetTicketing(round(self.price.value() * 100), "USD", self.quantity.value())
        if await self._send(command):
            self.status.setText("Ticket terms saved.")

    def _copy_selected(self) -> None:
        codes = [str(i.data(KEY_ROLE)) for i in self.view.selectionModel().selectedIndexes()]
        if codes:
            QGuiApplication.clipboard().setText("\n".join(codes))
            self.status.setText(f"Copied {len(codes)} code{'s' if len(codes) != 1 else ''}.")

    def _ask_revoke(self) -> None:
        if open_again(self.question) is not None:
            return
        rows = [r for r in self._selected() if not r.revoked]
        if not rows:
            return
        codes = [r.code for r in rows]
        used = [r.holder_name or "someone" for r in rows if r.holder_id]
        if not used:
            spawn(self._revoke(codes, []))
            return
        who = ", ".join(used)
        self.question = Question(
            self,
            f"Revoke {who}'s ticket?" if len(used) == 1 else f"Revoke {len(used)} used tickets?",
            f"{who} will leave the room and need a new code to come back (a refund). "
            f"{'This code admits' if len(codes) == 1 else 'These codes admit'} nobody after this.",
            "Revoke",
            destructive=True,
        )
        self.question.answered.connect(
            lambda yes: spawn(self._revoke(codes, used)) if yes else None
        )
        self.question.show()

    async def _revoke(self, codes: list[str], used: list[str]) -> None:
        self.revoke.setEnabled(False)
        done = 0
        for code in codes:
            if not await self._send(RevokeTicket(code)):
                break
            done += 1
        if done:
            admits = "1 code; it admits" if done == 1 else f"{done} codes; they admit"
            text = f"Revoked {admits} nobody now."
            if used:
                text += f" {', '.join(used)} left the room."
            self.status.setText(text)
        self._buttons()

    def _copy_unused(self) -> None:
        codes = [r.code for r in self.model.items() if r.unused]
        QGuiApplication.clipboard().setText("\n".join(codes))
        self.status.setText(f"Copied {len(codes)} unused code{'s' if len(codes) != 1 else ''}.")
