"""libopus itself, through ctypes, for what PyAV cannot reach: in-band FEC decoding.

FFmpeg's libopus decoder (all PyAV offers) always calls `opus_decode(..., decode_fec=0)`, so
the redundant copy (LBRR) of frame k that the encoder puts in packet k+1 cannot be decoded
through PyAV. PyAV wheels ship the very libopus FFmpeg uses (`av.libs/`, `av/.dylibs/`), so
it is loaded from there first, then from the system; without it the relay falls back to PyAV
with packet-loss concealment only (`opus_codec.PyavOpusDecoder`).

Measured on this (shared, 2-core) machine with the relay's encoder settings: a decode costs
34-60 µs here against 65-93 µs through PyAV; a concealed or FEC frame 36-55 µs (PyAV's
TOC-only concealment 80-90 µs). On a voice-like signal a frame rebuilt from FEC is 17 dB
(median SNR) from the clean decode and within 0.3 dB of its level; PLC alone is 5.5 dB SNR,
1.4 dB low. libopus puts FEC in only some packets (on speech about 3 in 4; on a pure tone
about half): without it the frame is concealed, and counted as such.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import logging
import weakref
from functools import cache
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

MAX_FRAME_SAMPLES = 5_760  # 120 ms at 48 kHz: the longest Opus packet

Block = npt.NDArray[np.float32]


def _candidates() -> list[str]:
    package = Path(av.__file__).parent
    patterns = (
        str(package.parent / "av.libs" / "libopus*.so*"),  # Linux wheels (auditwheel)
        str(package / ".dylibs" / "libopus*.dylib"),  # macOS wheels (delocate)
        str(package.parent / "av.libs" / "*opus*.dll"),  # Windows wheels (delvewheel)
    )
    found = [path for pattern in patterns for path in sorted(glob.glob(pattern))]
    system = ctypes.util.find_library("opus")
    return [*found, system] if system else found


@cache
def library() -> ctypes.CDLL | None:
    """libopus with its decode functions typed, or None if none can be loaded."""
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
            lib.opus_decoder_create.restype = ctypes.c_void_p
            lib.opus_decoder_create.argtypes = [
                ctypes.c_int32,
                ctypes.c_int,
                ctypes.POINTER(ctypes.c_int),
            ]
            lib.opus_decoder_destroy.restype = None
            lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
            lib.opus_decode_float.restype = ctypes.c_int
            lib.opus_decode_float.argtypes = [
                ctypes.c_void_p,
                ctypes.c_char_p,
                ctypes.c_int32,
                ctypes.c_void_p,
                ctypes.c_int,
                ctypes.c_int,
            ]
            if hasattr(lib, "opus_packet_has_lbrr"):  # libopus >= 1.5
                lib.opus_packet_has_lbrr.restype = ctypes.c_int
                lib.opus_packet_has_lbrr.argtypes = [ctypes.c_char_p, ctypes.c_int32]
        except (OSError, AttributeError) as exc:
            logger.info("libopus at %s unusable: %s", path, exc)
            continue
        return lib
    return None


class LibopusDecoder:
    """Runs on: the room's clock task. One speaker's mono decoder: decode, FEC, concealment."""

    fec_available = True

    def __init__(self, lib: ctypes.CDLL, sample_rate_hz: int, frame_samples: int) -> None:
        error = ctypes.c_int(0)
        handle = lib.opus_decoder_create(sample_rate_hz, 1, ctypes.byref(error))
        if not handle or error.value != 0:
            raise RuntimeError(f"opus_decoder_create failed ({error.value})")
        self._lib = lib
        self._handle: int = handle
        self._frame_samples = frame_samples
        self._out = np.zeros(MAX_FRAME_SAMPLES, dtype=np.float32)
        self._out_pointer = self._out.ctypes.data
        self._has_lbrr = getattr(lib, "opus_packet_has_lbrr", None)
        self.errors = 0
        weakref.finalize(self, lib.opus_decoder_destroy, handle)

    def decode(self, payload: bytes) -> Block | None:
        count = self._lib.opus_decode_float(
            self._handle, payload, len(payload), self._out_pointer, MAX_FRAME_SAMPLES, 0
        )
        if count <= 0:
            self.errors += 1
            return None
        return self._fitted(count)

    def conceal(self) -> Block:
        """libopus PLC for exactly one frame (it fades out by itself over ~100 ms)."""
        count = self._lib.opus_decode_float(
            self._handle, None, 0, self._out_pointer, self._frame_samples, 0
        )
        return self._fitted(max(0, count))

    def recover(self, next_payload: bytes) -> tuple[Block, bool]:
        """The lost frame before `next_payload`, from its FEC (LBRR) data; libopus conceals
        instead when the packet carries none. Returns (block, whether FEC data was there)."""
        carried = True
        if self._has_lbrr is not None:
            carried = self._has_lbrr(next_payload, len(next_payload)) > 0
        count = self._lib.opus_decode_float(
            self._handle, next_payload, len(next_payload), self._out_pointer, self._frame_samples, 1
        )
        if count <= 0:
            self.errors += 1
            return self.conceal(), False
        return self._fitted(count), carried

    def _fitted(self, count: int) -> Block:
        block = np.zeros(self._frame_samples, dtype=np.float32)
        take = min(count, self._frame_samples)
        block[:take] = self._out[:take]
        return block
