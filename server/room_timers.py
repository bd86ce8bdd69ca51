"""One-shot timers per room: a dropped person's grace period, an abandoned room's end, the
next invitation to expire. Nothing here ticks: a room nobody is in costs no CPU until one of its
own deadlines comes.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class RoomTimers:
    def __init__(self) -> None:
        self._handles: dict[tuple[str, str], asyncio.TimerHandle] = {}

    def set(self, room_id: str, name: str, delay_s: float, callback: Callable[[], None]) -> None:
        """Run `callback` once after `delay_s`, replacing the room's timer of that name."""
        key = (room_id, name)
        self.cancel(room_id, name)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # used outside a loop (a benchmark or a store test): nothing to wait for

        def fire() -> None:
            self._handles.pop(key, None)
            callback()

        self._handles[key] = loop.call_later(max(delay_s, 0.0), fire)

    def cancel(self, room_id: str, name: str) -> None:
        handle = self._handles.pop((room_id, name), None)
        if handle is not None:
            handle.cancel()

    def is_set(self, room_id: str, name: str) -> bool:
        return (room_id, name) in self._handles

    def when(self, room_id: str, name: str) -> float | None:
        """The loop time the timer fires at, if set."""
        handle = self._handles.get((room_id, name))
        return handle.when() if handle is not None else None

    def cancel_room(self, room_id: str) -> None:
        for key in [k for k in self._handles if k[0] == room_id]:
            self._handles.pop(key).cancel()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
