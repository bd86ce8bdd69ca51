"""CPU cost of the audio engine per 20 ms tick, against baselines measured in the same run.

    python -m bench.bench_audio [--seconds S]

Prints, per 20 ms of audio: CPU microseconds and % of one core for
- levels (peak, RMS, VU, held peak, clip) + speaking detection (webrtcvad + gate), one stream;
- the full stage: 13 streams of levels + speaking detection, the mix and 13 mix-minus;
- momentary + short-term loudness of the host's microphone (incremental);
and the baselines: aiortc's pure-Python `compute_audio_level_dbov` on the same frames, and
pyloudnorm recomputing the 3 s short-term window 10 times a second. Never fails on a timing.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from audio.levels import LevelMeter
from audio.loudness import LoudnessMeter
from audio.mixer import Mixer
from audio.voice_gate import VoiceGate

RATE_HZ = 48_000
TICK_FRAMES = 960  # 20 ms
TICK_US = 20_000.0
STAGE = 13  # host + 2 co-hosts + 10 speakers


def voice_like(seconds: float, seed: int) -> npt.NDArray[np.float32]:
    """Noise plus syllable-like harmonic bursts (speech-ish for the detector), about -26 dBFS."""
    rng = np.random.default_rng(seed)
    frames = round(seconds * RATE_HZ)
    t = np.arange(frames) / RATE_HZ
    pitch_hz = 120 + 40 * rng.random()
    voice = sum(np.sin(2 * np.pi * pitch_hz * k * t) / k for k in range(1, 12))
    envelope = (np.sin(2 * np.pi * 3.0 * t + rng.random() * 6) > 0.2).astype(np.float64)
    noise = rng.standard_normal(frames) * 0.005
    return (0.05 * voice * envelope + noise).astype(np.float32)


def cpu_per_tick_us(work: Callable[[int], object], ticks: int, repeats: int = 3) -> float:
    """CPU time (this process) per call of work(tick), in microseconds; best of `repeats`."""
    for tick in range(min(ticks, 50)):  # warm caches and the filters' operators
        work(tick)
    best = float("inf")
    for _ in range(repeats):
        start = time.process_time()
        for tick in range(ticks):
            work(tick)
        best = min(best, (time.process_time() - start) / ticks * 1e6)
    return best


def report(name: str, us: float) -> None:
    print(f"  {name:<58} {us:9.1f} µs/tick  {us / TICK_US * 100:6.2f} % of one core")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per measurement")
    args = parser.parse_args(argv)
    ticks = round(args.seconds * RATE_HZ / TICK_FRAMES)
    streams = np.stack([voice_like(args.seconds + 1.0, seed) for seed in range(STAGE)])
    blocks = [streams[:, i * TICK_FRAMES : (i + 1) * TICK_FRAMES] for i in range(ticks + 50)]
    print(f"audio engine, {ticks} ticks of 20 ms ({args.seconds:g} s of audio per figure)")

    meter, gate = LevelMeter(RATE_HZ), VoiceGate(RATE_HZ)

    def one_stream(tick: int) -> None:
        block = blocks[tick % len(blocks)][0]
        meter.update(block)
        gate.update(block)

    one_us = cpu_per_tick_us(one_stream, ticks)

    meters = [LevelMeter(RATE_HZ) for _ in range(STAGE)]
    gates = [VoiceGate(RATE_HZ) for _ in range(STAGE)]
    mixer = Mixer(STAGE, RATE_HZ)

    def stage(tick: int) -> None:
        block = blocks[tick % len(blocks)]
        for source in range(STAGE):
            meters[source].update(block[source])
            gates[source].update(block[source])
        mixer.mix(block)

    stage_us = cpu_per_tick_us(stage, ticks)
    mix_us = cpu_per_tick_us(lambda tick: mixer.mix(blocks[tick % len(blocks)]), ticks)
    loudness = LoudnessMeter(RATE_HZ)
    loudness_us = cpu_per_tick_us(
        lambda tick: loudness.update(blocks[tick % len(blocks)][0]), ticks
    )

    print("ours:")
    report("levels + speaking detection, 1 stream", one_us)
    report(f"full stage: {STAGE} x (levels + speaking) + mix + {STAGE} mix-minus", stage_us)
    report(f"  of which mix + {STAGE} mix-minus + {STAGE + 1} limiters", mix_us)
    report("loudness (momentary 400 ms + short-term 3 s), 1 stream", loudness_us)

    print("baselines (same frames, same run):")
    baseline_level_us = _aiortc_level_us(blocks, ticks)
    if baseline_level_us is not None:
        report("aiortc compute_audio_level_dbov (pure Python), 1 stream", baseline_level_us)
        level_only_us = cpu_per_tick_us(
            lambda tick: meter.update(blocks[tick % len(blocks)][0]), ticks
        )
        report("ours, levels only (peak, RMS, VU, hold, clip), 1 stream", level_only_us)
        print(
            f"  ratio: aiortc level / our full level meter = "
            f"{baseline_level_us / level_only_us:.1f}x; "
            f"/ our levels + speaking detection = {baseline_level_us / one_us:.1f}x"
        )
    pyloudnorm_us = _pyloudnorm_short_term_us(streams[0])
    if pyloudnorm_us is not None:
        report("pyloudnorm short-term (3 s) recomputed 10x/s, per tick", pyloudnorm_us)
        ratio = pyloudnorm_us / loudness_us
        print(f"  ratio: pyloudnorm / our incremental loudness = {ratio:.1f}x")
    target = 2.0
    share = stage_us / TICK_US * 100
    print(
        f"full stage: {share:.2f} % of one core (target <= {target:g} %): "
        f"{'within' if share <= target else 'OVER'} target"
    )


def _aiortc_level_us(blocks: list[npt.NDArray[np.float32]], ticks: int) -> float | None:
    try:
        import av
        from aiortc.rtp import compute_audio_level_dbov
    except ImportError:
        print("  (aiortc not installed: no level baseline)")
        return None
    frames = []
    for block in blocks[: min(len(blocks), 200)]:
        pcm = (np.clip(block[0], -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = RATE_HZ
        frames.append(frame)
    return cpu_per_tick_us(
        lambda tick: compute_audio_level_dbov(frames[tick % len(frames)]), min(ticks, 500)
    )


def _pyloudnorm_short_term_us(signal: npt.NDArray[np.float32]) -> float | None:
    try:
        import pyloudnorm
    except ImportError:
        print("  (pyloudnorm not installed: no loudness baseline)")
        return None
    meter = pyloudnorm.Meter(RATE_HZ)
    window = signal[: 3 * RATE_HZ].astype(np.float64)
    calls = 20
    start = time.process_time()
    for _ in range(calls):
        meter.integrated_loudness(window)
    per_call_us = (time.process_time() - start) / calls * 1e6
    return per_call_us / 5  # 10 calls a second = one every 5 ticks of 20 ms


if __name__ == "__main__":
    main()
