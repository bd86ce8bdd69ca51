"""Exports that cannot happen say why and what to do, and leave nothing behind; a recording
that crashed is repaired first; the command line reports progress and errors."""

from __future__ import annotations

import argparse
import errno
import json
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import audio.export as export_module
from audio.export import ExportCancelled, ExportError, export
from audio.export_encode import EncodeError
from audio.recording import RecordingWriter
from console import export_cli
from tests.recording.recordingkit import RATE_HZ, TICK, ebur128, manifest, record


def _error(recording: Path, **kwargs: object) -> str:
    with pytest.raises(ExportError) as caught:
        export(recording, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


def test_folders_that_are_not_recordings(tmp_path: Path, recording_copy: Path) -> None:
    assert "does not exist" in _error(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert "is not a Roomcast recording: it has no manifest.json" in _error(tmp_path / "empty")
    (recording_copy / "manifest.json").write_text("{ not json", encoding="utf-8")
    message = _error(recording_copy)
    # Rebuilt from the files, but this recording kept no ledger file: export refuses it.
    assert "consent ledger could not be established" in message
    assert (recording_copy / "manifest.damaged.json").read_text() == "{ not json"


def test_bad_requests(recording_copy: Path, tmp_path: Path) -> None:
    assert "Unknown format 'ogg': choose one of mp3, m4a, opus, flac, wav" in _error(
        recording_copy, format="ogg"
    )
    assert "1 (mono) or 2 (stereo)" in _error(recording_copy, channels=6)
    silent = record(tmp_path / "silent", {"ana": np.zeros(2 * RATE_HZ, dtype=np.float32)})
    assert "is silent" in _error(silent, out_path=tmp_path / "x.mp3")
    assert not (tmp_path / "x.mp3").exists()


def test_a_recording_in_progress_is_not_exported(tmp_path: Path) -> None:
    writer = RecordingWriter(tmp_path / "live")
    writer.write_tick(0, {"ana": np.zeros(TICK, dtype=np.float32)}, wait=True)
    try:
        for _ in range(100):
            if (tmp_path / "live" / "manifest.json").exists():
                break
            writer.wait_closed(0.02)
        assert "still being recorded: stop the recording" in _error(tmp_path / "live")
    finally:
        writer.stop()
        writer.wait_closed(10)


def test_a_crashed_recording_is_repaired_before_it_is_exported(
    recording_copy: Path, tmp_path: Path
) -> None:
    info = manifest(recording_copy)
    info["state"], info["stopped_at"] = "recording", None
    (recording_copy / "manifest.json").write_text(json.dumps(info), encoding="utf-8")
    mix = recording_copy / "mix.flac"
    mix.write_bytes(mix.read_bytes()[:-3000])  # the last FLAC frame cut in half
    report = export(recording_copy, tmp_path / "out.flac", "flac")
    assert report.recovered
    assert manifest(recording_copy)["recovered"] is True
    assert abs(ebur128(tmp_path / "out.flac")[0] - -16.0) <= 0.5


class _FullDiskEncoder:
    name = "fake"

    def __init__(self, path: Path, *args: object) -> None:
        path.write_bytes(b"half an mp3")
        self.writes = 0

    def write(self, block: np.ndarray) -> None:
        self.writes += 1
        if self.writes == 3:
            raise EncodeError("encoding failed", OSError(errno.ENOSPC, "No space left on device"))

    def close(self) -> None:
        pass

    def abort(self) -> None:
        pass


def test_a_full_disk_fails_the_export_cleanly(
    recording_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_module, "open_encoder", _FullDiskEncoder)
    out = tmp_path / "out" / "episode.flac"
    message = _error(recording_copy, out_path=out, format="flac")
    assert message.startswith("The disk is full: could not write the export in ")
    assert "Free some space or export to another folder; nothing was written." in message
    assert list(out.parent.iterdir()) == []


def test_a_cancelled_export_leaves_nothing(recording_copy: Path, tmp_path: Path) -> None:
    cancel = threading.Event()
    seen: list[float] = []

    def progress(fraction: float) -> None:
        seen.append(fraction)
        if fraction > 0.5:
            cancel.set()

    with pytest.raises(ExportCancelled, match="nothing was written"):
        export(
            recording_copy, tmp_path / "out" / "e.opus", "opus", progress=progress, cancel=cancel
        )
    assert list((tmp_path / "out").iterdir()) == []
    assert seen == sorted(seen), "progress never goes back"


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roomcast")
    export_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_the_command_line(
    recording_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(["export", str(recording_copy), "--mono", "--stems"]) == 0
    said = capsys.readouterr()
    out = recording_copy / "exports" / "weekly-show-q-a.mp3"
    assert said.out.startswith(f"Exported {out} (00:00:20, MP3 mono 96 kbit/s)")
    assert "loudness -19.0 LUFS" in said.out and "(measured on the file)" in said.out
    assert "Exporting… 100 %" in said.err
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "weekly-show-q-a-alice-host-host.flac", "weekly-show-q-a-bob-g1.flac", "weekly-show-q-a.mp3",
        "weekly-show-q-a.mp3.chapters.json", "weekly-show-q-a.mp3.labels.txt", "weekly-show-q-a.mp3.notes.md"]  # fmt: skip

    assert _cli(["export", str(recording_copy), "--out", str(tmp_path / "e.m4a")]) == 0
    assert "M4A stereo" in capsys.readouterr().out

    assert _cli(["export", str(tmp_path / "nope")]) == 1
    assert (
        capsys.readouterr().err.strip()
        == f"roomcast export: No recording at {tmp_path / 'nope'}: the folder does not exist."
    )
    assert _cli(["export", str(recording_copy), "--out", str(tmp_path / "e.ogg")]) == 1
    assert "Cannot tell the format from 'e.ogg'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        _cli(["export", str(recording_copy), "--format", "ogg"])
    assert usage.value.code == 2
    assert "invalid choice: 'ogg'" in capsys.readouterr().err


_SIZE_LIMITED_CLI = """
import argparse, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
sys.path.insert(0, sys.argv[1])
from console import export_cli
parser = argparse.ArgumentParser(prog="roomcast")
export_cli.register(parser.add_subparsers())
args = parser.parse_args(sys.argv[2:])
sys.exit(args.handler(args))
"""


@pytest.mark.parametrize("fmt", ["wav", "mp3"])
def test_a_real_file_size_limit_is_reported_and_cleaned_up(
    speech_recording: Path, tmp_path: Path, fmt: str
) -> None:
    """The kernel refuses writes past 200 kB (20 s are 1.9 MB of WAV, 320 kB of MP3): the
    ffmpeg program (MP3) and PyAV (WAV) both fail, and the command says so and cleans up."""
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "out" / f"episode.{fmt}"
    out.parent.mkdir()
    child = subprocess.run(
        [sys.executable, "-c", _SIZE_LIMITED_CLI, str(repo), "export", str(speech_recording),
         "--out", str(out), "--format", fmt, "--encoder", "ffmpeg" if fmt == "mp3" else "pyav"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert child.returncode == 1, child.stdout + child.stderr
    assert "grew past the largest file this system allows" in child.stderr, child.stderr
    assert "nothing was written" in child.stderr
    assert list(out.parent.iterdir()) == []
