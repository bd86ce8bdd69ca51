"""The log filter: a burst of each kind of message, then one line a window with a count."""

from __future__ import annotations

import logging

from server.log_flood import FloodFilter


def record(msg: str, level: int = logging.ERROR, name: str = "asyncio") -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)


def test_a_flood_of_one_kind_is_cut_to_a_burst_then_a_count():
    clock = [0.0]
    flood = FloodFilter(interval_s=5.0, burst=3, now=lambda: clock[0])
    passed = []
    for n in range(2000):  # 2,000 a second for 2 s
        clock[0] = n / 1000
        line = record("socket.accept() out of system resource")
        if flood.filter(line):
            passed.append(line.getMessage())
    assert len(passed) == 3
    clock[0] = 5.0
    later = record("socket.accept() out of system resource")
    assert flood.filter(later)
    assert "[1997 more like this in the last 5 s]" in later.getMessage()


def test_other_kinds_and_quiet_levels_pass():
    flood = FloodFilter(interval_s=5.0, burst=1, now=lambda: 0.0)
    assert flood.filter(record("recording %s recovered"))
    assert not flood.filter(record("recording %s recovered"))
    assert flood.filter(record("the console is gone"))  # another message
    assert flood.filter(record("recording %s recovered", name="server.other"))  # another logger
    assert all(flood.filter(record("joined", level=logging.INFO)) for _ in range(100))
