"""The relay's room directory as the console lists it: one row per live or scheduled room,
from the cards `GET /api/rooms` returns (server/directory.py `card_of`), marked when this
console holds the room (its host link is in the room book)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class DirectoryRow:
    room_id: str
    title: str
    hosts: tuple[str, ...]
    listener_count: int
    state: str  # "live" or "scheduled"
    starts_at: float | None
    ticketed: bool
    mine: bool  # this console holds the host link: it can open the room's desk

    @property
    def live(self) -> bool:
        return self.state == "live"


def directory_rows(cards: Iterable[dict[str, Any]], mine: set[str]) -> list[DirectoryRow]:
    """Rows in the relay's order (live first, then scheduled by start time)."""
    rows = []
    for card in cards:
        room_id = str(card.get("room_id") or "")
        if not room_id:
            continue
        starts_at = card.get("starts_at")
        rows.append(
            DirectoryRow(
                room_id,
                str(card.get("title") or "Untitled room"),
                tuple(str(h) for h in card.get("hosts") or ()),
                int(card.get("listener_count") or 0),
                str(card.get("state") or ""),
                float(starts_at) if isinstance(starts_at, (int, float)) else None,
                bool(card.get("ticketed")),
                room_id in mine,
            )
        )
    return rows
