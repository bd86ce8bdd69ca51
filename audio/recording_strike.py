"""Strike from the record: a span of one person's voice removed from a take at their request.

The ledger file (`consent-ledger.jsonl`, fsynced) is the source of truth: the writer appends a
strike line the moment it learns of it (`append_strike`), and whoever finishes the folder
applies every strike the ledger holds (`apply_strikes`): the writer when the take stops,
recovery after a crash, export before it reads a file. Applying a strike makes the span of the
person's track digital silence, renders the mix again from the tracks (the mix is the sum of the
recorded tracks, so it loses exactly that voice) and marks every export made before stale.
Applying twice changes nothing, so an interrupted application is finished by running it again.

A take in parts (audio/recording_parts.py): a span reaching back past a part's tick 0 is carried
into the parts before it, measured on the joined take (end to end, without the crash's hole), and
the exports, which live in the first part, are marked stale whichever part was struck.

Runs on: the recording's writer thread, or any worker thread (never the event loop).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import soundfile

from audio.recording_files import replacing
from audio.recording_ledger import LEDGER_NAME, STRUCK, append_records
from audio.recording_manifest import (
    EXPORTS_DIR,
    AuditLine,
    ExportRecord,
    Manifest,
    RecordingFolderError,
    StrikeEntry,
    clock_text,
    iso_utc,
    load_manifest,
    save_manifest,
)
from audio.recording_mixdown import render_mix
from audio.recording_parts import first_of, parts_of
from audio.voice_gate import VoiceGate

_BLOCK_FRAMES = 48_000 * 10

SPAN_WORDS = {
    "last_minute": "last minute",
    "last_5_minutes": "last 5 minutes",
    "last_15_minutes": "last 15 minutes",
    "since_joined": "voice since joining",
}


def append_strike(folder: Path, entry: StrikeEntry) -> None:
    """The strike's line in the folder's ledger, fsynced (before anything else is done)."""
    record = asdict(entry)
    record.pop("applied")
    record["answer"] = STRUCK
    append_records(folder, [record])


def read_strikes(folder: Path) -> list[StrikeEntry]:
    """The strikes the folder's ledger holds (not yet applied, as far as it says); a torn or
    damaged line is skipped (read_ledger reports it)."""
    try:
        raw = (folder / LEDGER_NAME).read_bytes()
    except OSError:
        return []
    strikes: list[StrikeEntry] = []
    fields = StrikeEntry.__dataclass_fields__
    for chunk in raw.split(b"\n"):
        try:
            data = json.loads(chunk.decode("utf-8"))
            if not isinstance(data, dict) or data.get("answer") != STRUCK:
                continue
            strikes.append(
                StrikeEntry(**{k: v for k, v in data.items() if k in fields and k != "applied"})
            )
        except (ValueError, TypeError):
            continue
    return strikes


def _key(entry: StrikeEntry) -> tuple[str, str, str, str]:
    return (entry.user_id, entry.at, entry.by, entry.span)


def apply_strikes(
    folder: Path, manifest: Manifest | None = None, *, save: bool = True, now: float | None = None
) -> list[StrikeEntry]:
    """Apply every strike the ledger (and the manifest) holds that is not applied yet; returns
    those applied now. The folder's files must be complete (not being written). With `manifest`
    given it is updated in place (and saved only with `save`)."""
    folder = Path(folder)
    if manifest is None:
        manifest = load_manifest(folder)
    known = {_key(s) for s in manifest.strikes}
    for entry in read_strikes(folder):
        if _key(entry) not in known:
            manifest.strikes.append(entry)
            known.add(_key(entry))
    pending = [s for s in manifest.strikes if not s.applied]
    if not pending:
        return []
    moment = iso_utc(now if now is not None else time.time())
    spans: dict[str, list[tuple[int, int]]] = {}  # per track file: one rewrite for all
    for entry in pending:
        track = manifest.track_of(entry.user_id)
        if track is not None and entry.to_tick > entry.from_tick:
            spans.setdefault(track.file, []).append(
                (entry.from_tick * manifest.tick_frames, entry.to_tick * manifest.tick_frames)
            )
    for track in manifest.tracks:
        if track.file in spans:  # the show notes' talk time counts only what is left
            talk_s = silence_spans(folder / track.file, spans[track.file], manifest.tick_frames)
            track.talk_time_s = round(talk_s, 2)
    mix = folder / manifest.mix_file
    partial = folder / (manifest.mix_file + ".partial")
    try:
        render_mix(folder, manifest, partial, total_frames=soundfile.info(str(mix)).frames)
        os.replace(partial, mix)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    for entry in pending:
        entry.applied = True
        manifest.audit.append(
            AuditLine(
                moment,
                "struck",
                entry.user_id,
                entry.display_name,
                f"{SPAN_WORDS.get(entry.span, entry.span)} struck at {entry.by_name or entry.by}'s "
                f"request: {clock_text(entry.from_s)}-{clock_text(entry.to_s)} silenced in their "
                "track, mix rendered again",
            )
        )
    mark_exports_stale(folder, manifest, moment)
    if save:
        save_manifest(folder, manifest)
    first = first_of(folder)
    if first is not None:
        _carry_back(first, folder, pending, moment)
    return pending


def _carry_back(first: Path, folder: Path, strikes: list[StrikeEntry], moment: str) -> None:
    """Strikes reaching before this part's tick 0 go on into the parts before it; the take's
    exports (in its first part) are stale either way."""
    parts = parts_of(first)
    earlier = parts[: parts.index(folder)] if folder in parts else []
    for entry in strikes:
        remaining = entry.reaches_back_s
        for part in reversed(earlier):
            if remaining <= 0:
                break
            manifest = load_manifest(part)
            frames = soundfile.info(str(part / manifest.mix_file)).frames
            ticks = frames // manifest.tick_frames
            want = int(np.ceil(remaining * manifest.sample_rate_hz / manifest.tick_frames))
            carried = StrikeEntry(
                entry.user_id,
                entry.display_name,
                entry.by,
                entry.by_name,
                entry.at,
                entry.span,
                max(0, ticks - want),
                ticks,
                round(max(0, ticks - want) * manifest.tick_frames / manifest.sample_rate_hz, 3),
                round(frames / manifest.sample_rate_hz, 3),
                reaches_back_s=0.0,  # this loop carries it further
            )
            if _key(carried) not in {_key(s) for s in [*manifest.strikes, *read_strikes(part)]}:
                append_strike(part, carried)
            apply_strikes(part, manifest)
            remaining -= frames / manifest.sample_rate_hz
    manifest = load_manifest(first)
    if mark_exports_stale(first, manifest, moment):
        save_manifest(first, manifest)


def mark_exports_stale(folder: Path, manifest: Manifest, moment: str) -> bool:
    """Every export the manifest knows of, and every file in the folder's exports, is stale
    from `moment` on; True if anything changed."""
    changed = False
    for record in manifest.exports:
        if not record.stale:
            record.stale, record.stale_since = True, moment
            changed = True
    exports = folder / EXPORTS_DIR
    known = {record.path for record in manifest.exports}
    if exports.is_dir():
        for path in sorted(exports.iterdir()):
            name = f"{EXPORTS_DIR}/{path.name}"
            side_file = any(name.startswith(k + ".") for k in known)  # chapters, labels, notes
            if name not in known and not side_file and path.is_file():
                made = iso_utc(path.stat().st_mtime)
                manifest.exports.append(ExportRecord(name, made, True, moment))
                changed = True
    return changed


def record_export(folder: Path, out: Path, now: float | None = None) -> None:
    """Write down a finished export in the recording's manifest (so a later strike marks it
    stale). A manifest that cannot be read or written is left alone: the export stands."""
    folder = Path(folder)
    try:
        manifest = load_manifest(folder)
        try:
            path = Path(out).resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            path = str(Path(out).resolve())
        made = iso_utc(now if now is not None else time.time())
        manifest.exports = [e for e in manifest.exports if e.path != path]
        manifest.exports.append(ExportRecord(path, made))
        save_manifest(folder, manifest)
    except (RecordingFolderError, OSError):
        return


def silence_spans(path: Path, spans: list[tuple[int, int]], tick_frames: int = 960) -> float:
    """Rewrite a complete FLAC file with each span of frames [from, to) as digital silence
    (temporary file, fsync, rename); returns the talk time left in it (seconds)."""
    talk_ticks = 0
    with (
        replacing(path, ".striking") as temporary,
        soundfile.SoundFile(str(path)) as source,
        soundfile.SoundFile(
            str(temporary), "w", source.samplerate, source.channels, "PCM_16", format="FLAC"
        ) as out,
    ):
        rate = int(source.samplerate)
        gate = VoiceGate(rate)
        position = 0
        while True:
            block = source.read(_BLOCK_FRAMES, dtype="int16")
            if not len(block):
                break
            for from_frame, to_frame in spans:
                lo = max(from_frame - position, 0)
                hi = min(to_frame - position, len(block))
                if lo < hi:
                    block[lo:hi] = 0
            out.write(block)
            position += len(block)
            whole = len(block) // tick_frames * tick_frames
            samples = block[:whole].reshape(-1, tick_frames).astype(np.float32) / 32768.0
            talk_ticks += sum(gate.update(tick) for tick in samples)
    return float(talk_ticks * tick_frames / rate)
