"""The parts under the room media: aiortc's private attributes we pin, RTP extensions, ICE
scoping and demux, the speaker buffer, the clock, the encoder's FEC, per-peer drops."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import glob
import os
import time
from pathlib import Path
from typing import Any

import aioice.ice
import numpy as np
import pytest
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket

from audio.block_origin import BlockOrigin
from server.media import IceConfig, StageState, rtc_configuration
from server.media import aiortc_internals as internals
from server.media import ice as ice_setup
from server.media.clock import TickClock
from server.media.fanout import AUDIO_LEVEL_URI, MID_URI, extension_block
from server.media.ingress import SpeakerIngress
from server.media.opus_codec import OpusDecoder, OpusEncoder
from tests.media.test_media_kit import ClientPeer, ToneTrack, new_room, tone_db, wait_until

# --- aiortc private attributes (pinned; see server/media/aiortc_internals.py) --------------


def test_the_private_aiortc_attributes_the_relay_uses_still_exist() -> None:
    async def scenario() -> None:
        pc = RTCPeerConnection(rtc_configuration(IceConfig()))
        try:
            transceiver = pc.addTransceiver("audio", direction="sendrecv")
            dtls: RTCDtlsTransport = transceiver.sender.transport
            assert "_state" in vars(dtls) and "_tx_srtp" in vars(dtls)
            assert isinstance(internals.nominated_pairs(dtls), dict)
            assert hasattr(transceiver, "_codecs") and hasattr(transceiver, "_headerExtensions")
            assert hasattr(transceiver, "_offerDirection")
            sender_state = vars(transceiver.sender)
            for name in internals.sender_state_names():
                assert name in sender_state, name
            assert "_RTCRtpReceiver__remote_streams" in vars(transceiver.receiver)
            assert "_handle_rtp_packet" not in vars(transceiver.receiver)

            async def handler(packet: RtpPacket, arrival_ms: int) -> None:
                return None

            internals.hook_receiver(transceiver.receiver, handler)
            assert internals.receiver_hooked(transceiver.receiver)
        finally:
            await pc.close()

    asyncio.run(scenario())


def test_extension_block_reads_back_through_aiortcs_parser() -> None:
    extensions = [
        RTCRtpHeaderExtensionParameters(id=4, uri=MID_URI),
        RTCRtpHeaderExtensionParameters(id=1, uri=AUDIO_LEVEL_URI),
    ]
    ids_map = HeaderExtensionsMap()
    ids_map.configure(RTCRtpParameters(headerExtensions=extensions))
    block = extension_block(4, "0", 1, 37, True)
    assert len(block) % 4 == 0
    header = bytes([0x90, 111]) + (1234).to_bytes(2, "big") + (5678).to_bytes(4, "big")
    data = header + (99).to_bytes(4, "big") + block + b"opus"
    packet = RtpPacket.parse(data, ids_map)
    assert packet.extensions.mid == "0"
    assert packet.extensions.audio_level == (True, 37)
    assert packet.payload == b"opus"
    assert packet.sequence_number == 1234 and packet.ssrc == 99
    assert extension_block(0, "0", 0, 37, False) == b""


def test_the_srtp_writer_protects_exactly_like_pylibsrtp() -> None:
    """The fan-out's one-C-call protect gives the bytes pylibsrtp's wrapper would."""
    from pylibsrtp import Policy, Session

    key = os.urandom(44)

    def session() -> Session:
        return Session(
            Policy(
                key=key,
                ssrc_type=Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=Policy.SRTP_PROFILE_AEAD_AES_256_GCM,
            )
        )

    reference, fast = session(), session()
    writer = internals.SrtpWriter(fast)
    for seq in range(5):
        header = bytes([0x80, 111]) + seq.to_bytes(2, "big") + bytes(4) + (7).to_bytes(4, "big")
        packet = header + os.urandom(80)
        writer.buffer[0 : len(packet)] = packet
        length = writer.protect(len(packet))
        assert writer.buffer[0:length] == reference.protect(packet)


# --- ICE ---------------------------------------------------------------------------------


def test_the_relay_announces_only_the_configured_addresses_and_asks_no_stun_server() -> None:
    assert rtc_configuration(IceConfig()).iceServers == []
    stun = rtc_configuration(IceConfig(stun_urls=("stun:stun.example.org:3478",)))
    assert [s.urls for s in stun.iceServers or []] == ["stun:stun.example.org:3478"]
    with pytest.raises(ValueError):
        IceConfig(announce_addresses=("0.0.0.0",))
    with pytest.raises(ValueError):
        IceConfig(announce_addresses=("example.org",))

    async def scenario() -> None:
        room = new_room()
        client = ClientPeer("lee")
        try:
            answer = await room.connect("lee", await client.offer(), send_allowed=False)
            candidates = [line for line in answer.splitlines() if line.startswith("a=candidate")]
            assert candidates, answer
            assert all(" 127.0.0.1 " in line and " typ host" in line for line in candidates)
            assert not any("srflx" in line or "relay" in line for line in candidates)
        finally:
            await client.pc.close()
            await room.close()

    asyncio.run(scenario())
    # Outside the relay's gathering the stock behaviour is kept (loopback skipped).
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False)
    ice_setup.install()  # idempotent
    assert ice_setup.installed()


class _Receiver:
    """The two things of an aioice Connection the relay's datagram path reads."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._check_list: list[Any] = []
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def data_received(self, data: bytes, component: int) -> None:
        self.received.append(data)
        self._queue.put_nowait((data, component))


def _protocol_checked_with(receiver: _Receiver, remote: tuple[str, int]) -> Any:
    protocol: Any = aioice.ice.StunProtocol(receiver)  # type: ignore[arg-type]
    protocol.local_candidate = type("C", (), {"component": 1})()
    candidate = aioice.Candidate(
        foundation="1", component=1, transport="udp", priority=1, host=remote[0],
        port=remote[1], type="host",
    )  # fmt: skip
    pair = aioice.ice.CandidatePair(protocol, candidate)
    pair.state = aioice.ice.CandidatePair.State.SUCCEEDED
    receiver._check_list.append(pair)
    return protocol


def _srtp(body_bytes: int = 40) -> bytes:
    body = os.urandom(body_bytes)
    return bytes([0x80, 0x01]) + os.urandom(2) + bytes(16) + body


def test_demux_by_first_byte_passes_srtp_that_looks_like_stun() -> None:
    """An SRTP packet whose bytes 2-3 equal its length minus 20 parses as STUN by length;
    RFC 7983 says byte 0 (128-191) makes it media."""
    ice_setup.install()

    async def scenario() -> None:
        receiver = _Receiver()
        protocol = _protocol_checked_with(receiver, ("127.0.0.1", 9))
        body = os.urandom(40)
        srtp = bytes([0x80, 0x01]) + len(body).to_bytes(2, "big") + bytes(16) + body
        srtp = srtp[:4] + bytes.fromhex("2112a442") + srtp[8:]  # even the STUN magic cookie
        protocol.datagram_received(srtp, ("127.0.0.1", 9))
        assert receiver.received == [srtp]

    asyncio.run(scenario())


def test_media_datagrams_from_an_address_no_check_validated_are_dropped() -> None:
    """Anyone can send to an open media port: only the far end of a checked pair gets in."""
    ice_setup.install()

    async def scenario() -> None:
        receiver = _Receiver()
        protocol = _protocol_checked_with(receiver, ("127.0.0.1", 9))
        for port in (10, 11, 12):
            protocol.datagram_received(_srtp(), ("127.0.0.1", port))
        protocol.datagram_received(_srtp(), ("127.0.0.2", 9))
        assert receiver.received == []
        assert ice_setup.dropped_datagrams(receiver) == 4
        protocol.datagram_received(_srtp(), ("127.0.0.1", 9))
        assert len(receiver.received) == 1

    asyncio.run(scenario())


def test_media_datagrams_wait_in_a_bounded_queue() -> None:
    """Nobody reading (DTLS never started): the queue stops at its bound, the rest is counted."""
    ice_setup.install()

    async def scenario() -> None:
        receiver = _Receiver()
        protocol = _protocol_checked_with(receiver, ("127.0.0.1", 9))
        for _ in range(ice_setup.MAX_QUEUED_DATAGRAMS + 100):
            protocol.datagram_received(_srtp(), ("127.0.0.1", 9))
        assert receiver._queue.qsize() == ice_setup.MAX_QUEUED_DATAGRAMS
        assert ice_setup.dropped_datagrams(receiver) == 100

    asyncio.run(scenario())


def test_rtp_taken_at_the_socket_only_from_the_checked_address_and_otherwise_queued() -> None:
    """The console's short way for the room's packets (`receive_rtp_at_socket`) sits behind
    the same check: a stranger's datagram never reaches it; what it declines (no SRTP keys
    yet, RTCP) waits in the queue for aiortc; a handler that fails loses that packet only."""
    ice_setup.install()

    async def scenario() -> None:
        receiver = _Receiver()
        protocol = _protocol_checked_with(receiver, ("127.0.0.1", 9))
        taken: list[bytes] = []
        keyed = {"yes": True}

        def sink(data: bytes) -> bool:
            if data[1] == 0xFF:
                raise RuntimeError("a broken packet handler")
            if keyed["yes"]:
                taken.append(data)
            return keyed["yes"]

        receiver._roomcast_rtp_sink = sink  # type: ignore[attr-defined]
        protocol.datagram_received(_srtp(), ("127.0.0.1", 10))  # a stranger
        assert taken == [] and ice_setup.dropped_datagrams(receiver) == 1
        good = _srtp()
        protocol.datagram_received(good, ("127.0.0.1", 9))
        assert taken == [good] and receiver.received == []
        keyed["yes"] = False  # before the keys: aiortc's way
        protocol.datagram_received(good, ("127.0.0.1", 9))
        assert receiver.received == [good]
        broken = bytes([0x80, 0xFF]) + good[2:]
        protocol.datagram_received(broken, ("127.0.0.1", 9))  # logged, not raised
        protocol.datagram_received(bytes([0x16]) + good[1:], ("127.0.0.1", 9))  # DTLS
        assert len(receiver.received) == 2 and len(taken) == 1

    asyncio.run(scenario())


# --- speaker buffer ----------------------------------------------------------------------


def _payloads(count: int) -> list[bytes]:
    encoder = OpusEncoder()
    t = np.arange(960 * count) / 48_000
    tone = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    return [encoder.encode(tone[i * 960 : (i + 1) * 960]) for i in range(count)]


def test_speaker_buffer_reorders_conceals_losses_and_stays_short() -> None:
    payloads = _payloads(20)
    ingress = SpeakerIngress(payload_type=111, capacity=4)
    now = 100.0
    # Out of order: 0, 2, 1 -> played 0, 1, 2.
    for seq in (65534, 0, 65535):
        ingress.accept(seq, seq * 960, 111, payloads[seq % 20], now)
    played = [ingress.pull(now) for _ in range(3)]
    assert [p.rtp_timestamp // 960 for p in played if p] == [65534, 65535, 0]
    assert ingress.packets_lost == 0
    # A gap: 2 is missing while 3 is here. It is a loss, filled in (never silence); 3 plays.
    ingress.accept(1, 960, 111, payloads[1], now)
    ingress.accept(3, 3 * 960, 111, payloads[3], now)
    assert ingress.pull(now) is not None  # 1
    repaired = ingress.pull(now)  # 2: rebuilt from 3's FEC, or concealed
    assert repaired is not None and repaired.origin in (BlockOrigin.FEC, BlockOrigin.PLC)
    assert np.any(repaired.samples != 0.0)
    assert ingress.packets_lost == 1 and ingress.concealed_ticks == 1
    frame = ingress.pull(now)
    assert frame is not None and frame.rtp_timestamp == 3 * 960
    # Late packet (already played past) and the wrong payload type are dropped.
    ingress.accept(2, 2 * 960, 111, payloads[2], now)
    ingress.accept(9, 9 * 960, 0, b"\xff", now)
    assert ingress.depth == 0 and ingress.foreign_packets == 1
    # A burst beyond capacity keeps only the newest packets.
    for seq in range(4, 14):
        ingress.accept(seq, seq * 960, 111, payloads[seq % 20], now)
    assert ingress.depth == 4
    frame = ingress.pull(now)
    assert frame is not None and frame.rtp_timestamp == 10 * 960
    assert ingress.pull(now + 1) is not None
    # Nothing buffered: never a wait. While they are sending it is concealed (an underrun).
    assert ingress.pull(now) is not None and ingress.pull(now) is not None
    assert ingress.underruns == 0
    late = ingress.pull(now)
    assert late is not None and late.origin is BlockOrigin.PLC
    assert ingress.underruns == 1
    assert ingress.pull(now + 1.0) is None and ingress.last_origin is BlockOrigin.IDLE
    assert ingress.underruns == 1, "a speaker who stopped sending is not underrunning"


def test_speaker_buffer_trims_a_packet_that_was_never_needed() -> None:
    payloads = _payloads(2)
    ingress = SpeakerIngress(payload_type=111, trim_window_ticks=10)
    # Packets arrive 30 ms before the tick that plays them: one spare packet, always.
    seq = 0
    ingress.accept(seq, 0, 111, payloads[0], 0.0)
    for tick in range(1, 12):
        seq += 1
        ingress.accept(seq, seq * 960, 111, payloads[seq % 2], tick * 0.02 - 0.01)
        ingress.pull(tick * 0.02 + 0.01)
    assert ingress.packets_dropped == 1 and ingress.depth == 0


# --- clock, codec ------------------------------------------------------------------------


def test_the_clock_does_not_drift_and_skips_a_stall_instead_of_bursting() -> None:
    async def scenario() -> None:
        ticks: list[int] = []

        def on_tick(tick: int) -> None:
            ticks.append(tick)
            if tick == 10:
                time.sleep(0.15)  # a stalled loop: 7 ticks' worth

        clock = TickClock(on_tick)
        clock.start()
        await asyncio.sleep(1.0)
        await clock.stop()
        elapsed_ticks = ticks[-1] + 1
        assert 48 <= elapsed_ticks <= 52, elapsed_ticks
        assert clock.skipped_ticks >= 4
        assert clock.late_ticks >= 1
        assert ticks == sorted(set(ticks)), "tick numbers only move forward"

    asyncio.run(scenario())


def _opus_library() -> Any:
    bundled = glob.glob(str(Path(np.__file__).parents[1] / "av.libs" / "libopus*.so*"))
    candidates = [*bundled, ctypes.util.find_library("opus") or ""]
    for path in candidates:
        if not path:
            continue
        library = ctypes.CDLL(path)
        if hasattr(library, "opus_packet_has_lbrr"):
            return library
    return None


def test_the_encoder_makes_mono_32_kbit_packets_with_in_band_fec() -> None:
    from tests.fixtures_audio import SENTENCES, speech

    library = _opus_library()
    if library is None:
        pytest.skip("no libopus >= 1.5 to inspect packets with")
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        voice = speech(SENTENCES[1], Path(folder), "fec")
    encoder = OpusEncoder()
    frames = voice.shape[0] // 960
    payloads = [encoder.encode(voice[i * 960 : (i + 1) * 960]) for i in range(frames)]
    with_fec = sum(library.opus_packet_has_lbrr(p, len(p)) > 0 for p in payloads)
    assert with_fec > frames // 4, f"{with_fec}/{frames} packets carry FEC"
    mean_bytes = np.mean([len(p) for p in payloads])
    assert 50 <= mean_bytes <= 100, mean_bytes  # 32 kbit/s is 80 bytes per 20 ms
    assert all(p[0] & 0x04 == 0 for p in payloads), "TOC stereo bit clear: mono"
    decoded = OpusDecoder().decode(payloads[10])
    assert decoded is not None and decoded.shape == (960,)


# --- a slow peer loses its own packets -----------------------------------------------------


def test_a_listener_whose_socket_is_backed_up_loses_its_own_packets_only() -> None:
    async def scenario() -> None:
        room = new_room()
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0))
        slow = ClientPeer("slow")
        lee = ClientPeer("lee")
        peers = [ann, slow, lee]
        try:
            for peer, may_send in ((ann, True), (slow, False), (lee, False)):
                await peer.join(room, send_allowed=may_send)
            room.set_stage({"ann": StageState()})
            await wait_until(lambda: room.stats().listeners == 3, what="three peers ready")
            outlet = room._fanout.get("slow")
            assert outlet is not None and outlet._transport is not None
            transport: Any = outlet._transport
            transport.get_write_buffer_size = lambda: 1 << 20  # as if the kernel said EAGAIN
            await wait_until(lambda: room.stats().drops.get("slow", 0) >= 20, what="drops")
            stats = room.stats()
            assert set(stats.drops) == {"slow"}
            assert stats.peers["lee"].packets_sent > stats.peers["slow"].packets_sent
            await wait_until(
                lambda: tone_db(lee.audio_since(time.perf_counter() - 0.3), 440.0) > -30,
                what="lee still hearing ann",
            )
        finally:
            await asyncio.gather(*(p.close() for p in peers))
            await room.close()

    asyncio.run(scenario())


def test_answer_is_opus_only_mono_with_fec_and_sendonly_for_listeners() -> None:
    async def scenario() -> None:
        room = new_room()
        listener = ClientPeer("lee")
        speaker = ClientPeer("ann", ToneTrack())
        try:
            listen_answer = await room.connect("lee", await listener.offer(), send_allowed=False)
            speak_answer = await room.connect("ann", await speaker.offer(), send_allowed=True)
            for answer, direction in ((listen_answer, "sendonly"), (speak_answer, "sendrecv")):
                media = [line for line in answer.splitlines() if line.startswith("a=rtpmap")]
                assert len(media) == 1 and "opus/48000/2" in media[0], media
                fmtp = next(line for line in answer.splitlines() if line.startswith("a=fmtp"))
                for param in ("useinbandfec=1", "stereo=0", "sprop-stereo=0"):
                    assert param in fmtp
                assert f"a={direction}" in answer.splitlines()
            await listener.answer(listen_answer)
            await speaker.answer(speak_answer)
            assert RTCSessionDescription  # the clients accepted both answers
        finally:
            await asyncio.gather(listener.close(), speaker.close())
            await room.close()

    asyncio.run(scenario())
