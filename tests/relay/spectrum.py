"""What a recording holds, by frequency: enough to tell which tones someone heard."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RATE_HZ = 48_000


def band_level_db(samples: npt.NDArray[np.float32], hz: float, width_hz: float = 15.0) -> float:
    """RMS level (dBFS) of the part of `samples` within ±width_hz of `hz`."""
    if samples.size < RATE_HZ // 10:
        return -200.0
    window = np.hanning(samples.size)
    spectrum = np.fft.rfft(samples * window)
    freqs = np.fft.rfftfreq(samples.size, 1 / RATE_HZ)
    band = (freqs > hz - width_hz) & (freqs < hz + width_hz)
    # Parseval with the Hann window's power gain (0.375) and the one-sided spectrum
    power = 2 * np.sum(np.abs(spectrum[band]) ** 2) / (samples.size**2 * 0.375)
    return float(10 * np.log10(max(power, 1e-20)))


def dominant_hz(samples: npt.NDArray[np.float32]) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1 / RATE_HZ)
    spectrum[freqs < 50] = 0
    return float(freqs[int(np.argmax(spectrum))])


def rms_db(samples: npt.NDArray[np.float32]) -> float:
    if samples.size == 0:
        return -200.0
    return float(10 * np.log10(max(float(np.mean(samples.astype(np.float64) ** 2)), 1e-20)))
