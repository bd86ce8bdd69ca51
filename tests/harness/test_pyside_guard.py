"""Guard against the PySide6 6.12.0 refcount leak on CPython 3.11.

A Python override of paintEvent/timerEvent in 6.12.0 drops one reference to
None per call; after ~8k events the interpreter aborts with "Fatal Python
error: none_dealloc". This test repaints and ticks a few hundred times and
fails if None's refcount falls, long before it could reach zero.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimerEvent
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QWidget

EVENTS = 400
# The leak drops one reference per event (EVENTS over a run). None's count is the whole
# process's, so other threads still running from earlier tests (a relay's, a media link's)
# move it by a few dozen either way meanwhile: allow that, never a drop near one per event.
NOISE = EVENTS // 8


class _PaintingWidget(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.painted = 0

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().window())
        painter.end()
        self.painted += 1


class _TickingObject(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.ticks = 0

    def timerEvent(self, event: QTimerEvent) -> None:
        self.ticks += 1
        if self.ticks >= EVENTS:
            self.killTimer(event.timerId())


def test_repainting_does_not_leak_none(qtbot):
    widget = _PaintingWidget()
    qtbot.addWidget(widget)
    widget.resize(120, 40)
    widget.show()
    qtbot.waitExposed(widget)
    before = sys.getrefcount(None)
    for _ in range(EVENTS):
        widget.grab()  # renders synchronously through paintEvent
    after = sys.getrefcount(None)
    assert widget.painted >= EVENTS
    assert after >= before - NOISE, f"None refcount fell by {before - after} over {EVENTS} repaints"


def test_timer_events_do_not_leak_none(qtbot):
    ticker = _TickingObject()
    before = sys.getrefcount(None)
    ticker.startTimer(0)
    qtbot.waitUntil(lambda: ticker.ticks >= EVENTS, timeout=10_000)
    after = sys.getrefcount(None)
    assert after >= before - NOISE, (
        f"None refcount fell by {before - after} over {EVENTS} timer events"
    )


def test_pinned_pyside_is_safe_for_this_python():
    import PySide6

    major, minor = (int(part) for part in PySide6.__version__.split(".")[:2])
    if sys.version_info < (3, 12):
        assert (major, minor) < (6, 12), (
            f"PySide6 {PySide6.__version__} aborts on Python 3.11; pyproject pins <6.12"
        )
