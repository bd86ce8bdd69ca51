"""Mix N mono float32 streams into one mix and a mix-minus per source, never past full scale.

The sum runs in float64, so a mix-minus (mix minus that source's own weighted signal) leaves
no trace of the source: with only that source playing, its mix-minus is exactly zero.
Every output then goes through its own limiter; a speaker's mix-minus is what they hear, and
it must not clip any more than the audience mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from audio.levels import db_to_gain

Float32Array = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]


class LimiterBank:
    """Peak limiters for K signals at once, one gain each, no look-ahead.

    Per block, the gain needed to keep the block's peak under `ceiling_db` takes effect at the
    block's start (instant attack: a hard step only when a block would clip); otherwise the gain
    recovers toward 1 at `release_db_per_s`, ramped across the block. The ramp never exceeds
    the needed gain, so no sample ends up above the ceiling.
    """

    def __init__(
        self,
        count: int,
        sample_rate_hz: int = 48_000,
        ceiling_db: float = -0.3,
        release_db_per_s: float = 20.0,
    ) -> None:
        self.ceiling = db_to_gain(ceiling_db)
        self.sample_rate_hz = sample_rate_hz
        self.release_db_per_s = release_db_per_s
        self.gains: Float64Array = np.ones(count)
        self.limited_blocks = 0
        self._ramps: dict[int, Float64Array] = {}
        self._at_unity = True  # every gain is 1: a block under the ceiling passes untouched

    def process(self, signals: Float64Array) -> Float64Array:
        """Limit a (K, frames) block in place and return it."""
        frames = signals.shape[1]
        peaks = np.maximum(signals.max(axis=1), -signals.min(axis=1))
        if self._at_unity and float(peaks.max()) <= self.ceiling:
            return signals  # the usual case, and the cheap one
        with np.errstate(divide="ignore"):
            needed = np.where(peaks > self.ceiling, self.ceiling / peaks, 1.0)
        released = self.gains * db_to_gain(self.release_db_per_s * frames / self.sample_rate_hz)
        targets = np.minimum(np.minimum(released, 1.0), needed)
        start = np.minimum(self.gains, needed)  # an attack is applied from the first sample
        if np.any(start != 1.0) or np.any(targets != 1.0):
            if np.any(needed < 1.0):
                self.limited_blocks += 1
            ramp = self._ramps.get(frames)
            if ramp is None:
                ramp = self._ramps.setdefault(frames, np.linspace(0.0, 1.0, frames))
            curve = start[:, None] + (targets - start)[:, None] * ramp[None, :]
            signals *= curve
            # Float rounding of the product may land one ulp over; nothing else can.
            np.clip(signals, -self.ceiling, self.ceiling, out=signals)
        self.gains = targets
        self._at_unity = bool(np.all(targets == 1.0))
        return signals


@dataclass(frozen=True, slots=True)
class MixResult:
    """One tick of the stage: `mix` (frames,) and `mix_minus` (sources, frames), float32."""

    mix: Float32Array
    mix_minus: Float32Array


class Mixer:
    """The stage mix: per-source gain, one mix for the audience, a mix-minus for each source."""

    def __init__(
        self,
        sources: int,
        sample_rate_hz: int = 48_000,
        ceiling_db: float = -0.3,
        release_db_per_s: float = 20.0,
    ) -> None:
        if sources <= 0:
            raise ValueError("a mixer needs at least one source")
        self.sources = sources
        self.gains: Float64Array = np.ones(sources)
        # One limiter for the mix (row 0) and one per mix-minus (rows 1..N).
        self.limiters = LimiterBank(sources + 1, sample_rate_hz, ceiling_db, release_db_per_s)

    def set_gain_db(self, source: int, gain_db: float) -> None:
        self.gains[source] = db_to_gain(gain_db)

    def set_gain(self, source: int, gain: float) -> None:
        """Linear gain; 0 silences (mutes) the source in every output."""
        if gain < 0:
            raise ValueError("gain must not be negative")
        self.gains[source] = gain

    def mix(self, blocks: Float32Array) -> MixResult:
        """Runs on: the mixer clock. Mix a (sources, frames) float32 block.

        A source that sent nothing this tick should be passed as zeros.
        """
        if blocks.ndim != 2 or blocks.shape[0] != self.sources:
            raise ValueError(f"expected ({self.sources}, frames), got {blocks.shape}")
        weighted = blocks.astype(np.float64) * self.gains[:, None]
        outputs = np.empty((self.sources + 1, blocks.shape[1]))
        np.sum(weighted, axis=0, out=outputs[0])
        np.subtract(outputs[0][None, :], weighted, out=outputs[1:])
        self.limiters.process(outputs)
        out32 = outputs.astype(np.float32)
        return MixResult(mix=out32[0], mix_minus=out32[1:])
