"""Preallocated single-writer, single-reader sample rings between PortAudio and the rest.

The PortAudio side only copies and counts: no allocation of sample buffers, no locks, no
logging. The two counters (`frames_written`, `frames_read`) only ever grow, and each is written
by one thread alone, so under the GIL a plain int assignment is enough to publish a block: the
writer fills the slots first and bumps its counter last.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


class AudioRing:
    """A fixed-size float32 ring of `channels` interleaved channels, one writer and one reader.

    A write that does not fit is dropped whole and counted in `overflows` (the writer never waits
    and never moves the reader's position). A read that asks for more than is there is counted in
    `underflows`; `read_into(..., pad=True)` fills the missing tail with silence, which is what a
    playback callback wants.
    """

    def __init__(self, capacity_frames: int, channels: int = 1) -> None:
        if capacity_frames <= 0 or channels <= 0:
            raise ValueError("capacity_frames and channels must be positive")
        self.capacity_frames = capacity_frames
        self.channels = channels
        self._buffer: Samples = np.zeros((capacity_frames, channels), dtype=np.float32)
        self.frames_written = 0  # written by the writer only
        self.frames_read = 0  # written by the reader only
        self.overflows = 0  # blocks dropped because the ring was full (writer's count)
        self.dropped_frames = 0
        self.underflows = 0  # reads that found less than they asked for (reader's count)

    @property
    def available_frames(self) -> int:
        """Frames written and not read yet."""
        return self.frames_written - self.frames_read

    @property
    def free_frames(self) -> int:
        return self.capacity_frames - self.available_frames

    def write(self, block: npt.NDArray[np.float32]) -> bool:
        """Runs on: the writer's thread (often the PortAudio thread). Copy a block in, or drop it.

        `block` is (frames, channels) or, for one channel, (frames,). Returns False when the
        block was dropped for want of room.
        """
        frames = block.shape[0]
        if frames > self.capacity_frames - (self.frames_written - self.frames_read):
            self.overflows += 1
            self.dropped_frames += frames
            return False
        start = self.frames_written % self.capacity_frames
        first = min(frames, self.capacity_frames - start)
        if block.ndim == 1:
            self._buffer[start : start + first, 0] = block[:first]
            if first < frames:
                self._buffer[: frames - first, 0] = block[first:]
        else:
            self._buffer[start : start + first] = block[:first]
            if first < frames:
                self._buffer[: frames - first] = block[first:]
        # Publish last: the reader never sees a slot before it is filled.
        self.frames_written += frames
        return True

    def read_into(self, out: npt.NDArray[np.float32], pad: bool = False) -> int:
        """Runs on: the reader's thread. Copy up to len(out) frames into `out`; return how many.

        `out` is (frames, channels) or, for one channel, (frames,). With `pad`, a short read is
        completed with zeros (and still counted as an underflow).
        """
        wanted = int(out.shape[0])
        frames = min(wanted, self.frames_written - self.frames_read)
        if frames < wanted:
            self.underflows += 1
            if pad:
                out[frames:] = 0.0
        if frames <= 0:
            return 0
        start = self.frames_read % self.capacity_frames
        first = min(frames, self.capacity_frames - start)
        if out.ndim == 1:
            out[:first] = self._buffer[start : start + first, 0]
            if first < frames:
                out[first:frames] = self._buffer[: frames - first, 0]
        else:
            out[:first] = self._buffer[start : start + first]
            if first < frames:
                out[first:frames] = self._buffer[: frames - first]
        self.frames_read += frames
        return frames

    def read_block(self, frames: int) -> Samples | None:
        """Runs on: the reader's thread. A new (frames, channels) array, or None if not there yet.

        A convenience for readers that are not real-time; it never counts an underflow.
        """
        if self.frames_written - self.frames_read < frames:
            return None
        out: Samples = np.empty((frames, self.channels), dtype=np.float32)
        self.read_into(out)
        return out

    def wait_for_frames(self, frames: int, timeout_s: float, poll_s: float = 0.002) -> bool:
        """Runs on: the reader's thread. Poll until `frames` are available or time runs out.

        Polling keeps locks and events out of the writer (the PortAudio callback).
        """
        deadline = time.monotonic() + timeout_s
        while self.frames_written - self.frames_read < frames:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
        return True

    def discard(self) -> int:
        """Runs on: the reader's thread. Drop everything unread; return how many frames."""
        frames = self.frames_written - self.frames_read
        self.frames_read += frames
        return frames
