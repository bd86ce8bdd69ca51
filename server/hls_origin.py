"""The relay as the origin of every room's LL-HLS stream: what is published, who is waiting.

The home media worker writes each room's stream into `<hls_root>/<room_id>/` and reports
every part it finished (`HlsProgress`). This object keeps the newest progress per room, wakes
requests held for a part that did not exist yet (blocking playlist reload, preload hints),
counts what the relay served (the edge's misses), estimates HLS listeners, and removes a
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

from server.media.worker_protocol import HlsProgress

logger = logging.getLogger(__name__)

LISTENER_WINDOW_S = 10.0
"""A playlist fetcher counts as listening for this long after its last fetch."""


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
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.linger_s = linger_s
        self._now = now
        self.streams: dict[str, StreamState] = {}
        self.served: Counter[str] = Counter()
        """Responses the relay sent, by kind ("playlist", "blocking", "part", ...)."""
        self._fetchers: dict[str, dict[str, float]] = {}
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
        self._fetchers.pop(room_id, None)
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

    def note_fetcher(self, room_id: str, who: str) -> None:
        fetchers = self._fetchers.setdefault(room_id, {})
        fetchers[who] = self._now()
        if len(fetchers) > 4 * 1024:  # bounded: old entries go first
            self._expire(fetchers)

    def listeners(self, room_id: str) -> int:
        """Distinct playlist fetchers within the last LISTENER_WINDOW_S. Behind a cache or CDN
        these are its edge nodes, not its clients."""
        fetchers = self._fetchers.get(room_id)
        if not fetchers:
            return 0
        self._expire(fetchers)
        return len(fetchers)

    def _expire(self, fetchers: dict[str, float]) -> None:
        horizon = self._now() - LISTENER_WINDOW_S
        for who in [w for w, at in fetchers.items() if at < horizon]:
            del fetchers[who]
