"""The recordings library's data: one row per recording folder, read from its manifest, and a
table model kept in step with a fresh scan by row changes only (a selection survives).

`scan_recordings` reads the disk (manifests, the writer's lock, file sizes): it runs on a
worker thread, never on the GUI thread. The model runs on the Qt main thread.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from audio.recording_files import folder_is_busy
from audio.recording_manifest import (
    MANIFEST_NAME,
    RecordingFolderError,
    load_manifest,
    parse_iso,
)
from audio.recording_parts import first_of, parts_of
from console.settings import Settings
from ui.room_models import clock_text

# The relay writes `<its data dir>/recordings/<stamp>-<title>-<room>-take<N>/` (server/recorder.py);
# the embedded relay's data dir is `<console data dir>/relay` (console/supervisor.py).
RECORDINGS_DIR = "recordings"
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1

STATE_WORDS = {
    "stopped": "Finished",
    "recording": "Recording now",
    "failed": "Stopped by an error",
    "interrupted": "Cut short (repaired on export)",
    "unreadable": "Unreadable",
    "damaged": "Damaged (repaired; see details)",
}


def recordings_root(relay_data_dir: Path) -> Path:
    return relay_data_dir / RECORDINGS_DIR


def recordings_folder(settings: Settings, data_dir: Path) -> Path:
    """Where the console's embedded relay records: the chosen folder, or its own default."""
    if settings.recordings_dir:
        return Path(settings.recordings_dir).expanduser()
    return recordings_root(data_dir / "relay")


def relay_args(settings: Settings, data_dir: Path) -> list[str]:
    """The embedded relay's recording options from the console's settings: the folder. The
    retention the host set in Recordings is applied by the console itself, at start and hourly,
    to the same folder (so it can say what it deleted; `roomcast relay --keep-recordings-days`
    is the standalone relay's way)."""
    return ["--recordings-dir", str(recordings_folder(settings, data_dir))]


@dataclass(frozen=True, slots=True)
class Speaker:
    user_id: str
    name: str
    talk_time_s: float


@dataclass(frozen=True, slots=True)
class RecordingRow:
    folder: Path
    title: str
    started_at: float  # epoch seconds (the folder's time when the manifest has none)
    duration_s: float
    speakers: tuple[Speaker, ...]  # who has a track (said yes and spoke)
    declined: tuple[str, ...]  # names of those whose last answer was no
    markers: int
    recovered: bool
    state: str  # a key of STATE_WORDS
    problem: str  # the manifest's error, or why it cannot be read
    size_bytes: int
    mix_file: str = "mix.flac"
    concealed_ticks: int = 0  # summed over tracks: lost or late packets filled in (FEC/PLC)
    silent_gap_ticks: int = 0  # summed over tracks: silence while someone was sending
    dropped_ticks: int = 0  # the whole take: silence in every file (clock or writer behind)
    tick_s: float = 0.02
    ledger_lost: bool = False  # the consent ledger could not be established: no export
    parts: int = 1  # a take that went on after a crash in <folder>-part2, …: listed as one
    struck: tuple[str, ...] = ()  # spans struck from the record at someone's request (keys)
    stale_exports: int = 0  # exports made before a strike: they still hold what was struck

    @property
    def key(self) -> str:
        return self.folder.name

    @property
    def strikes(self) -> int:
        return len(self.struck)

    @property
    def busy(self) -> bool:
        return self.state == "recording"

    def gaps_text(self) -> str:
        """What the relay had to repair or leave out, e.g. "12 concealed, 3 dropped (0.3 s)"."""
        parts = [
            f"{count} {word}"
            for count, word in (
                (self.concealed_ticks, "concealed"),
                (self.silent_gap_ticks, "silent"),
                (self.dropped_ticks, "dropped"),
            )
            if count
        ]
        if not parts:
            return "none"
        total_s = (self.concealed_ticks + self.silent_gap_ticks + self.dropped_ticks) * self.tick_s
        return f"{', '.join(parts)} ({total_s:.1f} s)"

    def state_text(self) -> str:
        text = STATE_WORDS.get(self.state, self.state)
        text += " · recovered after a crash" if self.recovered else ""
        text += f" · {self.parts} parts" if self.parts > 1 else ""
        if self.strikes:
            text += f" · {self.strikes} span{'s' if self.strikes > 1 else ''} struck"
        if self.stale_exports:
            many = self.stale_exports > 1
            text += (
                f" · {self.stale_exports} export{'s' if many else ''} out of date "
                "(made before a strike; export again)"
            )
        return text


def _size(folder: Path) -> int:
    total = 0
    for base, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(base, name)).st_size
            except OSError:
                continue
    return total


def read_row(folder: Path) -> RecordingRow:
    """One recording folder as a row. Runs on: a worker thread."""
    try:
        manifest = load_manifest(folder)
    except RecordingFolderError as exc:
        return RecordingRow(
            folder, folder.name, folder.stat().st_mtime, 0.0, (), (), 0, False,
            "unreadable", str(exc), _size(folder),
        )  # fmt: skip
    if folder_is_busy(folder):
        state = "recording"
    elif manifest.state == "recording":
        state = "interrupted"  # no writer holds it: a crash cut it short
    elif manifest.damage:
        state = "damaged"
    else:
        state = str(manifest.state)
    duration_s = manifest.duration_s or manifest.ticks * manifest.tick_frames / max(
        1, manifest.sample_rate_hz
    )
    try:
        started_at = parse_iso(manifest.started_at) if manifest.started_at else 0.0
    except ValueError:
        started_at = 0.0
    latest: dict[str, str] = {}
    for line in manifest.consent_ledger:
        latest[line.user_id] = line.answer
    declined = tuple(manifest.name_of(u) for u, answer in latest.items() if answer == "declined")
    speakers = tuple(Speaker(t.user_id, t.display_name, t.talk_time_s) for t in manifest.tracks)
    return RecordingRow(
        folder=folder,
        title=manifest.room_title or folder.name,
        started_at=started_at or folder.stat().st_mtime,
        duration_s=duration_s,
        speakers=speakers,
        declined=declined,
        markers=len(manifest.markers),
        recovered=manifest.recovered,
        state=state,
        problem=" ".join(filter(None, [manifest.error or "", *manifest.damage])),
        size_bytes=_size(folder),
        mix_file=manifest.mix_file,
        concealed_ticks=sum(t.concealed_ticks for t in manifest.tracks),
        silent_gap_ticks=sum(t.silent_gap_ticks for t in manifest.tracks),
        dropped_ticks=manifest.dropped_ticks,
        tick_s=manifest.tick_frames / max(1, manifest.sample_rate_hz),
        ledger_lost=manifest.ledger_lost,
        struck=tuple(f"{s.user_id}@{s.at}" for s in manifest.strikes),
        stale_exports=len(manifest.stale_exports),
    )


def read_take(folder: Path) -> RecordingRow:
    """A take as one row: its first folder, with any parts it went on in after a crash
    (audio/recording_parts.py) added up. Runs on: a worker thread."""
    row = read_row(folder)
    later = parts_of(folder)[1:]
    if not later or row.state == "unreadable":
        return row
    rows = [row, *(read_row(part) for part in later)]
    speakers: dict[str, Speaker] = {}
    for part in rows:
        for s in part.speakers:
            known = speakers.get(s.user_id)
            total = s.talk_time_s + (known.talk_time_s if known else 0.0)
            speakers[s.user_id] = Speaker(s.user_id, s.name, total)
    states = [part.state for part in rows]
    state = next((s for s in ("recording", "unreadable", "damaged", "interrupted") if s in states),
                 row.state)  # fmt: skip
    return replace(
        row,
        duration_s=sum(part.duration_s for part in rows),
        speakers=tuple(speakers.values()),
        declined=tuple(dict.fromkeys(n for part in rows for n in part.declined)),
        markers=sum(part.markers for part in rows),
        recovered=any(part.recovered for part in rows),
        state=state,
        problem=" ".join(p.problem for p in rows if p.problem),
        size_bytes=sum(part.size_bytes for part in rows),
        concealed_ticks=sum(part.concealed_ticks for part in rows),
        silent_gap_ticks=sum(part.silent_gap_ticks for part in rows),
        dropped_ticks=sum(part.dropped_ticks for part in rows),
        ledger_lost=any(part.ledger_lost for part in rows),
        parts=len(rows),
        # A span carried into an earlier part is the same strike (same person, same moment).
        struck=tuple(dict.fromkeys(key for part in rows for key in part.struck)),
        stale_exports=sum(part.stale_exports for part in rows),
    )


def scan_recordings(root: Path) -> list[RecordingRow]:
    """Every recording under `root`, newest first; a take in parts is one row. Runs on: a
    worker thread."""
    if not root.is_dir():
        return []
    rows = []
    for folder in root.iterdir():
        if folder.is_dir() and (folder / MANIFEST_NAME).is_file() and first_of(folder) is None:
            try:
                rows.append(read_take(folder))
            except OSError:
                continue  # deleted while we looked
    rows.sort(key=lambda r: (r.started_at, r.folder.name), reverse=True)
    return rows


def size_text(size_bytes: int) -> str:
    if size_bytes >= 1024**3:
        return f"{size_bytes / 1024**3:.1f} GB"
    if size_bytes >= 1024**2:
        return f"{size_bytes / 1024**2:.1f} MB"
    return f"{max(1, size_bytes // 1024)} kB"


Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Title", "Recorded", "Length", "Speakers", "State", "Size", "Gaps")
GAPS_COLUMN = 6
GAPS_TIP = (
    "Ticks of 20 ms the relay had to repair or leave out. Concealed: a speaker's packet was "
    "lost or late and Opus filled it in (FEC or concealment). Silent: they were sending but "
    "nothing arrived for over 100 ms. Dropped: the relay fell behind; silence in every track."
)


class RecordingsModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[RecordingRow] = []

    # -- Qt ---------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == GAPS_COLUMN:
                return GAPS_TIP
            return "\n".join(x for x in (str(row.folder), row.problem) if x)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._cell(row, index.column())
        return None

    def _cell(self, row: RecordingRow, column: int) -> str | None:
        if column == 0:
            return row.title
        if column == 1:
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(row.started_at))
        if column == 2:
            return clock_text(row.duration_s)
        if column == 3:
            names = ", ".join(s.name for s in row.speakers) or "nobody"
            return names + (f" (declined: {', '.join(row.declined)})" if row.declined else "")
        if column == 4:
            return row.state_text()
        if column == 5:
            return size_text(row.size_bytes)
        if column == GAPS_COLUMN:
            return "" if row.state == "unreadable" else row.gaps_text()
        return None

    # -- reading ----------------------------------------------------------------------------------

    def rows(self) -> list[RecordingRow]:
        return list(self._rows)

    def row_at(self, row: int) -> RecordingRow:
        return self._rows[row]

    def row_of(self, key: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.key == key), -1)

    # -- writing ----------------------------------------------------------------------------------

    def sync(self, rows: list[RecordingRow]) -> None:
        """Reach `rows` (unique folders) by removals, insertions, moves and changed rows."""
        wanted = {r.key for r in rows}
        for i in range(len(self._rows) - 1, -1, -1):
            if self._rows[i].key not in wanted:
                self.beginRemoveRows(QModelIndex(), i, i)
                del self._rows[i]
                self.endRemoveRows()
        for target, row in enumerate(rows):
            current = self.row_of(row.key)
            if current == -1:
                self.beginInsertRows(QModelIndex(), target, target)
                self._rows.insert(target, row)
                self.endInsertRows()
                continue
            if current != target:  # only ever later than target: earlier rows are in place
                self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), target)
                self._rows.insert(target, self._rows.pop(current))
                self.endMoveRows()
            if self._rows[target] != row:
                self._rows[target] = row
                self.dataChanged.emit(self.index(target, 0), self.index(target, len(COLUMNS) - 1))
