"""The host's microphone as a WebRTC track: capture ring → 20 ms frames, metered, muted at source.

`CaptureTrack` paces itself at 20 ms (like the test tones) and takes what the device's ring
holds, silence when it has nothing yet; when the device clock runs ahead, the ring is trimmed
so latency cannot creep up. `MeteredTrack` wraps any source (a capture, or a tone in tests):
it measures each frame (level, speaking gate, "talking while muted") and publishes to the
level board under `LOCAL`, and sends nothing while the host is muted (nor with no microphone),
so a muted microphone never leaves the machine and silence costs no encoding or sending.

Runs on: the console's event loop (aiortc pulls `recv()` there).
"""

from __future__ import annotations

import asyncio
import math
import time

import av
import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

from audio.levels import block_mean_square, block_peak, gain_to_db
from audio.streams import CaptureStream
from audio.voice_gate import MutedTalkDetector, MutedTalkNotice, VoiceGate
from console.level_board import LOCAL, LevelBoard
from console.tracks import FRAME_S, FRAME_SAMPLES, PacedAudioTrack

MAX_QUEUED_FRAMES = 3 * FRAME_SAMPLES  # past this the ring is trimmed (60 ms of latency)


class CaptureTrack(PacedAudioTrack):
    """A capture stream's ring, read 20 ms at a time (48 kHz mono)."""

    def __init__(self, capture: CaptureStream) -> None:
        super().__init__()
        self.capture = capture
        self._block = np.zeros(FRAME_SAMPLES, dtype=np.float32)
        self.underruns = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        ring = self.capture.ring
        excess = ring.available_frames - MAX_QUEUED_FRAMES
        if excess > 0:  # device clock ahead of ours: drop the oldest
            scratch = np.empty((excess, ring.channels), dtype=np.float32)
            ring.read_into(scratch)
        block = self._block[:frames]
        got = self.capture.read_into(block.reshape(-1, 1)) if ring.channels == 1 else 0
        if got < frames:
            self.underruns += 1
            block[got:] = 0.0
        return (np.clip(block, -1.0, 1.0) * 32767).astype(np.int16)

    def stop(self) -> None:
        super().stop()
        self.capture.close()


class MeteredTrack(MediaStreamTrack):
    """What the host sends: the source's frames, measured; nothing while muted or with no
    microphone.

    While muted, `recv` keeps reading and measuring the microphone (the host's meter and
    "talking while muted" go on) but hands aiortc no frame, so nothing is encoded or sent; the
    relay takes a speaker who sends nothing as silence. With no microphone (a `silent` source
    such as `SilenceTrack`) it reads nothing at all and waits for one. The frames sent after
    a pause (or from another microphone) are stamped so their RTP time keeps following the
    wall clock: the pause shows as a jump in RTP time, sequence numbers run on, and the
    relay's capture clock (recording consent) keeps placing them where they were spoken.
    """

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, board: LevelBoard, *, vad_mode: int = 3) -> None:
        super().__init__()
        self.source = source
        self.board = board
        self.muted = True
        self.gate = VoiceGate(mode=vad_mode)
        self.muted_talk = MutedTalkDetector()
        self.notices: list[MutedTalkNotice] = []  # the UI takes them (and clears the list)
        self.frames = 0  # frames read from the microphone (measured)
        self.frames_sent = 0  # frames handed to aiortc (encoded and sent)
        self._switched = asyncio.Event()  # a new source (or the end): a waiting recv looks again
        self._resume = True  # the next frame sent follows a pause or a new source
        self._pts_shift = 0
        self._last_pts: int | None = None  # of the last frame sent, and when (monotonic s)
        self._last_sent_s = 0.0

    def switch_source(self, source: MediaStreamTrack) -> None:
        """Use another microphone from the next frame on (the old one is stopped)."""
        old, self.source = self.source, source
        if old is not source:
            old.stop()
        self.gate.reset()
        self._resume = True
        self._switched.set()

    def set_sensitivity(self, vad_mode: int) -> None:
        self.gate.frames.set_mode(vad_mode)

    @property
    def talking_while_muted(self) -> bool:
        return self.muted_talk.talking_while_muted

    async def recv(self) -> av.AudioFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self.source
            if getattr(source, "silent", False):  # no microphone: nothing to read or send
                self._switched.clear()
                self.muted_talk.update(False, self.muted, 0.0)
                self._resume = True
                await self._switched.wait()
                continue
            frame = await source.recv()
            if not isinstance(frame, av.AudioFrame):
                raise MediaStreamError
            pcm = frame.to_ndarray().reshape(-1)
            samples = (pcm.astype(np.float32) / 32768.0) if pcm.dtype == np.int16 else pcm
            samples = np.ascontiguousarray(samples, dtype=np.float32)
            self.frames += 1
            self._measure(samples)
            if self.muted or source is not self.source:
                self._resume = True  # muted at source: this frame never leaves the machine
                continue
            return self._stamped(frame)

    def _stamped(self, frame: av.AudioFrame) -> av.AudioFrame:
        """Shift the frame's pts so the frames sent follow the wall clock across pauses."""
        now = time.monotonic()
        pts = int(frame.pts or 0)
        if self._resume:
            self._resume = False
            if self._last_pts is not None and frame.time_base is not None:
                per_second = 1 / frame.time_base
                elapsed = round((now - self._last_sent_s) * per_second / frame.samples)
                self._pts_shift = self._last_pts + max(1, elapsed) * frame.samples - pts
        frame.pts = pts + self._pts_shift
        self._last_pts, self._last_sent_s = int(frame.pts), now
        self.frames_sent += 1
        return frame

    def _measure(self, samples: npt.NDArray[np.float32]) -> None:
        peak_db = gain_to_db(block_peak(samples))
        rms_db = gain_to_db(math.sqrt(block_mean_square(samples)))
        speaking = self.gate.update(samples)
        notice = self.muted_talk.update(speaking, self.muted, FRAME_S)
        if notice is not None:
            self.notices.append(notice)
        self.board.publish(LOCAL, peak_db, rms_db, speaking)

    def stop(self) -> None:
        super().stop()
        self.source.stop()
        self._switched.set()


class SendTap(MediaStreamTrack):
    """One peer connection's view of the microphone.

    aiortc stops a sender's track when the sender ends (a relay restart ends it with a
    ConnectionError), so each connection gets a tap of its own and the microphone outlives it.
    """

    kind = "audio"

    def __init__(self, mic: MeteredTrack) -> None:
        super().__init__()
        self.mic = mic

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self.mic.readyState != "live":
            raise MediaStreamError
        frame: av.AudioFrame = await self.mic.recv()
        return frame
