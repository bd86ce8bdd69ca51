"""One speaker's inbound audio: RTP packets straight from aiortc's receiver into a short buffer,
one decoded 20 ms block pulled per mixer tick.

aiortc's own audio path holds packets 80 ms in its jitter buffer (and 280 ms for good after
one loss, aiortc #543), decodes them on a thread per receiver and queues the frames without
bound (#554). The relay takes the packets before all that (`aiortc_internals.hook_receiver`)
and keeps at most `capacity` of them, ordered by sequence number:

- a packet older than the one due next is late and dropped;
- past `capacity`, the oldest is dropped (a burst never grows the delay);
- every packet's wait (arrival -> the tick that mixes it) is noted; when even the shortest
  wait over `trim_window_ticks` exceeded a frame plus `trim_guard_s`, a packet was always
  waiting that was never needed, so one is dropped to cut the delay by 20 ms (a start-up
  burst would otherwise add 20-40 ms for good);
- a gap (a later packet is here, the due one is not) is a loss, declared after one tick's
  grace for reordering; the block is silence (libopus PLC/FEC is the next step);
- nothing at all (a stalled or vanished speaker) gives silence: the room never waits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiortc.rtp import RtpPacket

from server.media.opus_codec import OpusDecoder, Samples

SEQ_MODULO = 1 << 16
TICK_S = 0.020
UNDERRUN_WINDOW_S = 0.1  # a speaker heard from this recently is "sending"
DEFAULT_CAPACITY = 4  # packets (80 ms)


@dataclass(frozen=True, slots=True)
class PulledFrame:
    """A decoded block and when its packet reached the relay (for latency figures)."""

    samples: Samples
    rtp_timestamp: int
    arrival_s: float


@dataclass(slots=True)
class _Buffered:
    payload: bytes
    rtp_timestamp: int
    arrival_s: float


def _seq_distance(a: int, b: int) -> int:
    """Signed distance from b to a in 16-bit sequence space (a - b), in [-32768, 32767]."""
    return ((a - b + 0x8000) % SEQ_MODULO) - 0x8000


class SpeakerIngress:
    """Runs on: the event loop (packets in) and the room's clock task (blocks out)."""

    def __init__(
        self,
        payload_type: int,
        capacity: int = DEFAULT_CAPACITY,
        trim_window_ticks: int = 25,
        trim_guard_s: float = 0.004,
    ) -> None:
        self.payload_type = payload_type
        self.capacity = capacity
        self.trim_window_ticks = trim_window_ticks
        self.trim_guard_s = trim_guard_s
        self._packets: dict[int, _Buffered] = {}
        self._next_seq: int | None = None
        self._gap_ticks = 0
        self._window_ticks = 0
        self._window_min_wait_s = float("inf")
        self._decoder = OpusDecoder()
        self.packets_received = 0
        self.packets_lost = 0
        self.packets_dropped = 0
        self.foreign_packets = 0
        self.underruns = 0
        """Ticks with nothing to play while the speaker was sending (played as silence)."""
        self.last_arrival_s = float("-inf")

    async def handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """Runs on: the event loop, per packet, from the hooked aiortc receiver."""
        self.accept(
            packet.sequence_number,
            packet.timestamp,
            packet.payload_type,
            packet.payload,
            time.perf_counter(),
        )

    def accept(
        self, seq: int, rtp_timestamp: int, payload_type: int, payload: bytes, arrival_s: float
    ) -> None:
        if payload_type != self.payload_type or not payload:
            self.foreign_packets += 1
            return
        self.packets_received += 1
        self.last_arrival_s = arrival_s
        if self._next_seq is None:
            self._next_seq = seq
        elif _seq_distance(seq, self._next_seq) < 0 or seq in self._packets:
            self.packets_dropped += 1  # late (already played past) or duplicate
            return
        self._packets[seq] = _Buffered(payload, rtp_timestamp, arrival_s)
        while len(self._packets) > self.capacity:
            self._drop_oldest()

    @property
    def depth(self) -> int:
        return len(self._packets)

    def pull(self, now_s: float) -> PulledFrame | None:
        """Runs on: the clock task. The next 20 ms block, or None (silence) if none is due."""
        entry = self._take(now_s)
        if entry is None:
            return None
        samples = self._decoder.decode(entry.payload)
        if samples is None:
            return None
        return PulledFrame(samples, entry.rtp_timestamp, entry.arrival_s)

    def discard(self, now_s: float) -> None:
        """Runs on: the clock task. Advance one tick without decoding (muted, off stage)."""
        self._take(now_s)

    def _take(self, now_s: float) -> _Buffered | None:
        if self._next_seq is None or not self._packets:
            if now_s - self.last_arrival_s < UNDERRUN_WINDOW_S:
                self.underruns += 1  # they are sending, but this tick's packet is not here
            self._gap_ticks = 0
            self._restart_window()
            return None
        entry = self._packets.pop(self._next_seq, None)
        if entry is None:
            # The due packet is missing but later ones are here: a loss, after one tick's grace.
            self._gap_ticks += 1
            if self._gap_ticks < 2:
                return None
            self.packets_lost += 1
            self._gap_ticks = 0
            self._advance()
            self._restart_window()
            return None
        self._gap_ticks = 0
        self._advance()
        self._trim(now_s - entry.arrival_s)
        return entry

    def _trim(self, wait_s: float) -> None:
        self._window_min_wait_s = min(self._window_min_wait_s, wait_s)
        self._window_ticks += 1
        if self._window_ticks < self.trim_window_ticks:
            return
        if self._window_min_wait_s > TICK_S + self.trim_guard_s and self._packets:
            self._drop_oldest()
        self._restart_window()

    def _restart_window(self) -> None:
        self._window_ticks = 0
        self._window_min_wait_s = float("inf")

    def _advance(self) -> None:
        assert self._next_seq is not None
        self._next_seq = (self._next_seq + 1) % SEQ_MODULO

    def _drop_oldest(self) -> None:
        """Skip to the oldest buffered packet and drop it (counting any gap before it)."""
        assert self._next_seq is not None
        base = self._next_seq
        oldest = min(self._packets, key=lambda s: _seq_distance(s, base))
        self.packets_lost += _seq_distance(oldest, base)
        del self._packets[oldest]
        self.packets_dropped += 1
        self._next_seq = (oldest + 1) % SEQ_MODULO
