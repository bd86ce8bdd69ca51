"""Recovery of a recording that did not stop cleanly (killed relay, power cut, full disk).

Such a folder has FLAC files whose headers say "length unknown" and may end in half a frame,
and a manifest still in state "recording" (or "failed"). `recover` decodes every file up to
its last whole frame, writes it again as a complete FLAC (to a temporary name, then renamed),
pads the shorter ones with silence at the end so all files keep the same length, measures
talk time again, and marks the manifest `"recovered": true`.

Run it at start-up for every folder (`recover_all`), off the event loop: it reads and writes
every file once or twice (about 2 s per hour of track on this machine).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile

from audio.recording_files import FolderLock, read_tolerant, replacing
from audio.recording_ledger import LEDGER_NAME, LedgerUnreadable, read_ledger
from audio.recording_manifest import (
    MANIFEST_NAME,
    MIX_NAME,
    TRACKS_DIR,
    AuditLine,
    Manifest,
    RecordingFolderError,
    TrackEntry,
    clock_text,
    iso_utc,
    load_manifest,
    safe_name,
    save_manifest,
)
from audio.recording_mixdown import render_mix
from audio.voice_gate import VoiceGate

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecoveredFile:
    file: str
    seconds: float  # audio that decoded (before padding)
    status: str  # "repaired", "unreadable" (left out of the manifest), "found" (not listed)


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    folder: Path
    recovered: bool  # False: nothing needed doing (or the folder is busy)
    busy: bool  # a writer is recording into it right now
    duration_s: float
    files: tuple[RecoveredFile, ...]
    message: str


def needs_recovery(manifest: Manifest) -> bool:
    return manifest.state != "stopped"


def recover(folder: Path | str, now: float | None = None) -> RecoveryReport:
    """Turn a crashed recording folder into complete, decodable files; a no-op otherwise."""
    folder = Path(folder)
    lock = FolderLock(folder)
    if not folder.is_dir():
        raise RecordingFolderError(f"No recording at {folder}: the folder does not exist.")
    if not lock.acquire():
        return RecoveryReport(
            folder, False, True, 0.0, (), f"{folder} is still being recorded; left alone."
        )
    try:
        try:
            manifest = load_manifest(folder)
            rebuilt = False
        except RecordingFolderError as exc:
            if not (folder / MIX_NAME).exists() and not list((folder / TRACKS_DIR).glob("*.flac")):
                raise
            # Damaged, or a crash before the first manifest write: rebuild it from the audio
            # files and the ledger file, keeping whatever was there under another name.
            manifest = _manifest_from_files(folder, exc)
            rebuilt = True
        if not rebuilt and not needs_recovery(manifest):
            return RecoveryReport(
                folder, False, False, manifest.duration_s, (), f"{folder} is complete."
            )
        return _repair(folder, manifest, rebuilt, time.time() if now is None else now)
    finally:
        lock.release()


def recover_all(recordings_root: Path | str) -> list[RecoveryReport]:
    """`recover` every recording folder under the root; a damaged one does not stop the rest."""
    reports: list[RecoveryReport] = []
    root = Path(recordings_root)
    if not root.is_dir():
        return reports
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not (folder / MANIFEST_NAME).exists() and not (folder / MIX_NAME).exists():
            continue
        try:
            reports.append(recover(folder))
        except (RecordingFolderError, OSError) as exc:
            logger.warning("could not recover %s: %s", folder, exc)
            reports.append(RecoveryReport(folder, False, False, 0.0, (), str(exc)))
        except Exception as exc:  # one bad recording must never stop the relay starting
            logger.exception("could not recover %s", folder)
            reports.append(
                RecoveryReport(folder, False, False, 0.0, (), f"could not recover {folder}: {exc}")
            )
    return reports


def keep_damaged(path: Path) -> Path:
    """Rename a file that cannot be read to a free `<stem>.damaged[-n]<suffix>` name beside it
    (never over another file), so nothing it held is lost; returns the new path."""
    for number in range(1, 1000):
        tag = "damaged" if number == 1 else f"damaged-{number}"
        kept = path.with_name(f"{path.stem}.{tag}{path.suffix}")
        if not kept.exists():
            os.rename(path, kept)
            return kept
    raise OSError(f"too many damaged copies of {path.name} in {path.parent}")


def _manifest_from_files(folder: Path, why: RecordingFolderError) -> Manifest:
    """A manifest rebuilt from the audio files and the append-only ledger file; the damaged
    manifest (if any) is kept under another name and the damage is written down."""
    manifest = Manifest(started_at=iso_utc(folder.stat().st_mtime))
    damaged = folder / MANIFEST_NAME
    if damaged.exists():
        kept = keep_damaged(damaged)
        manifest.damage.append(
            f"{MANIFEST_NAME} could not be read ({why}); it is kept as {kept.name} and was "
            "rebuilt from the audio files and the consent ledger (markers are lost)."
        )
    try:
        manifest.consent_ledger, note = read_ledger(folder)
        if note:
            manifest.damage.append(note)
    except LedgerUnreadable as exc:
        manifest.ledger_lost = True
        if (folder / LEDGER_NAME).exists():
            kept = keep_damaged(folder / LEDGER_NAME)
            detail = f"{exc}; it is kept as {kept.name}"
        else:
            detail = str(exc)
        manifest.damage.append(
            f"The consent ledger could not be established ({detail}): this recording "
            "cannot be exported."
        )
    for line in manifest.consent_ledger:
        manifest.participants.setdefault(line.user_id, line.display_name)
    for path in sorted((folder / TRACKS_DIR).glob("*.flac")):
        user_id, name = _speaker_of(path.stem, manifest.participants)
        manifest.tracks.append(TrackEntry(f"{TRACKS_DIR}/{path.name}", user_id, name, 0))
    return manifest


def _speaker_of(stem: str, participants: dict[str, str]) -> tuple[str, str]:
    """Whose track a file is: its name ends in the speaker's file-safe user id."""
    for user_id, name in participants.items():
        if stem.endswith("-" + safe_name(user_id, "user", 64)):
            return user_id, name
    name, _, user_id = stem.rpartition("-")
    return user_id, name or user_id


def _count_frames(path: Path) -> int:
    return sum(chunk.shape[0] for chunk in read_tolerant(path))


def _repair(folder: Path, manifest: Manifest, rebuilt: bool, now: float) -> RecoveryReport:
    rate = manifest.sample_rate_hz
    files: list[RecoveredFile] = []
    listed = [manifest.mix_file, *(t.file for t in manifest.tracks)]
    on_disk = {f"{TRACKS_DIR}/{p.name}" for p in (folder / TRACKS_DIR).glob("*.flac")}
    frames: dict[str, int] = {}
    for file in listed:
        try:
            frames[file] = _count_frames(folder / file)
        except (OSError, av.FFmpegError, IndexError):
            files.append(RecoveredFile(file, 0.0, "unreadable"))
    for stray in sorted(on_disk - set(listed)):
        files.append(RecoveredFile(stray, 0.0, "found"))  # reported, kept, not listed
    target = max(frames.values(), default=0)
    talk_s: dict[str, float] = {}
    for file, count in frames.items():
        talk_s[file] = rewrite_readable(
            folder / file, rate, target, measure_talk=file != manifest.mix_file
        )
        files.append(RecoveredFile(file, round(count / rate, 3), "repaired"))
    manifest.tracks = [t for t in manifest.tracks if t.file in frames]
    if manifest.mix_file not in frames:  # the tracks are whole: mix them again
        partial = folder / (manifest.mix_file + ".partial")
        render_mix(folder, manifest, partial, total_frames=target)
        os.replace(partial, folder / manifest.mix_file)
    for track in manifest.tracks:
        track.talk_time_s = round(talk_s.get(track.file, 0.0), 2)
    manifest.ticks = target // manifest.tick_frames
    manifest.duration_s = round(target / rate, 3)
    if manifest.stopped_at is None:
        newest = max(((folder / f).stat().st_mtime for f in frames), default=now)
        manifest.stopped_at = iso_utc(newest)
    was = manifest.state
    manifest.state = "stopped"
    manifest.recovered = True
    lost = [f.file for f in files if f.status == "unreadable"]
    detail = (
        f"state was {was!r}{' (manifest rebuilt from the files)' if rebuilt else ''}; "
        f"{len(frames)} file(s) repaired to {clock_text(target / rate)}"
        + (f"; unreadable, left out: {', '.join(lost)}" if lost else "")
    )
    manifest.audit.append(AuditLine(iso_utc(now), "recovered", detail=detail))
    save_manifest(folder, manifest)
    # The ledger is the source of truth for strikes: any the crash left unapplied is applied now.
    from audio.recording_strike import apply_strikes

    apply_strikes(folder, manifest, now=now)
    message = f"Recovered {folder.name}: {clock_text(target / rate)} in {len(frames)} file(s)" + (
        f"; could not read {', '.join(lost)}" if lost else ""
    )
    logger.info("%s", message)
    return RecoveryReport(folder, True, False, target / rate, tuple(files), message)


def rewrite_readable(path: Path, rate: int, target_frames: int, measure_talk: bool) -> float:
    """Decode what is readable, write it as a complete FLAC padded to `target_frames`; return
    the talk time found in it (seconds)."""
    gate = VoiceGate(rate) if measure_talk else None
    tick = rate // 50
    talk_ticks = 0
    written = 0
    leftover = np.zeros(0, dtype=np.float32)
    with (
        replacing(path, ".recovering") as temporary,
        soundfile.SoundFile(temporary, "w", rate, 1, "PCM_16", format="FLAC") as out,
    ):
        for chunk in read_tolerant(path):
            out.write(chunk)
            written += chunk.shape[0]
            if gate is not None:
                samples = np.concatenate([leftover, chunk.astype(np.float32) / 32768.0])
                whole = samples.shape[0] // tick * tick
                for block in samples[:whole].reshape(-1, tick):
                    talk_ticks += gate.update(block)
                leftover = samples[whole:]
        padding = target_frames - written
        while padding > 0:
            take = min(padding, rate * 10)
            out.write(np.zeros(take, dtype=np.int16))
            padding -= take
    return talk_ticks * tick / rate
