"""The media seam passes the room rules' decisions to a room's media in a safe order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from server.media.coordinator import RoomMediaProxy
from server.media.worker_protocol import StartRecording as StartMessage
from server.media.worker_protocol import StrikeRecording
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


def test_a_strike_while_no_worker_writes_the_take_reaches_the_next_one_reaching_further_back(
    tmp_path,
):
    """The take's worker died and none is up yet (one worker, restarting): the strike waits for
    the next home, and asks it to reach back by the time it waited too."""

    class Pool:
        def __init__(self) -> None:
            self.up = False
            self.sent: list[object] = []
            self.workers = [SimpleNamespace(hosted=set())]
            self.hls_root = None

        def pick_home(self) -> int | None:
            return 0 if self.up else None

        def hls_for(self, room_id: str) -> bool:
            return False

        def send(self, index: int, message: object) -> None:
            self.sent.append(message)

    pool = Pool()
    proxy = RoomMediaProxy(pool, "room-1")  # type: ignore[arg-type]
    asyncio.run(proxy.start())
    proxy.start_recording(tmp_path / "take1-part2", "Talk")
    proxy.strike("sam", 60.0, "sam", "last_minute", 1_700_000_000.0)
    assert not [m for m in pool.sent if isinstance(m, StrikeRecording)]
    pool.up = True
    proxy.worker_ready(0)
    kinds = [type(m).__name__ for m in pool.sent]
    assert kinds.index("StartRecording") < kinds.index("StrikeRecording")
    (late,) = [m for m in pool.sent if isinstance(m, StrikeRecording)]
    assert (late.user_id, late.by, late.span) == ("sam", "sam", "last_minute")
    assert 60.0 < late.seconds < 70.0  # the time it waited, added
    assert any(isinstance(m, StartMessage) for m in pool.sent)
    proxy.strike("sam", 60.0, "host", "last_minute", 1_700_000_001.0)
    assert [m.seconds for m in pool.sent if isinstance(m, StrikeRecording)][-1] == 60.0
