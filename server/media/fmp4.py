"""Fragmented MP4 (ISO BMFF) for one mono Opus track: the init segment and the fragments
LL-HLS serves (RFC 8216bis §3.3, "Encapsulation of Opus in ISO Base Media File Format").

The room's audience mix is already Opus, 20 ms a packet, encoded once per tick for the
WebRTC fan-out; this file only wraps those packets, so HLS adds no encode. Every Opus packet
decodes on its own, so every fragment is an independent part.

Runs on: whoever calls it (pure functions over bytes).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

TIMESCALE_HZ = 48_000
SAMPLE_DURATION = 960  # one 20 ms Opus packet at 48 kHz
TRACK_ID = 1


def _box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    return struct.pack("!I", 8 + len(body)) + kind + body


def _full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return _box(kind, struct.pack("!I", (version << 24) | flags), *payload)


_MATRIX = struct.pack("!9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def init_segment(channels: int = 1, pre_skip: int = 0) -> bytes:
    """ftyp + moov: what a player needs before the first fragment (EXT-X-MAP)."""
    ftyp = _box(b"ftyp", b"iso6", struct.pack("!I", 0), b"iso6", b"mp41", b"dash", b"Opus")
    mvhd = _full_box(
        b"mvhd", 0, 0,
        struct.pack("!IIII", 0, 0, TIMESCALE_HZ, 0),  # creation, modification, timescale, duration
        struct.pack("!IH10x", 0x10000, 0x0100),  # rate 1.0, volume 1.0, reserved
        _MATRIX, bytes(24), struct.pack("!I", TRACK_ID + 1),
    )  # fmt: skip
    tkhd = _full_box(
        b"tkhd", 0, 0x3,  # enabled, in movie
        struct.pack("!IIII", 0, 0, TRACK_ID, 0),
        struct.pack("!I", 0),  # duration
        bytes(8), struct.pack("!hhH2x", 0, 0, 0x0100),  # layer, alternate group, volume
        _MATRIX, struct.pack("!II", 0, 0),  # width, height
    )  # fmt: skip
    mdhd = _full_box(b"mdhd", 0, 0, struct.pack("!IIIIHH", 0, 0, TIMESCALE_HZ, 0, 0x55C4, 0))
    hdlr = _full_box(b"hdlr", 0, 0, struct.pack("!I", 0), b"soun", bytes(12), b"SoundHandler\0")
    smhd = _full_box(b"smhd", 0, 0, struct.pack("!hH", 0, 0))
    dref = _full_box(b"dref", 0, 0, struct.pack("!I", 1), _full_box(b"url ", 0, 1))
    dops = _box(b"dOps", struct.pack("!BBHIhB", 0, channels, pre_skip, TIMESCALE_HZ, 0, 0))
    opus = _box(
        b"Opus",
        bytes(6), struct.pack("!H", 1),  # reserved, data reference index
        bytes(8), struct.pack("!HHHH", channels, 16, 0, 0),
        struct.pack("!I", TIMESCALE_HZ << 16),
        dops,
    )  # fmt: skip
    stsd = _full_box(b"stsd", 0, 0, struct.pack("!I", 1), opus)
    empty = struct.pack("!I", 0)
    stbl = _box(
        b"stbl",
        stsd,
        _full_box(b"stts", 0, 0, empty),
        _full_box(b"stsc", 0, 0, empty),
        _full_box(b"stsz", 0, 0, empty, empty),
        _full_box(b"stco", 0, 0, empty),
    )
    minf = _box(b"minf", smhd, _box(b"dinf", dref), stbl)
    trak = _box(b"trak", tkhd, _box(b"mdia", mdhd, hdlr, minf))
    trex = _full_box(b"trex", 0, 0, struct.pack("!IIIII", TRACK_ID, 1, SAMPLE_DURATION, 0, 0))
    moov = _box(b"moov", mvhd, trak, _box(b"mvex", trex))
    return ftyp + moov


def fragment(sequence: int, base_decode_time: int, packets: Sequence[bytes]) -> bytes:
    """moof + mdat holding `packets` (20 ms each) from `base_decode_time` (in 1/48000 s).

    `sequence` counts fragments from 1 and must grow along the stream."""
    mfhd = _full_box(b"mfhd", 0, 0, struct.pack("!I", sequence))
    # default-base-is-moof | default-sample-duration-present
    tfhd = _full_box(b"tfhd", 0, 0x020008, struct.pack("!II", TRACK_ID, SAMPLE_DURATION))
    tfdt = _full_box(b"tfdt", 1, 0, struct.pack("!Q", base_decode_time))
    sizes = struct.pack(f"!{len(packets)}I", *(len(p) for p in packets))
    trun_size = 8 + 4 + 8 + len(sizes)
    moof_size = 8 + len(mfhd) + 8 + len(tfhd) + len(tfdt) + trun_size
    # data-offset-present | sample-size-present; the offset is from the moof to the samples
    trun = _full_box(b"trun", 0, 0x000201, struct.pack("!Ii", len(packets), moof_size + 8), sizes)
    moof = _box(b"moof", mfhd, _box(b"traf", tfhd, tfdt, trun))
    assert len(moof) == moof_size
    return moof + _box(b"mdat", *packets)
