"""Log lines that cannot flood: one line per kind of message per interval, then a count.

When descriptors run out, asyncio reports every failed accept, and a connection storm can make
aiohttp log an error per connection: thousands of lines a second that fill the disk and hide
everything else. `FloodFilter` lets the first record of each (logger, message template)
through, drops the same kind for `interval_s`, and tags the next one it lets through with how
many it dropped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class FloodFilter(logging.Filter):
    def __init__(self, interval_s: float = 5.0, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._now = now
        # kind → (when one was last let through, how many dropped since)
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True  # only warnings and errors flood: the rest is off by default
        kind = (record.name, str(record.msg)[:200])
        now = self._now()
        last = self._seen.get(kind)
        if last is not None and now - last[0] < self.interval_s:
            self._seen[kind] = (last[0], last[1] + 1)
            return False
        if last is not None and last[1]:
            since_s = now - last[0]
            record.msg = f"{record.msg} [{last[1]} more like this in the last {since_s:.0f} s]"
        if len(self._seen) > 1000:  # many different messages: forget the old ones
            self._seen.clear()
        self._seen[kind] = (now, 0)
        return True


def install(interval_s: float = 5.0) -> FloodFilter:
    """Attach one FloodFilter to every handler of the root logger (a handler's filters see every
    record it writes, from any logger; a logger's own filters would miss its children's)."""
    flood = FloodFilter(interval_s)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, FloodFilter) for f in handler.filters):
            handler.addFilter(flood)
    return flood
