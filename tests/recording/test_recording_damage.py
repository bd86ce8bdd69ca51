"""Recordings damaged after the fact: repaired or explained, never a traceback, the consent
ledger never lost, the relay's start never stopped (issue 14).

A corpus of damaged copies of one real recording (made through the RecordingWriter, with a
consent ledger): files truncated at many points, flipped bytes, garbage and non-UTF-8
manifests, missing files. Each copy goes through what the relay does at start (`recover_all`)
and then `roomcast export --stems` on the command line's own code path.
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from audio.recording import RecordingWriter
from audio.recording_ledger import LEDGER_NAME, read_ledger
from audio.recording_recovery import recover_all
from console import export_cli
from tests.recording.recordingkit import TICK, tone

Damage = Callable[[Path], None]


class _Answer:
    def __init__(self, user_id: str, at: float, consent: str) -> None:
        self.user_id, self.at, self.consent = user_id, at, consent


LEDGER = [
    _Answer("Host-1", 1_700_000_000.0, "granted"),
    _Answer("guest_2", 1_700_000_000.0, "pending"),
    _Answer("guest_2", 1_700_000_003.5, "granted"),
]


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two speakers (tones), 6 s, with a ledger of three answers and a marker."""
    folder = tmp_path_factory.mktemp("damage") / "take"
    writer = RecordingWriter(folder, room_id="room-1", room_title="Damaged talk")
    writer.set_participant("Host-1", "Hana Host")
    writer.set_participant("guest_2", "Gus Guest")
    writer.set_consent_ledger(LEDGER)
    signals = {"Host-1": tone(440, 6.0, 0.3), "guest_2": tone(660, 6.0, 0.3)}
    for tick in range(300):
        blocks = {u: s[tick * TICK : (tick + 1) * TICK] for u, s in signals.items()}
        writer.write_tick(tick, blocks, wait=True)
    writer.add_marker(100, "Guest speaks", "Host-1")
    writer.stop()
    assert writer.wait_closed(30) and writer.error is None
    return folder


def _truncate(file: str, fraction: float) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / file
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * fraction)])

    return damage


def _flip(file: str, fraction: float) -> Damage:
    def damage(folder: Path) -> None:
        path = folder / file
        data = bytearray(path.read_bytes())
        at = int(len(data) * fraction)
        for offset in range(at, min(len(data), at + 8)):
            data[offset] ^= 0xFF
        path.write_bytes(bytes(data))

    return damage


def _write(file: str, content: bytes) -> Damage:
    def damage(folder: Path) -> None:
        (folder / file).write_bytes(content)

    return damage


def _remove(file: str) -> Damage:
    def damage(folder: Path) -> None:
        (folder / file).unlink()

    return damage


def _non_utf8_manifest(folder: Path) -> None:
    path = folder / "manifest.json"
    text = path.read_bytes()
    at = text.index(b"Damaged talk")
    path.write_bytes(text[:at] + b"\xff" + text[at + 1 :])


def _track(folder: Path) -> str:
    return (
        next(p for p in (folder / "tracks").iterdir() if "guest" in p.name)
        .relative_to(folder)
        .as_posix()
    )


def _truncate_track(fraction: float) -> Damage:
    return lambda folder: _truncate(_track(folder), fraction)(folder)


CORPUS: dict[str, Damage] = {
    "manifest non-UTF-8 byte": _non_utf8_manifest,
    "manifest garbage": _write("manifest.json", b"\x00\x01garbage{{{"),
    "manifest empty": _write("manifest.json", b""),
    "manifest a JSON list": _write("manifest.json", b"[1, 2, 3]"),
    "manifest tracks not objects": _write(
        "manifest.json", json.dumps({"format": "roomcast-recording", "tracks": [1]}).encode()
    ),
    "manifest cut in half": _truncate("manifest.json", 0.5),
    "manifest and ledger both garbage": lambda f: (
        _write("manifest.json", b"{")(f),
        _write(LEDGER_NAME, b"\xff\xfe not json\nnor this\n")(f),
    ),
    "manifest garbage, ledger missing": lambda f: (
        _write("manifest.json", b"{")(f),
        _remove(LEDGER_NAME)(f),
    ),
    "ledger's last line torn, manifest garbage": lambda f: (
        _write("manifest.json", b"{")(f),
        _truncate(LEDGER_NAME, 0.9)(f),
    ),
    "mix missing": _remove("mix.flac"),
    "mix empty": _write("mix.flac", b""),
    **{f"mix cut at {p:.0%}": _truncate("mix.flac", p) for p in (0.01, 0.1, 0.3, 0.5, 0.7, 0.99)},
    **{f"mix flipped at {p:.0%}": _flip("mix.flac", p) for p in (0.0, 0.2, 0.5, 0.9)},
    **{f"track cut at {p:.0%}": _truncate_track(p) for p in (0.05, 0.4, 0.8)},
    "track flipped at 50%": lambda f: _flip(_track(f), 0.5)(f),
    "track missing": lambda f: _remove(_track(f))(f),
    "mix and a track cut": lambda f: (
        _truncate("mix.flac", 0.5)(f),
        _truncate(_track(f), 0.6)(f),
    ),
}


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="roomcast")
    export_cli.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


@pytest.mark.parametrize("name", list(CORPUS))
def test_a_damaged_recording_is_repaired_or_explained_never_a_traceback(
    name: str, recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "recordings"
    folder = Path(shutil.copytree(recording, root / recording.name))
    ledger_before = (folder / LEDGER_NAME).read_bytes()
    CORPUS[name](folder)
    ledger_intact = (folder / LEDGER_NAME).is_file() and (
        folder / LEDGER_NAME
    ).read_bytes() == ledger_before
    files_before = {p.name for p in folder.rglob("*") if p.is_file()}

    recover_all(root)  # what the relay does at start: it must return, whatever it finds

    kept = {p.name for p in folder.rglob("*") if p.is_file()}
    for original in files_before - kept:
        assert any(k.startswith(original.split(".")[0]) and "damaged" in k for k in kept), (
            f"{original} disappeared instead of being kept under another name"
        )
    code = _cli(["export", str(folder), "--out", str(tmp_path / "out.mp3"), "--stems"])
    said = capsys.readouterr()
    assert "Traceback" not in said.err + said.out
    if code != 0:
        assert code == 1
        message = said.err.strip().splitlines()[-1]
        assert message.startswith("roomcast export: "), said.err
        return
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    answers = [(c["user_id"], c["answer"]) for c in manifest["consent_ledger"]]
    if ledger_intact:
        assert answers == [(a.user_id, a.consent) for a in LEDGER], "the ledger was lost"
    assert not manifest["ledger_lost"], "exported a recording whose ledger is lost"
    mix, rate = soundfile.read(str(tmp_path / "out.mp3"), dtype="float32")
    assert mix.shape[0] / rate > 1.0


def test_the_ledger_file_holds_every_answer_and_a_rebuilt_manifest_keeps_it(
    recording: Path, tmp_path: Path
) -> None:
    folder = Path(shutil.copytree(recording, tmp_path / "recordings" / "take"))
    lines, note = read_ledger(folder)
    assert [(x.user_id, x.answer) for x in lines] == [(a.user_id, a.consent) for a in LEDGER]
    assert note == ""
    _non_utf8_manifest(folder)
    original = (folder / "manifest.json").read_bytes()
    reports = recover_all(folder.parent)
    assert reports and reports[0].recovered
    assert (folder / "manifest.damaged.json").read_bytes() == original, "kept as it was"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert [(c["user_id"], c["answer"]) for c in manifest["consent_ledger"]] == [
        (a.user_id, a.consent) for a in LEDGER
    ]
    assert {t["user_id"] for t in manifest["tracks"]} == {"Host-1", "guest_2"}
    assert manifest["damage"] and not manifest["ledger_lost"]


def test_a_recording_without_an_established_ledger_is_refused_by_export(
    recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(recording, tmp_path / "recordings" / "take"))
    (folder / "manifest.json").write_bytes(b"{")
    (folder / LEDGER_NAME).unlink()
    assert _cli(["export", str(folder), "--out", str(tmp_path / "x.mp3")]) == 1
    said = capsys.readouterr().err
    assert "consent ledger could not be established" in said
    assert not (tmp_path / "x.mp3").exists()


def test_a_damaged_mix_is_rendered_again_from_its_tracks(recording: Path, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(recording, tmp_path / "take"))
    before, _ = soundfile.read(str(folder / "mix.flac"), dtype="float32")
    _truncate("mix.flac", 0.5)(folder)
    assert _cli(["export", str(folder), "--out", str(tmp_path / "out.flac")]) == 0
    after, _ = soundfile.read(str(folder / "mix.flac"), dtype="float32")
    assert after.shape == before.shape
    # The same sum, from the 16-bit tracks rather than the live float blocks: a few LSB apart.
    assert np.max(np.abs(after - before)) <= 3.5 / 32768, "the re-rendered mix is the same"
    assert (folder / "mix.damaged.flac").is_file()
