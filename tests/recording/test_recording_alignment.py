"""Every file of a recording starts at its tick 0: a late joiner is padded with silence, a tick
the clock skips is silence everywhere, and a shared click lands on the same sample in every
file (DESIGN §6: tracks sample-aligned by construction)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from audio.recording import RecordingWriter
from audio.recording_files import FlacSink
from tests.recording.recordingkit import RATE_HZ, TICK, ffprobe, manifest, read, record

CLICK_TICKS = (120, 260)  # the click sits 300 samples into these ticks
CLICK_OFFSET = 300


def _click() -> np.ndarray:
    """A 1 ms burst: sharp enough that cross-correlation peaks on one lag."""
    t = np.arange(48) / RATE_HZ
    return (0.8 * np.sin(2 * np.pi * 4000 * t) * np.hanning(48)).astype(np.float32)


def _speaker(seconds: float, seed: int, level: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    voice = (rng.standard_normal(round(seconds * RATE_HZ)) * level).astype(np.float32)
    for tick in CLICK_TICKS:
        start = tick * TICK + CLICK_OFFSET
        voice[start : start + 48] += _click()
    return voice


def _lag(a: np.ndarray, b: np.ndarray) -> int:
    """Lag (samples) of the cross-correlation peak of b against a."""
    size = 1 << (a.shape[0] + b.shape[0]).bit_length()
    correlation = np.fft.irfft(np.fft.rfft(a, size) * np.conj(np.fft.rfft(b, size)), size)
    peak = int(np.argmax(correlation))
    return peak if peak < size // 2 else peak - size


def test_late_joiner_is_aligned_within_a_millisecond(tmp_path: Path) -> None:
    """Ana talks from tick 0, Ben is first heard at tick 37 (mid-batch: the writer flushes
    every 10 ticks), and the clock skips ticks 200-204. Both hear the same click."""
    seconds = 6.0
    folder = record(
        tmp_path / "rec",
        {"ana": _speaker(seconds, 1, 0.02), "ben": _speaker(seconds, 2, 0.02)},
        first_ticks={"ben": 37},
        skipped_ticks=range(200, 205),
    )
    info = manifest(folder)
    files = {t["user_id"]: folder / t["file"] for t in info["tracks"]}
    ana, ben, mix = read(files["ana"]), read(files["ben"]), read(folder / "mix.flac")
    assert ana.shape == ben.shape == mix.shape == (round(seconds * RATE_HZ),)
    assert {t["user_id"]: t["first_tick"] for t in info["tracks"]} == {"ana": 0, "ben": 37}
    assert not ben[: 37 * TICK].any(), "a late joiner is silence before their first tick"
    assert ben[37 * TICK :].any()
    assert not ana[200 * TICK : 205 * TICK].any() and not mix[200 * TICK : 205 * TICK].any()
    assert info["clock_skipped_ticks"] == 5 and info["dropped_ticks"] == 5, "skips are told"

    for tick in CLICK_TICKS:
        start = tick * TICK + CLICK_OFFSET
        around = slice(start - 2400, start + 2400)  # 50 ms around the click
        lag = _lag(ana[around], ben[around])
        assert abs(lag) <= RATE_HZ // 1000, f"tracks {lag} samples apart at tick {tick}"
        assert lag == 0
        assert _lag(ana[around], mix[around]) == 0
        # and exactly where the tick number says
        assert int(np.argmax(np.abs(ana[around]))) + start - 2400 in range(start, start + 48)

    durations = {
        float(ffprobe(p)["format"]["duration"]) for p in [*files.values(), folder / "mix.flac"]
    }
    assert durations == {seconds}


class _SlowSink(FlacSink):
    """A disk that stalls: every write takes 30 ms (a tick is 20 ms)."""

    def write(self, samples: np.ndarray) -> None:
        time.sleep(0.03)
        super().write(samples)


def test_ticks_dropped_under_a_stalled_disk_stay_aligned(tmp_path: Path) -> None:
    """When the writer falls behind, ticks are dropped (counted) and written as silence, so
    the ticks that are written still sit at their own place; write_tick never waits."""
    writer = RecordingWriter(tmp_path / "rec", max_queue_ticks=20, batch_ticks=1,
                             sink_factory=_SlowSink)  # fmt: skip
    click = np.zeros(TICK, dtype=np.float32)
    click[CLICK_OFFSET : CLICK_OFFSET + 48] = _click()
    quiet = np.zeros(TICK, dtype=np.float32)
    longest = 0.0
    for tick in range(300):
        started = time.perf_counter()
        writer.write_tick(tick, {"ana": click if tick % 50 == 0 else quiet})
        longest = max(longest, time.perf_counter() - started)
    writer.stop()
    assert writer.wait_closed(60)
    assert writer.error is None
    assert writer.dropped_ticks > 0, "a disk 1.5x slower than real time must drop ticks"
    assert longest < 0.005, f"write_tick took {longest * 1000:.1f} ms"
    info = manifest(tmp_path / "rec")
    assert info["dropped_ticks"] == info["writer_dropped_ticks"] == writer.dropped_ticks
    ana = read(tmp_path / "rec" / info["tracks"][0]["file"])
    found = {int(i) // TICK for i in np.flatnonzero(np.abs(ana) > 0.5)}
    assert found, "some clicks were written"
    assert found <= {t for t in range(0, 300, 50)}, "every click is at its own tick"
    for tick in found:
        assert np.abs(ana[tick * TICK : (tick + 1) * TICK]).argmax() in range(
            CLICK_OFFSET, CLICK_OFFSET + 48
        )
