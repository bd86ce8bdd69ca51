"""The console's Qt models of one room: stage, requests, audience, log, reports, reactions,
links, talk time. Each is filled from the room mirror with `KeyedListModel.sync` (row-level
changes only); the stage's meters move together, one `dataChanged` per display tick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt

from console.level_board import LevelBoard
from console.room_view import FiledReport, PinnedLink, Role, Room, name_of
from ui.keyed_model import FIRST_CUSTOM_ROLE, KeyedListModel
from ui.meter import MeterState
from ui.plain import plain_tooltip

ROLE_ROLE = FIRST_CUSTOM_ROLE
MUTED_ROLE = FIRST_CUSTOM_ROLE + 1
SPEAKING_ROLE = FIRST_CUSTOM_ROLE + 2
LEVEL_ROLE = FIRST_CUSTOM_ROLE + 3
WAITING_ROLE = FIRST_CUSTOM_ROLE + 4
SELF_ROLE = FIRST_CUSTOM_ROLE + 5

ROLE_LABEL = {Role.HOST: "Host", Role.COHOST: "Co-host", Role.SPEAKER: "Speaker"}


def clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- the stage ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StageRow:
    user_id: str
    name: str
    role: Role
    muted: bool
    speaking: bool
    is_self: bool


@dataclass(frozen=True, slots=True)
class RowLook:
    """A stage row as painted: its still part (all but the levels) and its meter."""

    name: str
    key: str
    speaking: bool
    muted: bool
    role_label: str
    vu_db: float
    peak_db: float


class StageModel(KeyedListModel[StageRow]):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.meters: dict[str, MeterState] = {}
        self.me: str | None = None
        self.moved_rows: tuple[int, ...] = ()  # whose meter moved on the latest tick

    def key_of(self, item: StageRow) -> str:
        return item.user_id

    def display(self, item: StageRow) -> str:
        return item.name

    def extra(self, item: StageRow, row: int, role: int) -> Any:
        if role == ROLE_ROLE:
            return ROLE_LABEL.get(item.role, "")
        if role == MUTED_ROLE:
            return item.muted
        if role == SPEAKING_ROLE:
            return item.speaking and not item.muted
        if role == SELF_ROLE:
            return item.is_self
        if role == LEVEL_ROLE:
            meter = self.meters.get(item.user_id)
            return (meter.vu_db, meter.peak_db) if meter else (-120.0, -120.0)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(
                f"{item.name} — {ROLE_LABEL.get(item.role, '')}"
                + (" (muted)" if item.muted else "")
            )
        return None

    def look(self, row: int) -> RowLook | None:
        """Everything the stage delegate paints for `row`, in one call (a meter repaints 25
        times a second; seven `data()` round trips through Qt per paint were most of it)."""
        if not 0 <= row < len(self._items):
            return None
        item = self._items[row]
        meter = self.meters.get(item.user_id)
        label = ROLE_LABEL.get(item.role, "") + (" · you" if item.is_self else "")
        return RowLook(
            item.name,
            item.user_id,
            item.speaking and not item.muted,
            item.muted,
            label,
            meter.vu_db if meter else -120.0,
            meter.peak_db if meter else -120.0,
        )

    def sync_room(self, room: Room, speaking: dict[str, bool]) -> None:
        rows = [
            StageRow(
                p.user_id,
                p.display_name,
                p.role,
                p.muted,
                speaking.get(p.user_id, False),
                p.user_id == self.me,
            )
            for p in (() if room.state.is_over else room.stage())  # an ended room is empty
        ]
        self.sync(rows)
        for uid in list(self.meters):
            if self.row_of(uid) < 0:
                del self.meters[uid]
        for row in rows:
            self.meters.setdefault(row.user_id, MeterState())

    def set_speaking(self, user_id: str, speaking: bool) -> None:
        row = self.row_of(user_id)
        if row < 0 or self._items[row].speaking == speaking:
            return
        self._items[row] = replace(self._items[row], speaking=speaking)
        index = self.index(row)
        self.dataChanged.emit(index, index, [SPEAKING_ROLE])

    def tick(self, board: LevelBoard, elapsed_s: float) -> int:
        """Advance every meter; the rows whose meter moved are told in one `dataChanged`
        (LEVEL_ROLE) from the first to the last of them, and listed in `moved_rows` for a
        view that repaints those meters only. Returns how many moved."""
        moved: list[int] = []
        meters = self.meters
        for row, item in enumerate(self._items):
            meter = meters.get(item.user_id)
            if meter is None:
                continue
            sample = board.latest(item.user_id)
            if meter.step(sample.rms_db, sample.peak_db, elapsed_s):
                moved.append(row)
        self.moved_rows = tuple(moved)
        if moved:
            self.dataChanged.emit(self.index(moved[0]), self.index(moved[-1]), [LEVEL_ROLE])
        return len(moved)

    def at_rest(self) -> bool:
        """No meter on stage shows anything (all at the floor)."""
        return all(meter.at_rest for meter in self.meters.values())


# -- requests and audience ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestRow:
    user_id: str
    name: str
    asked_at: float


class RequestModel(KeyedListModel[RequestRow]):
    """First come, first served: the relay's order, with how long each has waited."""

    def __init__(self, parent: Any = None, now: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self._now = now

    def key_of(self, item: RequestRow) -> str:
        return item.user_id

    def display(self, item: RequestRow) -> str:
        return f"{item.name}  ·  waiting {clock_text(self._now() - item.asked_at)}"

    def extra(self, item: RequestRow, row: int, role: int) -> Any:
        if role == WAITING_ROLE:
            return self._now() - item.asked_at
        return None

    def sync_room(self, room: Room) -> None:
        self.sync(
            [RequestRow(r.user_id, name_of(room, r.user_id), r.asked_at) for r in room.requests]
        )

    def tick_seconds(self) -> None:
        """The waiting times moved on: one dataChanged over all rows, display role only."""
        if self._items:
            self.dataChanged.emit(
                self.index(0), self.index(len(self._items) - 1), [Qt.ItemDataRole.DisplayRole]
            )


@dataclass(frozen=True, slots=True)
class ListenerRow:
    user_id: str
    name: str
    asked: bool


class AudienceModel(KeyedListModel[ListenerRow]):
    def key_of(self, item: ListenerRow) -> str:
        return item.user_id

    def display(self, item: ListenerRow) -> str:
        return f"{item.name}  ✋" if item.asked else item.name

    def sync_room(self, room: Room) -> None:
        asked = {r.user_id for r in room.requests}
        listeners = () if room.state.is_over else room.listeners()  # nobody is in an ended room
        self.sync([ListenerRow(p.user_id, p.display_name, p.user_id in asked) for p in listeners])


# -- logs and lists -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LogLine:
    seq: int
    at: float
    text: str
    mic_of: str = ""  # a self mute or unmute: whose microphone (a run of them is one line)


class LogModel(KeyedListModel[LogLine]):
    def key_of(self, item: LogLine) -> int:
        return item.seq

    def display(self, item: LogLine) -> str:
        return f"{time.strftime('%H:%M:%S', time.localtime(item.at))}  {item.text}"


@dataclass(frozen=True, slots=True)
class ReactionLine:
    n: int
    name: str
    emoji: str
    at: float


class ReactionModel(KeyedListModel[ReactionLine]):
    def key_of(self, item: ReactionLine) -> int:
        return item.n

    def display(self, item: ReactionLine) -> str:
        return f"{item.emoji}  {item.name}"


@dataclass(frozen=True, slots=True)
class ReportRow:
    key: tuple[str, str, float]
    text: str
    user_id: str | None


class ReportModel(KeyedListModel[ReportRow]):
    def key_of(self, item: ReportRow) -> tuple[str, str, float]:
        return item.key

    def display(self, item: ReportRow) -> str:
        return item.text

    def sync_room(self, room: Room, dismissed: set[tuple[str, str, float]] | None = None) -> None:
        rows = []
        # Reports past the rows the room keeps arrive as a count per person (or the room).
        for target, count in sorted(room.folded_reports.items()):
            about = name_of(room, target or None)
            text = f"{count} more report{'' if count == 1 else 's'} about {about}"
            rows.append(ReportRow(("", target, -1.0), text, target or None))
        for report in reversed(room.reports):  # newest first
            key = _report_key(report)
            if dismissed and key in dismissed:
                continue
            rows.append(ReportRow(key, _report_text(room, report), report.user_id))
        self.sync(rows)


def _report_key(report: FiledReport) -> tuple[str, str, float]:
    return (report.reporter_id, report.user_id or "", report.at)


def _report_text(room: Room, report: FiledReport) -> str:
    when = time.strftime("%H:%M", time.localtime(report.at))
    target = name_of(room, report.user_id)
    return f"{when}  {name_of(room, report.reporter_id)} reported {target}: “{report.reason}”"


class LinkModel(KeyedListModel[PinnedLink]):
    def key_of(self, item: PinnedLink) -> str:
        return item.url

    def display(self, item: PinnedLink) -> str:
        return f"{item.title} — {item.url}" if item.title else item.url

    def sync_room(self, room: Room) -> None:
        self.sync(list(room.pinned_links))


@dataclass(frozen=True, slots=True)
class TalkRow:
    user_id: str
    name: str
    seconds: int


class TalkTimeModel(KeyedListModel[TalkRow]):
    def key_of(self, item: TalkRow) -> str:
        return item.user_id

    def display(self, item: TalkRow) -> str:
        return f"{item.name}  —  {clock_text(item.seconds)}"

    def sync_totals(self, room: Room, totals: dict[str, float]) -> None:
        rows = [TalkRow(uid, name_of(room, uid), int(s)) for uid, s in totals.items() if s >= 1]
        rows.sort(key=lambda r: -r.seconds)
        self.sync(rows)
