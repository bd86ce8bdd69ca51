"""Momentary and short-term loudness, checked against pyloudnorm (imported here only: 1.1 s)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from audio.loudness import LOUDNESS_FLOOR_LUFS, KWeightingFilter, LoudnessMeter
from tests.fixtures_audio import Samples, sine, white_noise


def feed(meter: LoudnessMeter, signal: Samples, block_frames: int) -> None:
    for start in range(0, signal.shape[0] - block_frames + 1, block_frames):
        meter.update(signal[start : start + block_frames])


@pytest.fixture(scope="module")
def pyloudnorm_meter() -> Any:
    import pyloudnorm

    # "DeMan" is the filter design that reproduces the coefficients printed in BS.1770.
    return pyloudnorm.Meter(48_000, filter_class="DeMan")


def test_a_minus_20_dbfs_1khz_sine_reads_minus_23_lufs() -> None:
    meter = LoudnessMeter()
    feed(meter, sine(1000.0, 3.0, 0.1), 480)
    assert meter.momentary_lufs == pytest.approx(-23.01, abs=0.05)
    assert meter.short_term_lufs == pytest.approx(-23.01, abs=0.05)


@pytest.mark.parametrize("block_frames", [480, 960, 441])
def test_momentary_matches_pyloudnorm_over_the_same_400_ms(
    pyloudnorm_meter: Any, block_frames: int
) -> None:
    """From a fresh filter, the first 400 ms window equals BS.1770 on those samples."""
    noise = white_noise(0.4 + block_frames / 48_000, 0.1, seed=3)
    meter = LoudnessMeter()
    # Feed exactly 400 ms (the last block may be partial).
    feed(meter, noise[: 19_200 - 19_200 % block_frames], block_frames)
    meter.update(noise[19_200 - 19_200 % block_frames : 19_200])
    expected = pyloudnorm_meter.integrated_loudness(noise[:19_200].astype(np.float64))
    assert meter.momentary_lufs == pytest.approx(expected, abs=0.001)


def test_short_term_follows_the_last_3_s(pyloudnorm_meter: Any) -> None:
    """Loud noise then quiet: short-term is the mean over 3 s, momentary only the last 400 ms."""
    loud = white_noise(2.0, 0.2, seed=4)
    quiet = white_noise(2.0, 0.02, seed=5)
    signal = np.concatenate([loud, quiet])
    meter = LoudnessMeter()
    feed(meter, signal, 960)
    # pyloudnorm's integrated loudness gates; compute the ungated mean the same way instead.
    weighted = KWeightingFilter().process(signal)[-144_000:]  # one call, any length
    expected_short = -0.691 + 10 * np.log10(np.mean(weighted**2))
    assert meter.short_term_lufs == pytest.approx(expected_short, abs=0.01)
    expected_momentary = pyloudnorm_meter.integrated_loudness(quiet[-19_200:].astype(np.float64))
    assert meter.momentary_lufs == pytest.approx(expected_momentary, abs=0.1)
    assert meter.short_term_lufs > meter.momentary_lufs + 10


def test_updates_come_every_100_ms_and_silence_reads_the_floor() -> None:
    meter = LoudnessMeter()
    changes = [meter.update(np.zeros(480, dtype=np.float32)) for _ in range(40)]
    assert sum(changes) == 4 and changes[9] and not changes[8]
    assert meter.momentary_lufs == LOUDNESS_FLOOR_LUFS
