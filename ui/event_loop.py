"""The console's asyncio loop: qasync's, with one queue for ready callbacks.

qasync runs every `call_soon` as a Qt timer of its own: a `startTimer`, a timer event, a
`killTimer` and an `iscoroutinefunction` check, for each task wake-up. A live room wakes
the console's tasks about 200 times a second (each of the room's packets passes through
aiortc's queues; each WebSocket frame wakes the reader), so that bookkeeping was a large
part of what an idle console cost. `ConsoleLoop` keeps ready callbacks in one FIFO queue,
as asyncio's own loop does, and drains it on one zero-delay Qt timer per turn of the Qt
event loop: callbacks added while it drains run on the next turn, after Qt has handled
input and painting. Timers (`call_later`, `call_at`), sockets and threads are qasync's.

Runs on: the Qt main thread (like qasync; `call_soon_threadsafe` still crosses by signal).
"""

from __future__ import annotations

import asyncio
import collections
import contextvars
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import qasync
from PySide6.QtCore import QObject, QTimerEvent
from PySide6.QtWidgets import QApplication

T = TypeVar("T")


class ReadyQueue(QObject):
    """Handles due now, run in order on the next turn of the Qt event loop."""

    def __init__(self) -> None:
        super().__init__()
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._timer_id = 0
        self._stopped = False

    def add(self, handle: asyncio.Handle) -> None:
        self._ready.append(handle)
        if not self._timer_id and not self._stopped:
            self._timer_id = self.startTimer(0)

    def __len__(self) -> int:
        return len(self._ready)

    def timerEvent(self, event: QTimerEvent) -> None:
        self.killTimer(self._timer_id)
        self._timer_id = 0
        ready = self._ready
        # Only what was due when this turn began: a callback that schedules another (a task
        # stepping itself) lets Qt handle input and painting in between.
        for _ in range(len(ready)):
            if self._stopped:
                return
            handle = ready.popleft()
            if not handle.cancelled():
                handle._run()  # Handle._run reports exceptions to the loop's handler
        if ready and not self._timer_id and not self._stopped:
            self._timer_id = self.startTimer(0)

    def stop(self) -> None:
        self._stopped = True
        if self._timer_id:
            self.killTimer(self._timer_id)
            self._timer_id = 0
        self._ready.clear()


class ConsoleLoop(qasync.QEventLoop):  # type: ignore[misc]
    """qasync's loop with a cheaper `call_soon` (see the module's docstring)."""

    def __init__(self, app: QApplication | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(app, *args, **kwargs)
        self._ready_queue = ReadyQueue()

    def call_soon(
        self,
        callback: Callable[..., object],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if not callable(callback) or asyncio.iscoroutine(callback):
            raise TypeError(f"a callback must be callable: {type(callback).__name__}")
        handle = asyncio.Handle(callback, args, self, context=context)
        self._ready_queue.add(handle)
        return handle

    def close(self) -> None:
        if not self.is_running():
            self._ready_queue.stop()
        super().close()


def new_loop() -> ConsoleLoop:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    return ConsoleLoop(app)


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on a `ConsoleLoop` (the console's entry point)."""
    with asyncio.Runner(loop_factory=new_loop) as runner:
        return runner.run(main)
