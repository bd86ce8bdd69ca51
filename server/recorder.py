"""Recordings on the relay: one writer per take, fed by the room's mixer clock (DESIGN §6).

The room rules say when a recording runs and who consented; this module turns
their events into a recording folder under `<data>/recordings/`:
RecordingStarted opens a writer and hands it to the room's media engine, which
gives it only unmuted, consenting stage members' blocks each tick; answers,
names and markers go to the manifest as they happen; RecordingStopped (or the
room ending) closes it. A folder left by a crash is repaired at the next start.

Runs on: the relay's event loop; the writer does its disk work on its own thread
and reports a failure (a full disk) back through `on_failure` on this loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from audio.recording import RecordingWriter
from audio.recording_failure import RecordingFailure
from audio.recording_recovery import RecoveryReport, recover_all
from server.room import (
    ConsentAnswered,
    MarkerAdded,
    ParticipantJoined,
    RecordingStarted,
    RecordingStopped,
    RoleChanged,
    Room,
    RoomCancelled,
    RoomEnded,
)

logger = logging.getLogger(__name__)

RECORDINGS_DIR = "recordings"


class RoomMediaPort(Protocol):
    def record_to(self, sink: RecordingWriter | None) -> None: ...


def folder_name(room: Room, started_at: float) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started_at))
    title = re.sub(r"[^A-Za-z0-9]+", "-", room.card.title).strip("-")[:40] or "room"
    take = room.recording.take if room.recording else 1
    return f"{stamp}-{title}-{room.room_id}-take{take}"


class RoomRecorders:
    def __init__(self, data_dir: Path, on_failure: Callable[[str, str], None]) -> None:
        self.root = data_dir / RECORDINGS_DIR
        self.on_failure = on_failure
        self.writers: dict[str, RecordingWriter] = {}

    def recover(self) -> list[RecoveryReport]:
        """Repair folders a crash left behind (run at start, before any recording)."""
        return recover_all(self.root)

    def on_events(self, room: Room, events: Iterable[object], media: RoomMediaPort | None) -> None:
        for event in events:
            if isinstance(event, RecordingStarted):
                self.start(room, media)
            elif isinstance(event, (RecordingStopped, RoomEnded, RoomCancelled)):
                self.stop(room.room_id, media)
            elif isinstance(event, MarkerAdded):
                writer = self.writers.get(room.room_id)
                if writer is not None:
                    writer.add_marker(None, event.label, event.actor)
            elif isinstance(event, (ConsentAnswered, RoleChanged, ParticipantJoined)):
                self._describe(room)

    def start(self, room: Room, media: RoomMediaPort | None) -> None:
        """Open a writer for the room's current take (also after a relay restart)."""
        if room.room_id in self.writers or not room.is_recording:
            return
        loop = asyncio.get_running_loop()
        room_id = room.room_id

        def failed(failure: RecordingFailure) -> None:  # Runs on: the writer thread
            loop.call_soon_threadsafe(self._failed, room_id, failure.message)

        folder = self.root / folder_name(room, time.time())
        self.root.mkdir(parents=True, exist_ok=True)
        writer = RecordingWriter(
            folder, room_id=room_id, room_title=room.card.title, on_error=failed
        )
        self.writers[room_id] = writer
        self._describe(room)
        if media is not None:
            media.record_to(writer)
        logger.info("room %s: recording to %s", room_id, folder)

    def attach(self, room: Room, media: RoomMediaPort) -> None:
        """The room's media engine (re)started: feed it the running recording, if any."""
        if room.is_recording and room.room_id not in self.writers:
            self.start(room, media)
        writer = self.writers.get(room.room_id)
        if writer is not None:
            media.record_to(writer)

    def stop(self, room_id: str, media: RoomMediaPort | None) -> None:
        writer = self.writers.pop(room_id, None)
        if media is not None:
            media.record_to(None)
        if writer is not None:
            writer.stop()  # the writer thread finishes the files and the manifest

    def close(self) -> None:
        for writer in self.writers.values():
            writer.stop()
        for writer in self.writers.values():
            writer.wait_closed(timeout_s=10)
        self.writers.clear()

    def _describe(self, room: Room) -> None:
        writer = self.writers.get(room.room_id)
        if writer is None or room.recording is None:
            return
        for person in room.stage():
            writer.set_participant(person.user_id, person.display_name)
        writer.set_consent_ledger(room.recording.ledger)

    def _failed(self, room_id: str, message: str) -> None:
        self.writers.pop(room_id, None)
        self.on_failure(room_id, message)
