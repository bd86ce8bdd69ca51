"""Encoding the rendered mixdown: formats, chapters, and two encoders.

PyAV (the FFmpeg libraries in its wheel) encodes every format, in this process, on a thread of
its own: the codec calls release the GIL, so the encode of one block overlaps the DSP of the
next. It is what a frozen build ships, and it needs no program installed beside Roomcast.

The `ffmpeg` program, when one is installed, encodes MP3 instead: the LAME in PyAV's wheel is
built without its assembly (measured here: 2.9 s of CPU for 2 minutes of stereo at 128 kbit/s
against 0.9 s for Debian's), so an hour of stereo MP3 takes about 90 s through PyAV and about
30 s through ffmpeg. The samples go to it through a pipe as 32-bit float; chapters and tags
through an FFMETADATA file. Everything else is identical, and both are tested.

Chapters: MP3 gets ID3v2 CHAP/CTOC frames, M4A a QuickTime chapter track, Ogg Opus and FLAC
CHAPTERnnn Vorbis comments (what FFmpeg reads back as chapters); WAV has none (the side files
carry them).
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Literal, Protocol

import av
import numpy as np
import numpy.typing as npt

Float64Array = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
EncoderChoice = Literal["auto", "pyav", "ffmpeg"]


class EncodeError(Exception):
    """The encoder failed; `os_error` holds the cause when the OS gave one."""

    def __init__(self, message: str, os_error: OSError | None = None) -> None:
        super().__init__(message)
        self.os_error = os_error


@dataclass(frozen=True, slots=True)
class FormatSpec:
    name: str
    extension: str
    codec: str
    container: str  # FFmpeg muxer
    sample_format: str
    bitrate_kbps: tuple[int, int] | None  # (mono, stereo); None: lossless
    chapters: Literal["container", "vorbis_comment", "none"]
    container_options: tuple[tuple[str, str], ...] = ()

    @property
    def lossy(self) -> bool:
        return self.bitrate_kbps is not None

    def bitrate_for(self, channels: int) -> int | None:
        return None if self.bitrate_kbps is None else self.bitrate_kbps[min(channels, 2) - 1]


FORMATS: dict[str, FormatSpec] = {
    "mp3": FormatSpec("mp3", ".mp3", "libmp3lame", "mp3", "fltp", (96, 128), "container"),
    "m4a": FormatSpec(
        "m4a", ".m4a", "aac", "ipod", "fltp", (96, 128), "container", (("movflags", "+faststart"),)
    ),
    "opus": FormatSpec("opus", ".opus", "libopus", "ogg", "flt", (64, 96), "container"),
    "flac": FormatSpec("flac", ".flac", "flac", "flac", "s16", None, "vorbis_comment"),
    "wav": FormatSpec("wav", ".wav", "pcm_s16le", "wav", "s16", None, "none"),
}


@dataclass(frozen=True, slots=True)
class Chapter:
    start_s: float
    end_s: float
    title: str


class AudioEncoder(Protocol):
    name: str

    def write(self, block: Float64Array) -> None:
        """A (frames, channels) float block, full scale 1.0."""

    def close(self) -> None:
        """Finish the file; raises EncodeError if anything failed."""

    def abort(self) -> None:
        """Stop without finishing (the caller deletes the file)."""


def _vorbis_chapters(chapters: list[Chapter]) -> dict[str, str]:
    tags: dict[str, str] = {}
    for number, chapter in enumerate(chapters):
        whole = int(chapter.start_s)
        millis = round((chapter.start_s - whole) * 1000)
        if millis == 1000:
            whole, millis = whole + 1, 0
        stamp = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}.{millis:03d}"
        tags[f"CHAPTER{number:03d}"] = stamp
        tags[f"CHAPTER{number:03d}NAME"] = chapter.title
    return tags


def _to_samples(block: Float64Array, sample_format: str) -> npt.NDArray[Any]:
    if sample_format == "s16":
        scaled = np.clip(np.rint(block * 32767.0), -32768.0, 32767.0)
        return scaled.astype(np.int16).reshape(1, -1)  # interleaved
    if sample_format == "flt":
        return block.astype(np.float32).reshape(1, -1)
    return np.ascontiguousarray(block.T, dtype=np.float32)  # fltp: one row per channel


class PyAvEncoder:
    """Runs on: its own thread for the codec; `write` blocks only when it is 4 blocks behind."""

    name = "pyav"

    def __init__(
        self,
        path: Path,
        spec: FormatSpec,
        channels: int,
        sample_rate_hz: int,
        chapters: list[Chapter],
        metadata: Mapping[str, str],
    ) -> None:
        self._spec = spec
        self._layout = "mono" if channels == 1 else "stereo"
        self._rate = sample_rate_hz
        try:
            self._container: Any = av.open(
                str(path), "w", format=spec.container, options=dict(spec.container_options)
            )
        except OSError as exc:
            raise EncodeError(f"could not create {path}: {exc.strerror or exc}", exc) from exc
        stream = self._container.add_stream(spec.codec, rate=sample_rate_hz, layout=self._layout)
        assert isinstance(stream, av.AudioStream)
        stream.codec_context.format = spec.sample_format
        bitrate = spec.bitrate_for(channels)
        if bitrate is not None:
            stream.bit_rate = bitrate * 1000
        self._stream = stream
        self._container.metadata.update(metadata)
        if chapters and spec.chapters == "container":
            self._container.set_chapters(
                [
                    {
                        "id": number + 1,
                        "start": round(c.start_s * 1000),
                        "end": round(c.end_s * 1000),
                        "time_base": Fraction(1, 1000),
                        "metadata": {"title": c.title},
                    }
                    for number, c in enumerate(chapters)
                ]
            )
        elif chapters and spec.chapters == "vorbis_comment":
            self._container.metadata.update(_vorbis_chapters(chapters))
        self._pts = 0
        self._queue: queue.Queue[Float64Array | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="export-encode", daemon=True)
        self._thread.start()

    def write(self, block: Float64Array) -> None:
        while True:
            if self._error is not None:
                raise self._wrapped()
            try:
                self._queue.put(block, timeout=0.1)
                return
            except queue.Full:
                continue

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                block = self._queue.get()
                if block is None:
                    for packet in self._stream.encode(None):
                        self._container.mux(packet)
                    break
                frame = av.AudioFrame.from_ndarray(
                    _to_samples(block, self._spec.sample_format),
                    format=self._spec.sample_format,
                    layout=self._layout,
                )
                frame.sample_rate = self._rate
                frame.pts = self._pts
                self._pts += block.shape[0]
                for packet in self._stream.encode(frame):
                    self._container.mux(packet)
        except BaseException as exc:
            self._error = exc  # the writer sees it within 0.1 s
        finally:
            try:
                self._container.close()
            except BaseException as exc:
                self._error = self._error or exc

    def _wrapped(self) -> EncodeError:
        error = self._error
        os_error = error if isinstance(error, OSError) else None
        reason = (os_error.strerror if os_error else None) or str(error)
        return EncodeError(f"encoding failed: {reason}", os_error)

    def close(self) -> None:
        while self._thread.is_alive() and self._error is None:
            try:
                self._queue.put(None, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None:
            raise self._wrapped()

    def abort(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(timeout=10)


def _ffmetadata(metadata: Mapping[str, str], chapters: list[Chapter]) -> str:
    def escape(text: str) -> str:
        for char in "\\=;#\n":
            text = text.replace(char, "\\" + char)
        return text

    lines = [";FFMETADATA1", *(f"{escape(k)}={escape(v)}" for k, v in metadata.items())]
    for chapter in chapters:
        lines += [
            "[CHAPTER]",
            "TIMEBASE=1/1000",
            f"START={round(chapter.start_s * 1000)}",
            f"END={round(chapter.end_s * 1000)}",
            f"title={escape(chapter.title)}",
        ]
    return "\n".join(lines) + "\n"


# Errors ffmpeg reports by their strerror text, which we turn back into an errno.
_FFMPEG_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EACCES, errno.EROFS)


class FfmpegEncoder:
    """The `ffmpeg` program fed through a pipe; it runs in its own process."""

    name = "ffmpeg"

    def __init__(
        self,
        path: Path,
        spec: FormatSpec,
        channels: int,
        sample_rate_hz: int,
        chapters: list[Chapter],
        metadata: Mapping[str, str],
        binary: str,
    ) -> None:
        self._path = path
        self._metadata_file = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed in close)
            "w", suffix=".ffmeta", encoding="utf-8", delete=False
        )
        with self._metadata_file:
            self._metadata_file.write(_ffmetadata(metadata, chapters))
        bitrate = spec.bitrate_for(channels)
        command = [
            binary, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "f32le", "-ar", str(sample_rate_hz), "-ac", str(channels), "-i", "pipe:0",
            "-f", "ffmetadata", "-i", self._metadata_file.name,
            "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1",
            "-c:a", spec.codec,
            *(["-b:a", f"{bitrate}k"] if bitrate else []),
            *(item for key, value in spec.container_options for item in (f"-{key}", value)),
            "-f", spec.container, str(path),
        ]  # fmt: skip
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close)
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr
        )

    def _failure(self) -> EncodeError:
        self._process.wait()
        self._stderr.seek(0)
        said = self._stderr.read().decode("utf-8", "replace").strip().splitlines()
        tail = said[-1] if said else f"exit status {self._process.returncode}"
        codes = [code for code in _FFMPEG_ERRNOS if os.strerror(code) in tail]
        if self._process.returncode == -getattr(signal, "SIGXFSZ", -1):
            codes.append(errno.EFBIG)  # killed for growing past the file-size limit
        os_error = OSError(codes[0], os.strerror(codes[0])) if codes else None
        return EncodeError(f"ffmpeg could not encode {self._path.name}: {tail}", os_error)

    def write(self, block: Float64Array) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(block.astype("<f4").tobytes())
        except (BrokenPipeError, ValueError):
            raise self._failure() from None

    def close(self) -> None:
        assert self._process.stdin is not None
        try:
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.close()
            if self._process.wait() != 0:
                raise self._failure()
        finally:
            self._cleanup()

    def abort(self) -> None:
        self._process.kill()
        self._process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        self._stderr.close()
        with contextlib.suppress(OSError):
            Path(self._metadata_file.name).unlink()


def open_encoder(
    path: Path,
    spec: FormatSpec,
    channels: int,
    sample_rate_hz: int,
    chapters: list[Chapter],
    metadata: Mapping[str, str],
    choice: EncoderChoice = "auto",
) -> AudioEncoder:
    """`auto`: the ffmpeg program for MP3 when there is one (its LAME is faster), else PyAV."""
    binary = shutil.which("ffmpeg")
    use_ffmpeg = choice == "ffmpeg" or (choice == "auto" and spec.name == "mp3" and binary)
    if use_ffmpeg:
        if binary is None:
            raise EncodeError("the ffmpeg program is not installed; use the built-in encoder")
        return FfmpegEncoder(path, spec, channels, sample_rate_hz, chapters, metadata, binary)
    return PyAvEncoder(path, spec, channels, sample_rate_hz, chapters, metadata)


def decode_chunks(
    path: Path, sample_rate_hz: int = 48_000, chunk_frames: int = 48_000 * 4
) -> Iterator[Float32Array]:
    """Any audio file as (frames, channels) float32 at `sample_rate_hz`, in chunks of about
    `chunk_frames` (for checking what an export really holds)."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        channels = min(stream.codec_context.channels, 2)
        resampler = av.AudioResampler(
            format="flt", layout="mono" if channels == 1 else "stereo", rate=sample_rate_hz
        )
        pending: list[Float32Array] = []
        pending_frames = 0
        frames: Iterator[Any] = container.decode(stream)
        for frame in _with_end(frames):
            for out in resampler.resample(frame):
                block = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1, channels)
                pending.append(block)
                pending_frames += block.shape[0]
            if pending and (pending_frames >= chunk_frames or frame is None):
                yield np.concatenate(pending)
                pending, pending_frames = [], 0


def _with_end(frames: Iterator[Any]) -> Iterator[Any]:
    """The frames, then None (which flushes the resampler)."""
    yield from frames
    yield None
