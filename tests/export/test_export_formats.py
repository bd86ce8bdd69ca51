"""Every export format, checked by the real tools: ffprobe reads the codec, the duration and
the chapters; ffmpeg's ebur128 filter measures -16 LUFS (stereo) or -19 LUFS (mono) within
0.5 LU and a true peak at or under -1 dBTP; our own figures agree with ffmpeg's."""

from __future__ import annotations

from pathlib import Path

import pytest

from audio.export import export
from tests.export.conftest import CHAPTER_STARTS, CHAPTER_TITLES, SECONDS
from tests.recording.recordingkit import ebur128, ffprobe

CODECS = {"mp3": "mp3", "m4a": "aac", "opus": "opus", "flac": "flac", "wav": "pcm_s16le"}
CASES = [
    pytest.param("mp3", 2, "auto", id="mp3-stereo-ffmpeg-lame"),
    pytest.param("mp3", 2, "pyav", id="mp3-stereo-pyav"),
    pytest.param("mp3", 1, "pyav", id="mp3-mono-pyav"),
    pytest.param("m4a", 2, "auto", id="m4a-stereo"),
    pytest.param("opus", 2, "auto", id="opus-stereo"),
    pytest.param("opus", 1, "auto", id="opus-mono"),
    pytest.param("flac", 2, "auto", id="flac-stereo"),
    pytest.param("wav", 1, "auto", id="wav-mono"),
]


@pytest.mark.parametrize(("fmt", "channels", "encoder"), CASES)
def test_every_format_meets_the_loudness_target(
    speech_recording: Path, tmp_path: Path, fmt: str, channels: int, encoder: str
) -> None:
    out = tmp_path / f"episode.{fmt}"
    report = export(speech_recording, out, fmt, channels, encoder=encoder)  # type: ignore[arg-type]

    target = -16.0 if channels == 2 else -19.0
    probe = ffprobe(out)
    audio = [s for s in probe["streams"] if s["codec_type"] == "audio"]
    assert len(audio) == 1
    assert audio[0]["codec_name"] == CODECS[fmt]
    assert audio[0]["channels"] == channels
    assert int(audio[0]["sample_rate"]) == 48_000
    assert abs(float(probe["format"]["duration"]) - SECONDS) <= 0.05
    if fmt == "wav":
        assert probe["chapters"] == []  # WAV has none: the side files carry them
    else:
        assert [c["tags"]["title"] for c in probe["chapters"]] == CHAPTER_TITLES
        starts = [float(c["start_time"]) for c in probe["chapters"]]
        assert starts == pytest.approx(CHAPTER_STARTS, abs=0.01)
        assert float(probe["chapters"][-1]["end_time"]) == pytest.approx(SECONDS, abs=0.05)
    if fmt == "mp3":
        head = out.read_bytes()[:4096]
        assert head.startswith(b"ID3") and b"CHAP" in head and b"CTOC" in head

    integrated, true_peak = ebur128(out)
    assert abs(integrated - target) <= 0.5, f"ebur128 reads {integrated} LUFS"
    assert true_peak <= -1.0, f"ebur128 reads a true peak of {true_peak} dBTP"
    assert report.file_lufs is not None and report.file_true_peak_dbtp is not None
    assert abs(report.file_lufs - integrated) <= 0.5
    assert abs(report.file_lufs - target) <= 0.25
    assert report.file_true_peak_dbtp <= -1.2
    assert report.target_lufs == target and report.channels == channels
    # auto: the ffmpeg program's LAME for MP3 (installed here), PyAV for everything else
    assert report.encoder == ("ffmpeg" if (fmt, encoder) == ("mp3", "auto") else "pyav")
    assert report.chapters == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, f"{out.name}.chapters.json", f"{out.name}.labels.txt", f"{out.name}.notes.md"]
    ), "no temporary file is left behind"
