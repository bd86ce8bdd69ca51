"""A room's LL-HLS stream, made by its home worker from the audience mix's Opus packets.

The 20 ms clock only appends each tick's packet (`add`); every `part_ticks` packets it hands
the list to a writer thread, which wraps them as one fMP4 fragment (server/media/fmp4.py),
writes the part file, closes a segment every `segment_parts` parts (its file is its parts'
bytes), rewrites the playlist (`index.m3u8`, atomically) and then reports the new part
(`on_published`, called on the writer thread). No file is touched on the clock.

A new home continues the stream: it reads the folder's `.hls-state.json`, closes the segment
the old home left open as it stands, and goes on from the next media sequence number after an
`#EXT-X-DISCONTINUITY` (the audio itself has a gap while the worker restarted). A stream with
no state starts its media sequence at the Unix time in seconds: segments last longer than a
second, so numbers never come back, even across a relay restart that wiped the folder, and a
CDN's long-cached segment is never served for another one.

Runs on: the room's clock task (`add`, `end`), its own writer thread (everything else).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from server.media import fmp4
from server.media.hls_playlist import Segment, part_name, render, segment_name

logger = logging.getLogger(__name__)

STATE_FILE = ".hls-state.json"
PLAYLIST_FILE = "index.m3u8"
INIT_FILE = "init.mp4"
TICK_S = fmp4.SAMPLE_DURATION / fmp4.TIMESCALE_HZ

PublishedCallback = Callable[[int, int, int, bool], None]
"""(msn, part, last complete msn, ended): a part (and maybe its segment) is on disk."""


@dataclass(frozen=True, slots=True)
class HlsLayout:
    part_ticks: int = 25
    """Ticks (20 ms) per partial segment: 0.5 s."""
    segment_parts: int = 4
    """Parts per segment: 2 s segments."""
    window_segments: int = 6
    """Segments listed in the playlist."""
    keep_segments: int = 12
    """Segments kept on disk (a slow client or edge may still ask for one that left the list)."""

    @property
    def part_s(self) -> float:
        return self.part_ticks * TICK_S

    @property
    def segment_s(self) -> float:
        return self.part_s * self.segment_parts


_END = object()


class HlsStream:
    """Runs on: the clock task (`add`, `end`); the writer thread owns the files."""

    def __init__(
        self,
        folder: Path,
        on_published: PublishedCallback,
        layout: HlsLayout | None = None,
    ) -> None:
        self.folder = folder
        self.layout = layout or HlsLayout()
        self._on_published = on_published
        self._pending: list[bytes] = []
        self._jobs: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._ended = False
        self.parts_written = 0
        self.write_errors = 0
        self.writer_busy_s = 0.0
        """Time the writer thread spent on parts (a benchmark figure)."""
        self._thread = threading.Thread(target=self._run, name=f"hls-{folder.name}", daemon=True)
        self._thread.start()

    # -- the clock's side ----------------------------------------------------------------------

    def add(self, packet: bytes) -> None:
        """One tick's audience packet. Runs on: the clock task; costs an append."""
        if self._ended:
            return
        self._pending.append(packet)
        if len(self._pending) >= self.layout.part_ticks:
            self._jobs.put((self._pending, time.time()))
            self._pending = []

    def end(self) -> None:
        """The room ended: the last packets become a last part, the playlist gets ENDLIST."""
        if self._ended:
            return
        self._ended = True
        if self._pending:
            self._jobs.put((self._pending, time.time()))
            self._pending = []
        self._jobs.put(_END)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the writer (after what is queued) and wait for it."""
        self._jobs.put(None)
        self._thread.join(timeout_s)

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._load()
        except Exception:
            logger.exception("HLS %s: cannot set up the folder", self.folder)
            self.write_errors += 1
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                if job is _END:
                    self._finish()
                else:
                    assert isinstance(job, tuple)
                    started = time.perf_counter()
                    self._write_part(job[0], job[1])
                    self.writer_busy_s += time.perf_counter() - started
            except Exception:  # a full disk must never stop the room: its WebRTC goes on
                self.write_errors += 1
                logger.exception("HLS %s: write failed", self.folder)

    def _load(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._segments: list[Segment] = []
        self._discontinuity_sequence = 0
        self._fragment = 1
        self._decode_time = 0
        self._next_msn = int(time.time())
        self._discontinuity_next = False
        try:
            saved = json.loads((self.folder / STATE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = None
        if isinstance(saved, dict):
            self._segments = [Segment(**s) for s in saved["segments"]]
            self._discontinuity_sequence = int(saved["discontinuity_sequence"])
            self._fragment = int(saved["fragment"])
            self._decode_time = int(saved["decode_time"])
            self._next_msn = int(saved["next_msn"])
            self._discontinuity_next = True
            if self._segments and not self._segments[-1].complete:
                last = self._segments[-1]
                try:  # the old home's open segment closes as it stands
                    if not last.parts_s:
                        raise FileNotFoundError(last.msn)
                    self._write_segment(last)
                except OSError:
                    self._segments.pop()
            logger.info("HLS %s: continuing at media sequence %d", self.folder, self._next_msn)
        _write_atomic(self.folder / INIT_FILE, fmp4.init_segment())

    def _open_segment(self, started_at: float) -> Segment:
        if self._segments and not self._segments[-1].complete:
            return self._segments[-1]
        segment = Segment(self._next_msn, [], started_at, self._discontinuity_next)
        self._discontinuity_next = False
        self._next_msn += 1
        self._segments.append(segment)
        return segment

    def _write_part(self, packets: list[bytes], written_at: float) -> None:
        duration_s = len(packets) * TICK_S
        segment = self._open_segment(written_at - duration_s)
        data = fmp4.fragment(self._fragment, self._decode_time, packets)
        self._fragment += 1
        self._decode_time += len(packets) * fmp4.SAMPLE_DURATION
        index = len(segment.parts_s)
        _write_atomic(self.folder / part_name(segment.msn, index), data)
        segment.parts_s.append(duration_s)
        if len(segment.parts_s) >= self.layout.segment_parts:
            self._write_segment(segment)
        self._trim()
        self._save(ended=False)
        self.parts_written += 1
        self._on_published(segment.msn, index, self._last_complete(), False)

    def _write_segment(self, segment: Segment) -> None:
        data = b"".join(
            (self.folder / part_name(segment.msn, i)).read_bytes()
            for i in range(len(segment.parts_s))
        )
        _write_atomic(self.folder / segment_name(segment.msn), data)
        segment.complete = True

    def _finish(self) -> None:
        if self._segments and not self._segments[-1].complete:
            self._write_segment(self._segments[-1])
        self._save(ended=True)
        last = self._segments[-1] if self._segments else None
        msn = last.msn if last else self._next_msn
        part = max(0, len(last.parts_s) - 1) if last else 0
        self._on_published(msn, part, self._last_complete(), True)

    def _last_complete(self) -> int:
        for segment in reversed(self._segments):
            if segment.complete:
                return segment.msn
        return -1

    def _trim(self) -> None:
        """Let old segments leave the playlist, and their files leave the disk later."""
        window = self.layout.window_segments
        while len([s for s in self._segments if s.complete]) > window:
            gone = self._segments.pop(0)
            if gone.discontinuity:
                self._discontinuity_sequence += 1
            self._forget_files(gone.msn - (self.layout.keep_segments - window))

    def _forget_files(self, msn: int) -> None:
        with contextlib.suppress(OSError):
            (self.folder / segment_name(msn)).unlink()
        for index in range(self.layout.segment_parts):
            with contextlib.suppress(OSError):
                (self.folder / part_name(msn, index)).unlink()

    def _save(self, *, ended: bool) -> None:
        text = render(
            self._segments,
            part_target_s=self.layout.part_s,
            segment_target_s=self.layout.segment_s,
            discontinuity_sequence=self._discontinuity_sequence,
            ended=ended,
        )
        _write_atomic(self.folder / PLAYLIST_FILE, text.encode("utf-8"))
        state = {
            "segments": [
                {
                    "msn": s.msn,
                    "parts_s": s.parts_s,
                    "started_at": s.started_at,
                    "discontinuity": s.discontinuity,
                    "complete": s.complete,
                }
                for s in self._segments
            ],
            "discontinuity_sequence": self._discontinuity_sequence,
            "fragment": self._fragment,
            "decode_time": self._decode_time,
            "next_msn": self._next_msn,
            "ended": ended,
        }
        _write_atomic(self.folder / STATE_FILE, json.dumps(state).encode("utf-8"))


def _write_atomic(path: Path, data: bytes) -> None:
    """Readers (the relay, nginx, any web server) see the old file or the new one, whole."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)
