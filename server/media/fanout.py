"""Encode once, send to all: one loop per room turns each tick's Opus payload into every
peer's own RTP packet, SRTP-protects it with that peer's keys and hands it to that peer's
socket (performance.md §5, mode D). Measured by `make bench` on the 2-vCPU box: about 17 µs
of relay CPU per listener-packet (most of it the kernel's loopback send), against about
410 µs with aiortc's encoder per sender.

Each peer's `RTCRtpSender` is parked on a track that never yields (`ParkedTrack`), so
aiortc keeps doing everything but the media: ICE consent, DTLS, RTCP sender reports (fed
with our counts), receiver reports. The fan-out writes what the sender would have written:
the negotiated payload type, the sender's SSRC, its own sequence numbers (random start in
[0, 32768) like aiortc, to stay clear of SRTP rollover trouble) and RTP timestamps
(random origin + 960 per tick), the negotiated `mid` and `ssrc-audio-level` extensions.

Discontinuous transmission (RFC 7587 §3.1.3): a peer whose offer says `usedtx=1` for Opus
(the host's console does) is sent nothing while the room's mix is digital silence. Its
sequence numbers stay contiguous (a pause is not a loss), its RTP timestamps keep following
the clock (the receiver sees the pause's length), and the first packet after a pause carries
the marker bit, as the first packet of a talkspurt does. Everyone else gets every tick.

Bounded: a UDP send either goes to the kernel now or the packet is dropped and counted for
that peer (asyncio would otherwise buffer without limit). A slow peer loses its own packets.
"""

from __future__ import annotations

import asyncio
import secrets
import struct
import time
from collections.abc import Iterable
from typing import Any

from aiortc import RTCRtpTransceiver
from aiortc.clock import current_ntp_time
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av.frame import Frame
from av.packet import Packet
from pylibsrtp import Session

from server.media import aiortc_internals as internals
from server.media.opus_codec import FRAME_SAMPLES

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
RTP_VERSION_BITS = 0x80
EXTENSION_BIT = 0x10
MARKER_BIT = 0x80
ONE_BYTE_PROFILE = 0xBEDE
MAX_WRITE_BUFFER_BYTES = 1_500
"""Past one packet waiting in asyncio's buffer, further packets to that peer are dropped."""
SENDER_REPORT_EVERY_TICKS = 25
PENDING_EVERY_TICK = 32

_HEADER = struct.Struct("!BBHII")
_HEADER_BYTES = _HEADER.size


class ParkedTrack(MediaStreamTrack):
    """An audio track whose `recv()` never yields: it parks an RTCRtpSender.

    The sender's RTP task waits here forever at no cost (a track-less sender would poll
    every 20 ms instead); stopping the sender cancels the wait.
    """

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def recv(self) -> Frame | Packet[Any]:
        await self._never
        raise MediaStreamError

    def stop(self) -> None:
        if not self._never.done():
            self._never.cancel()
        super().stop()


def extension_block(mid_id: int, mid: str, level_id: int, level: int, voice: bool) -> bytes:
    """RFC 8285 one-byte header extensions (`mid`, `ssrc-audio-level`), padded to 32 bits.

    An id of 0 means "not negotiated"; with nothing to write the result is empty.
    """
    body = bytearray()
    if mid_id:
        encoded = mid.encode("utf8")
        body.append((mid_id << 4) | (len(encoded) - 1))
        body += encoded
    if level_id:
        body.append(level_id << 4)
        body.append((0x80 if voice else 0) | level)
    if not body:
        return b""
    body += bytes(-len(body) % 4)
    return struct.pack("!HH", ONE_BYTE_PROFILE, len(body) // 4) + bytes(body)


class Outlet:
    """One peer's outgoing RTP stream. Runs on: the room's clock task."""

    __slots__ = (
        "_dtls",
        "_pairs",
        "_sender",
        "_session",
        "_socket",
        "_transport",
        "_writer",
        "addr",
        "dtx",
        "extension_key",
        "first_byte",
        "level_id",
        "mid",
        "mid_id",
        "octets_sent",
        "packets_dropped",
        "packets_sent",
        "paused",
        "payload_type",
        "seq",
        "ssrc",
        "ts_origin",
        "user_id",
    )

    def __init__(self, user_id: str, transceiver: RTCRtpTransceiver, *, dtx: bool = False) -> None:
        codecs = internals.negotiated_codecs(transceiver)
        extensions = internals.negotiated_header_extensions(transceiver)
        self.user_id = user_id
        payload_type = codecs[0].payloadType
        assert payload_type is not None, "negotiate() refuses an Opus without a payload type"
        self.payload_type: int = payload_type
        self.mid = transceiver.mid or ""
        ids = {ext.uri: ext.id for ext in extensions}
        self.mid_id = ids.get(MID_URI, 0) if self.mid else 0
        self.level_id = ids.get(AUDIO_LEVEL_URI, 0)
        self.extension_key = (self.mid_id, self.mid, self.level_id)
        self.first_byte = RTP_VERSION_BITS | (EXTENSION_BIT if self.mid_id or self.level_id else 0)
        self._sender = transceiver.sender
        self.ssrc = self._sender._ssrc
        self.seq = secrets.randbelow(1 << 15)
        self.ts_origin = secrets.randbits(32)
        self._dtls = transceiver.sender.transport
        self._pairs = internals.nominated_pairs(self._dtls)
        self._session: Session | None = None
        self._transport: internals.DatagramSender | None = None
        self._writer: internals.SrtpWriter | None = None
        self._socket: Any = None
        self.addr: tuple[str, int] | None = None
        self.packets_sent = 0
        self.packets_dropped = 0
        self.octets_sent = 0
        self.dtx = dtx
        """The peer asked for discontinuous transmission: nothing is sent while silent."""
        self.paused = dtx
        """A DTX pause is under way (or nothing was sent yet): the next packet sent starts a
        talkspurt (marker bit)."""

    @property
    def ready(self) -> bool:
        return self._transport is not None

    def extensions(self, level: int, voice: bool) -> bytes:
        return extension_block(self.mid_id, self.mid, self.level_id, level, voice)

    def refresh(self) -> bool:
        """Bind to the SRTP session and the selected ICE pair once they exist; unbind when
        DTLS or the socket is gone. Returns whether the outlet can send."""
        route = internals.selected_route(self._pairs)
        session = internals.srtp_session(self._dtls)
        if (
            not internals.dtls_connected(self._dtls)
            or route is None
            or session is None
            or route[0].is_closing()
        ):
            self._session = None
            self._transport = None
            self._writer = None
            self._socket = None
            return False
        self._transport, self.addr = route
        if session is not self._session:
            self._writer = internals.SrtpWriter(session)
        self._session = session
        self._socket = internals.raw_socket(self._transport)
        return True

    def report(self, ntp_timestamp: int, rtp_timestamp: int) -> None:
        internals.update_sender_report(
            self._sender, ntp_timestamp, rtp_timestamp, self.packets_sent, self.octets_sent
        )


class FanOut:
    """All outlets of one room. Runs on: the room's clock task."""

    def __init__(self) -> None:
        self._outlets: dict[str, Outlet] = {}
        self._ready: list[Outlet] = []
        self._pending: list[Outlet] = []
        self.packets_sent = 0
        self.packets_dropped = 0
        self.packets_paused = 0
        """Packets not sent to DTX peers while the room was silent."""
        self.last_send_start_s = 0.0
        self.last_send_end_s = 0.0

    def add(self, outlet: Outlet) -> None:
        self.remove(outlet.user_id)
        self._outlets[outlet.user_id] = outlet
        self._pending.append(outlet)

    def remove(self, user_id: str) -> Outlet | None:
        outlet = self._outlets.pop(user_id, None)
        if outlet is not None:
            self._ready = [o for o in self._ready if o is not outlet]
            self._pending = [o for o in self._pending if o is not outlet]
        return outlet

    def get(self, user_id: str) -> Outlet | None:
        return self._outlets.get(user_id)

    def outlets(self) -> Iterable[Outlet]:
        return self._outlets.values()

    @property
    def ready_count(self) -> int:
        return len(self._ready)

    def refresh(self, tick: int) -> bool:
        """Promote outlets that became ready (checked every tick while few are waiting);
        every second, recheck the ready ones. Returns whether anyone can be sent to."""
        # A peer still connecting costs ~1 µs to check; with many waiting, check every 5th tick.
        if self._pending and (len(self._pending) <= PENDING_EVERY_TICK or tick % 5 == 0):
            still: list[Outlet] = []
            for outlet in self._pending:
                (self._ready if outlet.refresh() else still).append(outlet)
            self._pending = still
        if tick % 50 == 0 and self._ready:
            lost = [o for o in self._ready if not o.refresh()]
            if lost:
                self._ready = [o for o in self._ready if o not in lost]
                self._pending += lost
        return bool(self._ready)

    def send(
        self,
        tick: int,
        audience: bytes,
        own: dict[str, bytes],
        level: int,
        voice: bool,
        silent: bool = False,
    ) -> None:
        """Send this tick's packets: `own[user]` to those who have one, the audience otherwise;
        while the mix is `silent`, nothing to a DTX peer without an own packet.

        The per-peer work: the 12-byte header packed into the SRTP session's own buffer, the
        shared body copied after it, one libsrtp call, one sendto on the socket itself.
        Everything shared (extensions + payload) is built once per distinct negotiation
        (in practice one).
        """
        ts_offset = tick * FRAME_SAMPLES
        bodies: dict[tuple[int, str, int], bytes] = {}
        pack_into = _HEADER.pack_into
        connected = internals.DTLS_CONNECTED
        audience_octets = len(audience)
        sent = dropped = paused = 0
        lost: list[Outlet] = []
        self.last_send_start_s = time.perf_counter()
        for outlet in self._ready:
            if outlet._dtls._state is not connected:
                lost.append(outlet)
                continue
            if outlet._transport.get_write_buffer_size() > MAX_WRITE_BUFFER_BYTES:  # type: ignore[union-attr]
                outlet.packets_dropped += 1
                dropped += 1
                outlet.seq = (outlet.seq + 1) & 0xFFFF  # the receiver sees a loss, not a stall
                continue
            payload = own.get(outlet.user_id) if own else None
            if silent and outlet.dtx and payload is None:
                outlet.paused = True
                paused += 1
                continue
            if payload is None:
                body = bodies.get(outlet.extension_key)
                if body is None:
                    body = bodies[outlet.extension_key] = outlet.extensions(level, voice) + audience
                octets = audience_octets
            else:
                body = outlet.extensions(level, voice) + payload
                octets = len(payload)
            writer = outlet._writer
            buffer = writer.buffer  # type: ignore[union-attr]
            second_byte = outlet.payload_type
            if outlet.paused:
                second_byte |= MARKER_BIT
                outlet.paused = False
            pack_into(
                buffer,
                0,
                outlet.first_byte,
                second_byte,
                outlet.seq,
                (outlet.ts_origin + ts_offset) & 0xFFFFFFFF,
                outlet.ssrc,
            )
            end = _HEADER_BYTES + len(body)
            buffer[_HEADER_BYTES:end] = body
            outlet.seq = (outlet.seq + 1) & 0xFFFF
            protected = writer.protect(end)  # type: ignore[union-attr]
            if not protected:  # pragma: no cover - libsrtp refuses only on a broken session
                outlet.packets_dropped += 1
                dropped += 1
                continue
            try:
                outlet._socket.sendto(buffer[0:protected], outlet.addr)
            except OSError:
                # EAGAIN: the socket is full; ICMP errors: the peer is gone. Either way this
                # peer loses this packet, nobody else waits.
                outlet.packets_dropped += 1
                dropped += 1
                continue
            outlet.packets_sent += 1
            outlet.octets_sent += octets
            sent += 1
        self.last_send_end_s = time.perf_counter()
        self.packets_sent += sent
        self.packets_dropped += dropped
        self.packets_paused += paused
        if lost:
            for outlet in lost:
                outlet.refresh()
            self._ready = [o for o in self._ready if o not in lost]
            self._pending += lost
        if tick % SENDER_REPORT_EVERY_TICKS == 0:
            ntp = current_ntp_time()
            for outlet in self._ready:
                outlet.report(ntp, (outlet.ts_origin + ts_offset) & 0xFFFFFFFF)
