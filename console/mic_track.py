"""The host's microphone as a WebRTC track: capture ring → 20 ms frames, metered, muted at source.

`CaptureTrack` paces itself at 20 ms (like the test tones) and takes what the device's ring
holds, silence when it has nothing yet; when the device clock runs ahead, the ring is trimmed
so latency cannot creep up. `MeteredTrack` wraps any source (a capture, or a tone in tests):
it measures each frame (level, speaking gate, "talking while muted") and publishes to the
level board under `LOCAL`, and sends silence while the host is muted, so a muted microphone
never leaves the machine.

Runs on: the console's event loop (aiortc pulls `recv()` there).
"""

from __future__ import annotations

import math

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
    """What the host sends: the source's frames, measured, and silence while muted."""

    kind = "audio"

    def __init__(self, source: MediaStreamTrack, board: LevelBoard, *, vad_mode: int = 3) -> None:
        super().__init__()
        self.source = source
        self.board = board
        self.muted = True
        self.gate = VoiceGate(mode=vad_mode)
        self.muted_talk = MutedTalkDetector()
        self.notices: list[MutedTalkNotice] = []  # the UI takes them (and clears the list)
        self.frames = 0

    def switch_source(self, source: MediaStreamTrack) -> None:
        """Use another microphone from the next frame on (the old one is stopped)."""
        old, self.source = self.source, source
        if old is not source:
            old.stop()
        self.gate.reset()

    def set_sensitivity(self, vad_mode: int) -> None:
        self.gate.frames.set_mode(vad_mode)

    @property
    def talking_while_muted(self) -> bool:
        return self.muted_talk.talking_while_muted

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        frame = await self.source.recv()
        if not isinstance(frame, av.AudioFrame):
            raise MediaStreamError
        pcm = frame.to_ndarray().reshape(-1)
        samples = (pcm.astype(np.float32) / 32768.0) if pcm.dtype == np.int16 else pcm
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        self.frames += 1
        self._measure(samples)
        if not self.muted:
            return frame
        silent = av.AudioFrame.from_ndarray(
            np.zeros((1, frame.samples), dtype=np.int16), format="s16", layout="mono"
        )
        silent.sample_rate = frame.sample_rate
        silent.pts = frame.pts
        silent.time_base = frame.time_base
        return silent

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
