"""Live rooms on the relay: the one place where room state changes.

Every change goes through `Hub.submit`: the rules decide, the store commits the
events (so a crash loses nothing that was acknowledged), the room moves on,
each connected person receives the events they may see, and the relay
enforces what the events mean (a removed person's connection and media are
closed, an ended room closes everyone, the stage's mute and consent states go
to the media engine).

Runs on: the relay's event loop thread; nothing here blocks for more than a
store commit.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from server.media.values import StageState
from server.protocol import encode_envelope, encode_event, encode_snapshot
from server.recorder import RoomRecorders
from server.room import (
    SYSTEM,
    AppointCohost,
    AskMode,
    Consent,
    Event,
    ExpireInvites,
    Leave,
    ParticipantLeft,
    ParticipantRemoved,
    Rejected,
    Role,
    Room,
    RoomCancelled,
    RoomCard,
    RoomEnded,
    RoomState,
    SetTicketing,
    StopRecording,
    apply_all,
    decide,
    new_room,
)
from server.store import Store, StoreError
from server.visibility import event_for, room_for

logger = logging.getLogger(__name__)

# WebSocket close codes the relay uses (4000–4999 are for applications).
CLOSE_ROOM_OVER = 4000
CLOSE_REPLACED = 4001
CLOSE_REMOVED = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_HELLO = 4009


class Connection(Protocol):
    """A participant's live connection as the hub sees it."""

    def deliver(self, frame: str) -> None:
        """Queue a frame for sending; never blocks."""

    def deliver_ephemeral(self, frame: str) -> None:
        """Queue a frame that may be skipped when the connection is behind (levels, speaking)."""

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have gone."""


class RoomMediaPort(Protocol):
    """What the hub asks of a room's media engine (server/media)."""

    async def start(self) -> None: ...
    async def connect(self, user_id: str, offer_sdp: str, *, send_allowed: bool) -> str: ...
    def set_stage(self, stage: Mapping[str, StageState]) -> None: ...
    async def disconnect(self, user_id: str) -> None: ...
    async def close(self) -> None: ...
    def start_recording(self, folder: Path, room_title: str) -> None: ...
    def describe_recording(
        self, participants: Mapping[str, str], ledger: Sequence[object]
    ) -> None: ...
    def add_marker(self, label: str, actor: str) -> None: ...
    def stop_recording(self) -> None: ...


MediaFactory = Callable[[str], RoomMediaPort]


class HubError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class LiveRoom:
    room: Room
    seq: int
    connections: dict[str, Connection] = field(default_factory=dict)
    leave_timers: dict[str, asyncio.TimerHandle] = field(default_factory=dict)
    media: RoomMediaPort | None = None


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    room: Room
    host_token: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_room_id() -> str:
    return secrets.token_urlsafe(9)


class Hub:
    def __init__(
        self,
        store: Store,
        *,
        resume_grace_s: float = 30.0,
        media_factory: MediaFactory | None = None,
        recorders: RoomRecorders | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.resume_grace_s = resume_grace_s
        self.media_factory = media_factory
        self.recorders = recorders
        self.clock = clock
        self.rooms: dict[str, LiveRoom] = {}
        self._tasks: set[asyncio.Task[object]] = set()

    # -- start and stop ------------------------------------------------------------------------

    def restore(self) -> int:
        """Bring back live and scheduled rooms from the store after a restart.

        Everyone who was present keeps their place for the grace period; whoever does not
        come back by then leaves. Returns the number of rooms restored.
        """
        for stored in self.store.rooms([RoomState.LIVE, RoomState.SCHEDULED]):
            live = LiveRoom(stored.room, stored.last_seq)
            self.rooms[stored.room.room_id] = live
            for user_id in stored.room.participants:
                self._start_grace(live, user_id)
        return len(self.rooms)

    async def close(self) -> None:
        for live in list(self.rooms.values()):
            for timer in live.leave_timers.values():
                timer.cancel()
            for connection in list(live.connections.values()):
                connection.close(1001, "relay shutting down")
            if live.media is not None:
                await live.media.close()
        for task in list(self._tasks):
            task.cancel()

    # -- rooms ---------------------------------------------------------------------------------

    def create_room(
        self,
        *,
        host_id: str,
        host_name: str,
        card: RoomCard,
        starts_at: float | None = None,
        ask_mode: AskMode = AskMode.EVERYONE,
        ticketing: SetTicketing | None = None,
        limits: object | None = None,
    ) -> CreatedRoom:
        now = self.clock()
        kwargs = {"limits": limits} if limits is not None else {}
        made = new_room(
            new_room_id(),
            host_id,
            host_name,
            card,
            now,
            starts_at=starts_at,
            ask_mode=ask_mode,
            blocked=self.store.blocked_by(host_id),
            contacts=self.store.contacts_of(host_id),
            **kwargs,  # type: ignore[arg-type]
        )
        if isinstance(made, Rejected):
            raise HubError(made.reason.value, made.detail)
        self.store.create_room(made)
        live = LiveRoom(made, 0)
        self.rooms[made.room_id] = live
        if ticketing is not None:
            verdict = self.submit(made.room_id, host_id, ticketing)
            if isinstance(verdict, Rejected):
                raise HubError(verdict.reason.value, verdict.detail)
        token = new_token()
        self.store.add_token(token, made.room_id, host_id, Role.HOST.value, now)
        return CreatedRoom(live.room, token)

    def add_cohost_link(self, room_id: str) -> tuple[str, str]:
        """Appoint a co-host seat behind a new link; returns (user id, token)."""
        live = self._live(room_id)
        user_id = f"cohost-{secrets.token_hex(4)}"
        verdict = self.submit(room_id, live.room.host_id, AppointCohost(user_id))
        if isinstance(verdict, Rejected):
            raise HubError(verdict.reason.value, verdict.detail)
        token = new_token()
        self.store.add_token(token, room_id, user_id, Role.COHOST.value, self.clock())
        return user_id, token

    def find(self, room_id: str) -> Room | None:
        live = self.rooms.get(room_id)
        if live is not None:
            return live.room
        stored = self.store.load_room(room_id)
        return stored.room if stored else None

    def _live(self, room_id: str) -> LiveRoom:
        live = self.rooms.get(room_id)
        if live is None:
            room = self.find(room_id)
            if room is None:
                raise HubError("room_not_found", "There is no room with that link.")
            raise HubError("room_ended", "This room has ended.")
        return live

    # -- changes -------------------------------------------------------------------------------

    def submit(self, room_id: str, actor: str, command: object) -> list[Event] | Rejected:
        """Decide, commit, apply, broadcast and enforce one command."""
        live = self._live(room_id)
        verdict = decide(live.room, actor, command, self.clock())  # type: ignore[arg-type]
        if isinstance(verdict, Rejected) or not verdict:
            return verdict
        before = live.room
        after = apply_all(before, verdict)
        first_seq = live.seq + 1
        try:
            live.seq = self.store.commit(after, verdict, first_seq)
        except StoreError as exc:
            # Nothing was saved, so nothing changes: the room stays as it was.
            raise HubError("store_failed", str(exc)) from exc
        live.room = after
        for offset, event in enumerate(verdict):
            self._broadcast(live, first_seq + offset, event)
        self._enforce(live, verdict)
        return verdict

    def _broadcast(self, live: LiveRoom, seq: int, event: Event) -> None:
        frames: dict[int, str] = {}  # one encoding per distinct version of the event
        for user_id, connection in list(live.connections.items()):
            seen = event_for(event, live.room, user_id)
            if seen is not None:
                frame = frames.get(id(seen))
                if frame is None:
                    frame = frames[id(seen)] = encode_event(seq, seen)
                connection.deliver(frame)

    def _enforce(self, live: LiveRoom, events: list[Event]) -> None:
        room_id = live.room.room_id
        for event in events:
            if isinstance(event, ParticipantRemoved):
                self._drop(live, event.user_id, CLOSE_REMOVED, "removed")
            elif isinstance(event, ParticipantLeft):
                self._drop(live, event.actor, None, "")
            elif isinstance(event, (RoomEnded, RoomCancelled)):
                if self.recorders is not None:
                    self.recorders.on_events(live.room, events, live.media)
                for user_id in list(live.connections):
                    self._drop(live, user_id, CLOSE_ROOM_OVER, "room_ended")
                for timer in live.leave_timers.values():
                    timer.cancel()
                self.rooms.pop(room_id, None)
                if live.media is not None:
                    self._spawn(live.media.close())
                    live.media = None
                return
        self._update_stage(live)
        if self.recorders is not None:
            self.recorders.on_events(live.room, events, live.media)

    def _drop(self, live: LiveRoom, user_id: str, code: int | None, reason: str) -> None:
        timer = live.leave_timers.pop(user_id, None)
        if timer is not None:
            timer.cancel()
        connection = live.connections.pop(user_id, None)
        if connection is not None and code is not None:
            connection.close(code, reason)
        if live.media is not None:
            self._spawn(live.media.disconnect(user_id))

    def _update_stage(self, live: LiveRoom) -> None:
        if live.media is None:
            return
        room = live.room
        recording = room.recording if room.is_recording else None
        stage = {}
        for person in room.stage():
            recordable = recording is None or (
                recording.consents.get(person.user_id) is Consent.GRANTED
            )
            stage[person.user_id] = StageState(muted=person.muted, recordable=recordable)
        live.media.set_stage(stage)

    # -- connections ---------------------------------------------------------------------------

    def attach(self, room_id: str, user_id: str, connection: Connection) -> None:
        live = self._live(room_id)
        timer = live.leave_timers.pop(user_id, None)
        if timer is not None:
            timer.cancel()
        older = live.connections.get(user_id)
        if older is not None and older is not connection:
            older.close(CLOSE_REPLACED, "signed in elsewhere")
        live.connections[user_id] = connection

    def detach(self, room_id: str, user_id: str, connection: Connection) -> None:
        """A connection closed without leaving: keep the place for the grace period."""
        live = self.rooms.get(room_id)
        if live is None or live.connections.get(user_id) is not connection:
            return
        del live.connections[user_id]
        if user_id in live.room.participants:
            self._start_grace(live, user_id)

    def _start_grace(self, live: LiveRoom, user_id: str) -> None:
        if not _has_loop():
            return  # restored outside a loop (tests): nobody to expire
        loop = asyncio.get_running_loop()
        room_id = live.room.room_id

        def expire() -> None:
            live.leave_timers.pop(user_id, None)
            if room_id in self.rooms and user_id not in live.connections:
                self.submit(room_id, user_id, Leave())

        old = live.leave_timers.pop(user_id, None)
        if old is not None:
            old.cancel()
        live.leave_timers[user_id] = loop.call_later(self.resume_grace_s, expire)

    def snapshot(self, room_id: str, viewer: str) -> str:
        live = self._live(room_id)
        return encode_snapshot(live.seq, room_for(live.room, viewer), viewer)

    def missed(self, room_id: str, viewer: str, after_seq: int) -> list[str]:
        """Every event after `after_seq` that `viewer` may see, as frames, in order."""
        live = self._live(room_id)
        frames = []
        for seq, event in self.store.events_after(room_id, after_seq):
            seen = event_for(event, live.room, viewer)  # type: ignore[arg-type]
            if seen is not None:
                frames.append(encode_event(seq, seen))
        return frames

    def media_for(self, room_id: str) -> RoomMediaPort:
        live = self._live(room_id)
        if live.media is None:
            if self.media_factory is None:
                raise HubError("media_unavailable", "This relay carries no audio.")
            live.media = self.media_factory(room_id)
            self._spawn(live.media.start())
            self._update_stage(live)
            if self.recorders is not None:
                self.recorders.attach(live.room, live.media)
        return live.media

    def broadcast_ephemeral(
        self, room_id: str, kind: str, body: dict[str, Any], *, moderators_only: bool = False
    ) -> None:
        """A frame outside the event log (levels, speaking): not sequenced, skippable."""
        live = self.rooms.get(room_id)
        if live is None:
            return
        frame = encode_envelope(kind, body)
        for user_id, connection in live.connections.items():
            if moderators_only:
                role = live.room.role_of(user_id)
                if role is None or not role.moderates:
                    continue
            connection.deliver_ephemeral(frame)

    def send_ephemeral_to(
        self, room_id: str, user_ids: Iterable[str], kind: str, body: dict[str, Any]
    ) -> None:
        """An unsequenced frame for these people only (say, "offer your audio again")."""
        live = self.rooms.get(room_id)
        if live is None:
            return
        frame = encode_envelope(kind, body)
        for user_id in user_ids:
            connection = live.connections.get(user_id)
            if connection is not None:
                connection.deliver_ephemeral(frame)

    def recording_failed(self, room_id: str, message: str) -> None:
        """The writer stopped (a full disk, say): the room goes on, unrecorded, and says so."""
        live = self.rooms.get(room_id)
        if live is None:
            return
        logger.error("room %s: recording stopped: %s", room_id, message)
        frame = encode_envelope("recording_failed", {"message": message})
        for connection in live.connections.values():
            connection.deliver(frame)
        if live.room.is_recording:
            # Acting for the host: the recording runs on the host's relay, and what it
            # records must match what everyone is told.
            self.submit(room_id, live.room.host_id, StopRecording())

    # -- housekeeping --------------------------------------------------------------------------

    def expire_invites(self) -> None:
        now = self.clock()
        for room_id, live in list(self.rooms.items()):
            if any(invite.expires_at <= now for invite in live.room.invites):
                self.submit(room_id, SYSTEM, ExpireInvites())

    def _spawn(self, coro: Coroutine[object, object, object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("relay task failed: %r", task.exception())


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
