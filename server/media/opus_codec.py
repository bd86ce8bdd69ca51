"""Opus for the relay: one mono encoder per outgoing mix, one decoder per speaker (PyAV/libopus).

Encoder settings (DESIGN §5): mono, 32 kbit/s, `application=voip`, in-band FEC with a 10 %
expected loss (libopus only spends bits on FEC when told to expect loss; at 5 % it already
writes LBRR data in most speech frames), 20 ms frames. Complexity 10 (best) for the audience
mix everyone hears; a speaker's own mix-minus, heard by one person, may use less. aiortc's
own encoder is 96 kbit/s stereo without FEC and sends about twice the bytes.

Decoders (`new_decoder`): libopus through ctypes when it can be loaded (decode, in-band FEC and
concealment: `server.media.libopus`), else PyAV, which decodes and conceals but cannot reach
FEC. A lost frame is never a block of zeros: `conceal()` gives libopus' packet-loss
concealment, which fades to silence by itself over about 100 ms.
"""

from __future__ import annotations

import fractions
from typing import Protocol

import av
import numpy as np
import numpy.typing as npt

from server.media import libopus

SAMPLE_RATE_HZ = 48_000
FRAME_SAMPLES = 960  # 20 ms at 48 kHz: the mixer's tick
BIT_RATE_BPS = 32_000
EXPECTED_LOSS_PERCENT = 10
TIME_BASE = fractions.Fraction(1, SAMPLE_RATE_HZ)

Samples = npt.NDArray[np.float32]

_INT16_SCALE = np.float32(1.0 / 32768.0)


class OpusEncoder:
    """Runs on: the room's clock task. Encodes 20 ms mono float32 blocks to Opus payloads."""

    def __init__(self, bit_rate_bps: int = BIT_RATE_BPS, complexity: int = 10) -> None:
        codec = av.CodecContext.create("libopus", "w")
        codec.bit_rate = bit_rate_bps
        codec.layout = "mono"
        codec.format = "flt"
        codec.sample_rate = SAMPLE_RATE_HZ
        codec.time_base = TIME_BASE
        codec.options = {
            "application": "voip",
            "frame_duration": "20",
            "fec": "1",
            "packet_loss": str(EXPECTED_LOSS_PERCENT),
            # libopus complexity 0-10 (ffmpeg's compression_level): 10 costs ~270 µs per
            # frame on this class of machine, 5 about 210 µs, 0 about 75 µs.
            "compression_level": str(complexity),
        }
        self._codec: av.AudioCodecContext = codec
        self._pts = 0
        self.frames_encoded = 0

    def encode(self, samples: Samples) -> bytes:
        """One 960-sample block in, one Opus payload out (libopus returns one per frame)."""
        frame = av.AudioFrame.from_ndarray(
            samples.reshape(1, FRAME_SAMPLES), format="flt", layout="mono"
        )
        frame.sample_rate = SAMPLE_RATE_HZ
        frame.pts = self._pts
        self._pts += FRAME_SAMPLES
        packets = self._codec.encode(frame)
        self.frames_encoded += 1
        if not packets:  # pragma: no cover - libopus emits one packet per 20 ms frame
            return b""
        return bytes(packets[0])


class SpeakerDecoder(Protocol):
    """One speaker's decoder. Runs on: the room's clock task."""

    fec_available: bool
    errors: int

    def decode(self, payload: bytes) -> Samples | None: ...

    def conceal(self) -> Samples: ...

    def recover(self, next_payload: bytes) -> tuple[Samples, bool]: ...


def new_decoder() -> SpeakerDecoder:
    """libopus directly when it loads (FEC reachable), else PyAV (concealment only)."""
    lib = libopus.library()
    if lib is not None:
        return libopus.LibopusDecoder(lib, SAMPLE_RATE_HZ, FRAME_SAMPLES)
    return OpusDecoder()


def _plc_packet(toc: int) -> bytes:
    """A TOC-only Opus packet of one 20 ms frame in the same mode and bandwidth as `toc`.

    libopus decodes a frame of 0 or 1 bytes as a lost one (`opus_decode_frame`: len <= 1 ->
    data = NULL, capped at the TOC's frame size), so this is PLC through FFmpeg, which never
    passes libopus a NULL packet (an empty av.Packet is a flush and returns nothing).
    """
    config = toc >> 3
    if config < 12:  # SILK: 10/20/40/60 ms per bandwidth
        config = config // 4 * 4 + 1
    elif config < 16:  # hybrid: 10/20 ms
        config = config // 2 * 2 + 1
    else:  # CELT: 2.5/5/10/20 ms
        config = config // 4 * 4 + 3
    return bytes([(config << 3) | (toc & 0x04)])  # code 0: one frame; keep the stereo bit


class OpusDecoder:
    """Runs on: the room's clock task. Decodes one speaker's Opus payloads to mono float32
    through PyAV (FFmpeg's libopus wrapper): decode and concealment, no FEC."""

    fec_available = False

    def __init__(self) -> None:
        codec = av.CodecContext.create("libopus", "r")
        codec.layout = "mono"
        codec.sample_rate = SAMPLE_RATE_HZ
        self._codec: av.AudioCodecContext = codec
        self._plc = _plc_packet(0x78)  # SILK wideband 20 ms until a packet says otherwise
        self.errors = 0

    def decode(self, payload: bytes) -> Samples | None:
        """A 20 ms block (960 samples), or None when the payload is not decodable Opus."""
        block = self._decode(payload)
        if block is None:
            self.errors += 1
        else:
            self._plc = _plc_packet(payload[0])
        return block

    def conceal(self) -> Samples:
        """libopus PLC for one 20 ms frame, continuing from the last decoded packet."""
        block = self._decode(self._plc)
        return block if block is not None else np.zeros(FRAME_SAMPLES, dtype=np.float32)

    def recover(self, next_payload: bytes) -> tuple[Samples, bool]:
        """FFmpeg cannot decode FEC: conceal instead (and say no FEC was used)."""
        return self.conceal(), False

    def _decode(self, payload: bytes) -> Samples | None:
        try:
            frames = self._codec.decode(av.Packet(payload))
        except (av.FFmpegError, ValueError):
            return None
        if not frames:
            return None
        frame = frames[0]
        pcm = frame.to_ndarray()
        if pcm.dtype == np.int16:
            mono = pcm.reshape(-1).astype(np.float32)
            mono *= _INT16_SCALE
        else:
            mono = pcm.reshape(-1).astype(np.float32, copy=False)
        if mono.shape[0] != FRAME_SAMPLES:
            # 10, 40 or 60 ms packets: keep the mixer's 20 ms grid (pad or cut).
            fitted = np.zeros(FRAME_SAMPLES, dtype=np.float32)
            count = min(FRAME_SAMPLES, mono.shape[0])
            fitted[:count] = mono[:count]
            return fitted
        return mono
