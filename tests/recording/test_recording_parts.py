"""A take that went on in parts after a crash is one recording (issue 14, item 4): the library
lists it once, export renders it as one file end to end, deleting or removing a speaker reaches
every part, and retention treats the take as a whole. Real files through the real writer,
checked by reading them back (and ffprobe on the export)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from audio.export import export
from audio.recording_library import apply_retention
from audio.recording_parts import first_of, join_parts, parts_of
from tests.recording.recordingkit import ffprobe, manifest, read, record, tone
from tests.relay.spectrum import band_level_db
from ui.recordings_library import delete_recording, remove_speaker_from_take
from ui.recordings_model import scan_recordings

RATE = 48_000
FIRST = "20261203-100000-Show-room1-take1"


def two_parts(root: Path) -> tuple[Path, Path]:
    """Ana and Ben for 2 s, then (after the crash) Ana and Cid for 1 s."""
    first = record(
        root / FIRST,
        {"ana": tone(440, 2.0, 0.3), "ben": tone(660, 2.0, 0.3)},
        names={"ana": "Ana", "ben": "Ben"},
        markers=[(25, "Intro", "ana")],
        title="Show",
    )
    second = record(
        root / f"{FIRST}-part2",
        {"ana": tone(440, 1.0, 0.3), "cid": tone(880, 1.0, 0.3)},
        names={"ana": "Ana", "cid": "Cid"},
        markers=[(10, "After the crash", "ana")],
        title="Show",
    )
    return first, second


def test_the_parts_are_found_in_order_and_joined_end_to_end(tmp_path):
    first, second = two_parts(tmp_path / "recordings")
    (tmp_path / "recordings" / f"{FIRST}-part10").mkdir()  # numbers, not text, order parts
    assert parts_of(first) == [first, second, tmp_path / "recordings" / f"{FIRST}-part10"]
    assert first_of(second) == first and first_of(first) is None
    joined = join_parts([first, second], tmp_path / "joined")
    m = manifest(joined)
    mix = read(joined / m["mix_file"])
    assert abs(mix.shape[0] / RATE - 3.0) < 0.05
    tracks = {t["user_id"]: read(joined / t["file"]) for t in m["tracks"]}
    assert set(tracks) == {"ana", "ben", "cid"}
    assert all(t.shape[0] == mix.shape[0] for t in tracks.values()), "aligned with the mix"
    cut = 2 * RATE
    assert band_level_db(tracks["ana"][: cut - 2000], 440) > -20
    assert band_level_db(tracks["ana"][cut + 2000 :], 440) > -20
    assert band_level_db(tracks["ben"][: cut - 2000], 660) > -20
    assert float(np.abs(tracks["ben"][cut:]).max()) == 0.0, "silence where Ben was not"
    assert float(np.abs(tracks["cid"][:cut]).max()) == 0.0
    assert band_level_db(tracks["cid"][cut + 2000 :], 880) > -20
    assert [(mk["label"], round(mk["time_s"], 2)) for mk in m["markers"]] == [
        ("Intro", 0.5),
        ("After the crash", 2.2),
    ]
    assert any(line["action"] == "joined_part" for line in m["audit"])


def test_export_renders_the_take_as_one_file_and_leaves_nothing_behind(tmp_path):
    root = tmp_path / "recordings"
    first, _second = two_parts(root)
    report = export(first, format="mp3")
    assert report.parts == 2
    probe = ffprobe(report.out_path)
    assert abs(float(probe["format"]["duration"]) - 3.0) < 0.2
    assert report.out_path.parent == first / "exports"
    assert sorted(p.name for p in root.iterdir()) == [FIRST, f"{FIRST}-part2"]


def test_the_library_lists_a_take_in_parts_once_and_deletes_it_whole(tmp_path):
    root = tmp_path / "recordings"
    first, second = two_parts(root)
    [row] = scan_recordings(root)
    assert row.folder == first and row.parts == 2
    assert abs(row.duration_s - 3.0) < 0.05
    assert {s.name for s in row.speakers} == {"Ana", "Ben", "Cid"}
    ana = next(s for s in row.speakers if s.user_id == "ana")
    assert "2 parts" in row.state_text()
    assert ana.talk_time_s >= max(
        t["talk_time_s"] for t in manifest(first)["tracks"] if t["user_id"] == "ana"
    )
    report = remove_speaker_from_take(first, "ana")
    assert "2 parts" in report.message
    for part in (first, second):
        assert all(t["user_id"] != "ana" for t in manifest(part)["tracks"])
    delete_recording(first)
    assert not first.exists() and not second.exists()


def test_retention_takes_a_take_in_parts_as_a_whole(tmp_path):
    root = tmp_path / "recordings"
    first, second = two_parts(root)
    old = time.time() - 40 * 86_400
    for part in (first, second):
        path = part / "manifest.json"
        data = json.loads(path.read_text())
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(old))
        data["started_at"] = data["stopped_at"] = stamp
        path.write_text(json.dumps(data))
    assert apply_retention(root, 30) == [first]
    assert not first.exists() and not second.exists()
    assert os.listdir(root) == []
