"""A stand-in relay for the crash and full-disk tests: feeds a RecordingWriter in real time.

    python tick_child.py FOLDER [--file-size-limit BYTES] [--ticks N]

Ana talks from tick 0, Ben from tick 40; a marker at tick 25 and a consent ledger. After each
tick it prints `tick N` (flushed) so the parent knows what was handed over before it kills
this process. With --file-size-limit, RLIMIT_FSIZE makes writes past that size fail with EFBIG
(SIGXFSZ ignored, as a real full disk would not signal); the child then prints
`error <json>` with the writer's error and the slowest write_tick call, and exits.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from audio.recording import RecordingWriter

TICK = 960


@dataclass(frozen=True)
class Answer:
    user_id: str
    at: float
    consent: str


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", type=Path)
    parser.add_argument("--file-size-limit", type=int, default=None)
    parser.add_argument("--ticks", type=int, default=100_000)
    parser.add_argument("--strike-at", type=int, default=None, help="Ana strikes her last 1 s")
    args = parser.parse_args()
    if args.file_size_limit is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.file_size_limit, args.file_size_limit))
    writer = RecordingWriter(args.folder, room_id="room-9", room_title="Crash test")
    writer.set_participant("ana", "Ana")
    writer.set_participant("ben", "Ben")
    now = time.time()
    writer.set_consent_ledger(
        [
            Answer("ana", now, "granted"),
            Answer("ben", now, "pending"),
            Answer("ben", now + 1, "granted"),
        ]
    )
    rng = np.random.default_rng(5)
    t = np.arange(TICK) / 48_000
    started = time.monotonic()
    slowest = 0.0
    for tick in range(args.ticks):
        while time.monotonic() < started + tick * 0.02:
            time.sleep(0.002)
        blocks = {"ana": (0.3 * np.sin(2 * np.pi * 440 * (t + tick * 0.02))).astype(np.float32)}
        if tick >= 40:
            blocks["ben"] = (rng.standard_normal(TICK) * 0.05).astype(np.float32)
        begun = time.perf_counter()
        writer.write_tick(tick, blocks)
        slowest = max(slowest, time.perf_counter() - begun)
        if tick == 25:
            writer.add_marker(tick, "Intro", "ana")
        if tick == args.strike_at:
            writer.strike("ana", 1.0, by="ana", span="last_minute", at=time.time())
        print(f"tick {tick}", flush=True)
        if writer.error is not None:
            # keep ticking a little: the room goes on and write_tick must stay instant
            for extra in range(tick + 1, tick + 50):
                begun = time.perf_counter()
                writer.write_tick(extra, blocks)
                slowest = max(slowest, time.perf_counter() - begun)
            report = {"message": writer.error.message, "errno": writer.error.errno,
                      "recorded_s": writer.error.recorded_s, "slowest_write_tick_s": slowest}  # fmt: skip
            print("error " + json.dumps(report), flush=True)
            writer.stop()
            writer.wait_closed(10)
            return
    writer.stop()
    writer.wait_closed(10)


if __name__ == "__main__":
    main()
