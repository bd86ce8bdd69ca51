"""How many people hear a room over HLS, when the relay never sees most of their requests.

Behind an HTTP cache or a CDN the relay serves a playlist or a part once per edge, not once per
listener, so it cannot count listeners from what it serves. Instead a sampled fraction `p` of
HLS clients send a heartbeat, `POST /hls/<room>/listening {"session": <random id>}`, every
`every_s` seconds (never cached: the edge passes it through). Each client draws `u` in [0, 1)
once and heartbeats while `u < p`; `p` is published in the room's cacheable `state.json`. The
relay counts distinct session ids heard within the last `window_s`, each weighed `1 / p` (the
`p` it published when it heard it): the estimate of the room's HLS listeners.

The relay picks `p` from its own estimate so that about `target_sampled` clients heartbeat in
each room: at 20 s and 10,000 sampled clients that is 500 requests a second at the origin,
whether 10,000 or a million listen. Below `target_sampled` listeners `p` is 1 and the count is
exact. `p` moves only when the wanted value differs by more than a quarter, at most once per
`every_s`, so clients do not start and stop on every poll.

A flood from one address counts at most `per_address` sessions (a household, a small office
behind one NAT), however many random ids it makes up; a session heartbeating faster than
a quarter of `every_s` is refused. Memory is bounded: sessions per room and addresses both have
a ceiling, and expired entries go first.

Runs on: the relay's control loop.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

HEARTBEAT_EVERY_S = 20.0
TARGET_SAMPLED = 10_000
SESSIONS_PER_ADDRESS = 4
MAX_SESSIONS_PER_ROOM = 200_000
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True, slots=True)
class HlsAudience:
    """What the room card and the clients add to the joined listeners.

    `hls`: the estimate of everyone hearing the room over HLS (pages that joined included);
    `extra`: those of them not already counted as joined listeners; `estimated`: whether the
    number is sampled (p < 1) rather than counted."""

    hls: int = 0
    extra: int = 0
    estimated: bool = False
    p: float = 1.0


@dataclass(slots=True)
class _Session:
    last: float
    weight: float
    address: str


@dataclass(slots=True)
class _Room:
    sessions: OrderedDict[str, _Session] = field(default_factory=OrderedDict)  # oldest first
    by_address: dict[str, set[str]] = field(default_factory=dict)
    weight: float = 0.0
    p: float = 1.0
    p_changed_at: float = float("-inf")


class HeartbeatCounter:
    """Runs on: the relay's control loop."""

    def __init__(
        self,
        *,
        every_s: float = HEARTBEAT_EVERY_S,
        target_sampled: int = TARGET_SAMPLED,
        per_address: int = SESSIONS_PER_ADDRESS,
        max_sessions: int = MAX_SESSIONS_PER_ROOM,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every_s = every_s
        self.window_s = 2.5 * every_s  # one lost heartbeat does not drop a listener
        self.target_sampled = max(1, target_sampled)
        self.per_address = per_address
        self.max_sessions = max_sessions
        self._now = now
        self._rooms: dict[str, _Room] = {}
        self.refused = 0

    def beat(self, room_id: str, session: str, address: str) -> bool:
        """One heartbeat; False when refused (too many sessions from this address, or this
        session again too soon): it does not count."""
        now = self._now()
        room = self._rooms.setdefault(room_id, _Room())
        self._expire(room, now)
        known = room.sessions.get(session)
        if known is not None:
            if known.address != address or now - known.last < self.every_s / 4:
                self.refused += 1
                return False
            room.weight += 1.0 / room.p - known.weight
            known.last, known.weight = now, 1.0 / room.p
            room.sessions.move_to_end(session)
            return True
        mine = room.by_address.setdefault(address, set())
        if len(mine) >= self.per_address or len(room.sessions) >= self.max_sessions:
            self.refused += 1
            return False
        mine.add(session)
        room.sessions[session] = _Session(now, 1.0 / room.p, address)
        room.weight += 1.0 / room.p
        return True

    def estimate(self, room_id: str) -> float:
        """HLS listeners of the room: sessions heard within the window, each weighed 1/p."""
        room = self._rooms.get(room_id)
        if room is None:
            return 0.0
        self._expire(room, self._now())
        return max(0.0, room.weight)

    def p(self, room_id: str) -> float:
        """The fraction of clients asked to heartbeat, chosen from the current estimate."""
        room = self._rooms.get(room_id)
        if room is None:
            return 1.0
        now = self._now()
        self._expire(room, now)
        wanted = min(1.0, self.target_sampled / max(room.weight, 1.0))
        moved_lately = now - room.p_changed_at < self.every_s
        if not moved_lately and abs(wanted - room.p) > 0.25 * room.p:
            room.p = float(f"{wanted:.2g}")
            room.p_changed_at = now
        return room.p

    def forget(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)

    def _expire(self, room: _Room, now: float) -> None:
        horizon = now - self.window_s
        sessions = room.sessions
        while sessions:
            session, oldest = next(iter(sessions.items()))
            if oldest.last >= horizon:
                break
            del sessions[session]
            room.weight -= oldest.weight
            mine = room.by_address.get(oldest.address)
            if mine is not None:
                mine.discard(session)
                if not mine:
                    del room.by_address[oldest.address]
        if not sessions:
            room.weight = 0.0  # no float drift left over
