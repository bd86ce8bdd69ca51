"""The recordings library: remove one speaker's audio on request (their track deleted, the mix
rendered again without them, an audit line kept), and retention after N days (off by default)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest

from audio.export import apply_retention, export, remove_speaker
from audio.recording import RecordingWriter
from audio.recording_manifest import RecordingFolderError
from tests.recording.recordingkit import RATE_HZ, TICK, level_at, manifest, read, record, tone


def _three_speakers(folder: Path) -> Path:
    return record(
        folder,
        {"ana": tone(440, 4.0, 0.3), "ben": tone(1000, 4.0, 0.3), "cy": tone(2500, 4.0, 0.3)},
        first_ticks={"cy": 50},
        names={"ana": "Ana", "ben": "Ben", "cy": "Cy"},
    )


def test_removing_a_speaker_takes_them_out_of_the_mix(tmp_path: Path) -> None:
    folder = _three_speakers(tmp_path / "rec")
    export(folder, None, "flac")  # an export made before the request holds Ben too
    before = read(folder / "mix.flac")
    assert level_at(before, 1000) - level_at(before, 440) > -3

    report = remove_speaker(folder, "ben", now=1_900_000_000.0)

    after = read(folder / "mix.flac")
    assert after.shape == before.shape
    assert level_at(after, 440) - level_at(after, 1000) > 80, "not a trace of Ben's tone"
    assert abs(level_at(after, 440) - level_at(before, 440)) < 0.5, "Ana is untouched"
    assert abs(level_at(after, 2500) - level_at(before, 2500)) < 0.5, "so is Cy"
    assert not (folder / "tracks/ben-ben.flac").exists()
    assert not (folder / "exports").exists(), "exports made with Ben in them are gone too"
    info = manifest(folder)
    assert [t["user_id"] for t in info["tracks"]] == ["ana", "cy"]
    audit = info["audit"][-1]
    assert (audit["action"], audit["user_id"], audit["display_name"]) == (
        "speaker_removed",
        "ben",
        "Ben",
    )
    assert audit["at"] == "2030-03-17T17:46:40.000Z"
    assert "tracks/ben-ben.flac deleted" in audit["detail"] and "2 track(s)" in audit["detail"]
    assert report.removed and report.exports_deleted == (
        "test-room.flac",
        "test-room.flac.notes.md",
    )
    # a second request finds nothing to do and says so
    again = remove_speaker(folder, "ben")
    assert not again.removed and again.message == "Ben has no track in this recording."


def test_removing_the_last_speaker_leaves_a_silent_mix(tmp_path: Path) -> None:
    folder = record(tmp_path / "rec", {"ana": tone(440, 2.0, 0.3)})
    remove_speaker(folder, "ana")
    mix = read(folder / "mix.flac")
    assert mix.shape == (2 * RATE_HZ,) and not mix.any()
    assert manifest(folder)["tracks"] == []


def test_a_speaker_cannot_be_removed_while_recording(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "live")
    writer.write_tick(0, {"ana": np.zeros(TICK, dtype=np.float32)}, wait=True)
    try:
        for _ in range(100):
            if (tmp_path / "live" / "manifest.json").exists():
                break
            writer.wait_closed(0.02)
        with pytest.raises(RecordingFolderError, match="still being recorded"):
            remove_speaker(tmp_path / "live", "ana")
    finally:
        writer.stop()
        writer.wait_closed(10)


def test_retention_deletes_old_recordings_only_when_asked(tmp_path: Path) -> None:
    root = tmp_path / "recordings"
    old = record(root / "old", {"ana": tone(440, 0.5, 0.3)})
    new = record(root / "new", {"ana": tone(440, 0.5, 0.3)})
    (root / "not-a-recording").mkdir()
    (root / "not-a-recording" / "notes.txt").write_text("keep me")
    day = 86_400.0
    now = time.time()
    info = manifest(old)
    info["stopped_at"] = "2020-01-01T00:00:00.000Z"
    (old / "manifest.json").write_text(__import__("json").dumps(info))

    assert apply_retention(root, None, now) == []  # off by default
    assert apply_retention(root, 0, now) == []
    assert apply_retention(root, 30, now) == [old]
    assert not old.exists() and new.exists() and (root / "not-a-recording" / "notes.txt").exists()
    assert apply_retention(root, 30, now + 31 * day) == [new]
    assert os.listdir(root) == ["not-a-recording"]
