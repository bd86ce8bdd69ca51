"""The single-reader ring between the PortAudio callback and its reader."""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from audio.ring import AudioRing


def test_blocks_come_out_in_order_across_the_wrap() -> None:
    ring = AudioRing(1000)
    out = np.empty(480, dtype=np.float32)
    for n in range(10):
        block = np.arange(n * 480, (n + 1) * 480, dtype=np.float32)
        assert ring.write(block)
        assert ring.read_into(out) == 480
        assert np.array_equal(out, block)
    assert ring.overflows == ring.underflows == 0


def test_a_full_ring_drops_the_new_block_whole_and_counts_it() -> None:
    ring = AudioRing(1000)
    assert ring.write(np.ones(600, dtype=np.float32))
    assert not ring.write(np.full(600, 2.0, dtype=np.float32))
    assert (ring.overflows, ring.dropped_frames, ring.available_frames) == (1, 600, 600)
    block = ring.read_block(600)
    assert block is not None and np.all(block == 1.0)  # what was there is untouched


def test_a_short_read_is_an_underflow_and_pads_with_silence() -> None:
    ring = AudioRing(1000)
    ring.write(np.full(100, 0.5, dtype=np.float32))
    out = np.full((480, 1), 9.0, dtype=np.float32)
    assert ring.read_into(out, pad=True) == 100
    assert ring.underflows == 1
    assert np.all(out[:100] == 0.5) and np.all(out[100:] == 0.0)
    assert ring.read_block(1) is None


@given(st.lists(st.tuples(st.booleans(), st.integers(1, 700)), max_size=60))
def test_what_is_read_is_exactly_what_was_written_and_not_dropped(
    steps: list[tuple[bool, int]],
) -> None:
    ring = AudioRing(1024)
    written: list[float] = []
    read: list[float] = []
    counter = 0
    for is_write, frames in steps:
        if is_write:
            block = np.arange(counter, counter + frames, dtype=np.float32)
            counter += frames
            if ring.write(block):
                written.extend(block.tolist())
        else:
            out = np.empty(frames, dtype=np.float32)
            got = ring.read_into(out)
            read.extend(out[:got].tolist())
    rest = ring.read_block(ring.available_frames)
    if rest is not None:
        read.extend(rest[:, 0].tolist())
    assert read == written
    assert 0 <= ring.available_frames <= ring.capacity_frames


def test_a_writer_thread_and_a_reader_thread_lose_nothing() -> None:
    """Two threads, no locks: every frame arrives once, in order."""
    ring = AudioRing(4800)
    total_blocks = 2000
    received: list[np.ndarray] = []

    def writer() -> None:
        for n in range(total_blocks):
            block = np.arange(n * 48, (n + 1) * 48, dtype=np.float32)
            while not ring.write(block):
                pass

    thread = threading.Thread(target=writer)
    thread.start()
    out = np.empty(100, dtype=np.float32)
    got_frames = 0
    while got_frames < total_blocks * 48:
        got = ring.read_into(out[: min(100, total_blocks * 48 - got_frames)])
        received.append(out[:got].copy())
        got_frames += got
    thread.join()
    everything = np.concatenate(received)
    assert np.array_equal(everything, np.arange(total_blocks * 48, dtype=np.float32))


def test_wait_for_frames_polls_until_there_or_times_out() -> None:
    ring = AudioRing(1000)
    assert not ring.wait_for_frames(10, timeout_s=0.02)
    timer = threading.Timer(0.05, lambda: ring.write(np.zeros(10, dtype=np.float32)))
    timer.start()
    assert ring.wait_for_frames(10, timeout_s=5.0)
    timer.join()
