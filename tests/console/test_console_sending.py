"""What the console sends, on a real relay with real aiortc peers on loopback: nothing while the
host is muted or has no microphone (no frame encoded, no RTP packet), and the host's voice
reaches a listener promptly once unmuted, or once a microphone turns up."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import Recorder, SilenceTrack, ToneTrack
from tests.relay.relaykit import create_room, join, relay

pytestmark = pytest.mark.timeout(90)

HEARD_DB = -35.0  # a -18 dBFS tone through Opus and the mix reads about -21 dB RMS
UNMUTE_HEARD_S = 0.6  # unmute click -> the listener's first block of the tone (loopback)


class TimedRecorder(Recorder):
    """A listener's recorder that notes when each block came and how loud it was."""

    def __init__(self) -> None:
        super().__init__(max_seconds=5.0)
        self.blocks: list[tuple[float, float]] = []  # (monotonic s, RMS dBFS)

    def keep(self, block: npt.NDArray[np.float32]) -> None:
        super().keep(block)
        rms = float(np.sqrt(np.mean(block.astype(np.float64) ** 2))) if block.size else 0.0
        self.blocks.append((time.monotonic(), 20 * np.log10(max(rms, 1e-10))))

    def loud_since(self, since_s: float) -> float | None:
        """When the first block over HEARD_DB came after `since_s` (None: not yet)."""
        return next((at for at, db in self.blocks if at >= since_s and db > HEARD_DB), None)


async def packets_sent(session: HostSession) -> int:
    """RTP packets the console's connection has sent, by aiortc's own count (getStats)."""
    pc = session.media.pc
    assert pc is not None
    total = 0
    for sender in pc.getSenders():
        for stats in (await sender.getStats()).values():
            if stats.type == "outbound-rtp":
                total += stats.packetsSent
    return total


async def until(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def listener(created: dict[str, Any]) -> tuple[Any, MediaLink, TimedRecorder]:
    client = await join(created["join_url"], "Lee Listener")
    recorder = TimedRecorder()
    media = MediaLink(client, recorder=recorder)
    await media.start(send=False)
    return client, media, recorder


def test_a_muted_host_sends_no_packets_and_is_heard_at_once_after_unmuting(tmp_path):
    async def scenario() -> None:
        async with relay(tmp_path, with_media=True) as config:
            identity = Identity.new()
            created = await create_room(config, identity)
            session = HostSession(
                JoinLink.parse(created["host_url"]), identity, "Hana Host",
                mic=ToneTrack(440, -18.0),
            )  # fmt: skip
            await session.start()
            lis, lis_media, heard = await listener(created)
            try:
                assert session.muted and session.mic is not None
                await until(lambda: session.mic.frames > 50, 10, "the microphone read")
                await until(lambda: len(heard.blocks) > 50, 10, "the room's sound")
                read, sent = session.mic.frames, await packets_sent(session)
                muted_from = time.monotonic()
                await until(lambda: session.mic.frames >= read + 50, 10, "a second of reading")
                # Muted: the microphone is read (the host's meter moves), nothing is sent.
                assert await packets_sent(session) == sent == 0
                assert session.mic.frames_sent == 0
                assert heard.loud_since(muted_from) is None, "a muted host was heard"

                for _ in range(3):  # unmute, talk, mute again: each unmute heard promptly
                    clicked = time.monotonic()
                    await session.set_muted(False)
                    await until(lambda c=clicked: heard.loud_since(c) is not None, 10, "the tone")
                    delay_s = heard.loud_since(clicked) - clicked
                    print(f"unmute -> heard by the listener: {delay_s * 1000:.0f} ms")
                    assert delay_s < UNMUTE_HEARD_S
                    assert await packets_sent(session) > sent
                    await session.set_muted(True)
                    sent, read = await packets_sent(session), session.mic.frames
                    quiet_from = time.monotonic() + 0.3  # what was already on its way
                    await until(lambda r=read: session.mic.frames >= r + 40, 10, "reading, muted")
                    assert await packets_sent(session) == sent, "packets sent while muted"
                    assert heard.loud_since(quiet_from) is None, "heard while muted"
            finally:
                await lis_media.close()
                await lis.close()
                await session.close()

    asyncio.run(scenario())


def test_a_host_without_a_microphone_sends_nothing_until_one_turns_up(tmp_path):
    async def scenario() -> None:
        async with relay(tmp_path, with_media=True) as config:
            identity = Identity.new()
            created = await create_room(config, identity)
            session = HostSession(
                JoinLink.parse(created["host_url"]), identity, "Hana Host", mic=SilenceTrack()
            )
            await session.start()
            lis, lis_media, heard = await listener(created)
            try:
                await session.set_muted(False)
                assert not session.muted and session.mic is not None
                received = session.media.recorder.frames_received
                ticks = len(heard.blocks)
                await until(lambda: len(heard.blocks) > ticks + 50, 10, "a second of the room")
                assert await packets_sent(session) == 0  # unmuted, but no microphone
                assert session.mic.frames == 0  # silence is not even read
                # The room is digital silence: the console asked for DTX, so the relay sent
                # it nothing for that second (the listener got every tick).
                assert session.media.recorder.frames_received == received

                switched = time.monotonic()
                session.switch_microphone(ToneTrack(440, -18.0))  # a microphone is plugged in
                await until(lambda: heard.loud_since(switched) is not None, 10, "the new mic")
                delay_s = heard.loud_since(switched) - switched
                print(f"microphone found -> heard by the listener: {delay_s * 1000:.0f} ms")
                assert delay_s < UNMUTE_HEARD_S
                assert await packets_sent(session) > 0
            finally:
                await lis_media.close()
                await lis.close()
                await session.close()

    asyncio.run(scenario())
