"""Why a recording stopped by itself, in words a host can act on."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path

from audio.recording_files import SinkWriteError
from audio.recording_manifest import clock_text

_WHAT = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "your disk quota is used up",
    errno.EFBIG: "the file reached the largest size this system allows",
    errno.EROFS: "the disk became read-only",
    errno.EIO: "the disk reported an input/output error",
    errno.EACCES: "Roomcast may not write there",
}


@dataclass(frozen=True, slots=True)
class RecordingFailure:
    """Why the recording stopped by itself; `message` is meant for the host, as is."""

    message: str
    path: str
    errno: int | None
    recorded_s: float


def write_failure(exc: SinkWriteError, folder: Path, recorded_s: float) -> RecordingFailure:
    os_error = exc.os_error
    code = os_error.errno if os_error is not None else None
    try:
        relative = exc.path.relative_to(folder)
        where = str(relative) if relative.parts else str(folder)
    except ValueError:
        where = str(exc.path)
    what = _WHAT.get(code or -1)
    if what is None:
        reason = os_error.strerror if os_error is not None and os_error.strerror else exc.detail
        what = f"the system refused to write ({reason})"
    advice = (
        "Free some space before recording again"
        if code in (errno.ENOSPC, errno.EDQUOT)
        else "Check the disk before recording again"
    )
    message = (
        f"Recording stopped: {what} while writing {where}. Its first {clock_text(recorded_s)} "
        f"are kept in {folder}. {advice}; the room goes on."
    )
    return RecordingFailure(message, str(exc.path), code, recorded_s)


def folder_taken(folder: Path) -> RecordingFailure:
    return RecordingFailure(
        f"Recording not started: {folder} already holds a recording. "
        "Start the recording again (it gets a new folder).",
        str(folder),
        None,
        0.0,
    )


def internal_failure(exc: BaseException, folder: Path, recorded_s: float) -> RecordingFailure:
    return RecordingFailure(
        f"Recording stopped by an internal error ({exc!r}). Its first "
        f"{clock_text(recorded_s)} are kept in {folder}; please report this.",
        str(folder),
        None,
        recorded_s,
    )
