"""Real aiortc client peers on loopback for the room-media tests, and signal checks.

Imported by the other test_media_* modules (`from tests.media.test_media_kit import ...`);
its own tests check the signal helpers.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame

from server.media import IceConfig, LevelSample, RoomMedia
from server.media.ice import gathering_on

RATE_HZ = 48_000
FRAME_SAMPLES = 960
Samples = npt.NDArray[np.float32]


class ToneTrack(MediaStreamTrack):
    """An audio track that plays a sine (or any float32 signal) in real time, 20 ms frames.

    `paused`: send nothing at all (a stalled speaker); `silent`: send digital silence.
    """

    kind = "audio"

    def __init__(
        self, freq_hz: float = 440.0, rms_db: float = -20.0, signal: Samples | None = None
    ) -> None:
        super().__init__()
        self.freq_hz = freq_hz
        self.amplitude = np.sqrt(2.0) * 10 ** (rms_db / 20.0)
        self.signal = signal
        self.paused = False
        self.silent = False
        self._start: float | None = None
        self._pts = 0

    def _block(self) -> Samples:
        if self.silent:
            return np.zeros(FRAME_SAMPLES, dtype=np.float32)
        if self.signal is not None:
            start = self._pts % self.signal.shape[0]
            chunk = np.take(self.signal, np.arange(start, start + FRAME_SAMPLES), mode="wrap")
            return chunk.astype(np.float32)
        t = (self._pts + np.arange(FRAME_SAMPLES)) / RATE_HZ
        return (self.amplitude * np.sin(2 * np.pi * self.freq_hz * t)).astype(np.float32)

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.perf_counter()
        while True:
            wait = self._start + self._pts / RATE_HZ - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self.paused:
                break
            self._pts += FRAME_SAMPLES  # time passes, nothing is sent
        pcm = np.clip(self._block() * 32767.0, -32768, 32767).astype(np.int16)
        # Stereo, both channels equal: aiortc would upmix mono at -3 dB (pan law).
        frame = AudioFrame.from_ndarray(
            np.repeat(pcm, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = RATE_HZ
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, RATE_HZ)
        self._pts += FRAME_SAMPLES
        return frame


@dataclass
class ClientPeer:
    """A participant: sends `track` (if any) and records what the relay sends back."""

    name: str
    track: MediaStreamTrack | None = None
    receive: bool = True
    pc: RTCPeerConnection = field(init=False)
    received: list[tuple[float, Samples]] = field(default_factory=list)
    ended: bool = False
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def offer(self) -> str:
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        if self.track is not None:
            self.pc.addTransceiver(self.track, direction="sendrecv" if self.receive else "sendonly")
        else:
            self.pc.addTransceiver("audio", direction="recvonly")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.ensure_future(self._record(track)))

        with gathering_on(IceConfig()):
            await self.pc.setLocalDescription(await self.pc.createOffer())
        return self.pc.localDescription.sdp

    async def answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def join(self, room: RoomMedia, *, send_allowed: bool) -> None:
        await self.answer(
            await room.connect(self.name, await self.offer(), send_allowed=send_allowed)
        )

    async def _record(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                pcm = frame.to_ndarray().reshape(-1, len(frame.layout.channels))
                mono = pcm.mean(axis=1).astype(np.float32) / 32768.0
                self.received.append((time.perf_counter(), mono))
        except MediaStreamError:
            self.ended = True

    def audio_since(self, since_s: float) -> Samples:
        blocks = [b for t, b in self.received if t >= since_s]
        if not blocks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(blocks)

    def frames_since(self, since_s: float) -> int:
        return sum(1 for t, _ in self.received if t >= since_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await self.pc.close()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, MediaStreamError):
                await task


@dataclass
class Recorder:
    """Collects what RoomMedia reports through its callbacks."""

    levels: list[tuple[float, dict[str, LevelSample]]] = field(default_factory=list)
    speaking: list[tuple[float, str, bool]] = field(default_factory=list)

    def on_levels(self, levels: dict[str, LevelSample]) -> None:
        self.levels.append((time.perf_counter(), levels))

    def on_speaking(self, user_id: str, speaking: bool) -> None:
        self.speaking.append((time.perf_counter(), user_id, speaking))


def new_room(recorder: Recorder | None = None, room_id: str = "r1") -> RoomMedia:
    recorder = recorder or Recorder()
    return RoomMedia(room_id, IceConfig(), recorder.on_levels, recorder.on_speaking)


async def wait_until(
    predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.perf_counter() + timeout_s
    while not predicate():
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        await asyncio.sleep(0.02)


async def listen(peers: list[ClientPeer], seconds: float = 1.0) -> float:
    """Wait `seconds` and return when the window started (for `audio_since`)."""
    since = time.perf_counter()
    await asyncio.sleep(seconds)
    return since


def rms_db(samples: Samples) -> float:
    if samples.size == 0:
        return -120.0
    value = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    return 20 * np.log10(max(value, 1e-6))


def tone_db(samples: Samples, freq_hz: float, width_hz: float = 15.0) -> float:
    """RMS level (dBFS) of the part of `samples` within `width_hz` of `freq_hz`."""
    if samples.size == 0:
        return -120.0
    spectrum = np.fft.rfft(samples.astype(np.float64))
    freqs = np.fft.rfftfreq(samples.size, 1.0 / RATE_HZ)
    band = np.abs(freqs - freq_hz) <= width_hz
    # Parseval: power in the band (one-sided spectrum, doubled except DC).
    power = 2.0 * np.sum(np.abs(spectrum[band]) ** 2) / samples.size**2
    return 10 * np.log10(max(power, 1e-12))


def dominant_hz(samples: Samples) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(samples.size)))
    freqs = np.fft.rfftfreq(samples.size, 1.0 / RATE_HZ)
    return float(freqs[int(np.argmax(spectrum))])


def test_signal_helpers_measure_a_known_tone() -> None:
    t = np.arange(RATE_HZ) / RATE_HZ
    sine = (np.sqrt(2) * 0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    assert abs(dominant_hz(sine) - 440) < 2
    assert abs(rms_db(sine) + 20) < 0.1
    assert abs(tone_db(sine, 440) + 20) < 0.2
    assert tone_db(sine, 660) < -80
