"""Momentary (400 ms) and short-term (3 s) loudness of one mono stream, by ITU-R BS.1770.

Incremental: each block is K-weighted once, its energy is added to 100 ms bins, and the two
windows are means over the last 4 and 30 bins (EBU Tech 3341 updates at 10 Hz). Recomputing a
3 s window with pyloudnorm ten times a second costs about 1.9 % of a core per channel.

numpy has no IIR filter, so the two K-weighting biquads run as one 4-state linear system applied
to sub-blocks with precomputed matrices: per sub-block of M samples the output is
`T @ x + O @ state`, and the state steps by `A^M @ state + R @ x`. That is exact (no truncated
impulse response) and costs about N*M multiply-adds per N-sample block.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Float64Array = npt.NDArray[np.float64]

LOUDNESS_FLOOR_LUFS = -120.0
_ABSOLUTE_OFFSET_DB = -0.691  # BS.1770: a 0 dBFS 1 kHz sine on one channel reads -3.01 LUFS


def k_weighting_biquads(sample_rate_hz: float) -> tuple[tuple[Float64Array, Float64Array], ...]:
    """The BS.1770 pre-filter (high shelf) and RLB high-pass as (b, a) pairs for any rate.

    Same design as libebur128 and pyloudnorm; at 48 kHz it gives the coefficients printed in
    the recommendation.
    """
    f0 = 1681.974450955533
    gain_db = 3.999843853973347
    q = 0.7071752369554196
    k = math.tan(math.pi * f0 / sample_rate_hz)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    shelf_a0 = 1.0 + k / q + k * k
    shelf_b = np.array([(vh + vb * k / q + k * k), 2.0 * (k * k - vh), (vh - vb * k / q + k * k)])
    shelf_a = np.array([shelf_a0, 2.0 * (k * k - 1.0), (1.0 - k / q + k * k)])

    f0 = 38.13547087602444
    q = 0.5003270373238773
    k = math.tan(math.pi * f0 / sample_rate_hz)
    a0 = 1.0 + k / q + k * k
    highpass_b = np.array([1.0, -2.0, 1.0])
    highpass_a = np.array([a0, 2.0 * (k * k - 1.0), (1.0 - k / q + k * k)]) / a0
    return (shelf_b / shelf_a0, shelf_a / shelf_a0), (highpass_b, highpass_a)


def _biquad_state_space(
    b: Float64Array, a: Float64Array
) -> tuple[Float64Array, Float64Array, Float64Array, float]:
    """Transposed direct form II of one normalised biquad as (A, B, C, D)."""
    a1, a2 = a[1] / a[0], a[2] / a[0]
    b0, b1, b2 = b / a[0]
    matrix_a = np.array([[-a1, 1.0], [-a2, 0.0]])
    matrix_b = np.array([b1 - a1 * b0, b2 - a2 * b0])
    matrix_c = np.array([1.0, 0.0])
    return matrix_a, matrix_b, matrix_c, float(b0)


def _cascade(
    first: tuple[Float64Array, Float64Array, Float64Array, float],
    second: tuple[Float64Array, Float64Array, Float64Array, float],
) -> tuple[Float64Array, Float64Array, Float64Array, float]:
    a1, b1, c1, d1 = first
    a2, b2, c2, d2 = second
    matrix_a = np.block([[a1, np.zeros((2, 2))], [np.outer(b2, c1), a2]])
    matrix_b = np.concatenate([b1, b2 * d1])
    matrix_c = np.concatenate([d2 * c1, c2])
    return matrix_a, matrix_b, matrix_c, d2 * d1


_MAX_SUB_BLOCKS = 128  # J: the state matrices grow as J^2
_MAX_PIECE_FRAMES = 3840
_MAX_CACHED_OPERATORS = 16


def _largest_divisor(frames: int, at_most: int) -> int:
    return max(d for d in range(1, min(frames, at_most) + 1) if frames % d == 0)


def _pieces(frames: int, max_sub_frames: int) -> list[int]:
    """Split a block so each piece is J sub-blocks of M samples with J, M small."""
    pieces: list[int] = []
    while frames > 0:
        if (
            frames <= _MAX_PIECE_FRAMES
            and frames // _largest_divisor(frames, max_sub_frames) <= _MAX_SUB_BLOCKS
        ):
            pieces.append(frames)
            break
        take = (
            min(_MAX_PIECE_FRAMES, frames - frames % max_sub_frames)
            if frames >= max_sub_frames
            else frames
        )
        pieces.append(take)
        frames -= take
    return pieces


@dataclass(frozen=True)
class _BlockOperator:
    """Matrices that filter a block of J sub-blocks of M samples in one go."""

    sub_frames: int  # M
    zero_state: Float64Array  # (M, M): y_zero = x_sub @ zero_state
    from_state: Float64Array  # (4, M): y_from_state = state @ from_state
    to_state: Float64Array  # (M, 4): u_j = x_sub_j @ to_state, what sub-block j adds to the state
    # State at the start of each sub-block and after the last, (J + 1) * 4 rows:
    # states = states_from_initial @ s0 + states_from_inputs @ u.ravel()
    states_from_initial: Float64Array  # ((J + 1) * 4, 4)
    states_from_inputs: Float64Array  # ((J + 1) * 4, J * 4)


class KWeightingFilter:
    """The K-weighting filter with state kept across blocks; float64 inside."""

    def __init__(self, sample_rate_hz: float = 48_000, max_sub_frames: int = 64) -> None:
        shelf, highpass = k_weighting_biquads(sample_rate_hz)
        self._a, self._b, self._c, self._d = _cascade(
            _biquad_state_space(*shelf), _biquad_state_space(*highpass)
        )
        self._max_sub_frames = max_sub_frames
        self._operators: dict[int, _BlockOperator] = {}
        self.state: Float64Array = np.zeros(4)

    def _operator(self, frames: int) -> _BlockOperator:
        op = self._operators.get(frames)
        if op is not None:
            return op
        if len(self._operators) >= _MAX_CACHED_OPERATORS:
            self._operators.clear()  # odd block sizes come and go; the usual ones return
        sub = _largest_divisor(frames, self._max_sub_frames)
        powers = [np.eye(4)]
        for _ in range(sub):
            powers.append(self._a @ powers[-1])
        impulse = np.array([self._d] + [self._c @ powers[j] @ self._b for j in range(sub - 1)])
        zero_state = np.zeros((sub, sub))
        for n in range(sub):
            zero_state[: n + 1, n] = impulse[n::-1]
        from_state = np.stack([self._c @ powers[n] for n in range(sub)], axis=1)
        to_state = np.stack([powers[sub - 1 - k] @ self._b for k in range(sub)], axis=0)
        # s_j = A^(Mj) s_0 + sum_{i<j} A^(M(j-1-i)) u_i, for j = 0..J.
        count = frames // sub
        step_powers = [np.eye(4)]
        for _ in range(count):
            step_powers.append(powers[sub] @ step_powers[-1])
        from_initial = np.concatenate(step_powers, axis=0)
        from_inputs = np.zeros(((count + 1) * 4, count * 4))
        for j in range(1, count + 1):
            for i in range(j):
                from_inputs[4 * j : 4 * j + 4, 4 * i : 4 * i + 4] = step_powers[j - 1 - i]
        op = _BlockOperator(sub, zero_state, from_state, to_state, from_initial, from_inputs)
        self._operators[frames] = op
        return op

    def process(self, samples: npt.NDArray[np.floating]) -> Float64Array:
        """Filter a 1-D block of any length; return the K-weighted block (float64)."""
        frames = samples.shape[0]
        out = np.empty(frames)
        position = 0
        for piece in _pieces(frames, self._max_sub_frames):
            out[position : position + piece] = self._process_piece(
                samples[position : position + piece]
            )
            position += piece
        return out

    def _process_piece(self, samples: npt.NDArray[np.floating]) -> Float64Array:
        op = self._operator(samples.shape[0])
        x = samples.astype(np.float64, copy=False).reshape(-1, op.sub_frames)
        inputs = (x @ op.to_state).reshape(-1)  # (J * 4,)
        states = (op.states_from_initial @ self.state + op.states_from_inputs @ inputs).reshape(
            -1, 4
        )
        self.state = states[-1].copy()
        y = x @ op.zero_state + states[:-1] @ op.from_state
        return y.reshape(-1)

    def reset(self) -> None:
        self.state = np.zeros(4)


def energy_to_lufs(mean_square: float) -> float:
    if mean_square <= 0.0:
        return LOUDNESS_FLOOR_LUFS
    return max(LOUDNESS_FLOOR_LUFS, _ABSOLUTE_OFFSET_DB + 10.0 * math.log10(mean_square))


class LoudnessMeter:
    """Momentary and short-term loudness (LUFS) of one mono stream, updated every 100 ms.

    Before a window has filled, it is the loudness of what has been heard so far.
    """

    BIN_S = 0.1
    MOMENTARY_BINS = 4
    SHORT_TERM_BINS = 30

    def __init__(self, sample_rate_hz: int = 48_000) -> None:
        self.sample_rate_hz = sample_rate_hz
        self._filter = KWeightingFilter(sample_rate_hz)
        self._bin_frames = round(sample_rate_hz * self.BIN_S)
        self._bin_energy = 0.0  # sum of squares in the bin being filled
        self._bin_filled = 0
        self._bins: deque[float] = deque(maxlen=self.SHORT_TERM_BINS)  # mean squares
        self.momentary_lufs = LOUDNESS_FLOOR_LUFS
        self.short_term_lufs = LOUDNESS_FLOOR_LUFS
        self.updates = 0  # completed 100 ms bins

    def update(self, samples: npt.NDArray[np.floating]) -> bool:
        """Feed a 1-D block; return True when the readings changed (a 100 ms bin closed)."""
        weighted = self._filter.process(samples)
        squares = weighted * weighted
        changed = False
        position = 0
        while position < squares.shape[0]:
            take = min(self._bin_frames - self._bin_filled, squares.shape[0] - position)
            self._bin_energy += float(squares[position : position + take].sum())
            self._bin_filled += take
            position += take
            if self._bin_filled == self._bin_frames:
                self._close_bin()
                changed = True
        return changed

    def _close_bin(self) -> None:
        self._bins.append(self._bin_energy / self._bin_frames)
        self._bin_energy = 0.0
        self._bin_filled = 0
        self.updates += 1
        bins = list(self._bins)
        recent = bins[-self.MOMENTARY_BINS :]
        self.momentary_lufs = energy_to_lufs(sum(recent) / len(recent))
        self.short_term_lufs = energy_to_lufs(sum(bins) / len(bins))

    def reset(self) -> None:
        self._filter.reset()
        self._bins.clear()
        self._bin_energy = 0.0
        self._bin_filled = 0
        self.momentary_lufs = self.short_term_lufs = LOUDNESS_FLOOR_LUFS
