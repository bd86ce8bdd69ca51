"""A look-ahead true-peak limiter for offline rendering, streaming, vectorised with numpy.

For each sample the gain needed to keep its neighbourhood's true peak (BS.1770 Annex 2
interpolation, the same as the meter) under the ceiling is `need[n]`. The applied gain is:

1. `m[n] = min(need[n .. n+L-1])`: look ahead L samples (a sliding minimum, van Herk /
   Gil-Werman, O(1) per sample);
2. release: in dB, `r[n] = min(m[n], r[n-1] + release per sample)`, which unrolls to a running
   minimum (`np.minimum.accumulate`) after subtracting the ramp n * release;
3. `g[n] = mean(10^(r/20) over n-L+1 .. n)`: a box filter as long as the look-ahead, so the gain
   slides down over L samples and still reaches `need` at the peak (every value averaged
   there is at most `need[peak]`).

The output is the input delayed by `latency_frames`; `flush` returns the tail. Where nothing
comes near the ceiling the gain is exactly 1 and no logarithm is taken.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from audio.export_loudness import HISTORY, interpolated_peaks

Float32Array = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]

# The gain is smooth, not constant, across the 12 samples an interpolated value reads: aim a
# hair under the ceiling so the result stays under it (measured overshoot: under 0.002 dB).
_SAFETY_DB = 0.05

# interpolated_peaks(n) lies between x[n-6] and x[n-5]: the peaks around sample m are
# those of n = m + 5 (between m-1 and m) and n = m + 6 (between m and m+1).
_ENVELOPE_AHEAD = 6


def sliding_min(values: Float64Array, width: int) -> Float64Array:
    """out[i] = min(values[i : i + width]) for every full window: minima over windows of 1,
    2, 4, ... samples by doubling, then two overlapping ones cover `width` (about log2(width)
    contiguous passes, which numpy runs far faster than a running minimum along rows)."""
    count = values.shape[0] - width + 1
    if count <= 0:
        return np.zeros(0)
    level = values
    span = 1
    while span * 2 <= width:
        level = np.minimum(level[:-span], level[span:])  # now windows of 2 * span
        span *= 2
    return np.minimum(level[:count], level[width - span : width - span + count])


class TruePeakLimiter:
    """Keeps a mono signal's true peak at or under `ceiling_dbtp`."""

    def __init__(
        self,
        ceiling_dbtp: float = -1.5,
        sample_rate_hz: int = 48_000,
        lookahead_s: float = 0.005,
        release_db_per_s: float = 40.0,
    ) -> None:
        self.ceiling = 10.0 ** ((ceiling_dbtp - _SAFETY_DB) / 20.0)
        self.lookahead_frames = max(2, round(lookahead_s * sample_rate_hz))
        self.latency_frames = self.lookahead_frames - 1 + _ENVELOPE_AHEAD
        self._release_db = release_db_per_s / sample_rate_hz
        self._history = np.zeros(HISTORY, dtype=np.float32)  # for the interpolator
        self._x = np.zeros(0)  # input not yet output
        self._peaks = np.zeros(0, dtype=np.float32)  # interpolated peaks, aligned with _x
        self._release_state_db = 0.0
        self._gain_tail = np.ones(self.lookahead_frames - 1)  # for the box filter
        self._started = False
        self.limited_frames = 0
        self.max_reduction_db = 0.0

    def process(self, samples: npt.NDArray[np.floating]) -> Float64Array:
        """Feed a block; return the output that is ready (the input `latency_frames` ago)."""
        block = np.asarray(samples, dtype=np.float64)
        extended = np.concatenate([self._history, block.astype(np.float32)])
        self._history = extended[-HISTORY:].copy()
        peaks = interpolated_peaks(extended, self.ceiling)
        x = np.concatenate([self._x, block])
        interpolated = np.concatenate([self._peaks, peaks])
        width = self.lookahead_frames
        ready = x.shape[0] - _ENVELOPE_AHEAD - (width - 1)
        if ready <= 0:
            self._x, self._peaks = x, interpolated
            return np.zeros(0)
        known = x.shape[0] - _ENVELOPE_AHEAD  # samples whose envelope we can form
        envelope = np.maximum(
            np.abs(x[:known]),
            np.maximum(
                interpolated[_ENVELOPE_AHEAD - 1 : _ENVELOPE_AHEAD - 1 + known],
                interpolated[_ENVELOPE_AHEAD : _ENVELOPE_AHEAD + known],
            ),
        )
        output = x[:ready].copy()
        if (
            float(envelope.max()) > self.ceiling
            or self._release_state_db < 0.0
            or float(self._gain_tail.min()) < 1.0  # the box filter still holds a reduction
        ):
            output *= self._gains(envelope, ready)
        self._started = True
        self._x, self._peaks = x[ready:], interpolated[ready:]
        return output

    def _gains(self, envelope: Float64Array, ready: int) -> Float64Array:
        width = self.lookahead_frames
        with np.errstate(divide="ignore"):
            need = np.minimum(1.0, self.ceiling / envelope)
        ahead = sliding_min(need, width)[:ready]
        ahead_db = 20.0 * np.log10(np.maximum(ahead, 1e-10))
        ramp = np.arange(ready) * self._release_db
        # r[k] = min(a[k], r[k-1] + rel)  <=>  r[k] - k rel = running min of (a[k] - k rel)
        start = self._release_state_db + self._release_db
        released_db = np.minimum.accumulate(np.concatenate([[start], ahead_db - ramp]))[1:] + ramp
        np.minimum(released_db, 0.0, out=released_db)
        self._release_state_db = float(released_db[-1])
        linear = 10.0 ** (released_db / 20.0)
        if not self._started:
            # Before the first sample, hold the first gain: a peak in the first L samples
            # must be reached too, and linear[0] is already under every need in [0, L).
            self._gain_tail[:] = linear[0]
        joined = np.concatenate([self._gain_tail, linear])
        sums = np.cumsum(np.concatenate([[0.0], joined]))
        gains: Float64Array = (sums[width:] - sums[:-width]) / width
        self._gain_tail = joined[-(width - 1) :].copy()
        reduced = gains < 1.0
        if reduced.any():
            self.limited_frames += int(np.count_nonzero(gains < 0.999))
            self.max_reduction_db = max(self.max_reduction_db, -20.0 * float(np.log10(gains.min())))
        return gains

    def flush(self) -> Float64Array:
        """The last `latency_frames` of output (zeros are fed behind the end)."""
        pending = self._x.shape[0]
        tail = self.process(np.zeros(self.latency_frames + 1))
        return tail[:pending]
