"""Audio a client sends and keeps: a tone, a WAV file, a recorder of what it hears.

The sending tracks pace themselves at 20 ms per frame against a monotonic
start time (so they neither drift nor burst), 48 kHz mono 16-bit, the format
the relay's mixer works in.
"""

from __future__ import annotations

import asyncio
import collections
import fractions
import time
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from aiortc import MediaStreamTrack, RTCRtpReceiver
from aiortc.mediastreams import MediaStreamError
from aiortc.rtp import RtpPacket

from server.media.aiortc_internals import hook_receiver, receive_rtp_at_socket
from server.media.opus_codec import SpeakerDecoder, new_decoder

SAMPLE_RATE_HZ = 48_000
FRAME_S = 0.020
FRAME_SAMPLES = int(SAMPLE_RATE_HZ * FRAME_S)
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE_HZ)


class PacedAudioTrack(MediaStreamTrack):
    """A mono 48 kHz track producing one 20 ms frame per `recv`, on time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._start: float | None = None
        self._pts = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        raise NotImplementedError

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        else:
            due = self._start + self._pts / SAMPLE_RATE_HZ
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        block = self.next_block(FRAME_SAMPLES)
        frame = av.AudioFrame.from_ndarray(block.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE_HZ
        frame.pts = self._pts
        frame.time_base = TIME_BASE
        self._pts += FRAME_SAMPLES
        return frame


class SilenceTrack(PacedAudioTrack):
    """Silence at 20 ms a frame: the stand-in while no microphone is open.

    `MeteredTrack` never pulls it (`silent`): with no microphone the console sends nothing,
    which the relay takes as silence."""

    silent = True

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        return np.zeros(frames, dtype=np.int16)


class ToneTrack(PacedAudioTrack):
    """A steady sine: `frequency_hz` at `level_dbfs` (peak)."""

    def __init__(self, frequency_hz: float, level_dbfs: float = -12.0) -> None:
        super().__init__()
        self.frequency_hz = frequency_hz
        self.amplitude = 32767 * 10 ** (level_dbfs / 20)
        self._phase = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        n = np.arange(self._phase, self._phase + frames)
        self._phase += frames
        wave = self.amplitude * np.sin(2 * np.pi * self.frequency_hz * n / SAMPLE_RATE_HZ)
        return wave.astype(np.int16)


class WavTrack(PacedAudioTrack):
    """A sound file, played once (then silence) or looped; resampled to 48 kHz mono."""

    def __init__(self, path: Path, loop: bool = True) -> None:
        super().__init__()
        import soundfile

        try:
            data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
        except (RuntimeError, OSError) as exc:  # soundfile raises RuntimeError subclasses
            raise ValueError(f"cannot read {path}: {exc}") from exc
        mono = data.mean(axis=1)
        if rate != SAMPLE_RATE_HZ and len(mono):
            positions = np.arange(0, len(mono), rate / SAMPLE_RATE_HZ)
            mono = np.interp(positions, np.arange(len(mono)), mono).astype(np.float32)
        self.samples = (np.clip(mono, -1.0, 1.0) * 32767).astype(np.int16)
        self.loop = loop
        self._pos = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        out = np.zeros(frames, dtype=np.int16)
        filled = 0
        while filled < frames and len(self.samples):
            if self._pos >= len(self.samples):
                if not self.loop:
                    break
                self._pos = 0
            take = min(frames - filled, len(self.samples) - self._pos)
            out[filled : filled + take] = self.samples[self._pos : self._pos + take]
            filled += take
            self._pos += take
        return out


SEQ_MODULO = 1 << 16
MAX_CONCEALED_FRAMES = 5  # a longer gap is left to the output (silence): PLC would only buzz


class Recorder:
    """Keeps what a received track delivers, as 48 kHz mono float32, and writes a WAV.

    Only the last `max_seconds` are kept (None keeps everything: about 11.5 MB a minute).

    `listen` takes the relay's packets as they arrive and decodes them on the event loop
    (libopus, mono 48 kHz: the relay's mix): aiortc's own path would hold them in its jitter
    buffer, hand them to a decoder thread, decode to stereo, queue the frames back to the loop
    and need a resampler to make them mono again, for every 20 ms of the room's sound. A packet
    that is late or doubled is dropped; a gap of up to `MAX_CONCEALED_FRAMES` is filled (the
    frame before a packet from its in-band FEC, the others by libopus concealment); a longer one
    is not (the output plays silence).
    """

    def __init__(self, max_seconds: float | None = 60.0) -> None:
        self._blocks: collections.deque[npt.NDArray[np.float32]] = collections.deque()
        self._kept = 0
        self._max_samples = None if max_seconds is None else int(max_seconds * SAMPLE_RATE_HZ)
        self.frames_received = 0
        self.packets_lost = 0  # frames the relay sent that never came (filled or not)
        self.packets_late = 0  # late or doubled packets, dropped
        self._decoder: SpeakerDecoder | None = None
        self._payload_type: int | None = None
        self._next_seq: int | None = None

    def listen(self, receiver: RTCRtpReceiver, payload_type: int) -> None:
        """Decode `receiver`'s Opus packets (of `payload_type`) here, as they arrive: from
        the socket's callback once SRTP is keyed, through aiortc's receiver before that."""
        self._decoder = new_decoder()
        self._payload_type = payload_type
        self._next_seq = None
        hook_receiver(receiver, self._on_packet)
        receive_rtp_at_socket(receiver, self.take)

    async def _on_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.take(packet)

    def take(self, packet: RtpPacket) -> None:
        """One RTP packet of the room's sound, however it came."""
        self.accept(packet.sequence_number, packet.payload_type, packet.payload)

    def accept(self, seq: int, payload_type: int, payload: bytes) -> None:
        """One RTP packet of the room's sound (runs on: the event loop, per packet)."""
        decoder = self._decoder
        if decoder is None or payload_type != self._payload_type or not payload:
            return
        if self._next_seq is not None:
            gap = (seq - self._next_seq + SEQ_MODULO // 2) % SEQ_MODULO - SEQ_MODULO // 2
            if gap < 0:
                self.packets_late += 1
                return
            if gap > 0:
                self.packets_lost += gap
            if 0 < gap <= MAX_CONCEALED_FRAMES:
                for _ in range(gap - 1):
                    self.keep(decoder.conceal())
                self.keep(decoder.recover(payload)[0])
        self._next_seq = (seq + 1) % SEQ_MODULO
        block = decoder.decode(payload)
        self.frames_received += 1
        self.keep(block if block is not None else decoder.conceal())

    def keep(self, block: npt.NDArray[np.float32]) -> None:
        """One received block (48 kHz mono float32); subclasses may send it on as well."""
        self._blocks.append(block)
        self._kept += block.size
        while self._max_samples is not None and self._kept > self._max_samples:
            self._kept -= self._blocks.popleft().size

    def samples(self) -> npt.NDArray[np.float32]:
        if not self._blocks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self._blocks)

    def clear(self) -> None:
        self._blocks.clear()
        self._kept = 0

    def write(self, path: Path) -> None:
        import soundfile

        soundfile.write(str(path), self.samples(), SAMPLE_RATE_HZ, subtype="PCM_16")

    async def stop(self) -> None:
        """Stop taking packets (the connection is closing)."""
        self._decoder = None
