"""A lost or late speaker packet is filled in, never played as 20 ms of zeros (issue 11, item 5).

Real parts only: the relay's own Opus encoder (libopus through PyAV, FEC on), the real
SpeakerIngress, and both decoders the relay can run with (libopus through ctypes, which
reaches in-band FEC, and PyAV, which can only conceal). Packets arrive 10 ms before the tick
that plays them, as on a quiet network.
"""

from __future__ import annotations

import numpy as np
import pytest

from audio.block_origin import BlockOrigin
from server.media import libopus
from server.media.ingress import PulledFrame, SpeakerIngress
from server.media.opus_codec import (
    FRAME_SAMPLES,
    SAMPLE_RATE_HZ,
    OpusDecoder,
    OpusEncoder,
    SpeakerDecoder,
    new_decoder,
)

PT = 111
TICK_S = 0.02
DROPPED = 30  # the packet lost on purpose
# How far a filled-in block may sit from the block before the loss, in dB. Measured on this
# 440 Hz tone: FEC -0.1 dB; libopus PLC -5.7 dB on the lost frame (and the next packet then
# decodes about 12 dB low while the decoder recovers); on a voice-like signal PLC is within
# about 2 dB. Silence would be -infinity.
FEC_WITHIN_DB = 1.5
PLC_WITHIN_DB = 8.0


def _libopus_decoder() -> SpeakerDecoder:
    lib = libopus.library()
    if lib is None:
        pytest.skip("libopus cannot be loaded here: only the PyAV decoder runs")
    return libopus.LibopusDecoder(lib, SAMPLE_RATE_HZ, FRAME_SAMPLES)


DECODERS = {"libopus": _libopus_decoder, "pyav": OpusDecoder}


def _tone_payloads(count: int, hz: float = 440.0, amplitude: float = 0.3) -> list[bytes]:
    encoder = OpusEncoder()
    t = np.arange(FRAME_SAMPLES * count) / SAMPLE_RATE_HZ
    tone = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return [encoder.encode(tone[i * FRAME_SAMPLES : (i + 1) * FRAME_SAMPLES]) for i in range(count)]


def _carries_fec(payload: bytes) -> bool:
    lib = libopus.library()
    has_lbrr = getattr(lib, "opus_packet_has_lbrr", None)
    if has_lbrr is None:
        pytest.skip("no libopus >= 1.5 here to tell which packets carry FEC")
    return bool(has_lbrr(payload, len(payload)) > 0)


def _rms_db(block: np.ndarray) -> float:
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    return 20.0 * np.log10(max(rms, 1e-9))


def _longest_zero_run(samples: np.ndarray) -> int:
    longest = run = 0
    for value in samples:
        run = run + 1 if value == 0.0 else 0
        longest = max(longest, run)
    return longest


def _play(
    ingress: SpeakerIngress,
    payloads: list[bytes],
    skip: set[int],
    lead_s: float = 0.01,
    late: frozenset[int] = frozenset(),
) -> list[PulledFrame | None]:
    """Packet k reaches the relay `lead_s` before tick k (a `late` one 5 ms after it, a
    `skip`ped one never); one pull per tick, as the room's clock does."""
    arrivals = sorted(
        (k * TICK_S + (0.005 if k in late else -lead_s), k)
        for k in range(len(payloads))
        if k not in skip
    )
    pulled: list[PulledFrame | None] = []
    for tick in range(len(payloads)):
        now = tick * TICK_S
        while arrivals and arrivals[0][0] <= now:
            at, k = arrivals.pop(0)
            ingress.accept(k, k * FRAME_SAMPLES, PT, payloads[k], at)
        pulled.append(ingress.pull(now))
    return pulled


def _block(frame: PulledFrame | None) -> np.ndarray:
    assert frame is not None
    return frame.samples


@pytest.mark.parametrize("backend", DECODERS)
def test_a_lost_packet_in_a_steady_tone_is_filled_in_near_the_level_before_it(
    backend: str,
) -> None:
    payloads = _tone_payloads(60)
    # libopus spends FEC bits on some frames only: lose one whose successor carries FEC.
    dropped = next(k for k in range(DROPPED, 58) if _carries_fec(payloads[k + 1]))
    # Packets 30 ms ahead of their tick: the one after the loss is already buffered.
    ingress = SpeakerIngress(PT, trim_window_ticks=1_000, decoder=DECODERS[backend]())
    pulled = _play(ingress, payloads, skip={dropped}, lead_s=0.03)
    filled = pulled[dropped]
    assert filled is not None, "the lost packet's tick played nothing"
    assert np.count_nonzero(filled.samples) > FRAME_SAMPLES // 2, "a block of zeros"
    before = _rms_db(_block(pulled[dropped - 1]))
    if backend == "libopus":
        assert filled.origin is BlockOrigin.FEC and ingress.fec_ticks == 1
        assert abs(_rms_db(filled.samples) - before) < FEC_WITHIN_DB, (filled, before)
    else:
        assert filled.origin is BlockOrigin.PLC and ingress.plc_ticks == 1
        assert abs(_rms_db(filled.samples) - before) < PLC_WITHIN_DB, (filled, before)
    assert ingress.packets_lost == 1 and ingress.concealed_ticks == 1
    assert ingress.silent_gap_ticks == 0
    whole = np.concatenate([_block(p) for p in pulled[5:]])
    assert _longest_zero_run(whole) < 48, "a run of exact zeros (1 ms) in the tone"


def test_fec_is_counted_only_when_the_next_packet_really_carries_it() -> None:
    payloads = _tone_payloads(60)
    dropped = next(k for k in range(DROPPED, 58) if not _carries_fec(payloads[k + 1]))
    ingress = SpeakerIngress(PT, trim_window_ticks=1_000, decoder=_libopus_decoder())
    pulled = _play(ingress, payloads, skip={dropped}, lead_s=0.03)
    filled = pulled[dropped]
    assert filled is not None and filled.origin is BlockOrigin.PLC
    assert np.count_nonzero(filled.samples) > FRAME_SAMPLES // 2
    assert ingress.fec_ticks == 0 and ingress.plc_ticks == 1


@pytest.mark.parametrize("backend", DECODERS)
def test_a_lost_packet_with_nothing_after_it_yet_is_concealed_not_silent(backend: str) -> None:
    payloads = _tone_payloads(60)
    ingress = SpeakerIngress(PT, decoder=DECODERS[backend]())
    pulled = _play(ingress, payloads, skip={DROPPED})
    filled = pulled[DROPPED]
    assert filled is not None and filled.origin is BlockOrigin.PLC
    assert np.count_nonzero(filled.samples) > FRAME_SAMPLES // 2
    before = _rms_db(_block(pulled[DROPPED - 1]))
    assert abs(_rms_db(filled.samples) - before) < PLC_WITHIN_DB, (_rms_db(filled.samples), before)
    after = pulled[DROPPED + 1]
    assert after is not None and after.rtp_timestamp == (DROPPED + 1) * FRAME_SAMPLES, (
        "after a stall, the frames whose time has passed are skipped: no delay added"
    )
    assert ingress.plc_ticks == 1 and ingress.packets_lost == 1


def test_a_late_packet_is_concealed_for_its_tick_then_still_played() -> None:
    payloads = _tone_payloads(60)
    ingress = SpeakerIngress(PT, decoder=new_decoder())
    pulled = _play(ingress, payloads, skip=set(), late=frozenset({DROPPED}))
    concealed = pulled[DROPPED]
    assert concealed is not None and concealed.origin is BlockOrigin.PLC
    assert np.count_nonzero(concealed.samples) > FRAME_SAMPLES // 2
    after = pulled[DROPPED + 1]
    assert after is not None and after.rtp_timestamp == DROPPED * FRAME_SAMPLES, "it still plays"
    assert ingress.underruns == 1 and ingress.packets_lost == 0


def test_a_long_loss_is_concealed_for_100_ms_then_silent_and_every_tick_is_counted() -> None:
    payloads = _tone_payloads(40)
    ingress = SpeakerIngress(PT, capacity=16, decoder=new_decoder())
    for k in range(10):
        ingress.accept(k, k * FRAME_SAMPLES, PT, payloads[k], 0.0)
    for k in range(20, 24):  # 10..19 lost; 20.. already here (a burst after the loss)
        ingress.accept(k, k * FRAME_SAMPLES, PT, payloads[k], 0.0)
    origins = []
    for _ in range(24):
        ingress.pull(0.0)
        origins.append(ingress.last_origin)
    assert origins[:10] == [BlockOrigin.PACKET] * 10
    assert all(o in (BlockOrigin.FEC, BlockOrigin.PLC) for o in origins[10:15])
    assert origins[15:20] == [BlockOrigin.SILENT_GAP] * 5, "concealment capped at 5 ticks"
    assert origins[20:] == [BlockOrigin.PACKET] * 4
    assert ingress.concealed_ticks == 5 and ingress.silent_gap_ticks == 5
    assert ingress.packets_lost == 10


def test_a_speaker_who_stops_sending_fades_out_and_is_not_counted_as_a_gap() -> None:
    payloads = _tone_payloads(20)
    ingress = SpeakerIngress(PT, decoder=new_decoder())
    for k in range(20):
        ingress.accept(k, k * FRAME_SAMPLES, PT, payloads[k], k * TICK_S - 0.01)
        ingress.pull(k * TICK_S)
    tail = []
    for k in range(20, 40):  # they stopped: no packet after 19
        frame = ingress.pull(k * TICK_S)
        tail.append(ingress.last_origin)
        if frame is not None:
            assert frame.origin is BlockOrigin.PLC
    concealed = sum(o is BlockOrigin.PLC for o in tail)
    assert 1 <= concealed <= 5, tail
    assert tail[-1] is BlockOrigin.IDLE
    assert ingress.silent_gap_ticks == 0


def test_plc_through_pyav_fades_by_itself() -> None:
    """The PyAV fallback conceals with a TOC-only packet; libopus fades that to silence."""
    payloads = _tone_payloads(30)
    decoder = OpusDecoder()
    for payload in payloads:
        decoder.decode(payload)
    levels = [_rms_db(decoder.conceal()) for _ in range(8)]
    assert levels[0] > -20.0, levels
    assert levels[-1] < levels[0] - 30.0, levels
    assert not decoder.fec_available
