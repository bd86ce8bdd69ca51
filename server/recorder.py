"""Recordings on the relay: one writer per take, fed by the room's mixer clock (DESIGN §6).

The room rules say when a recording runs and who consented; this module turns
their events into a recording folder under `<data>/recordings/`:
RecordingStarted names a folder and has the room's media open a writer there, which
gets only unmuted, consenting stage members' blocks each tick; answers,
names and markers go to the manifest as they happen; RecordingStopped (or the
room ending) closes it. A folder left by a crash is repaired at the next start.

Runs on: the relay's control loop. The files are written by the media worker that hosts
the room's mixer (server/media/worker.py), on a writer thread of its own; a failure (a full
disk) comes back through the coordinator to `failed`.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from audio.recording_recovery import RecoveryReport, recover_all
from server.media.values import StampedConsent
from server.room import (
    ConsentAnswered,
    ConsentEntry,
    MarkerAdded,
    ParticipantJoined,
    RecordingStarted,
    RecordingStopped,
    RoleChanged,
    Room,
    RoomCancelled,
    RoomEnded,
    StruckFromRecord,
)

logger = logging.getLogger(__name__)

RECORDINGS_DIR = "recordings"
MAX_STAMP_AGE_S = 1.0


class RecordingPort(Protocol):
    """What a room's media (the worker hosting its mixer, through the coordinator) records."""

    def start_recording(
        self, folder: Path, room_title: str, consent_mode: str = "per_speaker"
    ) -> None: ...
    def describe_recording(
        self, participants: Mapping[str, str], ledger: Sequence[object]
    ) -> None: ...
    def add_marker(self, label: str, actor: str) -> None: ...
    def strike(self, user_id: str, seconds: float, by: str, span: str, at: float) -> None: ...
    def stop_recording(self) -> None: ...


def consent_mode(room: Room) -> str:
    """The running take's consent mode, as the manifest names it."""
    recording = room.recording
    return "all_party" if recording is not None and recording.all_party else "per_speaker"


def folder_name(room: Room, started_at: float) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(started_at))
    title = re.sub(r"[^A-Za-z0-9]+", "-", room.card.title).strip("-")[:40] or "room"
    take = room.recording.take if room.recording else 1
    return f"{stamp}-{title}-{room.room_id}-take{take}"


class RoomRecorders:
    """Which room records to which folder. Runs on: the relay's control loop; the writing
    itself happens in the media worker hosting the room's mixer."""

    def __init__(self, root: Path, on_failure: Callable[[str, str], None]) -> None:
        self.root = root  # RelayConfig.recordings_root
        self.on_failure = on_failure
        self.takes: dict[str, Path] = {}
        """The folder of each room's running take."""
        self._accepted_s: dict[str, list[float]] = {}
        """Per room, the instant (perf_counter) each line of the take's ledger was accepted."""

    def recover(self) -> list[RecoveryReport]:
        """Repair folders a crash left behind (run at start, before any recording)."""
        return recover_all(self.root)

    def on_events(self, room: Room, events: Iterable[object], media: RecordingPort | None) -> None:
        for event in events:
            if isinstance(event, RecordingStarted):
                self.start(room, media)
            elif isinstance(event, (RecordingStopped, RoomEnded, RoomCancelled)):
                self.stop(room.room_id, media)
            elif isinstance(event, MarkerAdded):
                if room.room_id in self.takes and media is not None:
                    media.add_marker(event.label, event.actor)
            elif isinstance(event, StruckFromRecord):
                # The writer measures the span back from the latest tick it was handed, so the
                # milliseconds between the rules' `now` and the worker's receipt add to it.
                seconds = max(0.0, time.time() - event.since)
                if room.room_id in self.takes and media is not None:
                    media.strike(event.user_id, seconds, event.actor, event.span, event.at)
            elif isinstance(event, (ConsentAnswered, RoleChanged, ParticipantJoined)):
                self._describe(room, media)

    def start(self, room: Room, media: RecordingPort | None) -> None:
        """Open the room's current take: a new folder, or after a relay restart the take's next
        part (`<first folder>-part2`, …), named so the library and export keep them together."""
        if room.room_id in self.takes or not room.is_recording:
            return
        folder = self._next_part(room) or self.root / folder_name(room, time.time())
        self.takes[room.room_id] = folder
        self._accepted_s[room.room_id] = []
        if media is not None:
            media.start_recording(folder, room.card.title, consent_mode(room))
            self._describe(room, media)
        logger.info("room %s: recording to %s", room.room_id, folder)

    def _next_part(self, room: Room) -> Path | None:
        """The folder continuing this take, if folders of it exist (a relay restart)."""
        take = room.recording.take if room.recording else 1
        pattern = re.compile(rf"^(.*-{re.escape(room.room_id)}-take{take})(?:-part(\d+))?$")
        first: str | None = None
        last = 0
        if not self.root.is_dir():
            return None
        for entry in self.root.iterdir():
            found = pattern.match(entry.name)
            if found and entry.is_dir():
                if found.group(2) is None:
                    first = found.group(1)
                last = max(last, int(found.group(2) or 1))
        if first is None:
            return None
        return self.root / f"{first}-part{last + 1}"

    def attach(self, room: Room, media: RecordingPort) -> None:
        """The room's media started: it records the running take, if any."""
        if room.is_recording and room.room_id not in self.takes:
            self.start(room, media)
            return
        folder = self.takes.get(room.room_id)
        if folder is not None:
            media.start_recording(folder, room.card.title, consent_mode(room))
            self._describe(room, media)

    def stop(self, room_id: str, media: RecordingPort | None) -> None:
        self._accepted_s.pop(room_id, None)
        if self.takes.pop(room_id, None) is not None and media is not None:
            media.stop_recording()

    def failed(self, room_id: str, message: str) -> None:
        """The take's writer stopped (a full disk, say); the relay says so and stops recording."""
        self.takes.pop(room_id, None)
        self._accepted_s.pop(room_id, None)
        self.on_failure(room_id, message)

    def close(self) -> None:
        self.takes.clear()  # the workers finish their files as they stop
        self._accepted_s.clear()

    def _describe(self, room: Room, media: RecordingPort | None) -> None:
        if media is None or room.room_id not in self.takes or room.recording is None:
            return
        names = {person.user_id: person.display_name for person in room.stage()}
        media.describe_recording(names, self._stamped(room.room_id, room.recording.ledger))

    def _stamped(self, room_id: str, ledger: Sequence[ConsentEntry]) -> list[StampedConsent]:
        """The ledger with the instant each answer was accepted, on the clock the media
        workers time audio with (CLOCK_MONOTONIC). A line is stamped when first seen here,
        milliseconds after the rules accepted it: its wall-clock `at` (the rules' `now`) says
        how many, so the stamp is the moment of acceptance, before the store's commit and the
        broadcast. A line older than a second (a take resumed after a restart) is placed a
        second back: all that matters then is its order."""
        accepted = self._accepted_s.setdefault(room_id, [])
        if len(accepted) < len(ledger):
            wall_now, perf_now = time.time(), time.perf_counter()
            for entry in ledger[len(accepted) :]:
                accepted.append(perf_now - min(MAX_STAMP_AGE_S, max(0.0, wall_now - entry.at)))
        return [
            StampedConsent(entry.user_id, entry.at, entry.consent, at_s)
            for entry, at_s in zip(ledger, accepted, strict=False)
        ]
