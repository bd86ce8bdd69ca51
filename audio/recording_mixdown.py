"""The recording's mix rendered again from its tracks (after a speaker's removal, or when a
crash left the mix unreadable): their sum through the live mix's limiter, tick by tick."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile

from audio.mixer import LimiterBank
from audio.recording_files import to_pcm16
from audio.recording_manifest import Manifest

_CHUNK_TICKS = 200  # 4 s


def render_mix(
    folder: Path, manifest: Manifest, out_path: Path, total_frames: int | None = None
) -> int:
    """Write the limited sum of the manifest's tracks to `out_path` (16-bit FLAC) and return
    its length in frames: `total_frames`, else the longest track, else (no tracks left) the
    current mix's length, as silence."""
    rate = manifest.sample_rate_hz
    tick = manifest.tick_frames
    sources = [soundfile.SoundFile(folder / t.file) for t in manifest.tracks]
    try:
        if total_frames is not None:
            total = total_frames
        elif sources:
            total = max(s.frames for s in sources)
        else:
            total = soundfile.info(str(folder / manifest.mix_file)).frames
        limiter = LimiterBank(1, rate)
        written = 0
        with soundfile.SoundFile(out_path, "w", rate, 1, "PCM_16", format="FLAC") as out:
            while written < total:
                frames = min(_CHUNK_TICKS * tick, total - written)
                mix = np.zeros(frames)
                for source in sources:
                    block = source.read(frames, dtype="float64")
                    mix[: block.shape[0]] += block
                if float(np.abs(mix).max(initial=0.0)) > limiter.ceiling or np.any(
                    limiter.gains != 1.0
                ):
                    for start in range(0, frames, tick):  # as the live mix: tick by tick
                        part = mix[start : start + tick]
                        part[:] = limiter.process(part[None, :].copy())[0]
                out.write(to_pcm16(mix))
                written += frames
        with open(out_path, "rb+") as handle:
            os.fsync(handle.fileno())
        return written
    finally:
        for source in sources:
            source.close()
