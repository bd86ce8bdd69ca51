"""A recording folder's manifest: what was recorded, by whom, with whose consent.

The folder holds `manifest.json`, `mix.flac` and `tracks/<safe-name>-<user_id>.flac`; every file
starts at the recording's tick 0 (late joiners are padded with silence), so sample n of one file
is sample n of every other. The manifest is rewritten whole and atomically (temporary file,
fsync, rename), so a crash leaves the previous version, never half of one.

Times of day are ISO 8601 UTC strings; times in the recording are seconds from its start.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "roomcast-recording"
MANIFEST_VERSION = 1
MIX_NAME = "mix.flac"
TRACKS_DIR = "tracks"
EXPORTS_DIR = "exports"
LOCK_NAME = ".recording.lock"
TICK_FRAMES = 960  # 20 ms at 48 kHz: one tick of the relay's mixer clock

RecordingState = Literal["recording", "stopped", "failed"]


class RecordingFolderError(Exception):
    """A folder that is not a readable recording; the message says what to do."""


@dataclass
class TrackEntry:
    file: str  # relative to the folder, with forward slashes
    user_id: str
    display_name: str
    first_tick: int  # first tick with this speaker's audio; silence before it
    talk_time_s: float = 0.0
    # Ticks of this voice the relay had to repair or leave out (absent in older manifests: 0).
    concealed_ticks: int = 0  # lost or late packets filled in by Opus FEC or PLC
    fec_ticks: int = 0  # of those, rebuilt from in-band FEC (the rest: PLC)
    silent_gap_ticks: int = 0  # silence while they were sending (concealment gave up)


@dataclass
class MarkerEntry:
    tick: int
    time_s: float
    label: str
    by: str  # user id
    by_name: str
    at: str  # wall clock, ISO 8601 UTC


@dataclass
class ConsentLine:
    """One answer in the consent ledger (`answer`: pending = asked, granted, declined)."""

    user_id: str
    display_name: str
    at: str
    answer: str


@dataclass
class StrikeEntry:
    """A span of one person's voice struck from the take at their (or a host's) request, in this
    folder's sample clock: ticks [from_tick, to_tick) of their track are silence and the mix is
    rendered without it (`applied`). `reaches_back_s`: how much of the span lies before this
    folder's tick 0, in the take's earlier parts (audio/recording_parts.py)."""

    user_id: str
    display_name: str
    by: str
    by_name: str
    at: str  # wall clock, ISO 8601 UTC
    span: str  # what was chosen: last_minute, last_5_minutes, last_15_minutes, since_joined
    from_tick: int
    to_tick: int
    from_s: float
    to_s: float
    reaches_back_s: float = 0.0
    applied: bool = False


@dataclass
class ExportRecord:
    """An export of this recording: `path` relative to the folder when inside it. `stale`: a
    strike came after it, so it still holds what was struck."""

    path: str
    made_at: str
    stale: bool = False
    stale_since: str | None = None


@dataclass
class AuditLine:
    at: str
    action: str
    user_id: str = ""
    display_name: str = ""
    detail: str = ""


@dataclass
class Manifest:
    room_id: str = ""
    room_title: str = ""
    state: RecordingState = "recording"
    recovered: bool = False
    started_at: str = ""
    stopped_at: str | None = None
    sample_rate_hz: int = 48_000
    tick_frames: int = TICK_FRAMES
    origin_tick: int | None = None  # the room clock's tick that is this recording's tick 0
    ticks: int = 0  # ticks written (a lower bound while recording)
    duration_s: float = 0.0
    mix_file: str = MIX_NAME
    tracks: list[TrackEntry] = field(default_factory=list)
    markers: list[MarkerEntry] = field(default_factory=list)
    consent_ledger: list[ConsentLine] = field(default_factory=list)
    participants: dict[str, str] = field(default_factory=dict)  # user id -> display name
    # "per_speaker": those who did not say yes are left out; "all_party": nothing is written
    # while anyone on stage has not said yes.
    consent_mode: str = "per_speaker"
    dropped_ticks: int = 0  # silence in every file: clock_skipped_ticks + writer_dropped_ticks
    clock_skipped_ticks: int = 0  # the relay's mixer clock fell behind and skipped them
    writer_dropped_ticks: int = 0  # the writer could not keep up with them
    error: str | None = None
    damage: list[str] = field(default_factory=list)
    """What was found damaged and what was done about it, in plain sentences (the library
    marks such a folder); empty for a sound recording."""
    ledger_lost: bool = False
    """The consent ledger could not be established (manifest and ledger file both damaged or
    gone): nobody can tell who agreed to be recorded, so export refuses it."""
    audit: list[AuditLine] = field(default_factory=list)
    strikes: list[StrikeEntry] = field(default_factory=list)
    exports: list[ExportRecord] = field(default_factory=list)
    format: str = MANIFEST_FORMAT
    version: int = MANIFEST_VERSION

    def track_of(self, user_id: str) -> TrackEntry | None:
        return next((t for t in self.tracks if t.user_id == user_id), None)

    @property
    def stale_exports(self) -> list[ExportRecord]:
        return [e for e in self.exports if e.stale]

    def name_of(self, user_id: str) -> str:
        return self.participants.get(user_id) or user_id

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Manifest:
        if data.get("format") != MANIFEST_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {MANIFEST_FORMAT!r}")
        if int(data.get("version", 0)) > MANIFEST_VERSION:
            raise ValueError(
                f"version {data['version']} is newer than this Roomcast reads "
                f"({MANIFEST_VERSION}); update Roomcast"
            )
        plain = {
            k: v
            for k, v in data.items()
            if k in cls.__dataclass_fields__
            and k not in ("tracks", "markers", "consent_ledger", "audit", "strikes", "exports")
        }
        manifest = cls(**plain)
        track_fields = TrackEntry.__dataclass_fields__
        manifest.tracks = [
            TrackEntry(**{k: v for k, v in t.items() if k in track_fields})
            for t in data.get("tracks", [])
        ]
        manifest.markers = [MarkerEntry(**m) for m in data.get("markers", [])]
        manifest.consent_ledger = [ConsentLine(**c) for c in data.get("consent_ledger", [])]
        manifest.audit = [AuditLine(**a) for a in data.get("audit", [])]
        manifest.strikes = [StrikeEntry(**a) for a in data.get("strikes", [])]
        manifest.exports = [ExportRecord(**a) for a in data.get("exports", [])]
        return manifest


def iso_utc(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def clock_text(seconds: float) -> str:
    """hh:mm:ss (whole seconds, rounded down)."""
    whole = max(0, int(seconds))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


_UNSAFE = re.compile(r"[^a-z0-9]+")


def safe_name(text: str, fallback: str = "speaker", max_chars: int = 40) -> str:
    """A file-name-safe slug: ASCII lower case, digits and dashes ("Zoë K." -> "zoe-k")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _UNSAFE.sub("-", ascii_text.lower()).strip("-")[:max_chars].strip("-")
    return slug or fallback


def track_file_name(display_name: str, user_id: str) -> str:
    return f"{TRACKS_DIR}/{safe_name(display_name)}-{safe_name(user_id, 'user', 64)}.flac"


def load_manifest(folder: Path) -> Manifest:
    """Read `folder/manifest.json`; RecordingFolderError says what is wrong, in plain words."""
    path = folder / MANIFEST_NAME
    if not folder.is_dir():
        raise RecordingFolderError(f"No recording at {folder}: the folder does not exist.")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordingFolderError(
            f"{folder} is not a Roomcast recording: it has no {MANIFEST_NAME}."
        ) from None
    except OSError as exc:
        raise RecordingFolderError(f"Could not read {path}: {exc.strerror}.") from exc
    except UnicodeDecodeError as exc:
        raise RecordingFolderError(
            f"{path} is damaged (not UTF-8 text at byte {exc.start}); "
            "the recording's audio files may still be usable."
        ) from exc
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return Manifest.from_dict(data)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise RecordingFolderError(
            f"{path} is damaged ({exc}); the recording's audio files may still be usable."
        ) from exc


def save_manifest(folder: Path, manifest: Manifest) -> None:
    """Write the manifest atomically: a crash leaves the old one or the new one, never half."""
    path = folder / MANIFEST_NAME
    temporary = folder / (MANIFEST_NAME + ".tmp")
    data = manifest.to_json().encode("utf-8")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_directory(folder)


def fsync_directory(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.fsync(fd)
    os.close(fd)
