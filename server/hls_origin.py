"""The relay as the origin of every room's LL-HLS stream: what is published, who is waiting.

The home media worker writes each room's stream into `<hls_root>/<room_id>/` and reports
every part it finished (`HlsProgress`). This object keeps the newest progress per room, wakes
requests held for a part that did not exist yet (blocking playlist reload, preload hints),
counts what the relay served (the edge's misses), counts HLS listeners from their heartbeats
(server/hls_audience.py), and removes a
room's folder `linger_s` after the room closed: HLS is the live room, never a recording.

Runs on: the relay's control loop (folder removal runs in the default executor).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from server.hls_audience import HeartbeatCounter, HlsAudience
from server.media.worker_protocol import HlsProgress

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class StreamState:
    msn: int = -1
    part: int = -1
    complete_msn: int = -1
    ended: bool = False
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class HlsOrigin:
    """Runs on: the relay's control loop."""

    def __init__(
        self,
        root: Path,
        *,
        linger_s: float = 30.0,
        heartbeats: HeartbeatCounter | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.linger_s = linger_s
        self._now = now
        self.streams: dict[str, StreamState] = {}
        self.served: Counter[str] = Counter()
        """Responses the relay sent, by kind ("playlist", "blocking", "part", ...)."""
        self.heartbeats = heartbeats or HeartbeatCounter(now=now)
        self._removals: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Future[None]] = set()

    def clear_leftovers(self) -> int:
        """Remove every room folder a previous run left (call before serving). Runs anywhere."""
        self.root.mkdir(parents=True, exist_ok=True)
        removed = 0
        for folder in self.root.iterdir():
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed

    def folder(self, room_id: str) -> Path:
        return self.root / room_id

    # -- the media side ------------------------------------------------------------------------

    def published(self, progress: HlsProgress) -> None:
        state = self.streams.get(progress.room_id)
        if state is None:
            state = self.streams[progress.room_id] = StreamState()
        state.msn, state.part = progress.msn, progress.part
        state.complete_msn = progress.complete_msn
        state.ended = state.ended or progress.ended
        waking, state.changed = state.changed, asyncio.Event()
        waking.set()

    def expect(self, room_id: str) -> StreamState:
        """A live room's stream, before its first part is out (so a request can wait for it)."""
        state = self.streams.get(room_id)
        if state is None:
            state = self.streams[room_id] = StreamState()
        return state

    def room_closed(self, room_id: str) -> None:
        """The room ended: its stream stays readable `linger_s` (players see the ENDLIST),
        then its folder goes."""
        if room_id in self._removals:
            return
        loop = asyncio.get_running_loop()
        self._removals[room_id] = loop.call_later(self.linger_s, self._remove, room_id)

    def _remove(self, room_id: str) -> None:
        self._removals.pop(room_id, None)
        state = self.streams.pop(room_id, None)
        if state is not None:
            state.ended = True
            state.changed.set()
        self.heartbeats.forget(room_id)
        folder = self.folder(room_id)
        future = asyncio.get_running_loop().run_in_executor(
            None, lambda: shutil.rmtree(folder, ignore_errors=True)
        )
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        logger.info("room %s: HLS folder removed", room_id)

    async def close(self) -> None:
        for handle in self._removals.values():
            handle.cancel()
        self._removals.clear()
        for future in list(self._tasks):
            with contextlib.suppress(Exception):
                await future

    # -- the HTTP side -------------------------------------------------------------------------

    async def wait(
        self, room_id: str, ready: Callable[[StreamState], bool], timeout_s: float
    ) -> StreamState | None:
        """The room's stream once `ready(state)` holds (or it ended); None after `timeout_s`
        or if the room has no stream."""
        deadline = self._now() + timeout_s
        while True:
            state = self.streams.get(room_id)
            if state is None:
                return None
            if state.ended or ready(state):
                return state
            remaining = deadline - self._now()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(state.changed.wait(), remaining)

    def audience(self, room_id: str, joined_on_hls: int) -> HlsAudience:
        """The room's HLS listeners from heartbeats; `extra` leaves out the `joined_on_hls`
        listeners the card already counts (a page on HLS is joined, and heartbeats too)."""
        p = self.heartbeats.p(room_id)
        hls = round(self.heartbeats.estimate(room_id))
        return HlsAudience(hls=hls, extra=max(0, hls - joined_on_hls), estimated=p < 1.0, p=p)
