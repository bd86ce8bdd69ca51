"""Who is connected to which room, and what each of them is sent.

Sequenced events: `publish` works out each event's version per class of
viewer (server/visibility.py `audience`: the host, moderators, the actor,
everyone else), encodes each distinct version once, and appends the result to
the room's outgoing list. That is all a command pays. One delivery pass per
room per loop turn (`call_soon`) then hands every connection the frames it has
not had yet, so a burst of commands in one turn costs one pass over the
room's connections, and the per-connection cost is a deque append. A
connection about to receive a reply (the actor's own), to be closed or to be
sent a missed-event list is first caught up on its own, so its frames keep
their order.

Ephemeral frames (levels, speaking, a failed recording; server/protocol
`ephemeral.py`) skip the list: they go straight to the connections named.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.protocol import Ephemeral, decode_ephemeral, encode_ephemeral, encode_event
from server.room import Event, Room
from server.visibility import audience


class Connection(Protocol):
    """A participant's live connection as the relay sees it (server/session.py)."""

    def deliver(self, frame: str) -> None:
        """Queue a frame for sending; never blocks."""

    def deliver_ephemeral(self, frame: str) -> None:
        """Queue a frame that may be skipped when the connection is behind (levels, speaking)."""

    def close(self, code: int, reason: str) -> None:
        """Close after the frames already queued have gone."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event, encoded per class of viewer (None: that viewer does not see it)."""

    special: dict[str, str | None]
    everyone_else: str | None

    def frame_for(self, user_id: str) -> str | None:
        if user_id in self.special:
            return self.special[user_id]
        return self.everyone_else


@dataclass
class _Seat:
    connection: Connection
    sent: int  # index into the room's outgoing frames of the first not yet delivered


@dataclass
class _Channel:
    seats: dict[str, _Seat] = field(default_factory=dict)
    outgoing: list[Outgoing] = field(default_factory=list)
    base: int = 0  # index of outgoing[0] since the channel opened
    scheduled: bool = False
    moderators: frozenset[str] = frozenset()

    @property
    def end(self) -> int:
        return self.base + len(self.outgoing)


class Broadcaster:
    def __init__(self, call_soon: Callable[[Callable[[], None]], Any] | None = None) -> None:
        self._channels: dict[str, _Channel] = {}
        self._call_soon = call_soon

    # -- connections ---------------------------------------------------------------------------

    def attach(self, room: Room, user_id: str, connection: Connection) -> Connection | None:
        """Seat `connection` for `user_id`; returns the connection it replaces, if any. It starts
        after every event so far: the caller sends it a snapshot or the events it missed."""
        channel = self._channels.setdefault(room.room_id, _Channel())
        channel.moderators = _moderators(room)
        older = channel.seats.get(user_id)
        channel.seats[user_id] = _Seat(connection, channel.end)
        if older is not None and older.connection is not connection:
            return older.connection
        return None

    def detach(self, room_id: str, user_id: str, connection: Connection) -> bool:
        """Unseat `connection` if it is still the one seated; True if it was."""
        channel = self._channels.get(room_id)
        seat = channel.seats.get(user_id) if channel else None
        if channel is None or seat is None or seat.connection is not connection:
            return False
        del channel.seats[user_id]
        return True

    def connection_of(self, room_id: str, user_id: str) -> Connection | None:
        channel = self._channels.get(room_id)
        seat = channel.seats.get(user_id) if channel else None
        return seat.connection if seat is not None else None

    def is_connected(self, room_id: str, user_id: str) -> bool:
        channel = self._channels.get(room_id)
        return channel is not None and user_id in channel.seats

    def any_connected(self, room_id: str, user_ids: Iterable[str]) -> bool:
        channel = self._channels.get(room_id)
        return channel is not None and any(u in channel.seats for u in user_ids)

    def connection_count(self, room_id: str) -> int:
        channel = self._channels.get(room_id)
        return len(channel.seats) if channel else 0

    def close_user(self, room_id: str, user_id: str, code: int | None, reason: str) -> None:
        """Unseat a person; with a `code`, their connection gets what is pending, then closes."""
        channel = self._channels.get(room_id)
        seat = channel.seats.pop(user_id, None) if channel else None
        if channel is None or seat is None:
            return
        self._catch_up(channel, user_id, seat)
        if code is not None:
            seat.connection.close(code, reason)

    def close_room(self, room_id: str, code: int, reason: str) -> None:
        channel = self._channels.pop(room_id, None)
        if channel is None:
            return
        for user_id, seat in channel.seats.items():
            self._catch_up(channel, user_id, seat)
            seat.connection.close(code, reason)

    def close_all(self, code: int, reason: str) -> None:
        for room_id in list(self._channels):
            self.close_room(room_id, code, reason)

    # -- sequenced events ----------------------------------------------------------------------

    def publish(self, room: Room, first_seq: int, events: Iterable[Event]) -> None:
        """Queue `events` (numbered from `first_seq`) for everyone in the room who may see them;
        `room` is the room after them."""
        channel = self._channels.get(room.room_id)
        if channel is None or not channel.seats:
            return
        channel.moderators = _moderators(room)
        for offset, event in enumerate(events):
            seq = first_seq + offset
            seen = audience(event, room)
            frames: dict[int, str | None] = {id(None): None}
            for version in (seen.everyone_else, *seen.special.values()):
                if id(version) not in frames:
                    frames[id(version)] = encode_event(seq, version)
            everyone = frames[id(seen.everyone_else)]
            # Most events look the same to everyone: keep only the versions that differ.
            special = {
                u: frames[id(v)] for u, v in seen.special.items() if v is not seen.everyone_else
            }
            channel.outgoing.append(Outgoing(special, everyone))
        if not channel.scheduled:
            channel.scheduled = True
            call_soon = self._call_soon or asyncio.get_running_loop().call_soon
            call_soon(lambda: self._deliver(room.room_id))

    def catch_up(self, room_id: str, user_id: str) -> None:
        """Hand one connection its pending frames now (before its reply or a missed-event list)."""
        channel = self._channels.get(room_id)
        seat = channel.seats.get(user_id) if channel else None
        if channel is not None and seat is not None:
            self._catch_up(channel, user_id, seat)

    def deliver_pending(self) -> None:
        """Run every scheduled delivery pass now (benchmarks and shutdown)."""
        for room_id, channel in list(self._channels.items()):
            if channel.scheduled:
                self._deliver(room_id)

    def _deliver(self, room_id: str) -> None:
        """Runs on: the event loop, once per room per turn with something to send."""
        channel = self._channels.get(room_id)
        if channel is None or not channel.scheduled:
            return
        channel.scheduled = False
        end = channel.end
        everyone_frames = [o.everyone_else for o in channel.outgoing if o.everyone_else]
        special: set[str] = set()
        for outgoing in channel.outgoing:
            special.update(outgoing.special)
        base = channel.base
        for user_id, seat in list(channel.seats.items()):
            if seat.sent >= end:
                continue
            if seat.sent == base and user_id not in special:
                deliver = seat.connection.deliver
                for frame in everyone_frames:  # the common case: one version for everyone
                    deliver(frame)
                seat.sent = end
            else:
                self._catch_up(channel, user_id, seat)
        channel.base, channel.outgoing = end, []

    @staticmethod
    def _catch_up(channel: _Channel, user_id: str, seat: _Seat) -> None:
        start = max(seat.sent - channel.base, 0)
        for outgoing in channel.outgoing[start:]:
            frame = outgoing.frame_for(user_id)
            if frame is not None:
                seat.connection.deliver(frame)
        seat.sent = channel.end

    # -- ephemeral frames ----------------------------------------------------------------------

    def broadcast_ephemeral(
        self, room_id: str, kind: str, body: dict[str, Any], *, moderators_only: bool = False
    ) -> None:
        """An unsequenced, skippable frame to the room (or its present moderators only).
        `kind` and `body` must make one of server/protocol's ephemeral frames."""
        self.broadcast(room_id, decode_ephemeral(kind, body), moderators_only=moderators_only)

    def broadcast(self, room_id: str, message: Ephemeral, *, moderators_only: bool = False) -> None:
        channel = self._channels.get(room_id)
        if channel is None:
            return
        frame = encode_ephemeral(message)
        if moderators_only:
            for user_id in channel.moderators:
                seat = channel.seats.get(user_id)
                if seat is not None:
                    seat.connection.deliver_ephemeral(frame)
            return
        for seat in channel.seats.values():
            seat.connection.deliver_ephemeral(frame)

    def send_to(self, room_id: str, user_ids: Iterable[str], message: Ephemeral) -> None:
        """A typed, unsequenced, skippable frame to these people's connections only."""
        channel = self._channels.get(room_id)
        if channel is None:
            return
        frame = encode_ephemeral(message)
        for user_id in user_ids:
            seat = channel.seats.get(user_id)
            if seat is not None:
                seat.connection.deliver_ephemeral(frame)

    def send_ephemeral_to(
        self, room_id: str, user_ids: Iterable[str], kind: str, body: dict[str, Any]
    ) -> None:
        """An unsequenced, skippable frame to these people's connections only (absent ones are
        skipped). `kind` and `body` must make one of server/protocol's ephemeral frames."""
        channel = self._channels.get(room_id)
        if channel is None:
            return
        frame = encode_ephemeral(decode_ephemeral(kind, body))
        for user_id in user_ids:
            seat = channel.seats.get(user_id)
            if seat is not None:
                seat.connection.deliver_ephemeral(frame)

    def send_to_everyone(self, room_id: str, message: Ephemeral) -> None:
        """A frame everyone must get even when behind (a recording that failed)."""
        channel = self._channels.get(room_id)
        if channel is None:
            return
        frame = encode_ephemeral(message)
        for user_id, seat in channel.seats.items():
            self._catch_up(channel, user_id, seat)
            seat.connection.deliver(frame)


def _moderators(room: Room) -> frozenset[str]:
    return frozenset({room.host_id, *room.cohost_ids})
