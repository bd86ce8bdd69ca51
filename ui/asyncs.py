"""Running coroutines from Qt slots: keep a reference, report failures, never nest loops.

Runs on: the Qt main thread, where qasync runs asyncio too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)

_TASKS: set[asyncio.Task[Any]] = set()


def spawn(
    coro: Coroutine[Any, Any, Any], on_error: Callable[[BaseException], None] | None = None
) -> asyncio.Task[Any]:
    """Schedule `coro` on the running loop; `on_error` gets any exception it raises."""
    task = asyncio.ensure_future(coro)
    _TASKS.add(task)

    def done(finished: asyncio.Task[Any]) -> None:
        _TASKS.discard(finished)
        if finished.cancelled():
            return
        error = finished.exception()
        if error is None:
            return
        if on_error is not None:
            on_error(error)
        else:
            logger.error("background task failed: %r", error, exc_info=error)

    task.add_done_callback(done)
    return task


def pending() -> int:
    return len(_TASKS)
