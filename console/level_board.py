"""The latest level of every source, for whoever samples it at display rate.

Writers (the relay's `levels` frames at about 25 Hz, the host's own microphone every 20 ms)
publish; the UI's one display timer reads. Latest value wins: nothing queues, so a slow
reader never falls behind. Writers and the reader share the console's event-loop thread.
Whoever lets its display timer sleep while all is silent listens to `on_publish` to wake.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

FLOOR_DB = -120.0
LOCAL = "local"
"""The key of the host's own microphone, as measured on this machine before sending."""


@dataclass(frozen=True, slots=True)
class LevelSample:
    """One block's raw figures (dBFS) and when they arrived (monotonic seconds)."""

    peak_db: float
    rms_db: float
    speaking: bool
    at_s: float


SILENT = LevelSample(FLOOR_DB, FLOOR_DB, False, 0.0)


class LevelBoard:
    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._latest: dict[str, LevelSample] = {}
        self.updates = 0
        self.on_publish: list[Callable[[float, bool], None]] = []
        """Called after each publish with its loudest peak (dBFS) and whether anyone in it
        is speaking."""

    def publish(self, key: str, peak_db: float, rms_db: float, speaking: bool) -> None:
        self._latest[key] = LevelSample(peak_db, rms_db, speaking, self._now())
        self.updates += 1
        for callback in self.on_publish:
            callback(peak_db, speaking)

    def publish_relay(self, levels: Mapping[str, Any]) -> None:
        """A relay `levels` body: {user_id: {peak_db, rms_db, speaking}}; bad entries skipped."""
        now = self._now()
        loudest_db, speaking = FLOOR_DB, False
        for user_id, figures in levels.items():
            try:
                sample = LevelSample(
                    float(figures["peak_db"]),
                    float(figures["rms_db"]),
                    bool(figures["speaking"]),
                    now,
                )
            except (KeyError, TypeError, ValueError):
                continue
            self._latest[str(user_id)] = sample
            loudest_db = max(loudest_db, sample.peak_db)
            speaking = speaking or sample.speaking
        self.updates += 1
        for callback in self.on_publish:
            callback(loudest_db, speaking)

    def latest(self, key: str, max_age_s: float = 0.5) -> LevelSample:
        """The newest sample, or silence when none came for `max_age_s` (a stalled feed)."""
        sample = self._latest.get(key)
        if sample is None or self._now() - sample.at_s > max_age_s:
            return SILENT
        return sample

    def forget(self, key: str) -> None:
        self._latest.pop(key, None)
