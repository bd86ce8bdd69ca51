"""Our loudness and true-peak figures against ffmpeg's ebur128 and pyloudnorm, and the
true-peak limiter's promises: under the ceiling, same length, untouched when quiet, the same
whatever the block sizes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from audio.export_limiter import TruePeakLimiter
from audio.export_loudness import IntegratedLoudness, TruePeakMeter
from tests.recording.recordingkit import RATE_HZ, ebur128, read, tone


def _ours(samples: np.ndarray, block: int = 48_000) -> tuple[float, float]:
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    loudness = IntegratedLoudness(RATE_HZ, channels)
    meters = [TruePeakMeter() for _ in range(channels)]
    for start in range(0, samples.shape[0], block):
        part = samples[start : start + block]
        loudness.add(part)
        for channel, meter in enumerate(meters):
            meter.add(part if part.ndim == 1 else part[:, channel])
    return loudness.integrated_lufs, max(m.dbtp for m in meters)


def test_a_sine_reads_what_bs1770_says() -> None:
    """A 997 Hz sine at -20 dBFS on one channel: -23.01 LUFS (0 dBFS reads -3.01 LUFS)."""
    lufs, _ = _ours(tone(997, 10.0, 0.1))
    assert lufs == pytest.approx(-23.01, abs=0.02)
    stereo = np.stack([tone(997, 10.0, 0.1)] * 2, axis=1)
    assert _ours(stereo)[0] == pytest.approx(-20.0, abs=0.02)


def _signals(speech_recording: Path) -> dict[str, np.ndarray]:
    """Steady signals fade in: a jump out of digital silence rings in any interpolator, and
    each meter rings differently."""
    rng = np.random.default_rng(3)
    seconds = 12
    noise_left = rng.standard_normal(seconds * RATE_HZ) * 0.05
    bursts = np.sin(2 * np.pi * 0.4 * np.arange(seconds * RATE_HZ) / RATE_HZ) > 0.3
    fade = np.minimum(1.0, np.arange(5 * RATE_HZ) / (0.05 * RATE_HZ))
    fs_over_4 = 0.5 * fade * np.sin(np.pi / 2 * np.arange(5 * RATE_HZ) + np.pi / 4)
    return {
        "speech mix": read(speech_recording / "mix.flac"),
        "stereo noise, gated bursts": np.stack(
            [noise_left * bursts, rng.standard_normal(seconds * RATE_HZ) * 0.02 * bursts], axis=1
        ).astype(np.float32),
        "inter-sample peaks": fs_over_4.astype(np.float32),
        "8 kHz tone": (tone(8000, 5.0, 0.5) * fade).astype(np.float32),
    }


def test_our_figures_agree_with_ffmpeg_ebur128(speech_recording: Path, tmp_path: Path) -> None:
    for name, samples in _signals(speech_recording).items():
        path = tmp_path / "signal.wav"
        soundfile.write(path, samples, RATE_HZ, subtype="FLOAT")
        their_lufs, their_peak = ebur128(path)
        our_lufs, our_peak = _ours(samples)
        assert abs(our_lufs - their_lufs) <= 0.1, f"{name}: {our_lufs:.2f} vs ffmpeg {their_lufs}"
        # BS.1770's interpolator ripples by +-0.22 dB; ffmpeg prints one decimal
        assert abs(our_peak - their_peak) <= 0.35, f"{name}: {our_peak:.2f} vs ffmpeg {their_peak}"


def test_inter_sample_peaks_are_found() -> None:
    """fs/4 at 45 degrees: every sample is at A/sqrt(2), the wave reaches A between them."""
    fade = np.minimum(1.0, np.arange(RATE_HZ) / (0.05 * RATE_HZ))
    samples = (0.5 * fade * np.sin(np.pi / 2 * np.arange(RATE_HZ) + np.pi / 4)).astype(np.float32)
    _, true_peak = _ours(samples, block=1000)
    sample_peak = 20 * np.log10(np.abs(samples).max())
    assert true_peak == pytest.approx(-6.02, abs=0.15)
    assert true_peak - sample_peak > 2.8


def test_our_integrated_loudness_agrees_with_pyloudnorm(speech_recording: Path) -> None:
    import pyloudnorm  # 1-2 s to import (scipy): only here

    mix = read(speech_recording / "mix.flac").astype(np.float64)
    assert _ours(mix.astype(np.float32))[0] == pytest.approx(
        pyloudnorm.Meter(RATE_HZ).integrated_loudness(mix), abs=0.1
    )


def _limit(samples: np.ndarray, ceiling_dbtp: float, sizes: list[int]) -> np.ndarray:
    limiter = TruePeakLimiter(ceiling_dbtp)
    out: list[np.ndarray] = []
    position = 0
    index = 0
    while position < samples.shape[0]:
        size = sizes[index % len(sizes)]
        out.append(limiter.process(samples[position : position + size]))
        position += size
        index += 1
    out.append(limiter.flush())
    return np.concatenate(out)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    drive_db=st.floats(0.0, 18.0),
    sizes=st.lists(st.integers(100, 20_000), min_size=1, max_size=5),
)
def test_the_limiter_keeps_its_promises(seed: int, drive_db: float, sizes: list[int]) -> None:
    rng = np.random.default_rng(seed)
    frames = int(rng.integers(2_000, 40_000))
    t = np.arange(frames) / RATE_HZ
    bursts = 1.0 + 3.0 * (rng.random(frames) ** 20)  # rare sharp peaks, as in speech
    signal = (np.sin(2 * np.pi * rng.uniform(80, 4000) * t) * 0.3 * bursts).astype(np.float32)
    signal *= np.float32(10 ** (drive_db / 20))
    ceiling = -1.5
    out = _limit(signal, ceiling, sizes)
    assert out.shape == signal.shape
    # block sizes change nothing (but the rounding of a running sum)
    assert np.allclose(out, _limit(signal, ceiling, [48_000]), rtol=0, atol=1e-9)
    meter = TruePeakMeter()
    meter.add(out)
    assert meter.dbtp <= ceiling + 0.01
    assert np.all(np.abs(out) <= np.abs(signal) + 1e-9), "a limiter only turns down"


def test_a_quiet_signal_passes_untouched() -> None:
    quiet = tone(440, 3.0, 0.2)
    assert np.array_equal(_limit(quiet, -1.0, [7_777, 333]), quiet.astype(np.float64))
