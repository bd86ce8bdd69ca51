"""Levels of one stream: peak and RMS in dBFS, VU ballistics, a peak meter with hold, clipping.

Everything is driven by the audio itself (each block's length in samples), never by a wall
clock, so a meter behaves the same at 10 ms and 20 ms blocks and in a test run faster than real
time. Full scale is a float sample of magnitude 1.0 (0 dBFS); a full-scale sine reads 0 dBFS peak
and -3.01 dBFS RMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FLOOR_DB = -120.0
"""What silence reads: a finite floor keeps events and JSON free of -inf."""

# Step response of two equal one-pole stages (critically damped): 1 - (1 + x) e^-x.
# It reaches 99 % at x = 6.638, so tau = integration time / 6.638.
_CRITICAL_99_PERCENT_X = 6.638352067993813


def gain_to_db(gain: float) -> float:
    """Linear amplitude to dB, floored at FLOOR_DB."""
    if gain <= 0.0:
        return FLOOR_DB
    return max(FLOOR_DB, 20.0 * math.log10(gain))


def db_to_gain(level_db: float) -> float:
    return float(10.0 ** (level_db / 20.0))


def block_peak(samples: npt.NDArray[np.float32]) -> float:
    """Largest magnitude in the block (linear); two reductions, no temporary array."""
    if samples.size == 0:
        return 0.0
    return float(max(samples.max(), -samples.min()))


def block_mean_square(samples: npt.NDArray[np.float32]) -> float:
    """Mean of the squared samples of a 1-D block (linear power)."""
    if samples.size == 0:
        return 0.0
    flat = samples.reshape(-1)
    return float(np.dot(flat, flat)) / flat.size


def peak_dbfs(samples: npt.NDArray[np.float32]) -> float:
    return gain_to_db(block_peak(samples))


def rms_dbfs(samples: npt.NDArray[np.float32]) -> float:
    return gain_to_db(math.sqrt(block_mean_square(samples)))


class VuMeter:
    """VU ballistics (IEC 60268-17): reaches 99 % of a step in `integration_s` (300 ms).

    Two equal one-pole stages on the RMS amplitude, which is critically damped: no overshoot
    (a needle overshoots 1-1.5 %, which a bar on screen need not copy). A steady signal reads its
    RMS level.
    """

    def __init__(self, integration_s: float = 0.3) -> None:
        if integration_s <= 0:
            raise ValueError("integration_s must be positive")
        self.integration_s = integration_s
        self._tau_s = integration_s / _CRITICAL_99_PERCENT_X
        self._stage1 = 0.0
        self._stage2 = 0.0

    def update(self, rms: float, duration_s: float) -> float:
        """Feed a block's RMS amplitude (linear) lasting `duration_s`; return the level in dB."""
        keep = math.exp(-duration_s / self._tau_s)
        self._stage1 = keep * self._stage1 + (1.0 - keep) * rms
        self._stage2 = keep * self._stage2 + (1.0 - keep) * self._stage1
        return self.level_db

    @property
    def level_db(self) -> float:
        return gain_to_db(self._stage2)

    def reset(self) -> None:
        self._stage1 = self._stage2 = 0.0


class PeakMeter:
    """A peak reading that rises at once, holds for `hold_s`, then falls at `fall_db_per_s`."""

    def __init__(self, hold_s: float = 0.75, fall_db_per_s: float = 20.0) -> None:
        self.hold_s = hold_s
        self.fall_db_per_s = fall_db_per_s
        self.level_db = FLOOR_DB
        self._held_for_s = 0.0

    def update(self, peak_db: float, duration_s: float) -> float:
        """Feed a block's peak (dBFS) lasting `duration_s`; return the displayed peak in dB."""
        if peak_db >= self.level_db:
            self.level_db = peak_db
            self._held_for_s = 0.0
            return self.level_db
        self._held_for_s += duration_s
        falling_s = self._held_for_s - self.hold_s
        if falling_s > 0:
            fallen_db = self.fall_db_per_s * min(falling_s, duration_s)
            self.level_db = max(peak_db, self.level_db - fallen_db, FLOOR_DB)
        return self.level_db


class ClipDetector:
    """Flags clipping: `min_run_samples` in a row at or above `threshold_db`, or any over.

    A converter that clips flattens the tops, so a run of samples pinned near full scale is the
    sign; one sample touching -0.1 dBFS is not. Any float sample beyond full scale (an "over")
    will clip on the way out, so it counts at once. The flag stays up for `hold_s`.
    """

    def __init__(
        self, threshold_db: float = -0.1, min_run_samples: int = 3, hold_s: float = 2.0
    ) -> None:
        self.threshold = db_to_gain(threshold_db)
        self.min_run_samples = max(1, min_run_samples)
        self.hold_s = hold_s
        self.clip_events = 0
        self._since_clip_s = math.inf

    def update(self, samples: npt.NDArray[np.float32], peak: float, duration_s: float) -> bool:
        """Feed a 1-D block and its linear peak (already measured); return the clip flag."""
        self._since_clip_s += duration_s
        if peak >= self.threshold and (peak > 1.0 or self._has_run(samples)):
            self.clip_events += 1
            self._since_clip_s = 0.0
        return self.clipping

    @property
    def clipping(self) -> bool:
        return self._since_clip_s <= self.hold_s

    def _has_run(self, samples: npt.NDArray[np.float32]) -> bool:
        hot = np.abs(samples.reshape(-1)) >= self.threshold
        if self.min_run_samples == 1:
            return bool(hot.any())
        # Lengths of runs of True: distance between each rising and the next falling edge.
        edges = np.diff(hot.astype(np.int8), prepend=0, append=0)
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        return bool(((ends - starts) >= self.min_run_samples).any())


@dataclass(frozen=True, slots=True)
class LevelReading:
    """One block's levels, all in dBFS."""

    peak_db: float
    rms_db: float
    vu_db: float
    peak_hold_db: float
    clipping: bool


class LevelMeter:
    """Peak, RMS, VU, held peak and clipping for one mono stream, block by block."""

    def __init__(
        self,
        sample_rate_hz: int = 48_000,
        vu_integration_s: float = 0.3,
        peak_hold_s: float = 0.75,
        peak_fall_db_per_s: float = 20.0,
        clip_threshold_db: float = -0.1,
    ) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.vu = VuMeter(vu_integration_s)
        self.peak = PeakMeter(peak_hold_s, peak_fall_db_per_s)
        self.clip = ClipDetector(clip_threshold_db)
        self.reading = LevelReading(FLOOR_DB, FLOOR_DB, FLOOR_DB, FLOOR_DB, False)

    def update(self, samples: npt.NDArray[np.float32]) -> LevelReading:
        """Runs on: the reader's thread (UI timer, relay mixer clock). Measure one block."""
        duration_s = samples.shape[0] / self.sample_rate_hz
        peak = block_peak(samples)
        rms = math.sqrt(block_mean_square(samples))
        peak_db = gain_to_db(peak)
        self.reading = LevelReading(
            peak_db=peak_db,
            rms_db=gain_to_db(rms),
            vu_db=self.vu.update(rms, duration_s),
            peak_hold_db=self.peak.update(peak_db, duration_s),
            clipping=self.clip.update(samples, peak, duration_s),
        )
        return self.reading
