"""The room directory (`GET /api/rooms`) and room cards, cached.

A card is built from a room when the room changed since the last poll, not
on every poll; reminder counts are read from the store once at start and
then counted here as reminders come in, so a poll runs no SQL. The list is
sorted (live first, then scheduled by start time) only when something in it
changed.

Paging: `?limit=N&cursor=C`. `limit` defaults to DEFAULT_PAGE (50) and is
capped at MAX_PAGE (200); the reply's `next_cursor` (or null on the last page)
is passed back as `cursor` for the next page. A cursor is a position in the
list as it is at that moment: rooms that start or end between two pages
shift it, as in any live directory.

Listed: live rooms, and scheduled rooms until `stale_after_s` past their start
time (a host who never started their room does not keep a card in the
directory for ever; its link still works and the host can still start it).
Ended and cancelled rooms are never listed.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from server.room import Role, Room, RoomState

DEFAULT_PAGE = 50
MAX_PAGE = 200


def card_of(room: Room, reminders: int = 0) -> dict[str, Any]:
    """What the room link shows before joining (DESIGN §3)."""
    stage = room.stage()
    hosts = [p.display_name for p in stage if p.role in (Role.HOST, Role.COHOST)]
    if not any(p.role is Role.HOST for p in stage):
        hosts.insert(0, room.host_name)
    return {
        "room_id": room.room_id,
        "title": room.card.title,
        "description": room.card.description,
        "topics": list(room.card.topics),
        "state": room.state.value,
        "hosts": hosts,
        "speakers": [p.display_name for p in stage if p.role is Role.SPEAKER],
        "listener_count": len(room.participants) - len(stage),
        "starts_at": room.starts_at,
        "started_at": room.started_at,
        "ended_at": room.ended_at,
        "ticketed": room.is_ticketed,
        "price_cents": room.tickets.price_cents if room.tickets else None,
        "currency": room.tickets.currency if room.tickets else None,
        "recording": room.is_recording,
        "ask_mode": room.ask_mode.value,
        "locked": room.locked,
        "broadcast": room.broadcast,
        "reminders": reminders,
    }


class Directory:
    def __init__(
        self,
        rooms: Callable[[], Iterable[Room]],
        reminder_counts: dict[str, int],
        clock: Callable[[], float],
        *,
        stale_after_s: float,
    ) -> None:
        self._rooms = rooms
        self._reminders = dict(reminder_counts)
        self._clock = clock
        self.stale_after_s = stale_after_s
        self._cards: dict[str, tuple[Room, dict[str, Any]]] = {}  # room id -> (built from, card)
        self._listed: list[dict[str, Any]] | None = None

    def changed(self, room_id: str) -> None:
        """A room changed, started or ended: the next poll rebuilds the list."""
        self._listed = None

    def reminders(self, room_id: str) -> int:
        return self._reminders.get(room_id, 0)

    def reminded(self, room_id: str, count: int) -> None:
        self._reminders[room_id] = count
        self._listed = None

    def card(self, room: Room) -> dict[str, Any]:
        cached = self._cards.get(room.room_id)
        if cached is not None and cached[0] is room:
            return cached[1]
        card = card_of(room, self.reminders(room.room_id))
        if room.state in (RoomState.LIVE, RoomState.SCHEDULED):
            self._cards[room.room_id] = (room, card)
        return card

    def page(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int | None, int]:
        """(cards, the next page's offset or None, how many rooms are listed)."""
        listed = self._list()
        cards = listed[offset : offset + limit]
        after = offset + len(cards)
        return cards, (after if after < len(listed) else None), len(listed)

    def _list(self) -> list[dict[str, Any]]:
        now = self._clock()
        if self._listed is not None and not self._any_went_stale(now):
            return self._listed
        live_ids = set()
        listed = []
        for room in self._rooms():
            live_ids.add(room.room_id)
            if self._listable(room, now):
                card = self.card(room)
                if card["reminders"] != self.reminders(room.room_id):
                    card = card_of(room, self.reminders(room.room_id))
                    self._cards[room.room_id] = (room, card)
                listed.append(card)
        for gone in set(self._cards) - live_ids:  # ended rooms leave the cache
            del self._cards[gone]
        listed.sort(key=lambda c: (c["state"] != "live", c["starts_at"] or 0.0))
        self._listed = listed
        return listed

    def _listable(self, room: Room, now: float) -> bool:
        if room.state is RoomState.LIVE:
            return True
        if room.state is RoomState.SCHEDULED:
            return (room.starts_at or now) + self.stale_after_s > now
        return False

    def _any_went_stale(self, now: float) -> bool:
        """A scheduled room passing its staleness time leaves the list without any event."""
        assert self._listed is not None
        return any(
            c["state"] == "scheduled" and (c["starts_at"] or now) + self.stale_after_s <= now
            for c in self._listed
        )
