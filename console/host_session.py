"""One seat in one room, held by this console: the client, the microphone, the room's sound.

    session = HostSession(JoinLink.parse(host_url), identity, "Hana", mic=ToneTrack(440))
    await session.start()          # join (or resume), media up, sending when on stage
    await session.set_muted(False)
    ...
    await session.close()

The host, or a co-host behind a co-host link, or (in the moderator view) a co-host watching
without a microphone (`mic=None`). The client resumes by itself after a dropped connection
or a relay restart; the media link is renewed then, and whenever this seat moves on or off
the stage. The room's sound goes to an output device when one is given, and the last few
seconds are kept for tests (never the whole hour: see `RoomAudioSink`).

Runs on: the console's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack

from audio.streams import PlaybackStream
from console.client import ClientClosed, CommandRejected, JoinLink, RoomClient
from console.identity import Identity
from console.level_board import LevelBoard
from console.media_link import MediaLink
from console.mic_track import MeteredTrack, SendTap
from console.talk_time import TalkTime
from console.tracks import Recorder
from server.room import Mute, Role, RoleChanged, Room, Unmute

logger = logging.getLogger(__name__)


class RoomAudioSink(Recorder):
    """Drains the room's sound: to a playback stream if any, and the last `keep_s` kept."""

    def __init__(self, playback: PlaybackStream | None = None, keep_s: float = 5.0) -> None:
        super().__init__(max_seconds=keep_s)
        self.playback = playback

    def keep(self, block: npt.NDArray[np.float32]) -> None:
        super().keep(block)
        if self.playback is not None:
            self.playback.write(block)


class HostSession:
    def __init__(
        self,
        link: JoinLink,
        identity: Identity,
        display_name: str,
        *,
        mic: MediaStreamTrack | None = None,
        board: LevelBoard | None = None,
        playback: PlaybackStream | None = None,
        vad_mode: int = 3,
    ) -> None:
        self.board = board or LevelBoard()
        self.client = RoomClient(link, identity, display_name)
        self.mic = MeteredTrack(mic, self.board, vad_mode=vad_mode) if mic is not None else None
        self.media = MediaLink(self.client, dtx=True)  # a silent room sends the host nothing
        self.media.recorder = RoomAudioSink(playback)
        self.talk_time = TalkTime()
        self._on_stage = False
        self._wanted_muted: bool | None = None  # the host's latest wish, while it travels
        self._mute_lock = asyncio.Lock()
        self._media_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.client.on_levels.append(self.board.publish_relay)
        self.client.on_speaking.append(self.talk_time.flip)
        self.client.on_event.append(self._on_event)
        self.client.on_reconnected.append(self._renew_media)
        self.client.on_media_restart.append(self._renew_media)

    # -- life -----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Join (raises CommandRejected if refused), then bring media up."""
        await self.client.connect()
        self._on_stage = self._role_on_stage()
        self._sync_mute()
        await self._renew_media()

    async def close(self, leave: bool = True) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.media.close()
        if self.mic is not None:
            self.mic.stop()
        await self.client.close(leave=leave and self.client.closed_reason is None)

    # -- what the UI asks -----------------------------------------------------------------------

    @property
    def room(self) -> Room | None:
        return self.client.room

    @property
    def user_id(self) -> str | None:
        return self.client.user_id

    @property
    def muted(self) -> bool:
        room, me = self.client.room, self.client.user_id
        if room is None or me is None or me not in room.participants:
            return True
        return room.participants[me].muted

    async def set_muted(self, muted: bool) -> None:
        """Mute or unmute this seat's microphone (the relay is told; it enforces mutes).

        Quick changes (push-to-talk) are sent one at a time, each after the relay's event for
        the one before, and a wish already overtaken by a newer one is dropped: the seat ends
        in the state last asked for, never in one read from a room that had not caught up.
        """
        me = self.client.user_id
        if me is None:
            return
        self._wanted_muted = muted
        if self.mic is not None and muted:
            self.mic.muted = True  # silence at once, before the relay has answered
        async with self._mute_lock:
            if self._wanted_muted is not muted or muted == self.muted:
                return
            await self.client.send(Mute(me) if muted else Unmute())
            with contextlib.suppress(TimeoutError, ClientClosed):
                await self.client.wait_for(lambda _client: self.muted == muted, 2.0)

    def switch_microphone(self, source: MediaStreamTrack) -> None:
        if self.mic is not None:
            self.mic.switch_source(source)

    async def send(self, command: object) -> dict[str, Any]:
        return await self.client.send(command)

    # -- following the room ---------------------------------------------------------------------

    def _role_on_stage(self) -> bool:
        room, me = self.client.room, self.client.user_id
        role = room.role_of(me) if room is not None and me is not None else None
        return bool(role and role.on_stage)

    def _sync_mute(self) -> None:
        if self.mic is not None:
            self.mic.muted = self.muted or self._wanted_muted is True

    def _on_event(self, seq: int, event: object, room: Room) -> None:
        self._sync_mute()
        if isinstance(event, RoleChanged) and event.user_id == self.client.user_id:
            on_stage = event.role is not Role.LISTENER
            if on_stage != self._on_stage:
                self._on_stage = on_stage
                self._spawn(self._renew_media())

    async def _renew_media(self) -> None:
        async with self._media_lock:
            if self.client.closed_reason is not None:
                return
            if self.mic is not None:
                self.media.source = SendTap(self.mic)  # a fresh one per connection
            try:
                await self.media.start(send=self._on_stage and self.mic is not None)
            except (ClientClosed, CommandRejected, TimeoutError, ConnectionError) as exc:
                logger.warning("media could not start: %s", exc)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
