"""Who hears whom, through real aiortc peers on loopback: the audience mix and mix-minus."""

from __future__ import annotations

import asyncio

from server.media import StageState
from tests.media.test_media_kit import (
    ClientPeer,
    ToneTrack,
    dominant_hz,
    listen,
    new_room,
    rms_db,
    tone_db,
    wait_until,
)

HEARD_DB = -30.0  # a -20 dBFS tone arrives at about -20; "heard" leaves room for Opus
SILENT_DB = -50.0


def test_listener_hears_the_speaker_and_the_speaker_does_not_hear_itself() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        speaker = ClientPeer("ann", ToneTrack(440.0, rms_db=-20.0))
        listener = ClientPeer("lee")
        try:
            await speaker.join(room, send_allowed=True)
            await listener.join(room, send_allowed=False)
            room.set_stage({"ann": StageState()})
            await wait_until(lambda: room.stats().listeners == 2, what="both peers ready")
            await wait_until(
                lambda: tone_db(listener.audio_since(0.0)[-9600:], 440.0) > HEARD_DB,
                what="the listener hearing the tone",
            )
            since = await listen([speaker, listener], 1.0)
            heard = listener.audio_since(since)
            assert heard.size >= 0.8 * 48_000
            assert abs(dominant_hz(heard) - 440.0) < 5.0
            assert abs(rms_db(heard) + 20.0) < 3.0
            own = speaker.audio_since(since)
            assert own.size >= 0.8 * 48_000, "the speaker receives the room's audio too"
            assert rms_db(own) < SILENT_DB, "mix-minus: the speaker must not hear itself"
            stats = room.stats()
            assert stats.speakers == 1
            assert stats.packets_sent > 0
            assert stats.peers["ann"].ingress_packets > 0
        finally:
            await asyncio.gather(speaker.close(), listener.close())
            await room.close()

    asyncio.run(scenario())


def test_two_speakers_each_hear_only_the_other_and_a_listener_hears_both() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0, rms_db=-20.0))
        bob = ClientPeer("bob", ToneTrack(660.0, rms_db=-20.0))
        lee = ClientPeer("lee")
        peers = [ann, bob, lee]
        try:
            await ann.join(room, send_allowed=True)
            await bob.join(room, send_allowed=True)
            await lee.join(room, send_allowed=False)
            room.set_stage({"ann": StageState(), "bob": StageState()})
            await wait_until(lambda: room.stats().listeners == 3, what="three peers ready")
            await wait_until(
                lambda: (
                    tone_db(lee.audio_since(0.0)[-9600:], 660.0) > HEARD_DB
                    and tone_db(lee.audio_since(0.0)[-9600:], 440.0) > HEARD_DB
                ),
                what="the listener hearing both tones",
            )
            since = await listen(peers, 1.0)
            at_ann, at_bob, at_lee = (p.audio_since(since) for p in peers)
            assert tone_db(at_ann, 660.0) > HEARD_DB and tone_db(at_ann, 440.0) < SILENT_DB
            assert tone_db(at_bob, 440.0) > HEARD_DB and tone_db(at_bob, 660.0) < SILENT_DB
            assert tone_db(at_lee, 440.0) > HEARD_DB and tone_db(at_lee, 660.0) > HEARD_DB
            assert room.stats().encodes > 0
        finally:
            await asyncio.gather(*(p.close() for p in peers))
            await room.close()

    asyncio.run(scenario())
