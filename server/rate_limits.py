"""Rate limits on what people send, per person and per network address.

A connection's own budget (session.py's TokenBucket) stops one socket from flooding; these
limits stop one person with several connections, or one address with many throwaway
identities, from making the room do work for everyone: each accepted request to speak,
reaction or report is stored and sent to the whole room (or its moderators), and every hello
costs a snapshot. Each kind of message has two token buckets, one per person (user id, shared
by all their connections and rooms) and one per address; a message passes only if both have a
token, and a refusal says how long to wait.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Rate:
    """A token bucket: `burst` at once, then `per_s` a second."""

    per_s: float
    burst: int


def _default_kinds() -> dict[str, tuple[Rate, Rate]]:
    # kind -> (per person, per address)
    return {
        # A join or resume costs a snapshot; a reconnecting client backs off far below this.
        "hello": (Rate(1.0, 10), Rate(10.0, 60)),
        # Request and withdraw are one toggle: a few at once, then one every 5 s (a cool-down).
        "stage_request": (Rate(0.2, 3), Rate(2.0, 20)),
        # The room rules already allow one reaction a second per person.
        "react": (Rate(2.0, 5), Rate(10.0, 40)),
        # A report reaches every moderator and stays in the room.
        "report": (Rate(1 / 30, 3), Rate(0.2, 10)),
        # Everything else a connected person sends, per address (media offers included).
        "command": (Rate(50.0, 200), Rate(200.0, 1000)),
    }


@dataclass(frozen=True, slots=True)
class RateLimitPolicy:
    kinds: dict[str, tuple[Rate, Rate]] = field(default_factory=_default_kinds)
    # Reminders for one scheduled room counted from one address (distinct client ids).
    reminders_per_address: int = 3

    @classmethod
    def unlimited(cls) -> RateLimitPolicy:
        """For benchmarks that join hundreds of clients from one loopback address."""
        big = Rate(1e9, 10**9)
        return cls({kind: (big, big) for kind in _default_kinds()}, reminders_per_address=10**9)


# Wire message type -> the kind of limit it counts against.
KIND_OF_TYPE = {
    "hello": "hello",
    "request_to_speak": "stage_request",
    "withdraw_request": "stage_request",
    "react": "react",
    "report": "report",
}

# Buckets kept at most; past this, full ones (nobody near a limit) are forgotten first.
MAX_BUCKETS = 100_000


class RateLimits:
    def __init__(
        self,
        policy: RateLimitPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy or RateLimitPolicy()
        self._clock = clock
        self._buckets: dict[tuple[str, str, str], list[float]] = {}  # key -> [tokens, last]
        self._reminders: dict[tuple[str, str], set[str]] = {}  # (room, address) -> client ids

    def kind_of(self, message_type: str) -> str:
        return KIND_OF_TYPE.get(message_type, "command")

    def check(self, kind: str, person: str | None, address: str | None) -> float | None:
        """Count one `kind` message from `person` at `address` (either may be unknown): None if
        it may pass, else the seconds until it would (nothing is counted then)."""
        per_person, per_address = self.policy.kinds[kind]
        now = self._clock()
        keys = []
        if address is not None:
            keys.append((kind, "address", network_of(address), per_address))
        if person is not None:
            keys.append((kind, "person", person, per_person))
        wait_s = 0.0
        buckets = []
        for kind_, scope, who, rate in keys:
            bucket = self._bucket((kind_, scope, who), rate, now)
            buckets.append(bucket)
            if bucket[0] < 1.0:
                wait_s = max(wait_s, (1.0 - bucket[0]) / rate.per_s)
        if wait_s > 0:
            return wait_s
        for bucket in buckets:
            bucket[0] -= 1.0
        return None

    def _bucket(self, key: tuple[str, str, str], rate: Rate, now: float) -> list[float]:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = [float(rate.burst), now]
        else:
            bucket[0] = min(float(rate.burst), bucket[0] + (now - bucket[1]) * rate.per_s)
            bucket[1] = now
        return bucket

    def _forget_full(self, now: float) -> None:
        """Drop buckets that have refilled (they hold nothing a new bucket would not); if every
        bucket is busy, drop the older half (an attacker's churn must not grow memory)."""
        kinds = self.policy.kinds
        full = []
        for key, (tokens, last) in self._buckets.items():
            per_person, per_address = kinds[key[0]]
            rate = per_address if key[1] == "address" else per_person
            if tokens + (now - last) * rate.per_s >= rate.burst:
                full.append(key)
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:
            for key in list(self._buckets)[: MAX_BUCKETS // 2]:
                del self._buckets[key]

    def reminder(self, room_id: str, address: str, client_id: str) -> bool:
        """May `client_id` at `address` add to `room_id`'s reminder count?"""
        seen = self._reminders.setdefault((room_id, network_of(address)), set())
        if client_id in seen:
            return True
        if len(seen) >= self.policy.reminders_per_address:
            return False
        seen.add(client_id)
        return True


def network_of(address: str) -> str:
    """What counts as one address: an IPv4 address, or an IPv6 /64 (one household or phone
    gets a whole /64, so single IPv6 addresses would cost an attacker nothing)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip)


def retry_after_text(wait_s: float) -> str:
    """'1 s', '12 s': a wait as a person reads it (rounded up)."""
    return f"{max(1, math.ceil(wait_s))} s"
