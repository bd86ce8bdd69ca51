"""A full disk stops the recording, not the room: the writer says so in words a host can act
on, keeps what it wrote, and write_tick keeps returning at once."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from audio.recording import RecordingWriter
from audio.recording_failure import RecordingFailure
from audio.recording_files import FlacSink, SinkWriteError
from audio.recording_recovery import recover
from tests.recording.recordingkit import RATE_HZ, TICK, ffprobe, manifest, read

CHILD = Path(__file__).with_name("tick_child.py")


class _DiskFillsUp(FlacSink):
    """Writes until the disk holds `room` more writes in all files, then ENOSPC."""

    room = 0

    def write(self, samples: np.ndarray) -> None:
        if _DiskFillsUp.room <= 0:
            raise SinkWriteError(self.path, OSError(errno.ENOSPC, "No space left on device"))
        _DiskFillsUp.room -= 1
        super().write(samples)


def test_a_full_disk_stops_the_recording_with_a_clear_message(tmp_path: Path) -> None:
    _DiskFillsUp.room = 3 * 2  # three batches of 10 ticks (the track and the mix), then full
    failures: list[RecordingFailure] = []
    writer = RecordingWriter(tmp_path / "rec", sink_factory=_DiskFillsUp, on_error=failures.append)
    block = (np.ones(TICK) * 0.1).astype(np.float32)
    for tick in range(40):
        writer.write_tick(tick, {"ana": block}, wait=True)
    deadline = time.monotonic() + 10
    # `error` is set first (write_tick stops queueing at once), `on_error` runs last: wait for both.
    while (writer.error is None or not failures) and time.monotonic() < deadline:
        time.sleep(0.01)
    error = writer.error
    assert error is not None
    assert error.errno == errno.ENOSPC
    assert error.message.startswith("Recording stopped: the disk is full while writing ")
    assert "Free some space" in error.message and "the room goes on" in error.message
    assert str(tmp_path / "rec") in error.message
    assert failures == [error], "on_error is called once"

    started = time.perf_counter()
    for tick in range(40, 540):  # ten more seconds of room: nothing queues, nothing waits
        writer.write_tick(tick, {"ana": block})
    assert (time.perf_counter() - started) / 500 < 0.0002
    assert writer.queued_ticks == 0
    writer.stop()
    assert writer.wait_closed(10)
    info = manifest(tmp_path / "rec")
    assert info["state"] == "failed" and info["error"] == error.message
    assert recover(tmp_path / "rec").recovered
    kept = read(tmp_path / "rec" / "mix.flac")
    written = round(error.recorded_s * RATE_HZ)
    assert written >= 10 * TICK
    # what was written before the disk filled is kept (libFLAC may still hold one block)
    assert written - 4096 <= kept.shape[0] <= written
    assert np.allclose(kept, 0.1, atol=1e-3)


def test_a_real_file_size_limit_stops_the_recording_and_the_folder_recovers(tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes the kernel refuse writes past 60 kB, the way a full disk would."""
    folder = tmp_path / "rec"
    child = subprocess.run(
        [sys.executable, str(CHILD), str(folder), "--file-size-limit", "60000", "--ticks", "500"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert child.returncode == 0, child.stderr
    lines = [line for line in child.stdout.splitlines() if line.startswith("error ")]
    assert lines, f"the writer never reported the failure:\n{child.stdout[-500:]}"
    report = json.loads(lines[0].removeprefix("error "))
    assert report["errno"] == errno.EFBIG
    assert "the file reached the largest size this system allows" in report["message"]
    assert report["slowest_write_tick_s"] < 0.005, "write_tick kept returning at once"
    last_tick = max(
        int(line.split()[1]) for line in child.stdout.splitlines() if line.startswith("tick")
    )
    assert last_tick < 499, "the recording stopped before the room did"

    result = recover(folder)
    assert result.recovered
    assert abs(result.duration_s - report["recorded_s"]) < 1.0
    for path in [folder / "mix.flac", *(folder / t["file"] for t in manifest(folder)["tracks"])]:
        assert read(path).shape[0] == round(result.duration_s * RATE_HZ)
        assert ffprobe(path)["streams"][0]["codec_name"] == "flac"
