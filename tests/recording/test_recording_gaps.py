"""A take tells the truth about its holes: per track, the ticks the relay concealed or left
silent while the speaker was sending; for the take, the ticks nobody's audio reached the files
(the clock skipped them, or the writer fell behind). Issue 11, item 5."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audio.block_origin import BlockOrigin
from audio.recording import RecordingWriter
from audio.recording_manifest import load_manifest
from tests.recording.recordingkit import TICK, manifest, read, tone


def test_concealed_silent_and_skipped_ticks_are_counted_in_the_manifest(tmp_path: Path) -> None:
    ana, ben = tone(440, 2.0, 0.3), tone(880, 2.0, 0.3)
    writer = RecordingWriter(tmp_path / "rec")
    concealed = {10, 11, 40}  # ana: filled in by FEC/PLC (a block is handed over)
    silent = {60, 61, 62}  # ana: sending, but nothing to play (no block)
    fec = {40}
    skipped = {80, 81}  # the room's clock skipped these: never handed over
    for tick in range(100):
        if tick in skipped:
            continue
        blocks = {"ben": ben[tick * TICK : (tick + 1) * TICK]}
        gaps: dict[str, BlockOrigin] = {}
        if tick in silent:
            gaps["ana"] = BlockOrigin.SILENT_GAP
        else:
            blocks["ana"] = ana[tick * TICK : (tick + 1) * TICK]
        if tick in concealed:
            gaps["ana"] = BlockOrigin.FEC if tick in fec else BlockOrigin.PLC
        writer.write_tick(tick, blocks, wait=True, gaps=gaps)
    writer.stop()
    assert writer.wait_closed(10) and writer.error is None

    info = manifest(tmp_path / "rec")
    tracks = {t["user_id"]: t for t in info["tracks"]}
    assert (tracks["ana"]["concealed_ticks"], tracks["ana"]["fec_ticks"]) == (3, 1)
    assert tracks["ana"]["silent_gap_ticks"] == 3
    assert tracks["ben"]["concealed_ticks"] == tracks["ben"]["silent_gap_ticks"] == 0
    assert info["clock_skipped_ticks"] == 2 and info["writer_dropped_ticks"] == 0
    assert info["dropped_ticks"] == 2, "a skipped tick is silence in every file: a dropped tick"
    samples = read(tmp_path / "rec" / tracks["ana"]["file"])
    assert not samples[60 * TICK : 63 * TICK].any() and not samples[80 * TICK : 82 * TICK].any()
    assert np.abs(samples[10 * TICK : 12 * TICK]).max() > 0.2, "a concealed tick is audio"


def test_a_manifest_from_before_gap_counting_still_loads(tmp_path: Path) -> None:
    old = {
        "format": "roomcast-recording",
        "version": 1,
        "room_title": "Old take",
        "state": "stopped",
        "started_at": "2026-01-01T10:00:00.000Z",
        "ticks": 500,
        "duration_s": 10.0,
        "dropped_ticks": 0,
        "tracks": [{"file": "tracks/ana-ana.flac", "user_id": "ana", "display_name": "Ana",
                    "first_tick": 0, "talk_time_s": 4.2}],
    }  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps(old))
    loaded = load_manifest(tmp_path)
    assert loaded.tracks[0].talk_time_s == 4.2
    assert loaded.tracks[0].concealed_ticks == loaded.tracks[0].silent_gap_ticks == 0
    assert loaded.clock_skipped_ticks == loaded.writer_dropped_ticks == 0
