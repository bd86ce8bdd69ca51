"""What travels with an export: Podcasting 2.0 chapters, an Audacity label track, show notes,
and per-speaker stems that line up with the mixdown."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from audio.export import export
from tests.export.conftest import CHAPTER_STARTS, CHAPTER_TITLES, SECONDS
from tests.recording.recordingkit import RATE_HZ, ffprobe, manifest, read


@pytest.fixture(scope="module")
def flac_export(
    speech_recording: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("export") / "episode.flac"
    return out, export(speech_recording, out, "flac", channels=1, stems=True)


def test_chapters_json_follows_podcasting_2_0(flac_export: tuple[Path, object]) -> None:
    out, _ = flac_export
    document = json.loads(out.with_name("episode.flac.chapters.json").read_text(encoding="utf-8"))
    assert document["version"] == "1.2.0"
    assert document["title"] == "Weekly Show: Q&A"
    chapters = document["chapters"]
    assert [c["title"] for c in chapters] == CHAPTER_TITLES
    assert [c["startTime"] for c in chapters] == CHAPTER_STARTS
    assert [c["endTime"] for c in chapters] == [*CHAPTER_STARTS[1:], SECONDS]


def test_the_audacity_label_track_has_one_region_per_chapter(
    flac_export: tuple[Path, object],
) -> None:
    out, _ = flac_export
    lines = out.with_name("episode.flac.labels.txt").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines]
    assert all(len(row) == 3 for row in rows), "start<TAB>end<TAB>label"
    assert [(float(s), float(e), label) for s, e, label in rows] == [
        (0.0, 5.0, "Opening"), (5.0, 14.0, "Guest joins"), (14.0, 20.0, "Questions")]  # fmt: skip


def test_show_notes_list_speakers_with_talk_time_and_chapters(
    flac_export: tuple[Path, object], speech_recording: Path
) -> None:
    out, _ = flac_export
    notes = out.with_name("episode.flac.notes.md").read_text(encoding="utf-8")
    talk = {t["display_name"]: t["talk_time_s"] for t in manifest(speech_recording)["tracks"]}
    assert notes.startswith("# Weekly Show: Q&A\n")
    assert "Duration 00:00:20" in notes
    for name, seconds in talk.items():
        assert seconds > 2.0, "both speakers talk"
        assert f"| {name} | 00:00:{int(seconds):02d} |" in notes
    assert "- 00:00:00 Opening\n- 00:00:05 Guest joins\n- 00:00:14 Questions" in notes


def test_stems_line_up_with_the_mixdown(
    flac_export: tuple[Path, object], speech_recording: Path
) -> None:
    out, report = flac_export
    tracks = manifest(speech_recording)["tracks"]
    stems = [out.with_name(f"episode-{Path(t['file']).stem}.flac") for t in tracks]
    assert list(report.stems) == stems  # type: ignore[attr-defined]
    mixdown = read(out)
    summed = np.zeros_like(mixdown)
    for stem, track in zip(stems, tracks, strict=True):
        probe = ffprobe(stem)
        assert probe["streams"][0]["codec_name"] == "flac" and probe["streams"][0]["channels"] == 1
        samples = read(stem)
        assert samples.shape == mixdown.shape == (round(SECONDS * RATE_HZ),)
        # the stem is the track at the mixdown's gain wherever the limiter left it alone
        original = read(speech_recording / track["file"])
        loud = np.abs(original) > 0.01
        ratio = np.median(samples[loud] / original[loud])
        assert 20 * np.log10(ratio) == pytest.approx(report.gain_db, abs=0.1)  # type: ignore[attr-defined]
        summed += samples
    # together they are the mixdown: no lag, and sample for sample where nothing was limited
    size = 1 << (2 * mixdown.shape[0]).bit_length()
    correlation = np.fft.irfft(
        np.fft.rfft(mixdown, size) * np.conj(np.fft.rfft(summed, size)), size
    )
    assert int(np.argmax(correlation)) == 0
    sounding = np.abs(summed) > 0.001
    same = np.abs(summed - mixdown)[sounding] < 0.001
    assert same.mean() > 0.8, f"only {same.mean():.0%} of the samples agree"
