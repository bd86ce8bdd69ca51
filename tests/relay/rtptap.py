"""Counting a listener's audio packets as they arrive at its socket (before any jitter buffer).

`RtpTap.attach(pc)` wraps each receiver's packet handlers of a real aiortc peer connection
(aiortc's, and the socket-side one clients use once SRTP is keyed):
every RTP packet is noted (arrival time, sequence number, RTP timestamp) and then handed on
unchanged, so the peer still plays (and records) what it hears.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection

from server.media.aiortc_internals import SOCKET_SINK

TICK_SAMPLES = 960


@dataclass(frozen=True, slots=True)
class Arrival:
    at_s: float
    seq: int
    rtp_timestamp: int
    ssrc: int


class RtpTap:
    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []

    def attach(self, pc: RTCPeerConnection) -> None:
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            forward = receiver._handle_rtp_packet

            async def tapped(packet: Any, arrival_time_ms: int, forward: Any = forward) -> None:
                self.note(packet)
                await forward(packet, arrival_time_ms)

            receiver._handle_rtp_packet = tapped
            # Once SRTP is keyed a client takes the packets at the socket instead.
            sink = getattr(receiver, SOCKET_SINK, None)
            if sink is not None:

                def tapped_sink(packet: Any, sink: Any = sink) -> None:
                    self.note(packet)
                    sink(packet)

                setattr(receiver, SOCKET_SINK, tapped_sink)

    def note(self, packet: Any) -> None:
        self.arrivals.append(
            Arrival(time.perf_counter(), packet.sequence_number, packet.timestamp, packet.ssrc)
        )

    def between(self, start_s: float, end_s: float) -> list[Arrival]:
        return [a for a in self.arrivals if start_s <= a.at_s < end_s]

    def first_after(self, start_s: float) -> Arrival | None:
        return next((a for a in self.arrivals if a.at_s >= start_s), None)


def missing_ticks(arrivals: list[Arrival]) -> tuple[int, int]:
    """(ticks the stream's RTP timestamps span, how many of them never arrived), for one
    sender's stream: a tick the relay skipped or dropped shows as a hole in the timeline."""
    if not arrivals:
        return 0, 0
    stream = [a for a in arrivals if a.ssrc == arrivals[0].ssrc]
    base = stream[0].rtp_timestamp
    offsets = {((a.rtp_timestamp - base) % (1 << 32)) // TICK_SAMPLES for a in stream}
    # A timeline offset past 2^31 is a packet from before the first one (reordered).
    offsets = {o for o in offsets if o < (1 << 31) // TICK_SAMPLES}
    span = max(offsets) - min(offsets) + 1
    return span, span - len(offsets)
