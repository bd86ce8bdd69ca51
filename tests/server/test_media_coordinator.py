"""The media seam passes the room rules' decisions to a room's media in a safe order."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.media_coordinator import MediaCoordinator
from server.recorder import RoomRecorders
from server.room import StartRecording, apply_all, decide
from tests.server.roomkit import HOST, T0, live_room


class CallLog:
    """A room's media port that notes what it was asked, in order (a unit seam)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    async def start(self) -> None:
        self.calls.append(("start", None))

    async def connect(self, user_id: str, offer_sdp: str, *, send_allowed: bool) -> str:
        return ""

    def set_stage(self, stage: object) -> None:
        self.calls.append(("set_stage", dict(stage)))  # type: ignore[call-overload]

    async def disconnect(self, user_id: str) -> None: ...
    async def close(self) -> None: ...

    def start_recording(
        self, folder: Path, room_title: str, consent_mode: str = "per_speaker"
    ) -> None:
        self.calls.append(("start_recording", folder))

    def describe_recording(self, participants: object, ledger: object) -> None:
        self.calls.append(("describe_recording", None))

    def add_marker(self, label: str, actor: str) -> None: ...
    def strike(self, user_id: str, seconds: float, by: str, span: str, at: float) -> None: ...
    def stop_recording(self) -> None: ...


def test_the_stage_reaches_the_media_before_a_recording_starts(tmp_path):
    """A media worker may tick between two messages: if the recording started before the new
    stage arrived, one tick would record speakers who have not said yes (they were still
    `recordable` under the stage without a recording)."""

    async def scenario() -> None:
        log = CallLog()
        coordinator = MediaCoordinator(
            lambda room_id: log, RoomRecorders(tmp_path / "recordings", print)
        )
        room = live_room()
        coordinator.media_for(room)
        log.calls.clear()
        events = decide(room, HOST, StartRecording(), T0 + 10)
        assert isinstance(events, list)
        room = apply_all(room, events)
        coordinator.on_change(room, tuple(events), ended=False)
        kinds = [kind for kind, _ in log.calls]
        assert kinds.index("set_stage") < kinds.index("start_recording")
        stage = next(value for kind, value in log.calls if kind == "set_stage")
        assert stage["spk"].recordable is False, "a speaker not yet asked is not recordable"
        await coordinator.close()

    asyncio.run(scenario())
