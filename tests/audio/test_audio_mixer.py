"""The stage mixer: never past full scale, and a mix-minus without a trace of its source."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from audio.levels import db_to_gain
from audio.mixer import LimiterBank, Mixer
from tests.fixtures_audio import sine

FRAMES = 960  # the relay's 20 ms tick

blocks = hnp.arrays(
    np.float32,
    (4, FRAMES),
    elements=st.floats(-4.0, 4.0, width=32, allow_nan=False, allow_infinity=False),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(blocks, min_size=1, max_size=4), st.lists(st.floats(0.0, 8.0), min_size=4, max_size=4)
)
def test_no_output_ever_exceeds_full_scale(ticks: list[np.ndarray], gains: list[float]) -> None:
    mixer = Mixer(4)
    for source, gain in enumerate(gains):
        mixer.set_gain(source, gain)
    for block in ticks:
        result = mixer.mix(block)
        assert np.abs(result.mix).max() <= 1.0
        assert np.abs(result.mix_minus).max() <= 1.0
        assert result.mix.dtype == np.float32


def test_thirteen_loud_speakers_stay_under_the_ceiling_and_recover() -> None:
    mixer = Mixer(13, ceiling_db=-0.3, release_db_per_s=20.0)
    loud = np.stack([sine(200.0 + 50 * i, 0.02, 0.9) for i in range(13)])
    for _ in range(50):
        result = mixer.mix(loud)
        assert np.abs(result.mix).max() <= db_to_gain(-0.3) + 1e-7
    assert mixer.limiters.gains[0] < 0.2
    quiet = loud * 0.01
    for _ in range(150):  # 3 s: the gain comes back at 20 dB/s
        result = mixer.mix(quiet)
    assert mixer.limiters.gains[0] == pytest.approx(1.0)
    direct = quiet.astype(np.float64).sum(axis=0)
    assert np.allclose(result.mix, direct, atol=1e-6)  # untouched once recovered


@settings(max_examples=60, deadline=None)
@given(
    hnp.arrays(
        np.float32, (5, FRAMES), elements=st.floats(-0.125, 0.125, width=32, allow_nan=False)
    ),
    st.lists(st.floats(0.0, 1.3), min_size=5, max_size=5),
)
def test_mix_minus_is_the_mix_of_everyone_else(block: np.ndarray, gains: list[float]) -> None:
    """Below the limiter's ceiling, mix-minus i equals mixing the other sources directly."""
    mixer = Mixer(5)
    for source, gain in enumerate(gains):
        mixer.set_gain(source, gain)
    result = mixer.mix(block)
    weighted = block.astype(np.float64) * np.array(gains)[:, None]
    assert np.allclose(result.mix, weighted.sum(axis=0), atol=1e-6)
    for source in range(5):
        others = np.delete(weighted, source, axis=0).sum(axis=0)
        assert np.allclose(result.mix_minus[source], others, atol=1e-6)


def test_a_source_alone_leaves_exactly_nothing_in_its_mix_minus() -> None:
    mixer = Mixer(3)
    mixer.set_gain_db(1, -6.0)
    block = np.zeros((3, FRAMES), dtype=np.float32)
    block[1] = np.random.default_rng(5).uniform(-0.5, 0.5, FRAMES).astype(np.float32)
    result = mixer.mix(block)
    assert np.all(result.mix_minus[1] == 0.0)  # exactly, not approximately
    assert np.array_equal(result.mix_minus[0], result.mix)
    assert np.allclose(result.mix, block[1] * db_to_gain(-6.0), atol=1e-7)


def test_gain_zero_mutes_a_source_everywhere() -> None:
    mixer = Mixer(2)
    mixer.set_gain(0, 0.0)
    block = np.stack([sine(300.0, 0.02, 0.5), np.zeros(FRAMES, dtype=np.float32)])
    result = mixer.mix(block)
    assert not result.mix.any() and not result.mix_minus.any()
    with pytest.raises(ValueError):
        mixer.set_gain(0, -1.0)
    with pytest.raises(ValueError, match="expected"):
        mixer.mix(np.zeros((3, FRAMES), dtype=np.float32))


def test_limiter_attack_is_instant_and_release_is_gradual() -> None:
    bank = LimiterBank(1, ceiling_db=0.0, release_db_per_s=20.0)
    loud = np.full((1, FRAMES), 2.0)
    bank.process(loud.copy())
    assert bank.gains[0] == pytest.approx(0.5)
    out = bank.process(np.full((1, FRAMES), 0.1))
    # 20 ms of release at 20 dB/s = 0.4 dB, ramped across the block.
    assert out[0, 0] == pytest.approx(0.05)
    assert out[0, -1] == pytest.approx(0.1 * 0.5 * db_to_gain(0.4))
