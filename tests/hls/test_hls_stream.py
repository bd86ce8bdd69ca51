"""A room's HLS stream on disk, as its home worker writes it: real Opus packets, real files,
the writer thread running. Asserts on what a player (and a new home) reads back."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from pathlib import Path

import av
import numpy as np

from server.media.hls_stream import HlsLayout, HlsStream
from server.media.opus_codec import OpusEncoder
from tests.relay.spectrum import dominant_hz

LAYOUT = HlsLayout(part_ticks=5, segment_parts=2)  # 0.1 s parts, 0.2 s segments: quick


def tone_packets(count: int, hz: float = 440.0) -> list[bytes]:
    encoder = OpusEncoder()
    t = np.arange(960 * count) / 48_000
    samples = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return [encoder.encode(samples[i * 960 : (i + 1) * 960]) for i in range(count)]


class Published:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int, bool]] = []
        self.changed = threading.Condition()

    def __call__(self, msn: int, part: int, complete: int, ended: bool) -> None:
        with self.changed:
            self.calls.append((msn, part, complete, ended))
            self.changed.notify_all()

    def wait_for(self, count: int, timeout_s: float = 5.0) -> None:
        with self.changed:
            assert self.changed.wait_for(lambda: len(self.calls) >= count, timeout_s), self.calls


def test_parts_segments_and_playlist_are_written_and_decode(tmp_path: Path) -> None:
    published = Published()
    stream = HlsStream(tmp_path / "room", published, LAYOUT)
    for packet in tone_packets(40):  # 8 parts, 4 segments
        stream.add(packet)
    published.wait_for(8)
    stream.end()
    published.wait_for(9)
    stream.close()
    folder = tmp_path / "room"
    playlist = (folder / "index.m3u8").read_text()
    segments = [int(m) for m in re.findall(r"^s(\d+)\.m4s$", playlist, re.MULTILINE)]
    assert len(segments) == 4 and segments == list(range(segments[0], segments[0] + 4))
    assert "#EXT-X-PART-INF:PART-TARGET=0.100" in playlist
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    assert published.calls[-1][3] is True  # the relay hears that it ended
    # A segment is its parts, byte for byte.
    first = segments[0]
    parts = (folder / f"p{first}.0.m4s").read_bytes() + (folder / f"p{first}.1.m4s").read_bytes()
    assert (folder / f"s{first}.m4s").read_bytes() == parts
    data = (folder / "init.mp4").read_bytes() + b"".join(
        (folder / f"s{m}.m4s").read_bytes() for m in segments
    )
    with av.open(io.BytesIO(data)) as container:
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(audio=0)])
    assert pcm.size == 40 * 960
    assert abs(dominant_hz(pcm.astype(np.float32)) - 440) < 5


def test_a_new_home_continues_the_stream_after_a_discontinuity(tmp_path: Path) -> None:
    """The home worker died mid-segment: the next one closes that segment as it stands and
    goes on from the next media sequence number, marked as a discontinuity."""
    folder = tmp_path / "room"
    published = Published()
    old = HlsStream(folder, published, LAYOUT)
    for packet in tone_packets(15):  # 3 parts: one whole segment and half of the next
        old.add(packet)
    published.wait_for(3)
    old.close()  # no end(): the worker died
    before = json.loads((folder / ".hls-state.json").read_text())
    open_msn = before["segments"][-1]["msn"]
    assert before["segments"][-1]["complete"] is False

    published_again = Published()
    new = HlsStream(folder, published_again, LAYOUT)
    for packet in tone_packets(10):
        new.add(packet)
    published_again.wait_for(2)
    new.close()
    playlist = (folder / "index.m3u8").read_text()
    assert f"#EXTINF:0.100,\ns{open_msn}.m4s" in playlist  # the half segment, closed
    assert "#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME" in playlist
    assert published_again.calls[0][0] == open_msn + 1
    after = json.loads((folder / ".hls-state.json").read_text())
    assert after["decode_time"] == 25 * 960  # decode times go on; nothing is renumbered


def test_adding_a_packet_never_waits_for_the_disk(tmp_path: Path) -> None:
    """The clock's side is an append (and a queue put per part), whatever the writer does."""
    stream = HlsStream(tmp_path / "room", lambda *args: None, HlsLayout())
    packets = tone_packets(500)
    started = time.perf_counter()
    for packet in packets:
        stream.add(packet)
    spent_s = time.perf_counter() - started
    stream.close()
    assert spent_s < 0.05, f"500 ticks' appends took {spent_s * 1000:.1f} ms"  # generous ceiling
