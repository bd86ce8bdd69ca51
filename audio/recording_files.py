"""The files of a recording: FLAC written incrementally, read back tolerantly, and a folder lock.

FLAC is written through libsndfile with our own file object (soundfile's virtual I/O), so that
every OS error (a full disk, a file-size limit) is caught with its errno instead of libsndfile's
"System error.", and so that we can fsync. libFLAC keeps at most one block (4096 samples,
85 ms) in memory; everything else is in the kernel as soon as `write` returns, so a killed
process loses that block and whatever the writer had not yet handed over.

A file cut short by a crash has a header that says "length unknown" and may end in half a
frame: libsndfile refuses it, FFmpeg (PyAV) decodes every whole frame. `read_tolerant` uses
PyAV for that reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np
import numpy.typing as npt
import soundfile

from audio.recording_manifest import LOCK_NAME

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; recovery trusts the manifest alone
    fcntl = None  # type: ignore[assignment]

Int16Array = npt.NDArray[np.int16]
Float32Array = npt.NDArray[np.float32]


class SinkWriteError(Exception):
    """Writing a recording file failed; `os_error` holds the cause when the OS gave one."""

    def __init__(self, path: Path, os_error: OSError | None, detail: str = "") -> None:
        self.path = path
        self.os_error = os_error
        self.detail = detail or "unknown error"
        reason = os_error.strerror if os_error and os_error.strerror else self.detail
        super().__init__(f"could not write {path}: {reason}")


class TrackSink(Protocol):
    """Where one mono track goes. Runs on: the recording's writer thread."""

    def write(self, samples: Int16Array) -> None: ...

    def sync(self) -> None: ...

    def close(self) -> None: ...


class _CheckedFile:
    """The file object libsndfile writes through: positional I/O on a raw descriptor, and the
    first OSError kept for the caller (a callback cannot raise through C)."""

    def __init__(self, path: Path) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        self.position = 0
        self.size = 0
        self.error: OSError | None = None

    def write(self, data: bytes) -> int:
        if self.error is not None:
            return 0
        view = memoryview(data)
        done = 0
        try:
            while done < len(view):
                done += os.pwrite(self.fd, view[done:], self.position + done)
        except OSError as exc:
            self.error = exc
        self.position += done
        self.size = max(self.size, self.position)
        return done

    def read(self, count: int) -> bytes:
        data = os.pread(self.fd, count, self.position)
        self.position += len(data)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            self.position = offset
        elif whence == os.SEEK_CUR:
            self.position += offset
        else:
            self.position = self.size + offset
        return self.position

    def tell(self) -> int:
        return self.position


class FlacSink:
    """One mono 16-bit FLAC file, written incrementally. Runs on: the writer thread."""

    def __init__(self, path: Path, sample_rate_hz: int) -> None:
        self.path = path
        self._file = _CheckedFile(path)
        try:
            self._sound: Any = soundfile.SoundFile(
                self._file, "w", sample_rate_hz, 1, "PCM_16", format="FLAC"
            )
        except Exception as exc:
            os.close(self._file.fd)
            raise self._failure(exc) from exc
        self._closed = False

    def _failure(self, exc: BaseException | None) -> SinkWriteError:
        if isinstance(exc, OSError):
            return SinkWriteError(self.path, exc)
        return SinkWriteError(self.path, self._file.error, str(exc) if exc else "")

    def write(self, samples: Int16Array) -> None:
        try:
            self._sound.write(samples)
        except Exception as exc:
            raise self._failure(exc) from exc
        if self._file.error is not None:
            raise self._failure(None)

    def sync(self) -> None:
        try:
            os.fsync(self._file.fd)
        except OSError as exc:
            raise SinkWriteError(self.path, exc) from exc

    def close(self) -> None:
        """Finish the file (libFLAC writes its last block and the header's length)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._sound.close()
            if self._file.error is not None:
                raise self._failure(None)
            os.fsync(self._file.fd)
        except SinkWriteError:
            raise
        except Exception as exc:
            raise self._failure(exc) from exc
        finally:
            os.close(self._file.fd)

    def abandon(self) -> None:
        """Close after a failure without caring whether the last write lands."""
        with contextlib.suppress(Exception):
            self.close()


@contextlib.contextmanager
def replacing(path: Path, suffix: str) -> Iterator[Path]:
    """A file beside `path` (named `path` + `suffix`) to write the new version into: when
    the block ends it is fsynced and renamed over `path` (all or nothing, even across a
    crash); if the block fails it is removed and `path` is left as it was."""
    temporary = path.with_name(path.name + suffix)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def to_pcm16(samples: npt.NDArray[np.floating]) -> Int16Array:
    """Float (full scale 1.0) to 16-bit, clipped: libsndfile would wrap values past 1.0."""
    scaled: Float32Array = np.rint(np.asarray(samples, dtype=np.float32) * 32767.0)
    np.clip(scaled, -32768.0, 32767.0, out=scaled)
    return scaled.astype(np.int16)


def read_tolerant(path: Path, chunk_frames: int = 48_000 * 10) -> Iterator[Int16Array]:
    """Mono 16-bit samples of a FLAC file, in chunks, up to the last frame that decodes.

    Works on files cut short by a crash. Raises OSError/av.FFmpegError when the file cannot be
    opened at all (missing, empty, no FLAC header).
    """
    container = av.open(str(path))
    try:
        pending: list[Int16Array] = []
        pending_frames = 0
        stream = container.streams.audio[0]
        demuxed = container.demux(stream)
        while True:
            try:
                packet = next(demuxed)
                frames = packet.decode()
            except StopIteration:
                break
            except av.FFmpegError:
                break  # a half-written last frame: keep what came before
            for frame in frames:
                data = frame.to_ndarray()
                mono = data[0] if data.ndim == 2 and data.shape[0] == 1 else data.reshape(-1)
                pending.append(_as_int16(mono))
                pending_frames += mono.shape[0]
            if pending_frames >= chunk_frames:
                yield np.concatenate(pending)
                pending, pending_frames = [], 0
        if pending:
            yield np.concatenate(pending)
    finally:
        container.close()


def _as_int16(samples: npt.NDArray[Any]) -> Int16Array:
    if samples.dtype == np.int16:
        return samples
    if samples.dtype == np.int32:
        return (samples >> 16).astype(np.int16)
    return to_pcm16(samples)


class FolderLock:
    """An exclusive advisory lock on a recording folder while a writer owns it.

    The kernel drops it when the process dies (even by kill -9), which is how recovery tells a
    crashed recording from one that is still being written.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        """True when we hold the lock now; False when another writer holds it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def folder_is_busy(folder: Path) -> bool:
    """True when a writer (in any process) is recording into this folder right now."""
    if not (folder / LOCK_NAME).exists():
        return False
    lock = FolderLock(folder)
    try:
        if not lock.acquire():
            return True
    except OSError:
        return False
    lock.release()
    return False
