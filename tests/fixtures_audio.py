"""Test sounds made at test time: speech from espeak-ng (resampled by sox), tones, noise.

Everything is float32 mono at 48 kHz.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

RATE_HZ = 48_000
Samples = npt.NDArray[np.float32]

SENTENCES = (
    "Welcome to the room, everyone. Thanks for joining us tonight.",
    "Let's talk about the new release and what comes next for the project.",
    "If you want to speak, raise your hand and we will bring you up.",
)


def speech(text: str, folder: Path, name: str, words_per_minute: int = 160) -> Samples:
    """`text` spoken by espeak-ng, 48 kHz mono float32, leading/trailing silence trimmed."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} not found: apt-get install espeak-ng sox")
    raw = folder / f"{name}.espeak.wav"
    out = folder / f"{name}.wav"
    subprocess.run(
        ["espeak-ng", "-v", "en-us", "-s", str(words_per_minute), "-w", str(raw), text],
        check=True,
        capture_output=True,
        timeout=30,
    )
    subprocess.run(
        [
            "sox",
            str(raw),
            "-r",
            str(RATE_HZ),
            "-c",
            "1",
            "-b",
            "32",
            "-e",
            "floating-point",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    data, rate_hz = soundfile.read(out, dtype="float32", always_2d=False)
    assert rate_hz == RATE_HZ
    return trim(np.asarray(data, dtype=np.float32))


def trim(samples: Samples, threshold_db: float = -50.0) -> Samples:
    loud = np.flatnonzero(np.abs(samples) >= 10 ** (threshold_db / 20))
    return samples[loud[0] : loud[-1] + 1].copy()


def rms(samples: Samples) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


def scale_to_peak(samples: Samples, peak_db: float) -> Samples:
    return (samples * (10 ** (peak_db / 20) / np.abs(samples).max())).astype(np.float32)


def sine(freq_hz: float, seconds: float, peak: float) -> Samples:
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    return (peak * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def white_noise(seconds: float, level_rms: float, seed: int = 7) -> Samples:
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(round(seconds * RATE_HZ)) * level_rms).astype(np.float32)


@dataclass(frozen=True)
class Timeline:
    """A signal and where speech is in it (sample ranges, ground truth)."""

    signal: Samples
    speech_spans: tuple[tuple[int, int], ...]

    def truth(self, frame_frames: int) -> npt.NDArray[np.bool_]:
        """Per frame: is this frame inside a speech span (by its first sample)."""
        starts = np.arange(self.signal.shape[0] // frame_frames) * frame_frames
        inside = np.zeros(starts.shape[0], dtype=bool)
        for start, end in self.speech_spans:
            inside |= (starts >= start) & (starts < end)
        return inside


def speech_in_noise(
    utterances: list[Samples],
    snr_db: float,
    gap_s: float = 2.0,
    lead_s: float = 2.0,
    speech_rms_db: float = -26.0,
    seed: int = 11,
) -> Timeline:
    """Utterances separated by `gap_s`, over white noise at `snr_db` below the speech.

    The SNR compares the mean power of the utterances (pauses between words included) with
    the noise power, over the whole band.
    """
    parts: list[Samples] = [np.zeros(round(lead_s * RATE_HZ), dtype=np.float32)]
    spans: list[tuple[int, int]] = []
    position = parts[0].shape[0]
    speech_power = float(np.mean(np.concatenate(utterances).astype(np.float64) ** 2))
    gain = 10 ** (speech_rms_db / 20) / np.sqrt(speech_power)
    for utterance in utterances:
        scaled = (utterance * gain).astype(np.float32)
        spans.append((position, position + scaled.shape[0]))
        parts.append(scaled)
        gap = np.zeros(round(gap_s * RATE_HZ), dtype=np.float32)
        parts.append(gap)
        position += scaled.shape[0] + gap.shape[0]
    clean = np.concatenate(parts)
    noise = white_noise(clean.shape[0] / RATE_HZ, 10 ** ((speech_rms_db - snr_db) / 20), seed)
    return Timeline((clean + noise[: clean.shape[0]]).astype(np.float32), tuple(spans))
