"""The room log: every live and scheduled room as its latest state and sequence number.

A command goes decide → apply → append: the rules decide, the events are
appended to the store (so an acknowledged change survives a kill -9), and the
room moves on. Snapshots are not written here: the newest room is handed to
the snapshot writer, which saves it off the loop every few seconds or every
few hundred events. A restart loads each room's snapshot and applies the
events after it again with the same `apply`, so rooms and roles come back
exactly.

`write_through=True` keeps wave 1's behaviour (the whole room rewritten in
the command's own transaction); only the control-plane benchmark uses it, as
its baseline.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from server.room import (
    AskMode,
    Event,
    Limits,
    Rejected,
    Room,
    RoomCancelled,
    RoomCard,
    RoomEnded,
    RoomState,
    apply_all,
    decide,
    new_room,
)
from server.snapshot_writer import SnapshotWriter
from server.store import Store, StoreError


class RoomLogError(Exception):
    """A command could not be logged; `code` is the wire code, `message` says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class LoggedRoom:
    room: Room
    seq: int


@dataclass(frozen=True, slots=True)
class Change:
    """One accepted command: the room after it, its events, and the first event's number."""

    room: Room
    events: tuple[Event, ...]
    first_seq: int

    @property
    def last_seq(self) -> int:
        return self.first_seq + len(self.events) - 1

    @property
    def ends_room(self) -> bool:
        return any(isinstance(e, (RoomEnded, RoomCancelled)) for e in self.events)


def new_room_id() -> str:
    return secrets.token_urlsafe(9)


class RoomLog:
    def __init__(
        self,
        store: Store,
        snapshots: SnapshotWriter | None,
        clock: Callable[[], float],
        *,
        write_through: bool = False,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
        self._clock = clock
        self.write_through = write_through or snapshots is None
        self._rooms: dict[str, LoggedRoom] = {}

    # -- reading -------------------------------------------------------------------------------

    def restore(self) -> list[Room]:
        """Bring back every live and scheduled room: snapshot, then the events after it."""
        for stored in self._store.current_rooms([RoomState.LIVE, RoomState.SCHEDULED]):
            self._rooms[stored.room.room_id] = LoggedRoom(stored.room, stored.last_seq)
        return [logged.room for logged in self._rooms.values()]

    def room(self, room_id: str) -> Room | None:
        """The room if it is live or scheduled on this relay."""
        logged = self._rooms.get(room_id)
        return logged.room if logged is not None else None

    def seq(self, room_id: str) -> int | None:
        logged = self._rooms.get(room_id)
        return logged.seq if logged is not None else None

    def find(self, room_id: str) -> Room | None:
        """The room in any state: live and scheduled from memory, ended ones from the store."""
        logged = self._rooms.get(room_id)
        if logged is not None:
            return logged.room
        stored = self._store.load_current(room_id)
        return stored.room if stored is not None else None

    def rooms(self) -> Iterator[Room]:
        return (logged.room for logged in self._rooms.values())

    def __len__(self) -> int:
        return len(self._rooms)

    def events_after(
        self, room_id: str, after_seq: int, limit: int = 10_000
    ) -> list[tuple[int, Event]]:
        return self._store.events_after(room_id, after_seq, limit)  # type: ignore[return-value]

    # -- changing ------------------------------------------------------------------------------

    def create(
        self,
        *,
        host_id: str,
        host_name: str,
        card: RoomCard,
        starts_at: float | None,
        ask_mode: AskMode,
        limits: Limits | None,
        broadcast: bool = False,
    ) -> Room:
        extra = {"limits": limits} if limits is not None else {}
        scheduled = 0
        if starts_at is not None:
            scheduled = sum(
                1
                for logged in self._rooms.values()
                if logged.room.host_id == host_id and logged.room.state is RoomState.SCHEDULED
            )
        made = new_room(
            new_room_id(),
            host_id,
            host_name,
            card,
            self._clock(),
            starts_at=starts_at,
            ask_mode=ask_mode,
            broadcast=broadcast,
            blocked=self._store.blocked_by(host_id),
            contacts=self._store.contacts_of(host_id),
            scheduled_by_host=scheduled,
            **extra,  # type: ignore[arg-type]
        )
        if isinstance(made, Rejected):
            raise RoomLogError(made.reason.value, made.detail)
        self._store.create_room(made)
        self._rooms[made.room_id] = LoggedRoom(made, 0)
        return made

    def submit(self, room_id: str, actor: str, command: object) -> Change | Rejected:
        """Decide, append and apply one command; a refusal (or no change) changes nothing."""
        logged = self._rooms.get(room_id)
        if logged is None:
            if self.find(room_id) is None:
                raise RoomLogError("room_not_found", "There is no room with that link.")
            raise RoomLogError("room_ended", "This room has ended.")
        verdict = decide(logged.room, actor, command, self._clock())  # type: ignore[arg-type]
        if isinstance(verdict, Rejected):
            return verdict
        after = apply_all(logged.room, verdict) if verdict else logged.room
        change = Change(after, tuple(verdict), logged.seq + 1)
        if not verdict:
            return change
        try:
            if self.write_through:
                self._store.commit(after, verdict, change.first_seq)
            else:
                self._store.append(after, verdict, change.first_seq)
        except StoreError as exc:
            # Nothing was saved, so nothing changes: the room stays as it was.
            raise RoomLogError("store_failed", str(exc)) from exc
        logged.room, logged.seq = after, change.last_seq
        if self._snapshots is not None and not self.write_through:
            self._snapshots.note(after, logged.seq, len(verdict), urgent=change.ends_room)
        if change.ends_room:
            del self._rooms[room_id]  # an ended room lives on in the store only
        return change

    def close(self) -> None:
        if self._snapshots is not None:
            self._snapshots.close()
