"""Strike from the record in the writer and the files (issue 14 item 5): the struck span of one
person's track is digital silence, the mix is rendered again without it, the ledger file has the
strike, a take in parts is struck in every part the span reaches, exports made before are marked
stale, and recovery applies a strike the crash left unapplied. Real writer, real FLAC files, real
export."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from audio.export import export
from audio.recording import STRIKE_AFTER_TICKS, RecordingWriter
from audio.recording_manifest import StrikeEntry, load_manifest, save_manifest
from audio.recording_recovery import recover
from audio.recording_strike import append_strike
from tests.fixtures_audio import SENTENCES, speech
from tests.recording.recordingkit import RATE_HZ, TICK, manifest, read, record
from ui.recordings_model import read_take

A_HZ, B_HZ = 500.0, 1_250.0
CHILD = Path(__file__).with_name("tick_child.py")


def tone(hz: float, seconds: float, amplitude: float = 0.25) -> np.ndarray:
    n = np.arange(int(seconds * RATE_HZ)) / RATE_HZ
    return (amplitude * np.sin(2 * np.pi * hz * n)).astype(np.float32)


def level(samples: np.ndarray, hz: float) -> float:
    """Amplitude of `hz` in `samples` (a single-bin DFT over whole periods)."""
    if samples.size == 0:
        return 0.0
    n = np.arange(samples.size) / RATE_HZ
    return float(
        2 * abs(np.dot(samples.astype(np.float64), np.exp(-2j * np.pi * hz * n))) / samples.size
    )


def ledger_strikes(folder: Path) -> list[dict[str, object]]:
    lines = (folder / "consent-ledger.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if json.loads(line)["answer"] == "struck"]


def write_take(
    writer: RecordingWriter, signals: dict[str, np.ndarray], first: int, ticks: int
) -> None:
    for tick in range(first, first + ticks):
        blocks = {u: s[tick * TICK : (tick + 1) * TICK] for u, s in signals.items()}
        writer.write_tick(tick, blocks, wait=True)


def track_of(folder: Path, user_id: str) -> np.ndarray:
    entry = next(t for t in manifest(folder)["tracks"] if t["user_id"] == user_id)
    return read(folder / entry["file"])


def test_a_strike_silences_the_span_in_the_track_and_the_mix_and_nothing_else(tmp_path):
    folder = tmp_path / "take"
    signals = {"amy": tone(A_HZ, 12), "bo": tone(B_HZ, 12)}
    writer = RecordingWriter(folder, room_id="room-1", room_title="Strike")
    writer.set_participant("amy", "Amy")
    writer.set_participant("bo", "Bo")
    write_take(writer, signals, 0, 400)  # 8 s
    writer.strike("amy", 3.0, by="amy", span="last_minute", at=time.time())
    write_take(writer, signals, 400, 200)  # 4 s more
    writer.stop()
    assert writer.wait_closed(30) and writer.error is None
    start, stop = (400 - 150) * TICK, (400 + STRIKE_AFTER_TICKS) * TICK
    amy, bo, mix = track_of(folder, "amy"), track_of(folder, "bo"), read(folder / "mix.flac")
    assert not np.any(amy[start:stop]), "the struck span is digital silence in Amy's track"
    assert level(amy[:start], A_HZ) > 0.2 and level(amy[stop:], A_HZ) > 0.2
    assert level(bo[start:stop], B_HZ) > 0.2, "Bo's track is untouched"
    assert level(mix[start:stop], A_HZ) < 1e-3 and level(mix[start:stop], B_HZ) > 0.2
    assert level(mix[: start - TICK], A_HZ) > 0.2 and level(mix[stop + TICK :], A_HZ) > 0.2
    said = manifest(folder)
    assert said["state"] == "stopped"
    (strike,) = said["strikes"]
    assert (strike["user_id"], strike["by"], strike["span"]) == ("amy", "amy", "last_minute")
    assert (strike["from_tick"], strike["to_tick"], strike["applied"]) == (250, 425, True)
    (line,) = ledger_strikes(folder)
    assert (line["user_id"], line["from_tick"], line["to_tick"]) == ("amy", 250, 425)
    assert any(a["action"] == "struck" and a["user_id"] == "amy" for a in said["audit"])


def test_a_strike_reaching_into_an_earlier_part_silences_it_there_and_marks_its_exports_stale(
    tmp_path,
):
    """The relay crashed after part 1; the host exported part 1 before the take went on in part 2;
    Amy then strikes more than part 2 holds."""
    first = record(tmp_path / "take1", {"amy": tone(A_HZ, 6), "bo": tone(B_HZ, 6)})
    made = export(first, format="flac")
    assert manifest(first)["exports"][0]["stale"] is False
    part2 = tmp_path / "take1-part2"
    writer = RecordingWriter(part2, room_id="room-1", room_title="Strike")
    signals = {"amy": tone(A_HZ, 4), "bo": tone(B_HZ, 4)}
    write_take(writer, signals, 0, 100)  # 2 s
    writer.strike("amy", 5.0, by="host", span="last_5_minutes", at=time.time())
    write_take(writer, signals, 100, 50)
    writer.stop()
    assert writer.wait_closed(30) and writer.error is None
    # Part 2: from its start to half a second after the strike; part 1: its last 3 s.
    amy2 = track_of(part2, "amy")
    assert not np.any(amy2[: (100 + STRIKE_AFTER_TICKS) * TICK])
    amy1, mix1 = track_of(first, "amy"), read(first / "mix.flac")
    cut = amy1.size - 3 * RATE_HZ
    assert not np.any(amy1[cut:]) and level(amy1[: cut - TICK], A_HZ) > 0.2
    assert level(mix1[cut:], A_HZ) < 1e-3 and level(mix1[cut:], B_HZ) > 0.2
    said = manifest(first)
    (old,) = said["exports"]
    assert old["stale"] is True and old["path"].endswith(made.out_path.name)
    assert [s["span"] for s in said["strikes"]] == ["last_5_minutes"]
    assert [line["by"] for line in ledger_strikes(first)] == ["host"]
    listed = read_take(first)  # the console's library
    assert listed.parts == 2 and listed.strikes == 1 and listed.stale_exports == 1
    assert "1 span struck · 1 export out of date" in listed.state_text()
    fresh = export(first, tmp_path / "fresh.flac", format="flac")
    assert fresh.out_path.exists()
    assert [e["stale"] for e in manifest(first)["exports"]] == [True, False]


def test_recovery_applies_a_strike_that_the_crash_left_in_the_ledger_only(tmp_path):
    folder = record(tmp_path / "take", {"amy": tone(A_HZ, 5), "bo": tone(B_HZ, 5)})
    strike = StrikeEntry("amy", "Amy", "amy", "Amy", "2026-12-03T18:00:00.000Z", "last_minute",
                         50, 150, 1.0, 3.0)  # fmt: skip
    append_strike(folder, strike)  # the writer's first step; then the relay was killed
    crashed = load_manifest(folder)
    crashed.state = "recording"
    save_manifest(folder, crashed)
    assert recover(folder).recovered
    amy = track_of(folder, "amy")
    assert not np.any(amy[50 * TICK : 150 * TICK]) and level(amy[: 50 * TICK], A_HZ) > 0.2
    assert level(read(folder / "mix.flac")[50 * TICK : 150 * TICK], A_HZ) < 1e-3
    assert [s["applied"] for s in manifest(folder)["strikes"]] == [True]


def test_a_strike_survives_a_kill_9_and_recovery_silences_its_span(tmp_path):
    """A real writer process strikes Ana's last second at tick 100 and is killed a second
    later, before any file was finished; the repair at the next start silences the span."""
    folder = tmp_path / "rec"
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(folder), "--strike-at", "100"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if int(line.split()[1]) >= 150:
                break
        deadline = time.monotonic() + 20
        while not ledger_has_strike(folder):
            assert time.monotonic() < deadline, "the strike never reached the ledger file"
            time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    assert manifest(folder)["state"] == "recording"
    assert recover(folder).recovered
    said = manifest(folder)
    (strike,) = said["strikes"]
    assert (strike["from_tick"], strike["to_tick"], strike["applied"]) == (51, 126, True)
    ana = track_of(folder, "ana")
    assert not np.any(ana[51 * TICK : 126 * TICK])
    assert level(ana[: 50 * TICK], 440.0) > 0.2 and level(ana[127 * TICK : 150 * TICK], 440.0) > 0.2
    assert level(read(folder / "mix.flac")[51 * TICK : 126 * TICK], 440.0) < 1e-3


def ledger_has_strike(folder: Path) -> bool:
    try:
        return '"struck"' in (folder / "consent-ledger.jsonl").read_text()
    except OSError:
        return False


def test_export_applies_a_strike_found_only_in_the_ledger(tmp_path):
    folder = record(tmp_path / "take", {"amy": tone(A_HZ, 5), "bo": tone(B_HZ, 5)})
    strike = StrikeEntry("amy", "Amy", "bo", "Bo", "2026-12-03T18:00:00.000Z", "last_minute",
                         100, 200, 2.0, 4.0)  # fmt: skip
    append_strike(folder, strike)  # as if the finish had not got to it
    made = export(folder, tmp_path / "out.wav", format="wav", channels=1)
    out = read(made.out_path)
    assert level(out[100 * TICK : 200 * TICK], A_HZ) < 1e-3
    assert level(out[100 * TICK : 200 * TICK], B_HZ) > 0.05 and level(out[: 99 * TICK], A_HZ) > 0.05
    assert [s["applied"] for s in manifest(folder)["strikes"]] == [True]


def test_two_strikes_of_one_voice_are_both_silenced_in_one_pass(tmp_path):
    folder = tmp_path / "take"
    signals = {"amy": tone(A_HZ, 12), "bo": tone(B_HZ, 12)}
    writer = RecordingWriter(folder, room_id="room-1", room_title="Strike")
    write_take(writer, signals, 0, 200)
    writer.strike("amy", 1.0, by="amy", span="last_minute", at=time.time())
    write_take(writer, signals, 200, 200)
    writer.strike("amy", 1.0, by="host", span="last_minute", at=time.time() + 1)
    write_take(writer, signals, 400, 100)
    writer.stop()
    assert writer.wait_closed(30) and writer.error is None
    said = manifest(folder)
    spans = [(s["from_tick"], s["to_tick"]) for s in said["strikes"]]
    assert spans == [(150, 225), (350, 425)]
    assert sum(a["action"] == "struck" for a in said["audit"]) == 2
    amy, mix = track_of(folder, "amy"), read(folder / "mix.flac")
    for start, stop in spans:
        assert not np.any(amy[start * TICK : stop * TICK])
        assert level(mix[start * TICK : stop * TICK], A_HZ) < 1e-3
    assert level(amy[230 * TICK : 345 * TICK], A_HZ) > 0.2, "untouched between the two"
    assert len(ledger_strikes(folder)) == 2


def test_the_talk_time_the_show_notes_give_counts_only_what_is_left(tmp_path):
    words = speech(" ".join(SENTENCES), tmp_path, "amy")
    voice = np.tile(words, int(np.ceil(10 * RATE_HZ / words.size)))[: 10 * RATE_HZ]

    def take(name: str, strike: bool) -> float:
        writer = RecordingWriter(tmp_path / name, room_id="room-1", room_title="Talk")
        write_take(writer, {"amy": voice}, 0, 400)
        if strike:
            writer.strike("amy", 5.0, by="amy", span="last_minute", at=time.time())
        write_take(writer, {"amy": voice}, 400, 100)
        writer.stop()
        assert writer.wait_closed(30) and writer.error is None
        (track,) = manifest(tmp_path / name)["tracks"]
        return float(track["talk_time_s"])

    whole, struck = take("whole", False), take("struck", True)
    assert whole > 6.0, whole
    assert whole - 6.0 < struck < whole - 4.0, (whole, struck)  # 5.5 s silenced
