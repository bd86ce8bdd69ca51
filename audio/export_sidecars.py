"""The files that travel with an export: chapters (Podcasting 2.0 JSON), an Audacity label
track, and show notes (speakers with their talk time, chapters as hh:mm:ss).

Chapters come from the markers: each runs from its marker to the next (the last to the end).
When the first marker comes after the first second, an "Opening" chapter covers the start, so
players that list chapters show the whole episode.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from audio.export_encode import Chapter
from audio.recording_manifest import Manifest, clock_text, parse_iso

OPENING_TITLE = "Opening"
JSON_CHAPTERS_VERSION = "1.2.0"


def chapters_from(manifest: Manifest, duration_s: float) -> list[Chapter]:
    starts: list[tuple[float, str]] = []
    for marker in sorted(manifest.markers, key=lambda m: m.time_s):
        start = max(0.0, round(marker.time_s, 3))
        if start >= duration_s:
            continue  # after the end: nothing to mark
        if starts and start - starts[-1][0] < 0.001:
            starts[-1] = (starts[-1][0], marker.label)  # two marks at once: the later label
            continue
        starts.append((start, marker.label))
    if not starts:
        return []
    if starts[0][0] >= 1.0:
        starts.insert(0, (0.0, OPENING_TITLE))
    else:
        starts[0] = (0.0, starts[0][1])
    ends = [s for s, _ in starts[1:]] + [round(duration_s, 3)]
    return [Chapter(s, e, t) for (s, t), e in zip(starts, ends, strict=True)]


def write_chapters_json(path: Path, chapters: list[Chapter], title: str) -> None:
    """Podcasting 2.0 JSON chapters (podcastindex.org namespace, `application/json+chapters`)."""
    document: dict[str, object] = {"version": JSON_CHAPTERS_VERSION}
    if title:
        document["title"] = title
    document["chapters"] = [
        {"startTime": c.start_s, "endTime": c.end_s, "title": c.title} for c in chapters
    ]
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_audacity_labels(path: Path, chapters: list[Chapter]) -> None:
    """Audacity's label track text: start, end, label, tab-separated, one region per chapter
    (File > Import > Labels; Export Multiple can then split by them)."""
    lines = [f"{c.start_s:.6f}\t{c.end_s:.6f}\t{' '.join(c.title.split())}\n" for c in chapters]
    path.write_text("".join(lines), encoding="utf-8")


def write_show_notes(
    path: Path, manifest: Manifest, chapters: list[Chapter], duration_s: float
) -> None:
    title = manifest.room_title or "Untitled room"
    lines = [f"# {title}", ""]
    summary = [f"Duration {clock_text(duration_s)}"]
    if manifest.started_at:
        day = datetime.fromtimestamp(parse_iso(manifest.started_at), UTC).strftime("%Y-%m-%d")
        summary.insert(0, f"Recorded {day}")
    lines += [" · ".join(summary), ""]
    speakers = sorted(manifest.tracks, key=lambda t: (-t.talk_time_s, t.display_name.lower()))
    if speakers:
        lines += ["## Speakers", "", "| Speaker | Talk time |", "|---|---|"]
        lines += [
            f"| {_cell(t.display_name or t.user_id)} | {clock_text(t.talk_time_s)} |"
            for t in speakers
        ]
        lines.append("")
    if chapters:
        lines += ["## Chapters", ""]
        lines += [f"- {clock_text(c.start_s)} {c.title}" for c in chapters]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
