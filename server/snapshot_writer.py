"""Room snapshots written off the event loop, every few seconds or every few events.

A command's events are appended on the loop (that is what makes an
acknowledged change durable); the full room is only a shortcut for a restart,
so it is encoded and written here, on a thread with its own SQLite connection.
The loop hands over the newest (room, seq) per room, which costs a dict write;
the thread writes each dirty room once per round, at most every
`interval_s` seconds, or sooner once `every_events` events piled up or a room
ended. With nothing dirty the thread sleeps until woken: an idle relay costs
nothing here.

Rooms are frozen dataclasses, so the thread may encode the very object the loop
keeps using.

Runs on: `note`/`flush`/`close` on the relay's event loop thread; the rest on
the "snapshots" thread.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from server.room import Room
from server.store import Store, StoreError, encode_snapshot

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 2.0
DEFAULT_EVERY_EVENTS = 500


class SnapshotWriter:
    def __init__(
        self,
        data_dir: Path,
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        every_events: int = DEFAULT_EVERY_EVENTS,
    ) -> None:
        self.interval_s = interval_s
        self.every_events = every_events
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._dirty: dict[str, tuple[Room, int]] = {}  # room id -> newest (room, seq)
        self._events_waiting = 0
        self._urgent = False
        self._stopping = False
        self._written_round = 0  # rounds finished; `flush` waits for the next one
        self._writing = False
        self._round_done = threading.Condition(self._lock)
        self._opened = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="snapshots", daemon=True)
        self._thread.start()
        self._opened.wait(timeout=30)
        if self._failure is not None:
            raise StoreError(str(self._failure))

    # -- on the loop ---------------------------------------------------------------------------

    def note(self, room: Room, seq: int, events: int, *, urgent: bool = False) -> None:
        """The room after event `seq`; `events` were added by this change."""
        with self._lock:
            first = not self._dirty
            self._dirty[room.room_id] = (room, seq)
            self._events_waiting += events
            wake = first or urgent or self._events_waiting >= self.every_events
            self._urgent = self._urgent or urgent
        if wake:
            self._wake.set()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Write everything noted so far now; True once it is on disk (tests, shutdown)."""
        with self._lock:
            if not self._dirty:
                return True
            self._urgent = True
            # A round already writing may have taken its batch before the newest note.
            target = self._written_round + (2 if self._writing else 1)
        self._wake.set()
        deadline = time.monotonic() + timeout_s
        with self._round_done:
            while self._written_round < target:  # bounded by the deadline
                left = deadline - time.monotonic()
                if left <= 0 or not self._round_done.wait(left):
                    return False
        return True

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)

    # -- on the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            store = Store.open(self._data_dir, check=False)  # the relay checked it
        except StoreError as exc:
            self._failure = exc
            self._opened.set()
            return
        self._opened.set()
        try:
            while True:  # one round per wake; ends when the relay closes
                self._wake.wait()
                self._wake.clear()
                with self._lock:
                    stopping, urgent = self._stopping, self._urgent
                if not urgent and not stopping:
                    self._settle()
                with self._lock:
                    batch, self._dirty = self._dirty, {}
                    self._events_waiting, self._urgent = 0, False
                    self._writing = True
                self._write(store, batch)
                with self._round_done:
                    self._writing = False
                    self._written_round += 1
                    self._round_done.notify_all()
                if stopping:
                    return
        finally:
            store.close()

    def _settle(self) -> None:
        """Let more changes gather: up to `interval_s`, unless woken for a reason to hurry."""
        deadline = time.monotonic() + self.interval_s
        while True:  # bounded by the deadline
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._wake.wait(left)
            self._wake.clear()
            with self._lock:
                if self._urgent or self._stopping:
                    return
                if self._events_waiting >= self.every_events:
                    return

    def _write(self, store: Store, batch: dict[str, tuple[Room, int]]) -> None:
        for room, seq in batch.values():
            try:
                store.save_snapshot(room, seq, encode_snapshot(room))
            except StoreError as exc:
                # The events are safe; a restart replays them from the older snapshot.
                logger.warning("room %s: snapshot not saved: %s", room.room_id, exc)
