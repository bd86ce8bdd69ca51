"""What a recording's manifest learns while it is being written: names, consent answers and
markers. The relay's loop queues commands; the writer thread applies them in order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from audio.recording_manifest import ConsentLine, Manifest, MarkerEntry, iso_utc


class LedgerEntry(Protocol):
    """One consent answer as the room keeps it (server.room.ConsentEntry fits)."""

    @property
    def user_id(self) -> str: ...

    @property
    def at(self) -> float: ...

    @property
    def consent(self) -> object: ...  # an Enum whose value is "pending"/"granted"/"declined"


@dataclass(frozen=True, slots=True)
class MarkerCommand:
    tick: int | None  # the room clock's tick; None: the latest tick handed over
    label: str
    by: str
    at: float


@dataclass(frozen=True, slots=True)
class ParticipantCommand:
    user_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class LedgerCommand:
    lines: tuple[tuple[str, float, str], ...]  # (user id, wall clock, answer)

    @classmethod
    def of(cls, entries: Iterable[LedgerEntry]) -> LedgerCommand:
        return cls(
            tuple(
                (e.user_id, float(e.at), str(getattr(e.consent, "value", e.consent)))
                for e in entries
            )
        )


JournalCommand = MarkerCommand | ParticipantCommand | LedgerCommand


class Journal:
    """Runs on: the writer thread. Applies commands to the manifest; markers wait until the
    recording's first tick is known (their time counts from it)."""

    def __init__(self, manifest: Manifest, tick_s: float) -> None:
        self.manifest = manifest
        self.tick_s = tick_s
        self._waiting: list[MarkerCommand] = []

    def apply(self, command: JournalCommand) -> None:
        manifest = self.manifest
        match command:
            case ParticipantCommand(user_id=user_id, display_name=name):
                manifest.participants[user_id] = name
                track = manifest.track_of(user_id)
                if track is not None:
                    track.display_name = name
            case LedgerCommand(lines=lines):
                manifest.consent_ledger = [
                    ConsentLine(uid, manifest.name_of(uid), iso_utc(at), answer)
                    for uid, at, answer in lines
                ]
            case MarkerCommand():
                self._waiting.append(command)

    def place_markers(self, origin: int | None, last_tick: int | None) -> bool:
        """Give waiting markers their place; True if any was placed."""
        if not self._waiting or origin is None:
            return False
        for marker in self._waiting:
            tick = marker.tick if marker.tick is not None else last_tick
            relative = max(0, (tick if tick is not None else origin) - origin)
            self.manifest.markers.append(
                MarkerEntry(
                    relative,
                    round(relative * self.tick_s, 3),
                    marker.label,
                    marker.by,
                    self.manifest.name_of(marker.by),
                    iso_utc(marker.at),
                )
            )
        self.manifest.markers.sort(key=lambda m: m.tick)
        self._waiting.clear()
        return True
