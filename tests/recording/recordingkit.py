"""Helpers for the recording and export tests: make recordings through the real writer, and
read files back with the real tools (soundfile, ffprobe, ffmpeg's ebur128)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import soundfile

from audio.recording import RecordingWriter

RATE_HZ = 48_000
TICK = 960
Samples = npt.NDArray[np.float32]


def record(
    folder: Path,
    tracks: Mapping[str, Samples],
    *,
    first_ticks: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
    markers: Sequence[tuple[int, str, str]] = (),
    title: str = "Test room",
    skipped_ticks: Sequence[int] = (),
) -> Path:
    """Write `tracks` (whole signals, same length) through a RecordingWriter, one tick at a
    time. A speaker is handed over from their first tick on; `skipped_ticks` are ticks the
    clock skips (never handed over)."""
    length = max(t.shape[0] for t in tracks.values()) // TICK
    writer = RecordingWriter(folder, room_id="room-1", room_title=title)
    for user_id, name in (names or {}).items():
        writer.set_participant(user_id, name)
    starts = dict(first_ticks or {})
    skipped = set(skipped_ticks)
    for tick in range(length):
        if tick in skipped:
            continue
        blocks = {
            user_id: signal[tick * TICK : (tick + 1) * TICK]
            for user_id, signal in tracks.items()
            if tick >= starts.get(user_id, 0)
        }
        writer.write_tick(tick, blocks, wait=True)
        for at, label, by in markers:
            if at == tick:
                writer.add_marker(at, label, by)
    writer.stop()
    assert writer.wait_closed(30)
    assert writer.error is None, writer.error
    return folder


def read(path: Path) -> Samples:
    data, rate = soundfile.read(str(path), dtype="float32")
    assert rate == RATE_HZ
    return np.asarray(data, dtype=np.float32)


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def ffprobe(path: Path) -> dict[str, Any]:
    said = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-show_chapters",
         "-of", "json", str(path)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return json.loads(said.stdout)


def ebur128(path: Path) -> tuple[float, float]:
    """ffmpeg's integrated loudness (LUFS) and true peak (dBTP) of a file."""
    said = subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-af", "ebur128=peak=true",
         "-f", "null", "-"],
        check=True, capture_output=True, text=True, timeout=120,
    ).stderr  # fmt: skip
    summary = said[said.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.inf]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def tone(freq_hz: float, seconds: float, peak: float) -> Samples:
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    return (peak * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def level_at(signal: Samples, freq_hz: float) -> float:
    """Magnitude (dB, relative) of the spectrum at `freq_hz` (Hann window)."""
    window = np.hanning(signal.shape[0])
    spectrum = np.abs(np.fft.rfft(signal * window))
    bins = np.fft.rfftfreq(signal.shape[0], 1 / RATE_HZ)
    near = np.abs(bins - freq_hz) < 5
    return float(20 * np.log10(spectrum[near].max() + 1e-12))
