"""The seam between the room rules and the media plane: which rooms carry audio, what their
stage is, and where their recording goes.

The hub tells it about every accepted change (`on_change`) and about people
who leave (`disconnect`); it turns those into calls on each room's
`RoomMediaPort` (made by `media_factory` on the first offer) and on the
recorders. It decides nothing: the rules already did. A worker-process media
plane goes behind `media_factory` and this class's methods.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Protocol

from server.media.values import StageState
from server.recorder import RecordingPort, RoomRecorders
from server.room import (
    AskModeChanged,
    BroadcastModeSet,
    CardEdited,
    Consent,
    ContactAdded,
    ContactRemoved,
    Event,
    InviteDeclined,
    InviteExpired,
    InviteSent,
    LinkPinned,
    LinkUnpinned,
    MarkerAdded,
    ParticipantJoined,
    Reacted,
    ReportFiled,
    RequestDeclined,
    RequestWithdrawn,
    Room,
    RoomLocked,
    SpeakRequested,
    StruckFromRecord,
    TicketingCleared,
    TicketingSet,
    TicketIssued,
)

logger = logging.getLogger(__name__)

# Events that never change who is on stage, muted or recordable: the stage is not recomputed
# for them (it costs a pass over the room; reactions come by the hundred).
STAGE_NEUTRAL: tuple[type, ...] = (
    Reacted, LinkPinned, LinkUnpinned, ReportFiled, SpeakRequested, RequestWithdrawn,
    RequestDeclined, InviteSent, InviteDeclined, InviteExpired, MarkerAdded, ContactAdded,
    ContactRemoved, TicketIssued, TicketingSet, TicketingCleared, CardEdited, AskModeChanged,
    RoomLocked, BroadcastModeSet, StruckFromRecord,
)  # fmt: skip


class RoomMediaPort(RecordingPort, Protocol):
    """What the control plane asks of a room's media engine (server/media/coordinator.py):
    peers and the stage here, the recording through `RecordingPort`."""

    async def start(self) -> None: ...
    async def connect(self, user_id: str, offer_sdp: str, *, send_allowed: bool) -> str: ...
    def set_stage(self, stage: Mapping[str, StageState]) -> None: ...
    async def disconnect(self, user_id: str) -> None: ...
    async def close(self) -> None: ...


MediaFactory = Callable[[str], RoomMediaPort]


class MediaUnavailable(Exception):
    """This relay carries no audio (started without media)."""


class MediaCoordinator:
    def __init__(
        self, media_factory: MediaFactory | None = None, recorders: RoomRecorders | None = None
    ) -> None:
        self.media_factory = media_factory
        self.recorders = recorders
        self._media: dict[str, RoomMediaPort] = {}
        self._tasks: set[asyncio.Task[object]] = set()

    def has_media(self, room_id: str) -> bool:
        return room_id in self._media

    def media_for(self, room: Room) -> RoomMediaPort:
        """The room's media engine, started on first use with the room's stage and recording."""
        media = self._media.get(room.room_id)
        if media is None:
            if self.media_factory is None:
                raise MediaUnavailable("This relay carries no audio.")
            media = self._media[room.room_id] = self.media_factory(room.room_id)
            self._spawn(media.start())
            media.set_stage(stage_of(room))
            if self.recorders is not None:
                self.recorders.attach(room, media)
        return media

    def on_change(self, room: Room, events: tuple[Event, ...], *, ended: bool) -> None:
        """An accepted change: the stage goes to the media engine, the events to the recorder;
        an ended room's media closes."""
        media = self._media.get(room.room_id)
        # The stage (who may be recorded) reaches the media before the recording starts: the
        # media worker may tick between two messages, and a tick recorded with the old stage
        # would write people who have not said yes yet.
        if not ended and media is not None and any(_touches_stage(e) for e in events):
            media.set_stage(stage_of(room))
        if self.recorders is not None:
            self.recorders.on_events(room, events, media)
        if ended:
            media = self._media.pop(room.room_id, None)
            if media is not None:
                self._spawn(media.close())

    def disconnect(self, room_id: str, user_id: str) -> None:
        media = self._media.get(room_id)
        if media is not None:
            self._spawn(media.disconnect(user_id))

    async def close(self) -> None:
        media, self._media = list(self._media.values()), {}
        for engine in media:
            await engine.close()
        for task in list(self._tasks):
            task.cancel()

    def _spawn(self, coro: Coroutine[object, object, object]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("media task failed: %r", task.exception())


def _touches_stage(event: Event) -> bool:
    if isinstance(event, STAGE_NEUTRAL):
        return False
    return not (isinstance(event, ParticipantJoined) and not event.role.on_stage)


def stage_of(room: Room) -> dict[str, StageState]:
    """Who is on stage, muted or not, and whether their audio may be recorded."""
    recording = room.recording if room.is_recording else None
    # All-party consent: while anyone on stage has not said yes, nobody is recorded.
    everyone_waits = bool(room.recording_waits_for())
    stage = {}
    for person in room.stage():
        recordable = recording is None or (
            recording.consents.get(person.user_id) is Consent.GRANTED and not everyone_waits
        )
        stage[person.user_id] = StageState(muted=person.muted, recordable=recordable)
    return stage
