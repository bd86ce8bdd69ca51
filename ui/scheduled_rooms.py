"""The host's scheduled rooms: the rooms list window, and start, edit, cancel from it; and
the due notice, watched from the moment the relay runs whatever windows are open.

Runs on: the Qt main thread with qasync; relay calls are awaited, dialogs are non-modal.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QObject, QTimer
from PySide6.QtWidgets import QVBoxLayout

from console.microphones import owner_commands
from console.room_view import CancelRoom, EditCard, Reschedule, StartRoom
from console.rooms_api import ApiError, HostedRoom, RelayApi
from ui.asyncs import spawn
from ui.dialogs import Question, open_again
from ui.rooms_list import RoomsList, rows_from_cards
from ui.start_dialog import RoomForm

if TYPE_CHECKING:
    from ui.console_app import ConsoleApp


DUE_CHECK_MS = 15_000  # a start time is to the minute; one directory read per 15 s


class ScheduledRooms(QObject):
    def __init__(self, app: ConsoleApp) -> None:
        super().__init__(app)
        self.app = app
        self.window: RoomsList | None = None
        self.edit_question: Question | None = None
        self.cancel_question: Question | None = None
        self.announced: set[str] = set()  # rooms whose due notice was given
        self.due_check_ms = DUE_CHECK_MS
        self._due_timer: QTimer | None = None

    def watch(self) -> None:
        """Say when one of this console's scheduled rooms is due, with or without windows."""
        if self._due_timer is None:
            self._due_timer = QTimer(self)
            self._due_timer.timeout.connect(lambda: spawn(self._check_due()))
        self._due_timer.setInterval(self.due_check_ms)
        self._due_timer.start()
        spawn(self._check_due())

    def stop(self) -> None:
        if self._due_timer is not None:
            self._due_timer.stop()

    async def _check_due(self) -> None:
        if self.app.relay_url is None:
            return
        try:
            cards = await RelayApi(self.app.relay_url, timeout_s=5.0).rooms()
        except ApiError:
            return  # the next tick tries again; the relay's own state is said elsewhere
        rows = rows_from_cards(cards, {r.room_id for r in self.app.book.rooms()})
        if self.window is not None:
            self.window.show_rows(rows)
        now = time.time()
        for row in rows:
            if row.due(now):
                self._room_due(row.room_id, row.title)

    def show(self) -> None:
        if self.window is None:
            self.window = RoomsList()
            self.window.refreshWanted.connect(lambda: spawn(self._refresh_rooms()))
            self.window.startWanted.connect(
                lambda rid: spawn(self._start_scheduled(rid), self._list_error)
            )
            self.window.editWanted.connect(self._edit_scheduled)
            self.window.cancelWanted.connect(self._cancel_scheduled)
            self.window.due.connect(self._room_due)
            self.window.closed.connect(lambda: self.app.last_window_closed(self.window))
        self.window.show()
        self.window.raise_()
        spawn(self._refresh_rooms())

    async def _refresh_rooms(self) -> None:
        if self.window is None or self.app.relay_url is None:
            return
        try:
            cards = await RelayApi(self.app.relay_url).rooms()
        except ApiError as exc:
            self._list_error(exc)
            return
        self.window.show_rows(rows_from_cards(cards, {r.room_id for r in self.app.book.rooms()}))

    def _list_error(self, error: BaseException) -> None:
        if self.window is not None:
            self.window.setWindowTitle(f"Your rooms — {getattr(error, 'message', error)}")

    def _room_due(self, room_id: str, title: str) -> None:
        if room_id in self.announced:
            return
        self.announced.add(room_id)
        text = f"“{title}” is due to start — open Your rooms and press Start now."
        nothing_open = self.app.nothing_open()
        self.app.notify(text)
        if nothing_open:  # from the tray alone: bring the list up with the room to start
            self.show()
            assert self.window is not None
            self.window.show_notice(text)

    async def _start_scheduled(self, room_id: str) -> None:
        hosted = self.app.book.get(room_id)
        if hosted is None:
            return
        window = await self.app.open_room(hosted.host_url, hosted)
        window.controller.submit(StartRoom(), "start the room")

    def _edit_scheduled(self, room_id: str) -> None:
        hosted = self.app.book.get(room_id)
        row = self.window.model.item(self.window.model.row_of(room_id)) if self.window else None
        if hosted is None or row is None:
            return
        if open_again(self.edit_question) is not None:
            return
        question = Question(
            self.window,
            f"Edit “{row.title}”",
            "The room's card and start time change for everyone with a reminder.",
            "Save",
        )
        form = RoomForm(question, with_tickets=False)
        form.title.setText(row.title)
        form.description.setText(row.description)
        form.topics.setText(", ".join(row.topics))
        form.ask_mode.setEnabled(False)  # who may ask is changed in the live room
        form.broadcast.setVisible(False)  # so is broadcast mode (its toggle in the room)
        form.schedule.setChecked(True)
        if row.starts_at:
            form.starts_at.setDateTime(QDateTime.fromSecsSinceEpoch(int(row.starts_at)))
        layout = question.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, form)  # between the text and the buttons
        question.form = form  # type: ignore[attr-defined]
        self.edit_question = question

        def answered(yes: bool) -> None:
            if not yes:
                return
            value = form.value()
            commands: list[object] = [
                EditCard(value.title or row.title, value.description, value.topics)
            ]
            if value.starts_at and value.starts_at != row.starts_at:
                commands.append(Reschedule(value.starts_at))
            spawn(self._owner(hosted, *commands), self._list_error)

        question.answered.connect(answered)
        question.show()

    def _cancel_scheduled(self, room_id: str) -> None:
        hosted = self.app.book.get(room_id)
        if hosted is None or open_again(self.cancel_question) is not None:
            return
        question = Question(
            self.window,
            "Cancel the room?",
            "People with a reminder will see it was cancelled.",
            "Cancel room",
            "Keep it",
            destructive=True,
        )
        question.answered.connect(
            lambda yes: yes and spawn(self._owner(hosted, CancelRoom()), self._list_error)
        )
        question.show()
        self.cancel_question = question

    async def _owner(self, hosted: HostedRoom, *commands: object) -> None:
        await owner_commands(hosted, self.app.identity, self.app.settings.display_name, *commands)
        await self._refresh_rooms()
