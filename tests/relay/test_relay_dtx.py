"""Discontinuous transmission, on a real relay with real aiortc peers.

A peer whose offer says `usedtx=1` for Opus (the host's console asks) is sent nothing while
the room's mix is digital silence; everyone else gets every tick. When someone speaks, the
DTX peer's packets start again with the marker bit, contiguous sequence numbers (a pause is
not a loss) and an RTP timestamp that jumped by the pause. The moderators' `levels` frames
stop too while the whole stage is silent (one all-silent frame says so).
"""

from __future__ import annotations

import asyncio
import itertools
import time

from console.identity import Identity
from console.media_link import MediaLink, asking_dtx
from console.tracks import Recorder, ToneTrack
from server.media.aiortc_internals import rtp_taken_at_socket
from server.media.peer import offer_asks_dtx
from tests.relay.relaykit import create_room, join, relay
from tests.relay.spectrum import dominant_hz
from tests.relay.test_relay_media import stage_member

TICK_SAMPLES = 960


class PacketLog(Recorder):
    """A recorder that also notes each packet's sequence number, marker bit, RTP timestamp
    and arrival time (the client's socket side of what the relay sent)."""

    def __init__(self) -> None:
        super().__init__(max_seconds=10.0)
        self.packets: list[tuple[int, bool, int, float]] = []

    def take(self, packet):  # type: ignore[no-untyped-def]
        self.packets.append(
            (packet.sequence_number, bool(packet.marker), packet.timestamp, time.monotonic())
        )
        super().take(packet)

    def since(self, start_s: float) -> list[tuple[int, bool, int, float]]:
        return [p for p in self.packets if p[3] >= start_s]


async def wait_until(predicate, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def test_the_offer_line_asks_for_dtx_and_the_relay_reads_it():
    from aiortc import sdp

    offer = (
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "a=rtpmap:0 PCMU/8000\r\n"
    )
    asked = asking_dtx(offer)
    assert "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n" in asked
    assert asked.count("usedtx") == 1, "only Opus is asked"
    assert asking_dtx(asked) == asked, "asking twice changes nothing"
    no_fmtp = offer.replace("a=fmtp:111 minptime=10;useinbandfec=1\r\n", "")
    assert "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 usedtx=1\r\n" in asking_dtx(no_fmtp)
    assert offer_asks_dtx(sdp.SessionDescription.parse(asked), "0") is True
    assert offer_asks_dtx(sdp.SessionDescription.parse(offer), "0") is False
    off = asked.replace("usedtx=1", "usedtx=0")
    assert offer_asks_dtx(sdp.SessionDescription.parse(off), "0") is False


def test_a_dtx_peer_gets_nothing_while_the_room_is_silent_and_every_tick_while_it_sounds(
    tmp_path,
):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            host_log = PacketLog()
            host_media = MediaLink(host, recorder=host_log, dtx=True)
            await host_media.start(send=False)
            lis = await join(created["join_url"], "Lee Listener")
            lis_log = PacketLog()
            lis_media = MediaLink(lis, recorder=lis_log)
            await lis_media.start(send=False)
            levels: list[tuple[float, dict]] = []
            host.on_levels.append(lambda body: levels.append((time.monotonic(), body)))
            speaker = speaker_media = None
            try:
                # Silent room: the listener gets every tick, the DTX host nothing.
                await wait_until(lambda: len(lis_log.packets) >= 10, 15, "the listener's audio")
                quiet_from = time.monotonic()
                await wait_until(
                    lambda: len(lis_log.since(quiet_from)) >= 75, 15, "1.5 s of listener ticks"
                )
                assert host_log.since(quiet_from) == [], "the silent room sent the DTX host audio"
                assert len(levels) <= 2, f"{len(levels)} level frames for a silent stage"
                paused_at = time.monotonic()

                # Someone speaks: the host's packets come back, a talkspurt.
                speaker, speaker_media = await stage_member(created, "Sam", 440, host=host)
                await wait_until(lambda: len(host_log.packets) >= 100, 20, "the host hearing Sam")
                first = host_log.packets[0]
                assert first[1] is True, "the first packet after a pause carries the marker bit"
                assert host_log.packets_lost == 0 and host_log.packets_late == 0
                seqs = [p[0] for p in host_log.packets]
                assert all((b - a) % 65536 == 1 for a, b in itertools.pairwise(seqs))
                # Inside a talkspurt every packet is the next tick; a marker only ever
                # follows a pause (the speaker's first blocks may come with a gap).
                for a, b in zip(host_log.packets, host_log.packets[1:100], strict=False):
                    step = (b[2] - a[2]) % (1 << 32)
                    assert step > TICK_SAMPLES if b[1] else step == TICK_SAMPLES, (step, b[1])
                assert sum(p[1] for p in host_log.packets[:100]) <= 3
                assert abs(dominant_hz(host_log.samples()[-48_000:]) - 440) < 10
                levels_talking = [t for t, _ in levels if t > paused_at]
                assert len(levels_talking) >= 20, "levels flow again while someone talks"

                # Sam leaves the stage's sound: after the hang-over, nothing again.
                await speaker_media.close()
                speaker_media = None
                await wait_until(
                    lambda: host_log.packets and time.monotonic() - host_log.packets[-1][3] > 1.0,
                    15,
                    "the DTX host's packets to stop once the room is silent",
                )
                stopped = host_log.packets[-1][3]
                later = len(lis_log.since(stopped))
                assert later >= 45, f"the listener kept every tick ({later} in the pause)"
                heard = len(host_log.packets)
                speaker_media = MediaLink(speaker, source=lambda: ToneTrack(660))
                await speaker_media.start(send=True)
                await wait_until(lambda: len(host_log.packets) > heard + 25, 20, "Sam again")
                resumed = host_log.packets[heard]
                last_before = host_log.packets[heard - 1]
                assert resumed[1] is True, "a new talkspurt is marked"
                assert (resumed[0] - last_before[0]) % 65536 == 1, "a pause is not a loss"
                jumped = (resumed[2] - last_before[2]) % (1 << 32)
                paused_s = resumed[3] - last_before[3]
                assert jumped > TICK_SAMPLES * 25, "the timestamp tells the pause's length"
                assert abs(jumped / 48_000 - paused_s) < 0.5, (jumped / 48_000, paused_s)
                assert host_log.packets_lost == 0
                # The room's packets reached the console's decoder from the socket's own
                # callback, not through aiortc's queue and reader task.
                assert host_media.pc is not None
                receiver = host_media.pc.getTransceivers()[0].receiver
                taken = rtp_taken_at_socket(receiver)
                assert len(host_log.packets) - 5 <= taken <= len(host_log.packets)
            finally:
                for media in (host_media, lis_media, speaker_media):
                    if media is not None:
                        await media.close()
                for client in (host, lis, speaker):
                    if client is not None:
                        await client.close()

    asyncio.run(scenario())
