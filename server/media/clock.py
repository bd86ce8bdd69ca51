"""The room's 20 ms clock: ticks scheduled against a monotonic start time, so they never drift
(sleeping 20 ms after each tick's work would lose the work's time every tick).

A tick that starts more than `late_after_s` after its deadline counts as late. If the clock
falls more than `max_behind_ticks` behind (a stalled loop), it skips to now and counts the
skipped ticks rather than firing a burst: the tick number keeps following real time, so RTP
timestamps show the gap to receivers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections import deque
from collections.abc import Callable

logger = logging.getLogger(__name__)

TICK_S = 0.020


class TickClock:
    """Runs on: the event loop. Calls `on_tick(tick_number)` every `period_s`."""

    def __init__(
        self,
        on_tick: Callable[[int], None],
        period_s: float = TICK_S,
        late_after_s: float = 0.005,
        max_behind_ticks: int = 3,
        now: Callable[[], float] = time.perf_counter,
        lag_window: int = 1_000,
    ) -> None:
        self._on_tick = on_tick
        self.period_s = period_s
        self.late_after_s = late_after_s
        self.max_behind_ticks = max_behind_ticks
        self._now = now
        self._task: asyncio.Task[None] | None = None
        self.start_s = 0.0
        self.ticks = 0
        self.late_ticks = 0
        self.skipped_ticks = 0
        self.tick_errors = 0
        self.lag_max_s = 0.0
        self.lags_s: deque[float] = deque(maxlen=lag_window)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, name: str = "mixer-clock", origin_s: float | None = None) -> None:
        """Start ticking. With `origin_s` (a `now()` reading, CLOCK_MONOTONIC by default, which
        every process on the machine shares), tick n is due at origin + n periods: a clock
        stopped and started again, here or in another process, continues the same numbering
        (and so the same RTP timeline) instead of starting over at 0."""
        if self.running:
            return
        if origin_s is not None:
            self.start_s = origin_s
        self._task = asyncio.get_running_loop().create_task(
            self._run(origin_s is not None), name=name
        )

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def deadline(self, tick: int) -> float:
        return self.start_s + tick * self.period_s

    async def _run(self, keep_origin: bool) -> None:
        if keep_origin:
            # The first tick due from now on (never a burst to catch up on the idle time).
            tick = max(0, math.ceil((self._now() - self.start_s) / self.period_s))
        else:
            self.start_s = self._now()
            tick = 0
        while True:
            delay = self.deadline(tick) - self._now()
            if delay > 0:
                await asyncio.sleep(delay)
            lag = self._now() - self.deadline(tick)
            if lag > self.max_behind_ticks * self.period_s:
                behind = int(lag / self.period_s)
                self.skipped_ticks += behind
                tick += behind
                lag -= behind * self.period_s
            if lag > self.late_after_s:
                self.late_ticks += 1
            self.lag_max_s = max(self.lag_max_s, lag)
            self.lags_s.append(lag)
            try:
                self._on_tick(tick)
            except Exception:
                # One bad tick must not stop the room's audio (nor flood the log at 50 Hz).
                self.tick_errors += 1
                if self.tick_errors % 250 == 1:
                    logger.exception("mixer tick %d failed (%d so far)", tick, self.tick_errors)
            self.ticks += 1
            tick += 1
            if delay <= 0:
                # Running late: still let the loop breathe (I/O, other rooms) between ticks.
                await asyncio.sleep(0)

    def lag_percentile_ms(self, fraction: float) -> float:
        if not self.lags_s:
            return 0.0
        ordered = sorted(self.lags_s)
        index = min(len(ordered) - 1, int(fraction * len(ordered)))
        return ordered[index] * 1000.0
