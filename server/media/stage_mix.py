"""The stage, once per 20 ms tick: level and speaking per member, the audience mix, a mix-minus
for every member who is audible, each encoded once.

Who hears what:
- the audience (and every stage member who is silent or muted) gets the one audience packet;
- a stage member whose own signal is in the mix gets their own mix-minus packet (the mix
  without them), so nobody hears themselves. "In the mix" means their block peaked above
  `own_mix_floor_db` within the last `own_mix_hold_s`, or their speaking gate is open; it
  switches on in the very tick their sound appears, and the hold keeps one encoder per
  talker running through pauses between words (Opus state does not carry across a switch).

Muted or not-on-stage people contribute nothing: their blocks are never read, whatever their
browser sends. A muted member reads the level floor and never speaking.

When the audience mix has been digital silence for a few ticks the output says so
(`silent`): peers that asked for discontinuous transmission (`usedtx=1`) are then sent
nothing until there is sound again (server/media/fanout.py).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from audio.levels import FLOOR_DB, block_mean_square, block_peak, gain_to_db
from audio.mixer import Mixer
from audio.voice_gate import VoiceGate
from server.media.opus_codec import FRAME_SAMPLES, SAMPLE_RATE_HZ, OpusEncoder, Samples
from server.media.values import LevelSample, StageState

TICK_S = FRAME_SAMPLES / SAMPLE_RATE_HZ
SILENT_DBOV = 127
"""RFC 6464's quietest level: -127 dBov or below, which no listener can hear."""
DTX_HANGOVER_TICKS = 3
"""Ticks of silence before DTX peers stop getting packets: the Opus encoder's look-ahead
and the decoder's fade need the first few silent frames."""
_SILENCE: Samples = np.zeros(FRAME_SAMPLES, dtype=np.float32)
_SILENCE.setflags(write=False)


@dataclass(slots=True)
class _Member:
    state: StageState
    gate: VoiceGate = field(default_factory=VoiceGate)
    encoder: OpusEncoder | None = None
    audible_for_s: float = 0.0
    """Time left in the own-mix hold; > 0 means this member gets their own mix-minus."""
    peak: float = 0.0
    mean_square_sum: float = 0.0
    blocks: int = 0


@dataclass(frozen=True, slots=True)
class TickOutput:
    """What one tick produced for the fan-out."""

    audience: bytes | None
    """The audience packet (None when nobody listens: no encode spent)."""
    own: dict[str, bytes]
    """Mix-minus packets for the members who are in the mix right now."""
    audio_level_dbov: int
    """The audience mix's level for the RTP ssrc-audio-level extension (0 = loudest, 127)."""
    voice: bool
    """Anyone on stage speaking (the extension's V flag)."""
    flips: tuple[tuple[str, bool], ...]
    """Speaking flags that changed this tick."""
    silent: bool = False
    """The audience mix has been digital silence for `DTX_HANGOVER_TICKS` ticks: a peer that
    asked for DTX (`usedtx=1`) is sent nothing (the encoder's tail has gone out by then)."""


class StageMix:
    """Runs on: the room's clock task."""

    def __init__(
        self,
        own_mix_floor_db: float = -60.0,
        own_mix_hold_s: float = 1.0,
        own_mix_complexity: int = 5,
    ) -> None:
        self.own_mix_floor = 10.0 ** (own_mix_floor_db / 20.0)
        self.own_mix_hold_s = own_mix_hold_s
        self.own_mix_complexity = own_mix_complexity
        self._members: dict[str, _Member] = {}
        self._order: list[str] = []
        self._mixer: Mixer | None = None
        self._audience = OpusEncoder()
        self._blocks = np.zeros((0, FRAME_SAMPLES), dtype=np.float32)
        self.encodes = 0
        self._silent_ticks = DTX_HANGOVER_TICKS + 1  # nothing has sounded: no tail to send

    @property
    def members(self) -> list[str]:
        return list(self._order)

    def state(self, user_id: str) -> StageState | None:
        member = self._members.get(user_id)
        return member.state if member else None

    def set_stage(self, stage: Mapping[str, StageState]) -> list[tuple[str, bool]]:
        """Replace the stage; returns speaking flags that drop because someone left or muted."""
        flips: list[tuple[str, bool]] = []
        for user_id in list(self._members):
            if user_id not in stage and self._members.pop(user_id).gate.speaking:
                flips.append((user_id, False))
        for user_id, state in stage.items():
            member = self._members.get(user_id)
            if member is None:
                self._members[user_id] = _Member(state)
                continue
            member.state = state
            if state.muted:
                if member.gate.speaking:
                    flips.append((user_id, False))
                member.gate.reset()
                member.audible_for_s = 0.0
        order = list(stage)
        if order != self._order:
            self._order = order
            # The mixer's limiters keep state per output: a new line-up starts fresh.
            self._mixer = Mixer(len(order)) if order else None
            self._blocks = np.zeros((len(order), FRAME_SAMPLES), dtype=np.float32)
        return flips

    def unmuted(self) -> list[str]:
        return [u for u in self._order if not self._members[u].state.muted]

    def tick(self, blocks: Mapping[str, Samples], encode: bool) -> TickOutput:
        """Mix one tick. `blocks` holds the decoded blocks of unmuted stage members who sent
        one; anyone else on stage is silence. `encode`: someone is listening."""
        flips: list[tuple[str, bool]] = []
        voice = False
        for row, user_id in enumerate(self._order):
            member = self._members[user_id]
            block = blocks.get(user_id)
            if block is None or member.state.muted:
                block = _SILENCE
            self._blocks[row] = block
            peak = block_peak(block)
            member.peak = max(member.peak, peak)
            member.mean_square_sum += block_mean_square(block)
            member.blocks += 1
            if not member.state.muted:
                was = member.gate.speaking
                now = member.gate.update(block)
                if now != was:
                    flips.append((user_id, now))
                voice = voice or now
                if peak >= self.own_mix_floor or now:
                    member.audible_for_s = self.own_mix_hold_s
                else:
                    member.audible_for_s = max(0.0, member.audible_for_s - TICK_S)
        if self._mixer is None:
            mix: Samples = _SILENCE
            minus = None
        else:
            result = self._mixer.mix(self._blocks)
            mix, minus = result.mix, result.mix_minus
        audience: bytes | None = None
        own: dict[str, bytes] = {}
        if encode:
            audience = self._audience.encode(mix)
            self.encodes += 1
            if minus is not None:
                for row, user_id in enumerate(self._order):
                    member = self._members[user_id]
                    if member.audible_for_s <= 0.0:
                        continue
                    if member.encoder is None:
                        member.encoder = OpusEncoder(complexity=self.own_mix_complexity)
                    own[user_id] = member.encoder.encode(minus[row])
                    self.encodes += 1
        level = _dbov(mix)
        # -127 dBov or quieter is digital silence for any listener.
        self._silent_ticks = self._silent_ticks + 1 if level == SILENT_DBOV and not own else 0
        silent = self._silent_ticks > DTX_HANGOVER_TICKS
        return TickOutput(audience, own, level, voice, tuple(flips), silent)

    def levels(self) -> dict[str, LevelSample]:
        """Levels since the last call, per stage member; resets the accumulation."""
        report: dict[str, LevelSample] = {}
        for user_id in self._order:
            member = self._members[user_id]
            if member.state.muted or member.blocks == 0:
                report[user_id] = LevelSample(FLOOR_DB, FLOOR_DB, False)
            else:
                rms = math.sqrt(member.mean_square_sum / member.blocks)
                report[user_id] = LevelSample(
                    gain_to_db(member.peak), gain_to_db(rms), member.gate.speaking
                )
            member.peak = 0.0
            member.mean_square_sum = 0.0
            member.blocks = 0
        return report


def _dbov(mix: Samples) -> int:
    """RFC 6464 level: 0 (0 dBov) to 127 (-127 dBov or quieter)."""
    mean_square = block_mean_square(mix)
    if mean_square <= 0.0:
        return SILENT_DBOV
    level = -10.0 * math.log10(mean_square)
    return min(SILENT_DBOV, max(0, round(level)))
