"""The relay enforces who is heard, whatever a browser sends; bad input changes nothing."""

from __future__ import annotations

import asyncio
import time

import pytest

from server.media import MediaError, StageState
from tests.media.test_media_kit import (
    ClientPeer,
    ToneTrack,
    listen,
    new_room,
    rms_db,
    tone_db,
    wait_until,
)

HEARD_DB = -30.0
SILENT_DB = -50.0


def _hears(peer: ClientPeer, freq_hz: float) -> bool:
    return tone_db(peer.audio_since(time.perf_counter() - 0.3), freq_hz) > HEARD_DB


def test_a_muted_speaker_goes_silent_for_everyone_within_a_short_time() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0))
        bob = ClientPeer("bob", ToneTrack(660.0))
        lee = ClientPeer("lee")
        peers = [ann, bob, lee]
        try:
            for peer, may_send in ((ann, True), (bob, True), (lee, False)):
                await peer.join(room, send_allowed=may_send)
            room.set_stage({"ann": StageState(), "bob": StageState()})
            await wait_until(lambda: _hears(lee, 440.0) and _hears(bob, 440.0), what="ann heard")
            muted_at = time.perf_counter()
            room.set_stage({"ann": StageState(muted=True), "bob": StageState()})
            # Muting acts on the next tick; the rest is the clients' jitter buffers (~100 ms).
            await asyncio.sleep(0.5)
            since = await listen(peers, 1.0)
            assert since - muted_at < 0.6
            assert tone_db(lee.audio_since(since), 440.0) < SILENT_DB
            assert tone_db(bob.audio_since(since), 440.0) < SILENT_DB
            assert tone_db(lee.audio_since(since), 660.0) > HEARD_DB, "bob is still live"
            assert room.stats().peers["ann"].packets_sent > 0, "a muted speaker still hears"
            assert tone_db(ann.audio_since(since), 660.0) > HEARD_DB
        finally:
            await asyncio.gather(*(p.close() for p in peers))
            await room.close()

    asyncio.run(scenario())


def test_audio_from_anyone_not_on_stage_is_never_mixed() -> None:
    """A listener whose browser offers to send, and someone allowed to send but not (or no
    longer) on stage: neither is heard; only the stage is."""

    async def scenario() -> None:
        room = new_room()
        await room.start()
        lurker = ClientPeer("lurker", ToneTrack(440.0))  # a listener's peer sending anyway
        offstage = ClientPeer("offstage", ToneTrack(880.0))  # may send, not on stage
        ann = ClientPeer("ann", ToneTrack(660.0))
        lee = ClientPeer("lee")
        peers = [lurker, offstage, ann, lee]
        try:
            await lurker.join(room, send_allowed=False)
            await offstage.join(room, send_allowed=True)
            await ann.join(room, send_allowed=True)
            await lee.join(room, send_allowed=False)
            room.set_stage({"ann": StageState()})
            await wait_until(lambda: room.stats().listeners == 4, what="four peers ready")
            await wait_until(lambda: _hears(lee, 660.0), what="ann heard")
            since = await listen(peers, 1.0)
            for peer in (lee, lurker, offstage):
                heard = peer.audio_since(since)
                assert tone_db(heard, 660.0) > HEARD_DB
                assert tone_db(heard, 440.0) < SILENT_DB
                assert tone_db(heard, 880.0) < SILENT_DB
            stats = room.stats()
            assert stats.peers["lurker"].ingress_packets == 0, "a listener's answer is sendonly"
            assert stats.peers["offstage"].ingress_packets > 0, "received, then ignored"
            assert stats.speakers == 1
        finally:
            await asyncio.gather(*(p.close() for p in peers))
            await room.close()

    asyncio.run(scenario())


GARBAGE_OFFERS = [
    "",
    "hello",
    "v=0\r\n",
    "m=audio x",
    "\x00\xff" * 10,
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=rtpmap:111 opus/48000/2\r\n",
    "v=0\r\n" + "a=x\r\n" * 20_000,
]


def test_garbage_offers_raise_media_error_and_the_room_keeps_working() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0))
        lee = ClientPeer("lee")
        try:
            await ann.join(room, send_allowed=True)
            await lee.join(room, send_allowed=False)
            room.set_stage({"ann": StageState()})
            await wait_until(lambda: _hears(lee, 440.0), what="ann heard")
            for garbage in GARBAGE_OFFERS:
                for user in ("mallory", "lee"):  # a stranger, and an existing peer's re-offer
                    with pytest.raises(MediaError) as raised:
                        await room.connect(user, garbage, send_allowed=False)
                    assert str(raised.value), "the error says what is wrong"
            # An offer without audio, or without Opus, is refused with its own message.
            video_only = await _offer_without_audio()
            with pytest.raises(MediaError, match="no audio"):
                await room.connect("mallory", video_only, send_allowed=False)
            without_opus = (await ClientPeer("x").offer()).replace("opus/48000/2", "foo/48000/2")
            with pytest.raises(MediaError, match="Opus"):
                await room.connect("mallory", without_opus, send_allowed=False)
            assert "mallory" not in room.stats().peers
            since = await listen([lee], 0.5)
            assert tone_db(lee.audio_since(since), 440.0) > HEARD_DB, "lee's peer untouched"
            assert room.stats().listeners == 2
        finally:
            await asyncio.gather(ann.close(), lee.close())
            await room.close()

    asyncio.run(scenario())


async def _offer_without_audio() -> str:
    from aiortc import RTCConfiguration, RTCPeerConnection

    from server.media.ice import IceConfig, gathering_on

    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("chat")
        with gathering_on(IceConfig()):
            await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp
    finally:
        await pc.close()


def test_a_new_offer_from_the_same_user_replaces_their_connection() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0))
        lee_old = ClientPeer("lee")
        lee_new = ClientPeer("lee")
        try:
            await ann.join(room, send_allowed=True)
            await lee_old.join(room, send_allowed=False)
            room.set_stage({"ann": StageState()})
            await wait_until(lambda: _hears(lee_old, 440.0), what="old connection hearing")
            await lee_new.join(room, send_allowed=False)
            await wait_until(lambda: _hears(lee_new, 440.0), what="new connection hearing")
            await wait_until(
                lambda: lee_old.pc.connectionState == "closed" or lee_old.ended,
                what="the old connection closed",
            )
            assert room.stats().listeners == 2
        finally:
            await asyncio.gather(ann.close(), lee_old.close(), lee_new.close())
            await room.close()

    asyncio.run(scenario())


def test_disconnect_stops_that_peer_and_a_vanished_speaker_never_stops_the_clock() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann_track = ToneTrack(440.0)
        ann = ClientPeer("ann", ann_track)
        bob = ClientPeer("bob", ToneTrack(660.0))
        lee = ClientPeer("lee")
        kim = ClientPeer("kim")
        peers = [ann, bob, lee, kim]
        try:
            for peer, may_send in ((ann, True), (bob, True), (lee, False), (kim, False)):
                await peer.join(room, send_allowed=may_send)
            room.set_stage({"ann": StageState(), "bob": StageState()})
            await wait_until(lambda: _hears(kim, 440.0) and _hears(kim, 660.0), what="both")

            await room.disconnect("kim")
            assert "kim" not in room.stats().peers
            await wait_until(
                lambda: kim.pc.connectionState in ("closed", "failed") or kim.ended,
                timeout_s=15,
                what="kim's connection to end",
            )
            frames = kim.frames_since(0.0)
            await asyncio.sleep(0.3)
            assert kim.frames_since(0.0) - frames <= 1, "no media after disconnect"

            # Ann's track stalls (sends nothing), then bob's peer vanishes without a word.
            ann_track.paused = True
            await bob.pc.close()
            await asyncio.sleep(0.4)  # what was already on its way to lee
            ticks = room.stats().ticks
            since = await listen([lee], 1.0)
            assert room.stats().ticks - ticks >= 40, "the clock keeps ticking"
            heard = lee.audio_since(since)
            assert heard.size >= 0.8 * 48_000, "the listener still gets 50 packets a second"
            assert rms_db(heard) < SILENT_DB

            ann_track.paused = False
            await wait_until(lambda: _hears(lee, 440.0), what="ann back after her stall")
        finally:
            await asyncio.gather(*(p.close() for p in peers))
            await room.close()

    asyncio.run(scenario())


def test_an_offer_overtaken_by_a_newer_one_or_by_disconnect_is_refused() -> None:
    async def scenario() -> None:
        room = new_room()
        first, second, third = ClientPeer("lee"), ClientPeer("lee"), ClientPeer("lee")
        try:
            offers = [await first.offer(), await second.offer()]
            results = await asyncio.gather(
                *(room.connect("lee", o, send_allowed=False) for o in offers),
                return_exceptions=True,
            )
            assert isinstance(results[0], MediaError), "the older offer lost"
            assert isinstance(results[1], str), "the newest offer won"
            pending = asyncio.ensure_future(
                room.connect("lee", await third.offer(), send_allowed=False)
            )
            await asyncio.sleep(0)
            await room.disconnect("lee")
            with pytest.raises(MediaError):
                await pending
            assert "lee" not in room.stats().peers
        finally:
            await asyncio.gather(first.close(), second.close(), third.close())
            await room.close()

    asyncio.run(scenario())
