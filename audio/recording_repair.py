"""A finished recording whose audio files were damaged after the fact (a bad copy, a disk
error, a truncated transfer): find which files no longer decode to their full length, and
repair them without losing anything that was there.

- a damaged track is cut at its last decodable frame and padded with silence to the take's
  length (so every file stays sample-aligned); the loss is stated;
- a damaged mix is rendered again from the tracks (the mix is their limited sum), or, with no
  tracks to render from, cut like a track;
- every damaged original is kept beside the repair under a `.damaged` name, never overwritten.

Runs on: the export's thread (it reads every file once; about a second per hour of audio).
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import av
import soundfile

from audio.recording_files import FolderLock, read_tolerant
from audio.recording_manifest import AuditLine, Manifest, clock_text, iso_utc, save_manifest
from audio.recording_mixdown import render_mix
from audio.recording_recovery import keep_damaged, rewrite_readable


class DamagedAudio(Exception):
    """An audio file of a recording that does not decode to its full length."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"{path.name} is damaged ({detail})")
        self.path = path


@dataclass(frozen=True, slots=True)
class FileCheck:
    file: str
    decodable_frames: int
    expected_frames: int  # what its header says (0: the header itself is unreadable)

    @property
    def whole(self) -> bool:
        return self.expected_frames > 0 and self.decodable_frames >= self.expected_frames


def check_file(folder: Path, file: str) -> FileCheck:
    path = folder / file
    try:
        expected = int(soundfile.info(str(path)).frames)
    except (OSError, RuntimeError):
        expected = 0
    try:
        decodable = sum(chunk.shape[0] for chunk in read_tolerant(path))
    except (OSError, av.FFmpegError, IndexError, ValueError):
        decodable = 0
    return FileCheck(file, decodable, expected)


def repair_damaged(folder: Path, manifest: Manifest) -> list[str]:
    """Repair every damaged audio file of a finished recording; returns one plain sentence per
    repair (empty: nothing was damaged). Raises DamagedAudio when nothing can be saved."""
    lock = FolderLock(folder)
    if not lock.acquire():
        raise DamagedAudio(folder / manifest.mix_file, "the folder is being recorded")
    try:
        return _repair(folder, manifest)
    finally:
        lock.release()


def _repair(folder: Path, manifest: Manifest) -> list[str]:
    rate = manifest.sample_rate_hz
    tracks = {t.file: check_file(folder, t.file) for t in manifest.tracks}
    mix = check_file(folder, manifest.mix_file)
    if mix.whole and all(c.whole for c in tracks.values()):
        return []
    take_frames = max(
        [manifest.ticks * manifest.tick_frames, mix.expected_frames]
        + [c.expected_frames for c in tracks.values()]
    )
    notes: list[str] = []
    for check in tracks.values():
        if check.whole:
            continue
        if check.decodable_frames == 0:
            raise DamagedAudio(folder / check.file, "nothing in it can be decoded")
        _cut(folder, check, rate, take_frames)
        lost_s = (take_frames - check.decodable_frames) / rate
        notes.append(
            f"{check.file} was damaged: cut at its last readable frame "
            f"({clock_text(check.decodable_frames / rate)}), {lost_s:.1f} s lost; "
            f"the original is kept as {Path(check.file).stem}.damaged.flac"
        )
    if not mix.whole:
        if manifest.tracks:
            kept = keep_damaged(folder / manifest.mix_file)
            partial = folder / (manifest.mix_file + ".partial")
            try:
                render_mix(folder, manifest, partial, total_frames=take_frames)
                os.replace(partial, folder / manifest.mix_file)
            except BaseException:
                with contextlib.suppress(OSError):
                    partial.unlink()
                os.replace(kept, folder / manifest.mix_file)  # put it back as it was
                raise
            notes.append(
                f"{manifest.mix_file} was damaged: rendered again from the "
                f"{len(manifest.tracks)} track(s); the original is kept as {kept.name}"
            )
        elif mix.decodable_frames > 0:
            _cut(folder, mix, rate, take_frames)
            lost_s = (take_frames - mix.decodable_frames) / rate
            notes.append(
                f"{manifest.mix_file} was damaged and there are no tracks to render it from: "
                f"cut at {clock_text(mix.decodable_frames / rate)}, {lost_s:.1f} s lost"
            )
        else:
            raise DamagedAudio(folder / manifest.mix_file, "nothing in it can be decoded")
    manifest.damage.extend(notes)
    manifest.audit.append(
        AuditLine(iso_utc(os.path.getmtime(folder)), "repaired", detail="; ".join(notes))
    )
    save_manifest(folder, manifest)
    return notes


def _cut(folder: Path, check: FileCheck, rate: int, take_frames: int) -> None:
    """Keep the damaged file under another name; write its readable part, padded, in its place."""
    path = folder / check.file
    kept = keep_damaged(path)
    shutil.copyfile(kept, path)
    rewrite_readable(path, rate, take_frames, measure_talk=False)
