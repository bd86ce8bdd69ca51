"""Who may create rooms on this relay, and how many.

    POST /api/rooms with `Authorization: Bearer KEY`   a key holder (the console, an operator)
    POST /api/rooms without a key                      only on a relay started with open_rooms,
                                                       within per-address limits

A key holder is not counted against the per-address limits (the console creating a host's
rooms, an operator's tools); an anonymous creator on an open relay may create
`rooms_per_address_per_hour` rooms an hour and hold `live_rooms_per_address` rooms that have
not ended. Scheduled rooms are bounded per host for everyone (`Limits`, the room rules).
The counts live in memory: a relay restart forgets them (it is a brake, not an account).
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

HOUR_S = 3600.0


@dataclass(slots=True)
class Grant:
    """A creation allowed and counted at once (so concurrent requests cannot all slip under
    the limit); `room_id` is filled in when the room exists, or the grant withdrawn."""

    at: float
    keyed: bool
    address: str
    room_id: str | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int  # 401 no key, 403 wrong key or closed, 429 over a limit
    code: str
    message: str


def address_key(address: str | None) -> str:
    """The unit a limit counts: one IPv4 address, or one IPv6 /64 (what one machine gets)."""
    if not address:
        return "?"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


class CreationRights:
    """Decides each `POST /api/rooms`; remembers what each address created."""

    def __init__(
        self,
        keys: Iterable[str],
        *,
        open_rooms: bool,
        rooms_per_address_per_hour: int,
        live_rooms_per_address: int,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = tuple(key.encode() for key in keys)
        self.open_rooms = open_rooms
        self.per_hour = rooms_per_address_per_hour
        self.live_cap = live_rooms_per_address
        self._now = now
        self._made: dict[str, deque[Grant]] = {}  # by address, oldest first

    def holds_key(self, presented: str | None) -> bool:
        if not presented:
            return False
        given = presented.encode()
        # compare_digest on every key: the time taken says nothing about which one nearly matched
        return any([hmac.compare_digest(given, key) for key in self._keys])

    def check(
        self, presented: str | None, address: str | None, is_open: Callable[[str], bool]
    ) -> Refusal | Grant:
        """A Grant if this request may create a room; `is_open(room_id)`: not ended yet."""
        where = address_key(address)
        if presented is not None:
            if self.holds_key(presented):
                return Grant(self._now(), True, where)
            return Refusal(403, "bad_key", "That relay key is not valid here.")
        if not self.open_rooms:
            return Refusal(
                401,
                "key_required",
                "Creating rooms on this relay needs its key (Authorization: Bearer KEY); "
                "rooms are created from the host's console.",
            )
        made = self._made.get(where, deque())
        now = self._now()
        cutoff = now - HOUR_S

        def still_open(grant: Grant) -> bool:
            return grant.room_id is None or is_open(grant.room_id)

        while made and made[0].at < cutoff and not still_open(made[0]):
            made.popleft()
        this_hour = sum(1 for grant in made if grant.at >= cutoff)
        if this_hour >= self.per_hour:
            return Refusal(
                429,
                "too_many_rooms",
                f"This address created {self.per_hour} rooms in the last hour; try again later.",
            )
        if sum(1 for grant in made if still_open(grant)) >= self.live_cap:
            return Refusal(
                429,
                "too_many_open_rooms",
                f"This address already has {self.live_cap} rooms that have not ended; "
                "end one first.",
            )
        grant = Grant(now, False, where)
        made.append(grant)
        self._made[where] = made  # an address is remembered only once it was granted a room
        return grant

    def created(self, grant: Grant, room_id: str) -> None:
        grant.room_id = room_id

    def withdraw(self, grant: Grant) -> None:
        """The room was not made (a bad body, a full disk): the grant does not count."""
        if grant.keyed:
            return  # key holders are not counted
        made = self._made.get(grant.address)
        if made is not None:
            with contextlib.suppress(ValueError):
                made.remove(grant)
            if not made:
                del self._made[grant.address]
