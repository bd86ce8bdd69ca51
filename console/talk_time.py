"""Who talked how long, from the relay's speaking flips, and the listener count over time."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class TalkTime:
    """Seconds of speech per person; an open stretch counts up to `now`."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._total_s: dict[str, float] = {}
        self._since: dict[str, float] = {}

    def flip(self, user_id: str, speaking: bool) -> None:
        now = self._now()
        started = self._since.pop(user_id, None)
        if started is not None:
            self._total_s[user_id] = self._total_s.get(user_id, 0.0) + now - started
        if speaking:
            self._since[user_id] = now

    def seconds(self, user_id: str) -> float:
        total = self._total_s.get(user_id, 0.0)
        started = self._since.get(user_id)
        return total + (self._now() - started if started is not None else 0.0)

    def totals(self) -> dict[str, float]:
        return {uid: self.seconds(uid) for uid in self._total_s.keys() | self._since.keys()}


class CountHistory:
    """A bounded series of (monotonic time, count) samples, for the listener plot."""

    def __init__(self, keep: int = 720, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self.samples: deque[tuple[float, int]] = deque(maxlen=keep)

    def add(self, count: int) -> None:
        self.samples.append((self._now(), count))

    @property
    def peak(self) -> int:
        return max((c for _, c in self.samples), default=0)
