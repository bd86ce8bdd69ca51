"""A room's media engine: peers in, one 20 ms mixer clock, the mix out to everyone.

Per tick (`_tick`): pull one block per unmuted stage member (silence if they sent nothing),
meter and gate each, mix once for the audience and once minus each audible member, encode
the audience mix once and each audible member's mix-minus once, then send: the same
audience payload to every peer, a member's own mix-minus to that member.

The relay (server/session.py) calls `connect` with a person's offer, `set_stage` whenever
the stage or a mute changes, and `disconnect` when they leave or are removed. Levels reach
`on_levels` at `levels_hz`; speaking flips reach `on_speaking` when they happen. Both run on
the clock task and must not block (schedule any I/O).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audio.block_origin import BlockOrigin
from audio.levels import FLOOR_DB
from server.media import ice as ice_setup
from server.media.capture_gate import OPEN_MARGIN_S, CaptureGate, ConsentStep
from server.media.clock import TICK_S, TickClock
from server.media.fanout import FanOut
from server.media.hls_stream import HlsStream
from server.media.ice import IceConfig
from server.media.opus_codec import Samples
from server.media.peer import Peer, negotiate
from server.media.stage_mix import StageMix
from server.media.values import LevelSample, MediaError, MediaStats, PeerStats, StageState

logger = logging.getLogger(__name__)


class RecordingSink(Protocol):
    """Where a recording's blocks go, once per tick (audio.recording.RecordingWriter).

    `gaps`: the speakers whose block this tick was repaired (FEC, PLC) or is missing while
    they were sending (SILENT_GAP), so the take's manifest can count them."""

    def write_tick(
        self,
        tick_index: int,
        tracks: Mapping[str, Samples],
        *,
        gaps: Mapping[str, BlockOrigin] | None = None,
    ) -> None: ...


def _at_rest(sample: LevelSample) -> bool:
    return sample.peak_db <= FLOOR_DB and not sample.speaking


LevelsCallback = Callable[[dict[str, LevelSample]], None]
SpeakingCallback = Callable[[str, bool], None]
AudienceCallback = Callable[[int, bytes, int, bool, bool], None]
"""(tick, Opus payload, audio level in -dBov, voice, silent): the audience packet, for other
workers (`silent`: the mix has been digital silence for a while; DTX peers get nothing)."""
PeerLostCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class TickTrace:
    """What one tick did, for measurements (the benchmark's latency figures)."""

    tick: int
    deadline_s: float
    fanout_start_s: float
    fanout_end_s: float
    listeners: int
    consumed: tuple[tuple[str, int, float], ...]
    """(user_id, RTP timestamp, arrival time) of each speaker packet mixed in this tick."""


class RoomMedia:
    """Runs on: the relay's event loop (one per process)."""

    def __init__(
        self,
        room_id: str,
        ice: IceConfig,
        on_levels: LevelsCallback,
        on_speaking: SpeakingCallback,
        levels_hz: float = 25.0,
        *,
        tick_origin_s: float | None = None,
        on_audience: AudienceCallback | None = None,
        on_peer_lost: PeerLostCallback | None = None,
        connect_timeout_s: float | None = 30.0,
    ) -> None:
        if levels_hz <= 0:
            raise ValueError("levels_hz must be positive")
        ice_setup.install()
        self.room_id = room_id
        self.ice = ice
        self._on_levels = on_levels
        self._on_speaking = on_speaking
        self._levels_every = max(1, round(1.0 / (levels_hz * TICK_S)))
        self._quiet_levels_sent: frozenset[str] | None = None
        self._recording: tuple[RecordingSink, int | None] | None = None
        self._peers: dict[str, Peer] = {}
        self._latest_offer: dict[str, int] = {}
        self._offer_count = 0
        self._stage = StageMix()
        self._gate = CaptureGate()
        self._written: set[str] = set()  # whose block the last recorded tick wrote
        self._fanout = FanOut()
        self._clock = TickClock(self._tick)
        self._tick_origin_s = tick_origin_s
        self._on_audience = on_audience
        self._on_peer_lost = on_peer_lost
        self.connect_timeout_s = connect_timeout_s
        """A peer not connected this long after its answer is closed (None: never)."""
        self._forwarding = False
        self._hls: HlsStream | None = None
        self._started = False
        self._latencies_s: deque[float] = deque(maxlen=2_000)
        self._hop_latencies_s: deque[float] = deque(maxlen=2_000)
        self._closed = False
        self._background: set[asyncio.Task[None]] = set()
        self.tick_trace: Callable[[TickTrace], None] | None = None
        """Measurement seam: called after every tick that sent anything (None: off)."""

    # --- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Let the 20 ms clock run (idempotent). It ticks only while there is someone to mix
        for or to send to (a peer here, listeners in other workers, a recording): an empty
        room costs no CPU."""
        if self._closed:
            raise RuntimeError(f"room {self.room_id}: media is closed")
        self._started = True
        self._wake()

    def _wanted(self) -> bool:
        return (
            bool(self._peers)
            or self._forwarding
            or self._recording is not None
            or self._hls is not None
        )

    def _wake(self) -> None:
        if self._started and not self._closed and self._wanted():
            self._clock.start(name=f"mixer-clock-{self.room_id}", origin_s=self._tick_origin_s)

    async def _rest_if_idle(self) -> None:
        if not self._wanted() and self._clock.running:
            await self._clock.stop()
            logger.info("room %s: nobody to mix for; the clock rests", self.room_id)

    def host_from(self, tick_origin_s: float) -> None:
        """Run this room's mixer here, numbering ticks from `tick_origin_s` (see TickClock)."""
        self._tick_origin_s = tick_origin_s

    @property
    def peer_count(self) -> int:
        return len(self._peers)

    @property
    def clock_running(self) -> bool:
        return self._clock.running

    def set_forwarding(self, forwarding: bool) -> None:
        """Whether other workers carry listeners of this room (they need the mix each tick)."""
        self._forwarding = forwarding
        if forwarding:
            self._wake()
        else:
            self._spawn_rest()

    def _spawn_rest(self) -> None:
        if not self._clock.running:
            return
        task = asyncio.ensure_future(self._rest_if_idle())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def feed(
        self,
        tick: int,
        payload: bytes,
        level: int,
        voice: bool,
        mixed_at_s: float | None = None,
        silent: bool = False,
    ) -> None:
        """Send another worker's audience packet to this worker's listeners of the room.
        `mixed_at_s` (perf_counter in the home worker; CLOCK_MONOTONIC is machine-wide) gives
        the hop's added latency: encoded there -> sent here, mid-listener.

        Runs on: the worker's loop, when the packet arrives (the mixer lives elsewhere)."""
        if self._fanout.refresh(tick):
            self._fanout.send(tick, payload, {}, level, voice, silent)
            if mixed_at_s is not None:
                middle = (self._fanout.last_send_start_s + self._fanout.last_send_end_s) / 2.0
                self._hop_latencies_s.append(middle - mixed_at_s)

    async def close(self) -> None:
        """Stop the clock and close every peer connection."""
        self._closed = True
        await self._clock.stop()
        peers = list(self._peers.values())
        self._peers.clear()
        for peer in peers:
            self._fanout.remove(peer.user_id)
        await asyncio.gather(*(p.close() for p in peers), return_exceptions=True)

    # --- peers -----------------------------------------------------------------------

    async def connect(self, user_id: str, offer_sdp: str, *, send_allowed: bool) -> str:
        """Answer a participant's offer; returns the answer SDP.

        `send_allowed`: they may send audio (on stage); otherwise the answer is send-only
        from the relay. A new offer from the same user replaces their old connection once
        it is negotiated. Raises MediaError (and changes nothing) on a bad offer, or when a
        newer offer from the same user (or their disconnect) overtook this one.
        """
        if self._closed:
            raise RuntimeError(f"room {self.room_id}: media is closed")
        self._offer_count += 1
        token = self._offer_count
        self._latest_offer[user_id] = token
        peer, answer = await negotiate(user_id, offer_sdp, send_allowed=send_allowed, ice=self.ice)
        if self._closed or self._latest_offer.get(user_id) != token:
            await peer.close()
            raise MediaError("This offer was overtaken by a newer one, or the user left.")
        del self._latest_offer[user_id]
        old = self._peers.get(user_id)
        self._peers[user_id] = peer
        self._fanout.remove(user_id)
        if peer.outlet is not None:
            self._fanout.add(peer.outlet)
        self._watch(peer)
        self._wake()
        logger.info(
            "room %s: %s connected (%s)",
            self.room_id,
            user_id,
            "may send" if send_allowed else "listener",
        )
        if old is not None:
            await old.close()
        return answer

    async def disconnect(self, user_id: str) -> None:
        """Close this user's connection; their audio stops at the next tick."""
        self._latest_offer.pop(user_id, None)  # an offer still being answered is void
        peer = self._peers.pop(user_id, None)
        self._fanout.remove(user_id)
        if peer is not None:
            await peer.close()
            logger.info("room %s: %s disconnected", self.room_id, user_id)
        await self._rest_if_idle()

    def _watch(self, peer: Peer) -> None:
        """Stop sending to a connection that failed (the relay still calls disconnect)."""

        @peer.pc.on("connectionstatechange")
        def on_state() -> None:
            state = peer.pc.connectionState
            if state in ("failed", "closed") and self._peers.get(peer.user_id) is peer:
                logger.info("room %s: %s connection %s", self.room_id, peer.user_id, state)
                self._fanout.remove(peer.user_id)
                if state == "failed" and self._on_peer_lost is not None:
                    self._on_peer_lost(peer.user_id)

        if self.connect_timeout_s is not None:
            asyncio.get_running_loop().call_later(
                self.connect_timeout_s, self._give_up_unless_connected, peer
            )

    def _give_up_unless_connected(self, peer: Peer) -> None:
        """A connection that never came up (an unreachable or forged candidate) is closed: its
        port would otherwise stay open, taking datagrams from anyone, for as long as the room
        lives. The person's page offers again if they are still there."""
        if self._peers.get(peer.user_id) is not peer or peer.pc.connectionState == "connected":
            return
        logger.info("room %s: %s never connected; closing it", self.room_id, peer.user_id)
        task = asyncio.ensure_future(self.disconnect(peer.user_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        if self._on_peer_lost is not None:
            self._on_peer_lost(peer.user_id)

    def set_stage(self, stage: Mapping[str, StageState], at_s: float | None = None) -> None:
        """Everyone on stage and their state; anyone absent is a listener (audio ignored).

        `at_s`: when the control process decided it (perf_counter; default now). The live mix
        follows at once; the recording follows by capture time (`CaptureGate`)."""
        for user_id, speaking in self._stage.set_stage(dict(stage)):
            self._notify_speaking(user_id, speaking)
        recordable = {u: s.recordable and not s.muted for u, s in stage.items()}
        self._gate.open_margin_s = self._open_margin_s()
        self._gate.stage_changed(recordable, time.perf_counter() if at_s is None else at_s)

    def set_consent(self, steps: Sequence[ConsentStep]) -> None:
        """The running take's consent ledger, each answer stamped when it was accepted."""
        self._gate.open_margin_s = self._open_margin_s()
        self._gate.consent_ledger(steps)

    def _open_margin_s(self) -> float:
        """The gate's opening margin: its floor plus the worst lateness of this room's
        clock over the last 2 s (the worker reads packets about as late as it runs ticks)."""
        recent = list(self._clock.lags_s)[-GATE_LAG_TICKS:]
        return OPEN_MARGIN_S + min(GATE_LAG_CAP_S, max(0.0, max(recent, default=0.0)))

    # --- the clock -------------------------------------------------------------------

    def _tick(self, tick: int) -> None:
        """Runs on: the clock task, every 20 ms."""
        now_s = time.perf_counter()
        stage_members = set(self._stage.members)
        blocks: dict[str, Samples] = {}
        spans: dict[str, tuple[float, float]] = {}
        gaps: dict[str, BlockOrigin] = {}
        consumed: list[tuple[str, int, float]] = []
        for user_id, peer in self._peers.items():
            ingress = peer.ingress
            if ingress is None:
                continue
            state = self._stage.state(user_id) if user_id in stage_members else None
            if state is None or state.muted:
                ingress.discard(now_s)
                continue
            pulled = ingress.pull(now_s)
            if ingress.last_origin.is_gap:
                gaps[user_id] = ingress.last_origin
            if pulled is not None:
                blocks[user_id] = pulled.samples
                spans[user_id] = (pulled.captured_from_s, pulled.captured_to_s)
                if pulled.origin is BlockOrigin.PACKET:  # a repair has no packet to time
                    consumed.append((user_id, pulled.rtp_timestamp, pulled.arrival_s))
        if self._recording is not None:
            self._record(tick, blocks, spans, gaps)
        listening = self._fanout.refresh(tick)
        hls = self._hls
        out = self._stage.tick(blocks, encode=listening or self._forwarding or hls is not None)
        for user_id, speaking in out.flips:
            self._notify_speaking(user_id, speaking)
        if out.audience is not None:
            if hls is not None:
                hls.add(out.audience)
            if self._forwarding and self._on_audience is not None:
                self._on_audience(tick, out.audience, out.audio_level_dbov, out.voice, out.silent)
            if listening:
                self._fanout.send(
                    tick, out.audience, out.own, out.audio_level_dbov, out.voice, out.silent
                )
                self._record_latency(tick, consumed)
        if tick % self._levels_every == 0 and self._stage.members:
            levels = self._stage.levels()
            # A silent stage is said once; until something moves, nothing more is sent (a
            # meter reads a level older than half a second as silence anyway).
            quiet = frozenset(levels) if all(_at_rest(s) for s in levels.values()) else None
            if quiet is not None and quiet == self._quiet_levels_sent:
                return
            self._quiet_levels_sent = quiet
            try:
                self._on_levels(levels)
            except Exception:
                logger.exception("room %s: levels callback failed", self.room_id)

    # --- HLS -------------------------------------------------------------------------

    def hls_to(self, stream: HlsStream | None) -> None:
        """Start (or, with None, stop) handing each tick's audience packet to an HLS stream.
        While one is set the clock runs even with nobody connected here: HLS listeners are
        out of sight, behind caches."""
        self._hls = stream
        if stream is None:
            self._spawn_rest()
        else:
            self._wake()

    # --- recording -------------------------------------------------------------------

    def record_to(self, sink: RecordingSink | None) -> None:
        """Start (or, with None, stop) handing each tick's recordable blocks to `sink`.

        Only stage members who are unmuted and `recordable` (consented) are handed over; the
        sink numbers ticks from the first one it gets, so every file starts together.
        """
        self._recording = None if sink is None else (sink, None)
        self._written = set()
        if sink is None:
            self._gate.take_stopped()
            self._spawn_rest()
        else:
            self._gate.take_started()
            self._wake()

    def _record(
        self,
        tick: int,
        blocks: Mapping[str, Samples],
        spans: Mapping[str, tuple[float, float]],
        gaps: Mapping[str, BlockOrigin],
    ) -> None:
        """Hand over the blocks captured while their speaker was recordable: on stage,
        unmuted and consenting for the whole span their audio was captured in, whatever the
        stage says now (a block leaves the buffer 20-80 ms after it was captured)."""
        assert self._recording is not None
        sink, origin = self._recording
        if origin is None:
            origin = tick
            self._recording = (sink, origin)
        gate = self._gate
        recordable = {}
        for user_id, block in blocks.items():
            span_from, span_to = spans[user_id]
            if gate.allows(user_id, span_from, span_to):
                # The first block after the gate opens fades in: the decoder's overlap
                # carries ~2.5 ms of the block before it, captured before the yes.
                opened = user_id not in self._written
                recordable[user_id] = fade_in(block) if opened else block
        self._written = set(recordable)
        recorded_gaps = {}
        for user_id, gap in gaps.items():
            state = self._stage.state(user_id)
            if user_id in recordable or (state is not None and state.recordable):
                recorded_gaps[user_id] = gap
        try:
            sink.write_tick(tick - origin, recordable, gaps=recorded_gaps)
        except Exception:  # a recording must never stop the room
            logger.exception("room %s: recording sink failed", self.room_id)
            self._recording = None

    def _record_latency(self, tick: int, consumed: list[tuple[str, int, float]]) -> None:
        start, end = self._fanout.last_send_start_s, self._fanout.last_send_end_s
        middle = (start + end) / 2.0
        for _, _, arrival in consumed:
            self._latencies_s.append(middle - arrival)
        if self.tick_trace is not None:
            trace = TickTrace(
                tick,
                self._clock.deadline(tick),
                start,
                end,
                self._fanout.ready_count,
                tuple(consumed),
            )
            self.tick_trace(trace)

    def _notify_speaking(self, user_id: str, speaking: bool) -> None:
        try:
            self._on_speaking(user_id, speaking)
        except Exception:
            logger.exception("room %s: speaking callback failed", self.room_id)

    # --- counters --------------------------------------------------------------------

    def restart_windows(self) -> None:
        """Forget the tick lags and latencies kept for percentiles (a new measurement)."""
        self._clock.lags_s.clear()
        self._clock.lag_max_s = 0.0
        self._latencies_s.clear()
        self._hop_latencies_s.clear()

    def stats(self) -> MediaStats:
        stage = set(self._stage.members)
        peers: dict[str, PeerStats] = {}
        for user_id, peer in self._peers.items():
            outlet, ingress = peer.outlet, peer.ingress
            peers[user_id] = PeerStats(
                ready=outlet.ready if outlet else False,
                packets_sent=outlet.packets_sent if outlet else 0,
                packets_dropped=outlet.packets_dropped if outlet else 0,
                ingress_packets=ingress.packets_received if ingress else 0,
                ingress_lost=ingress.packets_lost if ingress else 0,
                ingress_dropped=ingress.packets_dropped if ingress else 0,
                ingress_underruns=ingress.underruns if ingress else 0,
                ingress_fec_ticks=ingress.fec_ticks if ingress else 0,
                ingress_plc_ticks=ingress.plc_ticks if ingress else 0,
                ingress_silent_gap_ticks=ingress.silent_gap_ticks if ingress else 0,
            )
        latencies = sorted(self._latencies_s)
        hops = sorted(self._hop_latencies_s)
        clock = self._clock
        return MediaStats(
            listeners=self._fanout.ready_count,
            speakers=sum(1 for u, p in self._peers.items() if p.ingress and u in stage),
            ticks=clock.ticks,
            late_ticks=clock.late_ticks,
            skipped_ticks=clock.skipped_ticks,
            tick_lag_ms_p50=clock.lag_percentile_ms(0.5),
            tick_lag_ms_p99=clock.lag_percentile_ms(0.99),
            tick_lag_ms_max=clock.lag_max_s * 1000.0,
            packets_sent=self._fanout.packets_sent,
            packets_dropped=self._fanout.packets_dropped,
            encodes=self._stage.encodes,
            relay_latency_ms_p50=_percentile_ms(latencies, 0.5),
            relay_latency_ms_p95=_percentile_ms(latencies, 0.95),
            hop_latency_ms_p50=_percentile_ms(hops, 0.5),
            hop_latency_ms_p95=_percentile_ms(hops, 0.95),
            peers=peers,
        )


def _percentile_ms(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000.0


GATE_LAG_TICKS = 100  # the clock lateness the gate's opening margin looks back over (2 s)
GATE_LAG_CAP_S = 0.25  # … and the most of it added (a stall must not swallow a speaker's start)

FADE_IN_FRAMES = 960  # a whole 20 ms block: the decoder carries state past its 2.5 ms overlap


def fade_in(block: Samples) -> Samples:
    """A copy of `block` rising from silence over its first FADE_IN_FRAMES samples."""
    frames = min(FADE_IN_FRAMES, block.shape[0])
    ramp = np.sin(np.linspace(0.0, np.pi / 2, frames, endpoint=False)) ** 2
    faded = block.astype(np.float32, copy=True)
    faded[:frames] *= ramp.reshape((frames,) + (1,) * (block.ndim - 1)).astype(np.float32)
    return faded.astype(block.dtype, copy=False)
