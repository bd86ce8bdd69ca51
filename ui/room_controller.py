"""One room seen from the console: the session's callbacks turned into Qt signals, and the
plain `submit(command)` every button calls.

Room changes are coalesced: a burst of events (500 listeners arriving) becomes one
`roomChanged` on the next loop turn; each event is still passed on (`eventArrived`) for the
log and the reactions. Refusals come back as `error` with the relay's own words.

Runs on: the Qt main thread (qasync runs the session's callbacks there too).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from console.client import ClientClosed, CommandRejected
from console.host_session import HostSession
from console.room_view import Room, allowed
from ui.asyncs import spawn

logger = logging.getLogger(__name__)

CLOSED_WORDS = {
    "room_ended": "The room has ended.",
    "removed": "You were removed from this room.",
    "replaced": "This seat was opened in another window or console.",
    "refused": "The relay refused this console.",
    "gave_up_reconnecting": "Lost the connection to the relay — check that it is running.",
}


class RoomController(QObject):
    roomChanged = Signal(object)  # Room
    eventArrived = Signal(int, object, object)  # seq, event, room after it
    speakingChanged = Signal(str, bool)
    connectionChanged = Signal(bool)
    closed = Signal(str)  # a sentence for people
    error = Signal(str)
    recordingFailed = Signal(str)  # the relay stopped the recording (a full disk): its words
    hlsReactions = Signal(object)  # {emoji: count}: one second of HLS listeners' reactions
    hlsListenersChanged = Signal(int, bool)  # listeners on HLS without joining, estimated

    def __init__(self, session: HostSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._flush_pending = False
        self._connected = True
        self._closed_reported = False
        self.names: dict[str, str] = {}  # everyone seen, for the log after they left
        self._learn_names()
        client = session.client
        client.on_event.append(self._on_event)
        client.on_snapshot.append(self._on_snapshot)
        client.on_speaking.append(self._on_speaking)
        client.on_recording_failed.append(self.recordingFailed.emit)
        client.on_hls_reactions.append(self.hlsReactions.emit)
        client.on_hls_listeners.append(self.hlsListenersChanged.emit)
        self._watch = QTimer(self)
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._check_connection)
        self._watch.start()

    # -- reading ----------------------------------------------------------------------------------

    @property
    def room(self) -> Room | None:
        return self.session.room

    @property
    def me(self) -> str | None:
        return self.session.user_id

    @property
    def speaking(self) -> dict[str, bool]:
        return self.session.client.speaking

    @property
    def hls_on(self) -> bool:
        """The relay streams HLS (broadcast mode can be turned on)."""
        return self.session.client.hls

    @property
    def hls_listeners(self) -> tuple[int, bool]:
        """(listeners on HLS without joining, whether that is a sampled estimate)."""
        return self.session.client.hls_listeners

    def allowed(self, command: object) -> bool:
        return allowed(self.room, self.me, command)

    # -- acting -----------------------------------------------------------------------------------

    def submit(self, command: object, what: str = "do that") -> None:
        """Send a command; a refusal arrives as `error`."""

        async def send() -> None:
            try:
                await self.session.send(command)
            except CommandRejected as refused:
                self.error.emit(refused.message or f"Could not {what} ({refused.code}).")
            except ClientClosed as closed:
                self.error.emit(f"Could not {what}: not connected to the relay ({closed.reason}).")
            except TimeoutError:
                self.error.emit(f"Could not {what}: the relay did not answer in time.")

        spawn(send())

    def set_muted(self, muted: bool) -> None:
        async def change() -> None:
            try:
                await self.session.set_muted(muted)
            except (CommandRejected, ClientClosed, TimeoutError) as exc:
                self.error.emit(f"Could not {'mute' if muted else 'unmute'}: {exc}")

        spawn(change())

    # -- following --------------------------------------------------------------------------------

    def _learn_names(self) -> None:
        room = self.room
        if room is not None:
            for user_id, person in room.participants.items():
                self.names[user_id] = person.display_name

    def _on_event(self, seq: int, event: object, room: Room) -> None:
        joined = getattr(event, "display_name", None)
        if isinstance(joined, str):
            self.names[str(getattr(event, "actor", ""))] = joined
        self.eventArrived.emit(seq, event, room)
        self._learn_names()
        if not self._flush_pending:
            self._flush_pending = True
            QTimer.singleShot(0, self._flush)

    def _on_snapshot(self, room: Room) -> None:
        """A resume from far behind came as a fresh snapshot: redraw from it."""
        self._learn_names()
        if not self._flush_pending:
            self._flush_pending = True
            QTimer.singleShot(0, self._flush)

    def _flush(self) -> None:
        self._flush_pending = False
        if self.room is not None:
            self.roomChanged.emit(self.room)

    def _on_speaking(self, user_id: str, speaking: bool) -> None:
        self.speakingChanged.emit(user_id, speaking)

    def _check_connection(self) -> None:
        client = self.session.client
        if client.closed_reason is not None:
            if not self._closed_reported:
                self._closed_reported = True
                reason = client.closed_reason
                words = CLOSED_WORDS.get(reason, f"Disconnected ({reason}).")
                if reason == "replaced" and client.closed_message:
                    # The relay's own words: "Your host link was opened somewhere else."
                    words = client.closed_message
                self.closed.emit(words)
            return
        connected = client.connected
        if connected != self._connected:
            self._connected = connected
            self.connectionChanged.emit(connected)
            if connected:
                self._flush()

    def stop(self) -> None:
        self._watch.stop()

    def describe(self) -> dict[str, Any]:
        room = self.room
        return {"room_id": room.room_id if room else None, "me": self.me}
