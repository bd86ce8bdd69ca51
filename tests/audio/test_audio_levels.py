"""Peak and RMS in dBFS, VU ballistics, the held peak and clip detection."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from audio.levels import (
    FLOOR_DB,
    ClipDetector,
    LevelMeter,
    PeakMeter,
    VuMeter,
    peak_dbfs,
    rms_dbfs,
)
from tests.fixtures_audio import sine


def test_full_scale_sine_reads_0_dbfs_peak_and_minus_3_rms() -> None:
    tone = sine(1000.0, 0.1, 1.0)
    assert peak_dbfs(tone) == pytest.approx(0.0, abs=0.01)
    assert rms_dbfs(tone) == pytest.approx(-10 * math.log10(2), abs=0.01)
    assert peak_dbfs(np.zeros(480, dtype=np.float32)) == FLOOR_DB
    assert rms_dbfs(np.zeros(0, dtype=np.float32)) == FLOOR_DB


def test_negative_peaks_count() -> None:
    block = np.zeros(480, dtype=np.float32)
    block[100] = -0.5
    assert peak_dbfs(block) == pytest.approx(20 * math.log10(0.5))


@pytest.mark.parametrize("block_s", [0.005, 0.01, 0.02])
def test_vu_reaches_99_percent_of_a_step_in_300_ms_whatever_the_block(block_s: float) -> None:
    vu = VuMeter(0.3)
    steps = round(0.3 / block_s)
    levels = [vu.update(1.0, block_s) for _ in range(steps)]
    assert 10 ** (levels[-1] / 20) == pytest.approx(0.99, abs=0.002)
    assert 10 ** (levels[steps // 2 - 1] / 20) < 0.9  # not there halfway
    assert all(b >= a for a, b in itertools.pairwise(levels))  # no overshoot


def test_vu_falls_back_with_the_same_ballistics() -> None:
    vu = VuMeter(0.3)
    for _ in range(100):
        vu.update(1.0, 0.01)
    for _ in range(30):
        vu.update(0.0, 0.01)
    assert 10 ** (vu.level_db / 20) == pytest.approx(0.01, abs=0.002)


def test_peak_meter_rises_at_once_holds_then_falls_at_its_rate() -> None:
    meter = PeakMeter(hold_s=0.5, fall_db_per_s=20.0)
    assert meter.update(-6.0, 0.01) == -6.0
    for _ in range(50):  # 0.5 s of quiet: still held
        shown = meter.update(-60.0, 0.01)
    assert shown == pytest.approx(-6.0, abs=1e-6)
    for _ in range(50):  # 0.5 s of falling at 20 dB/s
        shown = meter.update(-60.0, 0.01)
    assert shown == pytest.approx(-16.0, abs=0.01)
    assert meter.update(-3.0, 0.01) == -3.0  # a new peak wins at once


def test_clipping_is_a_run_at_full_scale_not_one_hot_sample() -> None:
    clip = ClipDetector(threshold_db=-0.1, min_run_samples=3, hold_s=1.0)
    block = sine(1000.0, 0.01, 0.5)
    block[10] = 0.995  # one sample near full scale: a peak, not a clip
    assert not clip.update(block, 0.995, 0.01)
    flat = sine(1000.0, 0.01, 2.0).clip(-1.0, 1.0)  # an overdriven sine, squared off
    assert clip.update(flat, 1.0, 0.01)
    quiet = sine(1000.0, 0.01, 0.1)
    for _ in range(99):
        assert clip.update(quiet, 0.1, 0.01)  # the flag holds for hold_s
    assert not clip.update(quiet, 0.1, 0.01)
    over = quiet.copy()
    over[5] = 1.2  # a float over full scale clips on the way out
    assert clip.update(over, 1.2, 0.01)
    assert clip.clip_events == 2


def test_level_meter_reading_of_a_steady_tone() -> None:
    meter = LevelMeter(48_000)
    tone = sine(1000.0, 1.0, 10 ** (-20 / 20))
    for start in range(0, tone.shape[0], 960):
        reading = meter.update(tone[start : start + 960])
    assert reading.peak_db == pytest.approx(-20.0, abs=0.01)
    assert reading.rms_db == pytest.approx(-23.01, abs=0.01)
    assert reading.vu_db == pytest.approx(-23.01, abs=0.05)
    assert reading.peak_hold_db == pytest.approx(-20.0, abs=0.01)
    assert not reading.clipping
