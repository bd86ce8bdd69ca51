"""The console's loop (ui/event_loop.py): asyncio's promises kept with one ready queue.

Order (FIFO), cancellation, an exception reported without stopping the others, a callback
scheduled from a callback running on a later turn (after Qt's own events), threads, and
the cost the queue is there to remove: no Qt timer per `call_soon`.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from PySide6.QtCore import QTimer

from ui.event_loop import ConsoleLoop


def test_call_soon_runs_in_order_skips_cancelled_and_reports_errors(aloop):
    assert isinstance(aloop, ConsoleLoop)
    seen: list[object] = []
    errors: list[dict] = []
    aloop.set_exception_handler(lambda _loop, context: errors.append(context))

    def boom() -> None:
        raise ValueError("a broken callback")

    async def scenario() -> None:
        for i in range(5):
            aloop.call_soon(seen.append, i)
        aloop.call_soon(seen.append, "cancelled").cancel()
        aloop.call_soon(boom)
        aloop.call_soon(seen.append, "after the error")
        while len(seen) < 6:
            await asyncio.sleep(0)

    aloop.run_until_complete(asyncio.wait_for(scenario(), 5))
    assert seen == [0, 1, 2, 3, 4, "after the error"]
    assert len(errors) == 1 and isinstance(errors[0]["exception"], ValueError)


def test_a_callback_scheduled_by_a_callback_waits_for_qt_in_between(aloop):
    order: list[str] = []

    def first() -> None:
        order.append("first")
        QTimer.singleShot(0, lambda: order.append("qt"))
        aloop.call_soon(lambda: order.append("second"))

    async def scenario() -> None:
        aloop.call_soon(first)
        while len(order) < 3:
            await asyncio.sleep(0.001)

    aloop.run_until_complete(asyncio.wait_for(scenario(), 5))
    assert order.index("first") < order.index("second")
    assert order.index("qt") < order.index("second"), "Qt ran between the two turns"


def test_threads_tasks_and_futures_still_work(aloop):
    async def scenario() -> int:
        done = aloop.create_future()
        threading.Thread(target=lambda: aloop.call_soon_threadsafe(done.set_result, 7)).start()
        value = await asyncio.wait_for(done, 5)
        in_thread = await asyncio.to_thread(lambda: value * 6)
        results = await asyncio.gather(*(asyncio.sleep(0.01, result=i) for i in range(20)))
        return in_thread + sum(results)

    assert aloop.run_until_complete(scenario()) == 42 + sum(range(20))


def test_call_soon_starts_no_qt_timer_per_callback(aloop, monkeypatch):
    started: list[int] = []
    queue = aloop._ready_queue
    original = type(queue).startTimer

    def counting(self, *args):  # type: ignore[no-untyped-def]
        started.append(1)
        return original(self, *args)

    monkeypatch.setattr(type(queue), "startTimer", counting)

    async def scenario() -> None:
        hits: list[int] = []
        for i in range(200):
            aloop.call_soon(hits.append, i)
        while len(hits) < 200:
            await asyncio.sleep(0)

    aloop.run_until_complete(scenario())
    assert len(started) <= 5, f"{len(started)} Qt timers for 200 callbacks"


def test_a_coroutine_is_not_a_callback(aloop):
    async def nothing() -> None:
        return None

    coroutine = nothing()
    with pytest.raises(TypeError):
        aloop.call_soon(coroutine)  # type: ignore[arg-type]
    coroutine.close()
