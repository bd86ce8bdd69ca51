"""kill -9 the process that records, then recover the folder: the files decode (soundfile and
ffprobe) and hold all but at most about a second of what was handed over."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from audio.recording import RecordingWriter
from audio.recording_recovery import recover, recover_all
from tests.recording.recordingkit import RATE_HZ, TICK, ffprobe, manifest, read, record

CHILD = Path(__file__).with_name("tick_child.py")


def _record_then_kill(folder: Path, kill_after_tick: int) -> int:
    """Run the stand-in relay until it has handed over `kill_after_tick`, then SIGKILL it.
    Returns the last tick handed over."""
    child = subprocess.Popen([sys.executable, str(CHILD), str(folder)],
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    last = -1
    assert child.stdout is not None
    for line in child.stdout:
        last = int(line.split()[1])
        if last >= kill_after_tick:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    return last


@pytest.fixture(scope="module")
def crashed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("crash") / "rec"
    return folder, _record_then_kill(folder, kill_after_tick=150)  # 3 s in


def test_a_killed_recording_is_recovered_and_decodes(
    crashed: tuple[Path, int], tmp_path: Path
) -> None:
    original, last_tick = crashed
    folder = tmp_path / "rec"
    shutil.copytree(original, folder)
    before = manifest(folder)
    assert before["state"] == "recording" and before["stopped_at"] is None

    report = recover(folder)

    handed_over_s = (last_tick + 1) * TICK / RATE_HZ
    assert report.recovered and not report.busy
    assert handed_over_s - 1.0 <= report.duration_s <= handed_over_s
    after = manifest(folder)
    assert after["state"] == "stopped" and after["recovered"] is True
    assert after["stopped_at"] is not None
    assert after["audit"][-1]["action"] == "recovered"
    files = [folder / "mix.flac", *(folder / t["file"] for t in after["tracks"])]
    assert {t["user_id"] for t in after["tracks"]} == {"ana", "ben"}
    lengths = set()
    for path in files:
        samples = read(path)  # libsndfile refuses a FLAC cut short: this proves it is whole
        lengths.add(samples.shape[0])
        probe = ffprobe(path)
        assert probe["streams"][0]["codec_name"] == "flac"
        assert abs(float(probe["format"]["duration"]) - report.duration_s) < 0.001
        decoded = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
                                 capture_output=True, text=True, check=True)  # fmt: skip
        assert decoded.stderr == "", decoded.stderr
    assert len(lengths) == 1, "recovered files keep one length"
    ana = read(folder / after["tracks"][0]["file"])
    assert np.abs(ana[:RATE_HZ]).max() > 0.25, "the tone is there from the start"
    # what the manifest knew before the crash survives it
    assert [m["label"] for m in after["markers"]] == ["Intro"]
    assert after["markers"][0]["time_s"] == pytest.approx(0.5)
    assert [(c["user_id"], c["answer"]) for c in after["consent_ledger"]] == [
        ("ana", "granted"), ("ben", "pending"), ("ben", "granted")]  # fmt: skip
    assert after["consent_ledger"][0]["display_name"] == "Ana"
    assert recover(folder).recovered is False, "a second recovery has nothing to do"


def test_a_folder_being_recorded_is_left_alone(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "live")
    writer.write_tick(0, {"ana": np.zeros(TICK, dtype=np.float32)}, wait=True)
    try:
        for _ in range(100):  # the writer thread creates the folder and takes its lock
            if (tmp_path / "live" / "manifest.json").exists():
                break
            writer.wait_closed(0.02)
        report = recover(tmp_path / "live")
        assert report.busy and not report.recovered
        assert [r.busy for r in recover_all(tmp_path)] == [True]
    finally:
        writer.stop()
        assert writer.wait_closed(10)
    assert manifest(tmp_path / "live")["state"] == "stopped"


def test_recover_all_repairs_crashed_folders_and_skips_complete_ones(
    crashed: tuple[Path, int], tmp_path: Path
) -> None:
    shutil.copytree(crashed[0], tmp_path / "a-crashed")
    record(tmp_path / "b-complete", {"ana": np.zeros(RATE_HZ, dtype=np.float32)})
    (tmp_path / "c-unrelated").mkdir()
    reports = {r.folder.name: r for r in recover_all(tmp_path)}
    assert set(reports) == {"a-crashed", "b-complete"}
    assert reports["a-crashed"].recovered and not reports["b-complete"].recovered


def test_a_crash_before_the_first_manifest_is_rebuilt_from_the_files(
    crashed: tuple[Path, int], tmp_path: Path
) -> None:
    folder = tmp_path / "rec"
    shutil.copytree(crashed[0], folder)
    (folder / "manifest.json").unlink()
    report = recover(folder)
    assert report.recovered
    after = manifest(folder)
    assert after["recovered"] and "rebuilt" in after["audit"][-1]["detail"]
    assert sorted(t["user_id"] for t in after["tracks"]) == ["ana", "ben"]
    read(folder / "mix.flac")
