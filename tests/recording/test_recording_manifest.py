"""The manifest says who was recorded, with whose consent, and what was marked; only the tracks
handed over exist, and the recorded mix is made of them alone (DESIGN §6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np

from audio.recording import RecordingWriter
from server.room import Consent, ConsentEntry
from tests.fixtures_audio import SENTENCES, speech
from tests.recording.recordingkit import RATE_HZ, TICK, level_at, manifest, read, record, tone


def test_the_manifest_holds_the_consent_ledger_and_only_consenting_tracks(tmp_path: Path) -> None:
    """Ben declined: the relay never hands his audio over, so he has no track, and the mix,
    made by the writer from the tracks, holds no trace of his tone."""
    ana, ben = tone(440, 3.0, 0.3), tone(1500, 3.0, 0.3)
    writer = RecordingWriter(tmp_path / "rec", room_id="r-7", room_title="Consent")
    writer.set_participant("ana", "Ana")
    writer.set_participant("ben", "Ben")
    writer.set_consent_ledger([
        ConsentEntry("ana", 1_800_000_000.0, Consent.PENDING),
        ConsentEntry("ben", 1_800_000_000.0, Consent.PENDING),
        ConsentEntry("ana", 1_800_000_002.5, Consent.GRANTED),
        ConsentEntry("ben", 1_800_000_003.0, Consent.DECLINED),
    ])  # fmt: skip
    consenting = {"ana"}
    for tick in range(3 * RATE_HZ // TICK):
        blocks = {
            "ana": ana[tick * TICK : (tick + 1) * TICK],
            "ben": ben[tick * TICK : (tick + 1) * TICK],
        }
        writer.write_tick(tick, {u: b for u, b in blocks.items() if u in consenting}, wait=True)
    writer.stop()
    assert writer.wait_closed(10)
    folder = tmp_path / "rec"
    info = manifest(folder)
    assert [t["user_id"] for t in info["tracks"]] == ["ana"]
    assert sorted(p.name for p in (folder / "tracks").iterdir()) == ["ana-ana.flac"]
    assert info["consent_ledger"] == [
        {"user_id": "ana", "display_name": "Ana", "at": "2027-01-15T08:00:00.000Z", "answer": "pending"},
        {"user_id": "ben", "display_name": "Ben", "at": "2027-01-15T08:00:00.000Z", "answer": "pending"},
        {"user_id": "ana", "display_name": "Ana", "at": "2027-01-15T08:00:02.500Z", "answer": "granted"},
        {"user_id": "ben", "display_name": "Ben", "at": "2027-01-15T08:00:03.000Z", "answer": "declined"},
    ]  # fmt: skip
    mix = read(folder / "mix.flac")
    assert level_at(mix, 440) - level_at(mix, 1500) > 80, "not a trace of the declined speaker"
    assert np.abs(mix - read(folder / "tracks/ana-ana.flac")).max() < 1e-4


def test_the_manifest_describes_the_recording(tmp_path: Path) -> None:
    voice = speech(SENTENCES[0], tmp_path, "s0") * 0.5
    seconds = voice.shape[0] / RATE_HZ + 2.0
    ana = np.zeros(round(seconds * RATE_HZ), dtype=np.float32)
    ana[RATE_HZ : RATE_HZ + voice.shape[0]] = voice
    quiet = np.zeros_like(ana)
    folder = record(
        tmp_path / "rec",
        {"ana": ana, "../../etc/passwd": quiet},
        first_ticks={"../../etc/passwd": 10},
        names={"ana": "Zoë K.", "../../etc/passwd": "Mallory/../"},
        markers=[(50, "Intro", "ana"), (20, "Cold open", "ana")],
        title="Show & tell",
    )
    info = manifest(folder)
    assert info["format"] == "roomcast-recording" and info["version"] == 1
    assert info["room_id"] == "room-1" and info["room_title"] == "Show & tell"
    assert info["state"] == "stopped" and info["recovered"] is False
    started = datetime.fromisoformat(info["started_at"].replace("Z", "+00:00"))
    stopped = datetime.fromisoformat(info["stopped_at"].replace("Z", "+00:00"))
    assert started <= stopped
    assert info["sample_rate_hz"] == 48_000 and info["tick_frames"] == 960
    assert info["ticks"] == ana.shape[0] // TICK
    assert info["duration_s"] == info["ticks"] * 0.02
    assert info["mix_file"] == "mix.flac"
    files = {t["user_id"]: t["file"] for t in info["tracks"]}
    assert files == {
        "ana": "tracks/zoe-k-ana.flac",
        "../../etc/passwd": "tracks/mallory-etc-passwd.flac",
    }
    assert all(
        (folder / f).resolve().parent == (folder / "tracks").resolve() for f in files.values()
    )
    assert [(m["label"], m["tick"], m["time_s"], m["by"], m["by_name"]) for m in info["markers"]] == [
        ("Cold open", 20, 0.4, "ana", "Zoë K."), ("Intro", 50, 1.0, "ana", "Zoë K.")]  # fmt: skip
    talk = {t["user_id"]: t["talk_time_s"] for t in info["tracks"]}
    spoken_s = voice.shape[0] / RATE_HZ
    assert 0.6 * spoken_s <= talk["ana"] <= spoken_s + 0.5, talk
    assert talk["../../etc/passwd"] == 0.0
    assert info["dropped_ticks"] == 0 and info["error"] is None


def test_the_mix_is_the_sum_of_the_tracks_and_never_clips(tmp_path: Path) -> None:
    quiet = record(tmp_path / "quiet", {"ana": tone(300, 2.0, 0.3), "ben": tone(700, 2.0, 0.4)})
    summed = read(quiet / "tracks/ana-ana.flac") + read(quiet / "tracks/ben-ben.flac")
    assert np.abs(read(quiet / "mix.flac") - summed).max() < 1e-4

    loud = record(tmp_path / "loud", {"ana": tone(300, 2.0, 0.6), "ben": tone(700, 2.0, 0.9)})
    mix = read(loud / "mix.flac")
    ceiling = 10 ** (-0.3 / 20)  # the live mix's limiter
    assert np.abs(mix).max() <= ceiling + 1e-4
    summed = read(loud / "tracks/ana-ana.flac") + read(loud / "tracks/ben-ben.flac")
    assert np.abs(summed).max() > 1.4, "the sum alone would clip"
    assert (
        abs(
            level_at(mix, 300)
            - level_at(mix, 700)
            - (level_at(summed, 300) - level_at(summed, 700))
        )
        < 0.5
    )


def test_a_folder_that_holds_a_recording_is_never_written_over(tmp_path: Path) -> None:
    folder = record(tmp_path / "rec", {"ana": tone(440, 1.0, 0.3)})
    before = {p.name: p.stat().st_mtime_ns for p in folder.rglob("*.flac")}
    writer = RecordingWriter(folder)
    writer.write_tick(0, {"ben": tone(880, 0.02, 0.3)})
    writer.stop()
    assert writer.wait_closed(10)
    assert writer.error is not None
    assert writer.error.message.startswith(
        f"Recording not started: {folder} already holds a recording."
    )
    assert {p.name: p.stat().st_mtime_ns for p in folder.rglob("*.flac")} == before
    assert manifest(folder)["state"] == "stopped"
