"""The export's signal passes: measure, render (gain, true-peak limiter, encoder), check the
file, and probe how much loudness a lossy codec takes away.

Every pass streams the mix in 4 s blocks, so an hour costs the same memory as a minute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Event

import numpy as np
import numpy.typing as npt
import soundfile

from audio.export_encode import AudioEncoder, EncoderChoice, FormatSpec, decode_chunks, open_encoder
from audio.export_limiter import TruePeakLimiter
from audio.export_loudness import IntegratedLoudness, TruePeakMeter
from audio.recording_files import FlacSink, to_pcm16
from audio.recording_repair import DamagedAudio

Float32Array = npt.NDArray[np.float32]
Float64Array = npt.NDArray[np.float64]
Progress = Callable[[float], None]

CHUNK_FRAMES = 48_000 * 4
PROBE_S = 60.0
PROBE_PIECES = 6


class ExportError(Exception):
    """The export failed; the message says what happened and what to do."""


class ExportCancelled(ExportError):
    pass


class Stages:
    """Maps each stage's own 0..1 onto the overall 0..1 (never backwards); checks `cancel`."""

    def __init__(self, progress: Progress | None, cancel: Event | None) -> None:
        self._progress = progress
        self._cancel = cancel
        self._low, self._high = 0.0, 0.0
        self._last = 0.0

    def enter(self, low: float, high: float) -> None:
        self._low, self._high = low, high
        self.report(0.0)

    def report(self, fraction: float) -> None:
        if self._cancel is not None and self._cancel.is_set():
            raise ExportCancelled("Export cancelled; nothing was written.")
        value = self._low + (self._high - self._low) * min(1.0, max(0.0, fraction))
        if self._progress is not None and (
            value - self._last >= 0.005 or (value >= 1.0 > self._last)
        ):
            self._last = value
            self._progress(value)


def read_blocks(path: Path, stages: Stages | None = None) -> Iterator[Float32Array]:
    """A mono file in CHUNK_FRAMES blocks (float32), reporting progress through it."""
    try:
        info = soundfile.info(str(path))
        expected, rate = int(info.frames), int(info.samplerate)
        total = max(1, expected)
        done = 0
        for block in soundfile.blocks(str(path), blocksize=CHUNK_FRAMES, dtype="float32"):
            yield block
            done += block.shape[0]
            if stages is not None:
                stages.report(done / total)
    except (soundfile.LibsndfileError, RuntimeError) as exc:  # LibsndfileError: a RuntimeError
        raise DamagedAudio(path, str(exc).strip()) from exc
    if done < expected:
        raise DamagedAudio(path, f"it ends {(expected - done) / rate:.1f} s early")


def measure(blocks: Iterable[Float32Array]) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) of a mono stream."""
    loudness = IntegratedLoudness()
    peak = TruePeakMeter()
    for block in blocks:
        loudness.add(block)
        peak.add(block)
    return loudness.integrated_lufs, peak.dbtp


@dataclass(frozen=True, slots=True)
class Rendered:
    lufs: float  # integrated, on all channels
    true_peak_dbtp: float
    max_reduction_db: float  # the limiter's deepest gain reduction


def render(
    blocks: Iterable[Float32Array],
    rate: int,
    gain_db: float,
    ceiling_dbtp: float,
    channels: int,
    sink: Callable[[Float64Array], None] | None = None,
) -> Rendered:
    """Gain and limit a mono stream, measure it, hand it to `sink` as (frames, channels)."""
    gain = 10.0 ** (gain_db / 20.0)
    limiter = TruePeakLimiter(ceiling_dbtp, rate)
    loudness = IntegratedLoudness(rate, channels)
    peak = TruePeakMeter()

    def emit(mono: Float64Array) -> None:
        if mono.size == 0:
            return
        loudness.add_copies(mono, channels)
        peak.add(mono)
        if sink is not None:
            sink(mono[:, None] if channels == 1 else np.repeat(mono[:, None], channels, axis=1))

    for block in blocks:
        emit(limiter.process(block * gain))
    emit(limiter.flush())
    return Rendered(loudness.integrated_lufs, peak.dbtp, limiter.max_reduction_db)


def limited_loudness(
    blocks: Iterable[Float32Array],
    rate: int,
    gains_db: Sequence[float],
    ceiling_dbtp: float,
    channels: int,
) -> list[float]:
    """Integrated loudness after gain and limiter, for several gains in one pass."""
    limiters = [TruePeakLimiter(ceiling_dbtp, rate) for _ in gains_db]
    meters = [IntegratedLoudness(rate, channels) for _ in gains_db]
    gains = [10.0 ** (g / 20.0) for g in gains_db]
    for block in blocks:
        for limiter, meter, gain in zip(limiters, meters, gains, strict=True):
            meter.add_copies(limiter.process(block * gain), channels)
    for limiter, meter in zip(limiters, meters, strict=True):
        meter.add_copies(limiter.flush(), channels)
    return [m.integrated_lufs for m in meters]


def encode(
    blocks: Iterable[Float32Array],
    encoder: AudioEncoder,
    rate: int,
    gain_db: float,
    ceiling_dbtp: float,
    channels: int,
) -> Rendered:
    """`render` into an encoder; the encoder is closed (or aborted on any failure)."""
    try:
        rendered = render(blocks, rate, gain_db, ceiling_dbtp, channels, encoder.write)
        encoder.close()
    except BaseException:
        encoder.abort()
        raise
    return rendered


def measure_file(
    path: Path, rate: int, expected_frames: int, stages: Stages | None = None
) -> tuple[float, float]:
    """Loudness and true peak (largest of the channels) of what a file holds, decoded as a
    player decodes it."""
    loudness: IntegratedLoudness | None = None
    peaks: list[TruePeakMeter] = []
    done = 0
    for chunk in decode_chunks(path, rate):
        if loudness is None:
            loudness = IntegratedLoudness(rate, chunk.shape[1])
            peaks = [TruePeakMeter() for _ in range(chunk.shape[1])]
        loudness.add(chunk)
        for channel, meter in enumerate(peaks):
            meter.add(chunk[:, channel])
        done += chunk.shape[0]
        if stages is not None and done % CHUNK_FRAMES < chunk.shape[0]:
            stages.report(done / max(1, expected_frames))
    if loudness is None:
        raise ExportError(f"The export {path.name} holds no audio after encoding.")
    return loudness.integrated_lufs, max(m.dbtp for m in peaks)


def excerpt(path: Path, seconds: float = PROBE_S, pieces: int = PROBE_PIECES) -> Float32Array:
    """`pieces` stretches spread evenly over the file, `seconds` in all (the whole file when
    it is shorter): enough of the programme to see what a codec does to it."""
    with soundfile.SoundFile(str(path)) as source:
        total, rate = source.frames, source.samplerate
        if total <= seconds * rate:
            return np.asarray(source.read(dtype="float32"), dtype=np.float32)
        piece = int(seconds * rate / pieces)
        parts: list[Float32Array] = []
        for number in range(pieces):
            source.seek(int((total - piece) * (number + 0.5) / pieces))
            parts.append(np.asarray(source.read(piece, dtype="float32"), dtype=np.float32))
        return np.concatenate(parts)


def codec_loudness_change(
    samples: Float32Array,
    probe_path: Path,
    spec: FormatSpec,
    rate: int,
    gain_db: float,
    ceiling_dbtp: float,
    channels: int,
    choice: EncoderChoice,
) -> float:
    """How many LU the codec adds to this programme (negative: the file reads quieter).

    LAME at 96-160 kbit/s, for one, loses about 0.5 LU on speech and even on a plain sine.
    """
    blocks = [samples[i : i + CHUNK_FRAMES] for i in range(0, samples.shape[0], CHUNK_FRAMES)]
    try:
        sink = open_encoder(probe_path, spec, channels, rate, [], {}, choice)
        rendered = encode(blocks, sink, rate, gain_db, ceiling_dbtp, channels)
        file_lufs, _ = measure_file(probe_path, rate, samples.shape[0])
    finally:
        with contextlib.suppress(OSError):
            probe_path.unlink()
    return file_lufs - rendered.lufs


def render_stem(
    track: Path, stem: Path, rate: int, gain_db: float, ceiling_dbtp: float, stages: Stages
) -> None:
    """One speaker's track at the mixdown's gain, through the same limiter, as 16-bit FLAC."""
    gain = 10.0 ** (gain_db / 20.0)
    limiter = TruePeakLimiter(ceiling_dbtp, rate)
    sink = FlacSink(stem, rate)
    try:
        for block in read_blocks(track, stages):
            out = limiter.process(block * gain)
            if out.size:
                sink.write(to_pcm16(out))
        sink.write(to_pcm16(limiter.flush()))
        sink.close()
    except BaseException:
        sink.abandon()
        raise
