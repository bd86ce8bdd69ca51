"""Every private aiortc/aioice attribute the relay touches, in one place, pinned to aiortc 1.16.

The relay sends each listener's packets itself (encode once, protect per listener) and reads
speakers' RTP before aiortc's 80 ms jitter buffer, so it needs a few things aiortc keeps
private. They were read in aiortc 1.15.0/1.16.0 and aioice 0.13.0 (pyproject pins
aiortc < 1.17); `tests/media/test_media_internals.py` fails loudly if any of them moves.

- `RTCDtlsTransport._state` / `State.CONNECTED`: the `state` property formats a string.
- `RTCDtlsTransport._tx_srtp`: the pylibsrtp session that protects outbound RTP.
- `RTCIceTransport._connection._nominated[1]`: aioice's selected pair (its datagram transport
  and the remote address); the dict object lives as long as the connection.
- `RTCRtpTransceiver._codecs` / `._headerExtensions`: what was negotiated (payload type,
  extension ids), and where the answer's Opus fmtp comes from.
- `RTCRtpReceiver._handle_rtp_packet` (overridden per instance) and its
  `__remote_streams` (so RTCP receiver reports keep flowing).
- `RTCRtpSender.__ntp_timestamp` & co.: what the parked sender reports in its RTCP SR.
- pylibsrtp 1.0 `Session._srtp` / `._cdata` / `._buffer` and `_binding.lib.srtp_protect`:
  protect in place with one C call (the wrapper allocates and checks per packet).
- asyncio `_SelectorDatagramTransport._sock`: send on the socket itself; the transport's
  `sendto` re-checks its arguments and state per packet.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiortc
import pylibsrtp
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket, is_rtcp
from pylibsrtp import Session
from pylibsrtp._binding import ffi, lib

logger = logging.getLogger(__name__)

TESTED_AIORTC = ("1.15.", "1.16.")
if not aiortc.__version__.startswith(TESTED_AIORTC):  # pragma: no cover - a pin guards this
    logger.warning(
        "aiortc %s is untested with the relay's fan-out (tested: 1.15, 1.16)", aiortc.__version__
    )

DTLS_CONNECTED = State.CONNECTED
RTP_COMPONENT = 1

RtpHandler = Callable[[RtpPacket, int], Awaitable[None]]


class DatagramSender(Protocol):
    def sendto(self, data: bytes, addr: Any = ...) -> None: ...
    def get_write_buffer_size(self) -> int: ...
    def is_closing(self) -> bool: ...


def dtls_connected(dtls: RTCDtlsTransport) -> bool:
    return dtls._state is DTLS_CONNECTED


def srtp_session(dtls: RTCDtlsTransport) -> Session | None:
    """The session protecting outbound RTP, once DTLS has connected."""
    session: Session | None = dtls._tx_srtp
    return session


def nominated_pairs(dtls: RTCDtlsTransport) -> dict[int, Any]:
    """aioice's component -> selected pair; the same dict for the connection's lifetime."""
    pairs: dict[int, Any] = dtls.transport._connection._nominated
    return pairs


def selected_route(pairs: dict[int, Any]) -> tuple[DatagramSender, tuple[str, int]] | None:
    """The datagram transport and remote address of the selected RTP pair, if any."""
    pair = pairs.get(RTP_COMPONENT)
    if pair is None:
        return None
    transport: DatagramSender = pair.protocol.transport
    return transport, pair.remote_addr


class SrtpWriter:
    """SRTP-protects one packet at a time in the session's own buffer, with one C call.

    Write the RTP packet into `buffer` (a writable cffi buffer of 1500 bytes), call
    `protect(length)`, send `buffer[:protected_length]`. Runs on: the loop thread only (the
    buffer is shared with the session's other users, all on that thread).
    """

    __slots__ = ("_cdata", "_length", "_srtp", "buffer")

    def __init__(self, session: Session) -> None:
        self._srtp = session._srtp[0]
        self._cdata = session._cdata
        self.buffer: Any = session._buffer
        self._length = ffi.new("int *")

    def protect(self, length: int) -> int:
        """Protect the `length` bytes at the start of `buffer`; return the new length, or
        0 when libsrtp refuses (the packet is then not to be sent)."""
        self._length[0] = length
        if lib.srtp_protect(self._srtp, self._cdata, self._length):
            return 0
        return int(self._length[0])


def raw_socket(transport: DatagramSender) -> Any:
    """The socket under an asyncio datagram transport."""
    return transport._sock  # type: ignore[attr-defined]


def negotiated_codecs(transceiver: RTCRtpTransceiver) -> list[RTCRtpCodecParameters]:
    return transceiver._codecs


def negotiated_header_extensions(
    transceiver: RTCRtpTransceiver,
) -> list[RTCRtpHeaderExtensionParameters]:
    return transceiver._headerExtensions


def set_negotiated_codecs(
    transceiver: RTCRtpTransceiver, codecs: list[RTCRtpCodecParameters]
) -> None:
    """Narrow what the answer offers (and what the sender would use) to `codecs`."""
    transceiver._codecs = codecs


def hook_receiver(receiver: RTCRtpReceiver, handler: RtpHandler) -> None:
    """Route every RTP packet the receiver would get to `handler` instead.

    Bypasses aiortc's audio jitter buffer (80 ms, 280 ms after a loss: aiortc #543) and its
    decoder thread; RTCP receiver statistics are still fed so receiver reports keep flowing.
    """
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        if not receiver._enabled:
            return
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(48_000)
        stats.add(packet)
        await handler(packet, arrival_time_ms)

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


SOCKET_SINK = "_roomcast_socket_sink"
"""The receiver's attribute holding what `receive_rtp_at_socket` hands each packet to."""


def receive_rtp_at_socket(receiver: RTCRtpReceiver, sink: Callable[[RtpPacket], None]) -> None:
    """Hand the receiver's RTP packets to `sink` straight from the socket's datagram
    callback (server/media/ice.py), once DTLS has keyed SRTP: no pass through aioice's queue
    and the DTLS transport's reader task (two task wake-ups per packet). RTCP, DTLS and
    anything before the keys still go aiortc's way (pair it with `hook_receiver`). RTCP
    receiver statistics are fed as aiortc would. For a connection with this one receiver.
    """
    dtls = receiver.transport
    connection = dtls.transport._connection
    streams: dict[int, StreamStatistics] = receiver._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]
    extensions = dtls._rtp_header_extensions_map

    def take(data: bytes) -> bool:
        srtp = dtls._rx_srtp
        if srtp is None or is_rtcp(data):
            return False  # aiortc's way
        if not receiver._enabled:
            return True
        try:
            packet = RtpPacket.parse(srtp.unprotect(data), extensions)
        except (pylibsrtp.Error, ValueError):
            return True  # dropped, as aiortc drops it
        stats = streams.get(packet.ssrc)
        if stats is None:
            stats = streams[packet.ssrc] = StreamStatistics(48_000)
        stats.add(packet)
        connection._roomcast_rtp_taken += 1  # type: ignore[attr-defined]
        getattr(receiver, SOCKET_SINK)(packet)
        return True

    setattr(receiver, SOCKET_SINK, sink)  # looked up per packet: a tap may wrap it
    connection._roomcast_rtp_taken = 0  # type: ignore[attr-defined]
    connection._roomcast_rtp_sink = take  # type: ignore[attr-defined]


def rtp_taken_at_socket(receiver: RTCRtpReceiver) -> int:
    """RTP packets `receive_rtp_at_socket` handed over for this receiver's connection."""
    return int(getattr(receiver.transport.transport._connection, "_roomcast_rtp_taken", 0))


def receiver_hooked(receiver: RTCRtpReceiver) -> bool:
    return "_handle_rtp_packet" in vars(receiver)


def update_sender_report(
    sender: RTCRtpSender, ntp_timestamp: int, rtp_timestamp: int, packets: int, octets: int
) -> None:
    """Feed the parked sender's RTCP sender reports with what the fan-out really sent."""
    state = vars(sender)
    state["_RTCRtpSender__ntp_timestamp"] = ntp_timestamp
    state["_RTCRtpSender__rtp_timestamp"] = rtp_timestamp
    state["_RTCRtpSender__packet_count"] = packets
    state["_RTCRtpSender__octet_count"] = octets


def sender_state_names() -> tuple[str, ...]:
    """The sender attributes `update_sender_report` writes (checked by a test)."""
    return (
        "_RTCRtpSender__ntp_timestamp",
        "_RTCRtpSender__rtp_timestamp",
        "_RTCRtpSender__packet_count",
        "_RTCRtpSender__octet_count",
    )
