"""The room's sound as the console decodes it: packets in arrival order from the relay's own Opus
encoder, a late or doubled packet dropped, a short gap filled, a long one left to the output."""

from __future__ import annotations

import numpy as np

from console.tracks import FRAME_SAMPLES, MAX_CONCEALED_FRAMES, SAMPLE_RATE_HZ, Recorder
from server.media.opus_codec import OpusEncoder

PT = 111


class Ears(Recorder):
    """A recorder whose decoder is set up as `listen` does, without a connection."""

    def __init__(self) -> None:
        super().__init__(max_seconds=None)
        from server.media.opus_codec import new_decoder

        self._decoder = new_decoder()
        self._payload_type = PT


def tone_packets(count: int) -> list[bytes]:
    encoder = OpusEncoder()
    n = np.arange(count * FRAME_SAMPLES) / SAMPLE_RATE_HZ
    wave = (0.25 * np.sin(2 * np.pi * 440 * n)).astype(np.float32)
    return [encoder.encode(wave[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]) for i in range(count)]


def test_packets_in_order_play_in_order_and_late_ones_are_dropped():
    packets = tone_packets(50)
    ears = Ears()
    for seq, payload in enumerate(packets):
        ears.accept(65_530 + seq, PT, payload)  # across the sequence number's wrap
    ears.accept(65_530 + 10, PT, packets[10])  # late (a duplicate)
    ears.accept(65_530, 96, packets[0])  # not the room's payload type
    assert ears.frames_received == 50
    assert ears.samples().size == 50 * FRAME_SAMPLES
    assert (ears.packets_late, ears.packets_lost) == (1, 0)
    heard = ears.samples()[FRAME_SAMPLES * 5 :]
    assert float(np.sqrt(np.mean(heard**2))) > 0.1  # the tone, not silence


def test_a_short_gap_is_filled_and_a_long_one_is_not():
    packets = tone_packets(60)
    ears = Ears()
    for seq in range(10):
        ears.accept(seq, PT, packets[seq])
    ears.accept(13, PT, packets[13])  # 10, 11, 12 lost: filled (PLC, PLC, FEC)
    assert ears.samples().size == 14 * FRAME_SAMPLES
    assert ears.packets_lost == 3
    filled = ears.samples()[10 * FRAME_SAMPLES : 13 * FRAME_SAMPLES]
    assert float(np.sqrt(np.mean(filled**2))) > 0.01  # concealed, not a hole of zeros
    far = 14 + MAX_CONCEALED_FRAMES + 1
    ears.accept(far, PT, packets[far])  # a long gap: only the packet itself plays
    assert ears.samples().size == 15 * FRAME_SAMPLES
    assert ears.packets_lost == 3 + MAX_CONCEALED_FRAMES + 1
