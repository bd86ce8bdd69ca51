"""Capture and playback streams: a PortAudio callback on one side of a ring, the app on the other.

The callback copies one block and counts; it never raises, logs or locks. Whether the device
is still there is decided on the reader's side by `check()`, which a UI timer or the relay's
clock calls often anyway: the stream reports its error state, it never throws from the
PortAudio thread.

A device is "lost" when any of these happens:
- PortAudio ends the stream on its own (the finished callback fires without our asking);
- the sound server says the source or sink was removed (PulseAudio otherwise moves our stream
  to another device without telling anyone, so the host would talk into the wrong microphone);
- callbacks stop arriving for `stall_after_s`, or never start within `first_block_timeout_s`
  (the first one can take 1.8 s through ALSA's pulse plugin: wait, don't sleep).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from audio.device_error import DeviceError, DeviceProblem, Direction, lost_message
from audio.ring import AudioRing

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class StreamLike(Protocol):
    """What we use of a sounddevice stream; the seam for tests of error handling."""

    @property
    def active(self) -> bool: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StreamRequest:
    """Everything a stream factory needs to open one PortAudio stream."""

    direction: Direction
    portaudio_device: int
    sample_rate_hz: int
    channels: int
    block_frames: int
    callback: Callable[..., None]  # sounddevice's (data, frames, time, status)
    finished_callback: Callable[[], None]


StreamFactory = Callable[[StreamRequest], StreamLike]


class RemovalWatch(Protocol):
    """Tells whether a device went away (the sound server's view)."""

    server_lost: bool

    def is_removed(self, direction: Direction, index: int) -> bool: ...


class StreamState(StrEnum):
    RUNNING = "running"
    LOST = "lost"
    CLOSED = "closed"


class DeviceStream:
    """What capture and playback share: the ring, the counters, the health check."""

    def __init__(
        self,
        direction: Direction,
        device_name: str,
        ring: AudioRing,
        sample_rate_hz: int,
        block_frames: int,
        stall_after_s: float,
        first_block_timeout_s: float,
        now: Clock,
    ) -> None:
        self.direction: Direction = direction
        self.device_name = device_name
        self.ring = ring
        self.sample_rate_hz = sample_rate_hz
        self.block_frames = block_frames
        self.stall_after_s = stall_after_s
        self.first_block_timeout_s = first_block_timeout_s
        self.callbacks = 0  # written by the PortAudio thread only
        self.status_flags = 0  # callbacks whose status reported an xrun
        self.state = StreamState.RUNNING
        self.error: DeviceError | None = None
        self._now = now
        self._stream: StreamLike | None = None
        self._finished = False  # set by the PortAudio thread when the stream ends
        self._closing = False
        self._watch: RemovalWatch | None = None
        self._watch_index = -1
        self._started_at_s = now()
        self._last_count = 0
        self._last_change_s = self._started_at_s

    def attach(self, stream: StreamLike, watch: RemovalWatch | None, node_index: int) -> None:
        """Take the opened PortAudio stream and start it."""
        self._stream = stream
        self._watch = watch
        self._watch_index = node_index
        self._started_at_s = self._last_change_s = self._now()
        stream.start()

    def _on_audio(
        self, data: npt.NDArray[np.float32], frames: int, time_info: Any, status: Any
    ) -> None:
        """Runs on: PortAudio thread. Each kind of stream moves one block here."""
        raise NotImplementedError

    def _on_finished(self) -> None:
        """Runs on: PortAudio thread. The stream ended; only note it."""
        self._finished = True

    def wait_first_block(self, timeout_s: float = 5.0, poll_s: float = 0.005) -> bool:
        """Runs on: the reader's thread. Wait (polling) for the first callback."""
        deadline = time.monotonic() + timeout_s
        while self.callbacks == 0:
            if self.state is not StreamState.RUNNING or time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)
        return True

    def check(self) -> DeviceError | None:
        """Runs on: the reader's thread. Notice a lost device; return the error, if any.

        Cheap enough to call on every UI tick. Once lost, the PortAudio stream is closed here
        and the same error is returned until the stream is dropped.
        """
        if self.state is not StreamState.RUNNING:
            return self.error
        now = self._now()
        problem: DeviceProblem | None = None
        count = self.callbacks
        if count != self._last_count:
            self._last_count = count
            self._last_change_s = now
        if self._finished and not self._closing:
            problem = DeviceProblem.DISAPPEARED
        elif self._watch is not None and self._watch.server_lost:
            problem = DeviceProblem.SERVER_GONE
        elif self._watch is not None and self._watch.is_removed(self.direction, self._watch_index):
            problem = DeviceProblem.DISAPPEARED
        elif count == 0 and now - self._started_at_s > self.first_block_timeout_s:
            problem = DeviceProblem.NO_AUDIO
        elif count > 0 and now - self._last_change_s > self.stall_after_s:
            problem = DeviceProblem.STALLED
        if problem is not None:
            self._lose(problem)
        return self.error

    def _lose(self, problem: DeviceProblem) -> None:
        self.error = DeviceError(
            lost_message(self.direction, self.device_name, problem),
            problem=problem,
            direction=self.direction,
            device_name=self.device_name,
        )
        logger.warning(
            "%s stream on %r: %s -> %s (%s)",
            self.direction,
            self.device_name,
            self.state,
            StreamState.LOST,
            problem,
        )
        self.state = StreamState.LOST
        self._close_portaudio()

    def _close_portaudio(self) -> None:
        self._closing = True
        stream, self._stream = self._stream, None
        if stream is None:
            return
        try:
            stream.stop()
        except Exception as exc:  # a vanished device may refuse even this; closing still helps
            logger.debug("stopping the %s stream failed: %s", self.direction, exc)
        try:
            stream.close()
        except Exception as exc:
            logger.debug("closing the %s stream failed: %s", self.direction, exc)

    def close(self) -> None:
        """Stop and release the device. Safe to call twice, and after a loss."""
        if self.state is StreamState.CLOSED:
            return
        self._close_portaudio()
        self.state = StreamState.CLOSED

    def __enter__(self) -> DeviceStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class CaptureStream(DeviceStream):
    """A microphone: PortAudio fills `ring`, the reader drains it (`read_block`, `read_into`)."""

    def _on_audio(
        self, indata: npt.NDArray[np.float32], frames: int, time_info: Any, status: Any
    ) -> None:
        """Runs on: PortAudio thread. Copy the block into the ring and count; nothing else."""
        # NB: += is not atomic, but only this thread ever writes these counters.
        self.callbacks += 1
        if status:
            self.status_flags += 1
        self.ring.write(indata)

    def read_block(self, frames: int | None = None) -> npt.NDArray[np.float32] | None:
        """Runs on: the reader's thread. The next mono block, or None if it is not there yet."""
        block = self.ring.read_block(frames or self.block_frames)
        return None if block is None else block[:, 0]

    def read_into(self, out: npt.NDArray[np.float32]) -> int:
        """Runs on: the reader's thread. Copy what is there (up to len(out)) into `out`."""
        return self.ring.read_into(out)


class PlaybackStream(DeviceStream):
    """An output: the app writes blocks into `ring`, PortAudio plays them; gaps play silence."""

    def _on_audio(
        self, outdata: npt.NDArray[np.float32], frames: int, time_info: Any, status: Any
    ) -> None:
        """Runs on: PortAudio thread. Copy the next block out of the ring (or silence)."""
        self.callbacks += 1
        if status:
            self.status_flags += 1
        self.ring.read_into(outdata, pad=True)

    def write(self, samples: npt.NDArray[np.float32]) -> bool:
        """Runs on: the writer's thread. Queue a block; False if the ring is full (dropped)."""
        return self.ring.write(samples)

    def write_all(self, samples: npt.NDArray[np.float32], timeout_s: float = 60.0) -> bool:
        """Runs on: the writer's thread. Queue a long signal, waiting for room as it plays.

        For tests and one-off sounds; a live writer should use `write` on its own clock.
        """
        deadline = time.monotonic() + timeout_s
        position = 0
        chunk = self.block_frames
        while position < samples.shape[0]:
            if self.state is not StreamState.RUNNING or time.monotonic() > deadline:
                return False
            end = min(position + chunk, samples.shape[0])
            if self.ring.free_frames >= end - position:
                self.ring.write(samples[position:end])
                position = end
            else:
                time.sleep(chunk / self.sample_rate_hz / 2)
        return True

    @property
    def queued_frames(self) -> int:
        return self.ring.available_frames
