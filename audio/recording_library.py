"""The recordings library's housekeeping: render the mix from the tracks, remove one speaker's
audio on request, delete recordings past their retention.

Removing a speaker deletes their track, renders `mix.flac` again from the remaining tracks
(the same limiter as the live mix, tick by tick), deletes the exports made inside the folder
(they hold the speaker too) and keeps an audit line in the manifest. Each step leaves a
folder that a second call finishes, so an interrupted removal is repaired by running it again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from audio.recording_files import folder_is_busy
from audio.recording_manifest import (
    EXPORTS_DIR,
    MANIFEST_NAME,
    AuditLine,
    RecordingFolderError,
    iso_utc,
    load_manifest,
    parse_iso,
    save_manifest,
)
from audio.recording_mixdown import render_mix
from audio.recording_parts import first_of, parts_of
from audio.recording_recovery import needs_recovery, recover

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RemovalReport:
    user_id: str
    display_name: str
    removed: bool
    track_file: str | None
    exports_deleted: tuple[str, ...]
    message: str


def remove_speaker(
    recording_dir: Path | str, user_id: str, now: float | None = None
) -> RemovalReport:
    """Delete `user_id`'s track, render the mix again without them, update the manifest."""
    folder = Path(recording_dir)
    moment = time.time() if now is None else now
    if folder_is_busy(folder):
        raise RecordingFolderError(
            f"{folder} is still being recorded: stop the recording, then remove the speaker."
        )
    manifest = load_manifest(folder)
    if needs_recovery(manifest):
        recover(folder)
        manifest = load_manifest(folder)
    track = manifest.track_of(user_id)
    name = manifest.name_of(user_id)
    if track is None:
        return RemovalReport(
            user_id, name, False, None, (), f"{name} has no track in this recording."
        )
    manifest.tracks = [t for t in manifest.tracks if t.user_id != user_id]
    partial = folder / (manifest.mix_file + ".partial")
    try:
        render_mix(folder, manifest, partial)
        os.replace(partial, folder / manifest.mix_file)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    (folder / track.file).unlink(missing_ok=True)
    deleted = _delete_exports(folder)
    detail = (
        f"track {track.file} deleted; mix rendered again from {len(manifest.tracks)} track(s)"
        + (f"; exports deleted: {', '.join(deleted)}" if deleted else "")
    )
    manifest.audit.append(AuditLine(iso_utc(moment), "speaker_removed", user_id, name, detail))
    save_manifest(folder, manifest)
    message = f"Removed {name}'s audio from {folder.name}: {detail}."
    logger.info("%s", message)
    return RemovalReport(user_id, name, True, track.file, tuple(deleted), message)


def _delete_exports(folder: Path) -> list[str]:
    exports = folder / EXPORTS_DIR
    if not exports.is_dir():
        return []
    deleted = sorted(p.name for p in exports.iterdir())
    shutil.rmtree(exports)
    return deleted


def apply_retention(
    recordings_root: Path | str, days: float | None, now: float | None = None
) -> list[Path]:
    """Delete recordings that stopped more than `days` ago (None or <= 0: keep everything).

    Only folders with a Roomcast manifest are considered, never one being recorded; a folder
    whose manifest cannot be read is left alone. Returns the folders deleted.
    """
    if days is None or days <= 0:
        return []
    root = Path(recordings_root)
    moment = time.time() if now is None else now
    deleted: list[Path] = []
    if not root.is_dir():
        return deleted
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if not (folder / MANIFEST_NAME).is_file() or first_of(folder) is not None:
            continue  # a later part of a take goes with its first (audio/recording_parts.py)
        parts = parts_of(folder)
        if any(folder_is_busy(part) for part in parts):
            continue
        try:
            # A take in parts ended when its last part did.
            manifest = load_manifest(parts[-1])
            ended = parse_iso(manifest.stopped_at or manifest.started_at)
        except (RecordingFolderError, ValueError) as exc:
            logger.warning("retention: leaving %s alone: %s", folder, exc)
            continue
        if moment - ended > days * 86_400:
            for part in reversed(parts):
                try:
                    shutil.rmtree(part)
                except FileNotFoundError:
                    continue  # another Roomcast process (the console, its relay) got there first
            deleted.append(folder)
            logger.info("retention: deleted %s (older than %g days)", folder, days)
    return deleted
