"""A take in parts: when the relay (or the media worker recording it) crashed mid-take, the take
went on in `<first folder>-part2`, `-part3`, … (server/recorder.py, server/media/coordinator.py).
The library lists such a take once and export renders it as one; this module finds the parts
and joins them into one folder, end to end.

Joining streams the files a block at a time (a take may be hours long): the mix, and per speaker
their track from each part they are in (silence for a part they are not in), so every file of the
joined folder stays sample-aligned with its mix. The crash's hole between parts is not filled: a
podcast should not carry seconds of nothing; the audit says where the joins are.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile

from audio.recording_manifest import (
    AuditLine,
    Manifest,
    MarkerEntry,
    TrackEntry,
    iso_utc,
    load_manifest,
    save_manifest,
)

_PART = re.compile(r"^(?P<first>.+)-part(?P<n>\d+)$")
BLOCK_FRAMES = 48_000 * 10  # ten seconds at a time


@dataclass(frozen=True, slots=True)
class Part:
    folder: Path
    manifest: Manifest
    frames: int  # the mix's length: every file of this part has it


def first_of(folder: Path) -> Path | None:
    """The take's first folder, if `folder` is a later part (whose first still exists)."""
    found = _PART.match(folder.name)
    if found is None:
        return None
    first = folder.with_name(found.group("first"))
    return first if first.is_dir() else None


def parts_of(first: Path) -> list[Path]:
    """The take's folders in order: `first`, then `-part2`, `-part3`, … that exist."""
    later: list[tuple[int, Path]] = []
    if first.parent.is_dir():
        for entry in first.parent.iterdir():
            found = _PART.match(entry.name)
            if found and found.group("first") == first.name and entry.is_dir():
                later.append((int(found.group("n")), entry))
    return [first, *(path for _, path in sorted(later))]


def join_parts(parts: list[Path], into: Path) -> Path:
    """Write the take's parts end to end as one recording folder `into` (made here); returns
    it. The manifest is the first part's with every part's tracks, markers (moved by the length
    before them), consent ledger and audit, and an audit line per join."""
    loaded = [_load(folder) for folder in parts]
    into.mkdir(parents=True)
    first = loaded[0].manifest
    joined = copy.deepcopy(first)
    joined.tracks, joined.markers, joined.consent_ledger, joined.audit = [], [], [], []
    info = soundfile.info(str(loaded[0].folder / first.mix_file))
    _concat(
        [(p.folder / p.manifest.mix_file, p.frames) for p in loaded],
        into / first.mix_file,
        info,
    )
    speakers: dict[str, TrackEntry] = {}
    for part in loaded:
        for track in part.manifest.tracks:
            speakers.setdefault(track.user_id, track)
    for user_id, sample in speakers.items():
        sources: list[tuple[Path | None, int]] = []
        shown = next(
            p.folder / t.file for p in loaded for t in p.manifest.tracks if t.user_id == user_id
        )
        entry = TrackEntry(sample.file, user_id, sample.display_name, first_tick=-1)
        offset_ticks = 0
        for part in loaded:
            own = next((t for t in part.manifest.tracks if t.user_id == user_id), None)
            sources.append((part.folder / own.file if own else None, part.frames))
            if own is not None:
                if entry.first_tick < 0:
                    entry.first_tick = offset_ticks + own.first_tick
                entry.talk_time_s += own.talk_time_s
                entry.concealed_ticks += own.concealed_ticks
                entry.fec_ticks += own.fec_ticks
                entry.silent_gap_ticks += own.silent_gap_ticks
            offset_ticks += part.frames // max(1, part.manifest.tick_frames)
        (into / sample.file).parent.mkdir(parents=True, exist_ok=True)
        _concat(sources, into / sample.file, soundfile.info(str(shown)))
        joined.tracks.append(entry)
    offset_ticks, offset_s = 0, 0.0
    for index, part in enumerate(loaded):
        manifest = part.manifest
        for marker in manifest.markers:
            joined.markers.append(
                MarkerEntry(
                    marker.tick + offset_ticks,
                    marker.time_s + offset_s,
                    marker.label,
                    marker.by,
                    marker.by_name,
                    marker.at,
                )
            )
        joined.consent_ledger += manifest.consent_ledger
        joined.participants.update(manifest.participants)
        joined.audit += manifest.audit
        if index:
            joined.audit.append(
                AuditLine(
                    manifest.started_at or iso_utc(0),
                    "joined_part",
                    detail=f"{part.folder.name} follows at {offset_s:.2f} s",
                )
            )
        offset_ticks += part.frames // max(1, manifest.tick_frames)
        offset_s += part.frames / max(1, manifest.sample_rate_hz)
    joined.ticks = offset_ticks
    joined.duration_s = offset_s
    joined.stopped_at = loaded[-1].manifest.stopped_at
    joined.dropped_ticks = sum(p.manifest.dropped_ticks for p in loaded)
    joined.recovered = any(p.manifest.recovered for p in loaded)
    save_manifest(into, joined)
    return into


def _load(folder: Path) -> Part:
    manifest = load_manifest(folder)
    frames = soundfile.info(str(folder / manifest.mix_file)).frames
    return Part(folder, manifest, frames)


def _concat(sources: list[tuple[Path | None, int]], out: Path, like: Any) -> None:
    """Each source (or silence, for None) for exactly its frames, one after another."""
    with soundfile.SoundFile(
        str(out), "w", samplerate=like.samplerate, channels=like.channels, format=like.format,
        subtype=like.subtype,
    ) as sink:  # fmt: skip
        for path, frames in sources:
            written = 0
            if path is not None:
                with soundfile.SoundFile(str(path)) as source:
                    while written < frames:
                        block = source.read(min(BLOCK_FRAMES, frames - written), dtype="float32")
                        if not len(block):
                            break
                        sink.write(block)
                        written += len(block)
            while written < frames:
                count = min(BLOCK_FRAMES, frames - written)
                shape = (count, like.channels) if like.channels > 1 else (count,)
                sink.write(np.zeros(shape, dtype=np.float32))
                written += count
