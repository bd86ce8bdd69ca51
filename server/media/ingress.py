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
- a gap (a later packet is here, the due one is not) is a loss: when the very next packet is
  here its in-band FEC rebuilds the lost frame, otherwise libopus conceals it (PLC). A packet
  that turns up after its frame was rebuilt is late and dropped (reordering by a whole frame
  is rare; waiting a tick for it would cost every loss 20 ms of delay);
- nothing buffered while the speaker is sending (a late packet) is concealed too, without
  moving on, so the late packet still plays when it comes; if what comes next starts after a
  gap instead, the frames of the ticks already played through are skipped at once (their time
  has passed), so a stall does not add its length to the delay;
- concealment stops after `max_concealed_ticks` in a row (100 ms): past that it would only
  buzz, so the block is silence, counted as a silent gap;
- nothing at all from a speaker who stopped sending (muted on their side, gone) is silence and
  no gap: the room never waits.

`last_origin` says what the last `pull` gave (server.media.values/audio.block_origin), so the
room media can tell the recorder which of its blocks were repaired.

Capture time: every block says over which span of the relay's clock its audio was captured
(`captured_from_s`, `captured_to_s`), so the recorder can gate consent, mute and the stage by
when someone spoke, not by when their audio left this buffer. The span is wide on purpose:
it starts at the packet's RTP time mapped to the relay's clock through the smallest delay seen
over the last `CAPTURE_WINDOW_S` (`CaptureClock`: jitter that held a packet back does not make
it look captured later), less `CODEC_LOOKAHEAD_S` (an Opus packet also carries the end of the
audio before it), and ends at the packet's arrival (nothing in it was captured later; a sender
that was late handing a frame over makes its RTP time look early, never its arrival). A
concealed block (PLC) is made from the last block decoded, so it carries that block's span.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from aiortc.rtp import RtpPacket

from audio.block_origin import BlockOrigin
from server.media.opus_codec import Samples, SpeakerDecoder, new_decoder

SEQ_MODULO = 1 << 16
TICK_S = 0.020
UNDERRUN_WINDOW_S = 0.1  # a speaker heard from this recently is "sending"
DEFAULT_CAPACITY = 4  # packets (80 ms)
MAX_CONCEALED_TICKS = 5  # 100 ms: libopus PLC has faded to near silence by then
RTP_RATE_HZ = 48_000  # Opus's RTP clock, whatever the coded bandwidth
CODEC_LOOKAHEAD_S = 0.0065  # libopus VoIP/audio mode: 2.5 ms look-ahead + 4 ms compensation
CAPTURE_WINDOW_S = 2.0
CAPTURE_RESET_S = 0.5  # a delay this far off the running minimum: the sender's clock jumped


@dataclass(frozen=True, slots=True)
class PulledFrame:
    """A decoded block and when its packet reached the relay (for latency figures).

    For a repaired block (`origin` FEC or PLC) the timestamp and arrival are those of the
    packet that was due; they mean nothing for latency."""

    samples: Samples
    rtp_timestamp: int
    arrival_s: float
    origin: BlockOrigin = BlockOrigin.PACKET
    captured_from_s: float = float("-inf")
    """The span of the relay's clock (perf_counter) this block's audio was captured in."""
    captured_to_s: float = float("inf")


@dataclass(slots=True)
class _Buffered:
    payload: bytes
    rtp_timestamp: int
    arrival_s: float
    rtp_s: float  # the RTP timestamp, unwrapped, in seconds


class CaptureClock:
    """Maps a speaker's RTP time to the relay's clock: when a packet's first sample was captured.

    A packet leaves the sender once its frame is complete, so `arrival - (rtp + frame)` is its
    delay plus a constant; the smallest over a sliding window (a monotonic deque, O(1) per
    packet) is the constant plus the shortest delay, so `rtp + that` places every packet as if
    it had come the fastest way. Runs on: the event loop (packets in), the clock task (reads).
    """

    def __init__(self, window_s: float = CAPTURE_WINDOW_S, rate_hz: int = RTP_RATE_HZ) -> None:
        self.window_s = window_s
        self.rate_hz = rate_hz
        self._last_raw: int | None = None
        self._unwrapped = 0
        self._offsets: deque[tuple[float, float]] = deque()  # (arrival, offset), offsets rising

    def note(self, rtp_timestamp: int, arrival_s: float) -> float:
        """A packet arrived: returns its RTP time in seconds (unwrapped)."""
        if self._last_raw is None:
            self._unwrapped = rtp_timestamp
        else:
            step = ((rtp_timestamp - self._last_raw + 0x8000_0000) & 0xFFFF_FFFF) - 0x8000_0000
            self._unwrapped += step
        self._last_raw = rtp_timestamp
        rtp_s = self._unwrapped / self.rate_hz
        offset = arrival_s - rtp_s - TICK_S
        offsets = self._offsets
        if offsets and abs(offset - offsets[0][1]) > CAPTURE_RESET_S:
            offsets.clear()  # a new RTP timeline (the sender restarted its clock)
        while offsets and offsets[-1][1] >= offset:
            offsets.pop()
        offsets.append((arrival_s, offset))
        while offsets[0][0] < arrival_s - self.window_s:
            offsets.popleft()
        return rtp_s

    def captured_at(self, rtp_s: float, arrival_s: float) -> float:
        """When the packet at `rtp_s` (arrived at `arrival_s`) began to be captured."""
        mapped = rtp_s + self._offsets[0][1] if self._offsets else arrival_s - TICK_S
        return min(mapped, arrival_s - TICK_S)  # never later than its arrival allows


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
        max_concealed_ticks: int = MAX_CONCEALED_TICKS,
        decoder: SpeakerDecoder | None = None,
    ) -> None:
        self.payload_type = payload_type
        self.capacity = capacity
        self.trim_window_ticks = trim_window_ticks
        self.trim_guard_s = trim_guard_s
        self._packets: dict[int, _Buffered] = {}
        self._next_seq: int | None = None
        self.max_concealed_ticks = max_concealed_ticks
        self._concealed_run = 0
        self._waited_ticks = 0  # ticks played through (concealed, silent) without a packet
        self._window_ticks = 0
        self._window_min_wait_s = float("inf")
        self._last_timestamp = 0
        self._decoder = decoder if decoder is not None else new_decoder()
        self.packets_received = 0
        self.packets_lost = 0
        self.packets_dropped = 0
        self.foreign_packets = 0
        self.underruns = 0
        """Ticks with nothing buffered while the speaker was sending (concealed or silent)."""
        self.fec_ticks = 0
        """Lost frames rebuilt from the next packet's in-band FEC."""
        self.plc_ticks = 0
        """Lost or late frames concealed by libopus PLC."""
        self.silent_gap_ticks = 0
        """Ticks left silent while the speaker was sending (past the concealment cap)."""
        self.last_origin = BlockOrigin.IDLE
        self.last_arrival_s = float("-inf")
        self.capture_clock = CaptureClock()
        self._last_span = (float("-inf"), float("inf"))  # of the last block decoded (for PLC)

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
        rtp_s = self.capture_clock.note(rtp_timestamp, arrival_s)
        self._packets[seq] = _Buffered(payload, rtp_timestamp, arrival_s, rtp_s)
        while len(self._packets) > self.capacity:
            self._drop_oldest()

    @property
    def depth(self) -> int:
        return len(self._packets)

    @property
    def concealed_ticks(self) -> int:
        return self.fec_ticks + self.plc_ticks

    def pull(self, now_s: float) -> PulledFrame | None:
        """Runs on: the clock task. The next 20 ms block, or None (silence).

        Sets `last_origin`; every repaired or silent tick while sending is counted."""
        origin, entry, following = self._take(now_s)
        samples: Samples | None = None
        if origin is BlockOrigin.PACKET:
            assert entry is not None
            samples = self._decoder.decode(entry.payload)
            if samples is None:  # undecodable payload: conceal it like a loss
                origin = BlockOrigin.PLC
        if origin in (BlockOrigin.FEC, BlockOrigin.PLC):
            if self._concealed_run >= self.max_concealed_ticks:
                origin, samples = BlockOrigin.SILENT_GAP, None
            elif origin is BlockOrigin.FEC and following is not None:
                samples, carried = self._decoder.recover(following.payload)
                if not carried:
                    origin = BlockOrigin.PLC  # the next packet held no FEC: libopus concealed
            else:
                samples = self._decoder.conceal()
        self._count(origin)
        if samples is None:
            return None
        if origin is BlockOrigin.PACKET and entry is not None:
            self._last_span = self._span(entry, 0.0)
        elif origin is BlockOrigin.FEC and following is not None:
            self._last_span = self._span(following, -TICK_S)  # the frame before `following`
        span_from, span_to = self._last_span  # PLC: made from the last block decoded
        if entry is None:
            return PulledFrame(samples, self._last_timestamp, now_s, origin, span_from, span_to)
        self._last_timestamp = entry.rtp_timestamp
        return PulledFrame(
            samples, entry.rtp_timestamp, entry.arrival_s, origin, span_from, span_to
        )

    def _span(self, packet: _Buffered, shift_s: float) -> tuple[float, float]:
        """From the earliest its audio can have been captured (its RTP time placed by the
        fastest delay seen, less the codec's look-ahead) to its arrival (nothing in it can
        have been captured later): wide on both sides, so a gate that needs the whole span
        errs towards leaving audio out."""
        start = self.capture_clock.captured_at(packet.rtp_s, packet.arrival_s) + shift_s
        return start - CODEC_LOOKAHEAD_S, packet.arrival_s

    def discard(self, now_s: float) -> None:
        """Runs on: the clock task. Advance one tick without decoding (muted, off stage)."""
        self._take(now_s)
        self._concealed_run = 0
        self.last_origin = BlockOrigin.IDLE

    def _count(self, origin: BlockOrigin) -> None:
        self.last_origin = origin
        if origin is BlockOrigin.FEC:
            self.fec_ticks += 1
        elif origin is BlockOrigin.PLC:
            self.plc_ticks += 1
        elif origin is BlockOrigin.SILENT_GAP:
            self.silent_gap_ticks += 1
        if origin.concealed:
            self._concealed_run += 1
        elif origin is not BlockOrigin.SILENT_GAP:
            self._concealed_run = 0

    def _take(self, now_s: float) -> tuple[BlockOrigin, _Buffered | None, _Buffered | None]:
        """(what this tick gets, the packet due if here, the packet after it if here)."""
        if self._next_seq is None or not self._packets:
            self._restart_window()
            if self._next_seq is not None:
                self._waited_ticks += 1
            if now_s - self.last_arrival_s < UNDERRUN_WINDOW_S:
                self.underruns += 1  # they are sending, but this tick's packet is not here
                return BlockOrigin.PLC, None, None  # conceal; the late packet plays next
            return BlockOrigin.IDLE, None, None
        while self._waited_ticks > 0 and self._next_seq not in self._packets:
            # After a stall: these frames belong to ticks already played through. Skip them.
            self._waited_ticks -= 1
            self.packets_lost += 1
            self._advance()
        self._waited_ticks = 0
        entry = self._packets.pop(self._next_seq, None)
        self._advance()
        if entry is None:
            # The due packet is missing but later ones are here: a loss.
            self.packets_lost += 1
            self._restart_window()
            following = self._packets.get(self._next_seq)
            return (BlockOrigin.FEC if following else BlockOrigin.PLC), None, following
        self._trim(now_s - entry.arrival_s)
        return BlockOrigin.PACKET, entry, None

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
