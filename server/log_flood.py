"""Log lines that cannot flood: a few lines per kind of message per interval, then a count.

When descriptors run out, asyncio reports every failed accept (about 600 a second here), and a
connection storm can make aiohttp log an error per connection: lines that fill the disk and
hide everything else. `FloodFilter` lets the first `burst` records of each (logger, message
template) through in each `interval_s` window, drops the rest of that kind until the window
ends, and tags the next one it lets through with how many it dropped. A few different
warnings in a row (three recordings recovered at start) all still show.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Window:
    started: float
    passed: int = 1
    dropped: int = 0


class FloodFilter(logging.Filter):
    def __init__(
        self, interval_s: float = 5.0, burst: int = 5, now: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.interval_s = interval_s
        self.burst = burst
        self._now = now
        self._windows: dict[tuple[str, str], _Window] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True  # only warnings and errors flood: the rest is off by default
        kind = (record.name, str(record.msg)[:200])
        now = self._now()
        window = self._windows.get(kind)
        if window is not None and now - window.started < self.interval_s:
            if window.passed < self.burst:
                window.passed += 1
                return True
            window.dropped += 1
            return False
        if window is not None and window.dropped:
            since_s = now - window.started
            record.msg = (
                f"{record.msg} [{window.dropped} more like this in the last {since_s:.0f} s]"
            )
        if len(self._windows) > 1000:  # many different messages: forget the old ones
            self._windows.clear()
        self._windows[kind] = _Window(now)
        return True


def install(interval_s: float = 5.0, burst: int = 5) -> FloodFilter:
    """Attach one FloodFilter to every handler of the root logger (a handler's filters see every
    record it writes, from any logger; a logger's own filters would miss its children's)."""
    flood = FloodFilter(interval_s, burst)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, FloodFilter) for f in handler.filters):
            handler.addFilter(flood)
    return flood
