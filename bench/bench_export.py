"""Podcast export of a long recording, beside ffmpeg doing the same job in the same run.

    python -m bench.bench_export [--minutes M] [--format mp3] [--encoder auto|pyav|ffmpeg]
                                 [--case mix|stems|both] [--no-check] [--keep]

Builds (once, untimed) a recording folder of M minutes (default 15) with four speakers taking
turns (espeak-ng speech when it is installed, else a synthetic voice) through the real
RecordingWriter. Then times:
- ours: `audio.export.export` to a normalised stereo file (-16 LUFS, true peak <= -1 dBTP),
  including its codec probe and its check of the finished file;
- ffmpeg: the usual two-pass `loudnorm` (measure, then `linear=true` with the measured
  values) and the encode at the same bit rate, on the same mix.flac;
- the 4-track case: the same, plus every speaker's stem (ours: `stems=True`, each track at
  the mixdown's gain through our true-peak limiter; ffmpeg: `volume` + `alimiter` per track).
Then (untimed) measures both files with ffmpeg's ebur128 filter. Never fails on a timing.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from audio.export import FORMATS, export
from audio.recording import RecordingWriter

RATE_HZ = 48_000
TICK = 960
SPEAKERS = ("host", "ana", "ben", "chloe")
LINES = (
    "Welcome back to the show. Today we have three guests with us in the room.",
    "Thanks for having me. I have been following the project for a while now.",
    "Let's start with the new release and what changed since last month.",
    "The biggest change is the recorder: every speaker gets a separate track.",
    "If you want to ask a question, raise your hand and we will bring you up.",
    "That is a great point, and I think listeners will want to hear more about it.",
)
Samples = npt.NDArray[np.float32]


def _espeak(text: str, voice: str, folder: Path, name: str) -> Samples | None:
    if shutil.which("espeak-ng") is None:
        return None
    wav = folder / f"{name}.wav"
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", "165", "-w", str(wav), text],
        check=True,
        capture_output=True,
        timeout=30,
    )
    chunks: list[Samples] = []
    with av.open(str(wav)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE_HZ)
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def _synthetic(seconds: float, seed: int) -> Samples:
    rng = np.random.default_rng(seed)
    t = np.arange(round(seconds * RATE_HZ)) / RATE_HZ
    pitch = 110 + 80 * rng.random()
    voice = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 14))
    syllables = (np.sin(2 * np.pi * 3.3 * t + rng.random() * 6) > 0.1).astype(np.float64)
    return (0.08 * voice * syllables).astype(np.float32)


def utterances(folder: Path) -> dict[str, list[Samples]]:
    voices = ("en-us", "en-gb", "en-us+f3", "en-gb+m3")
    found: dict[str, list[Samples]] = {}
    for number, (speaker, voice) in enumerate(zip(SPEAKERS, voices, strict=True)):
        said = [_espeak(line, voice, folder, f"{speaker}{i}") for i, line in enumerate(LINES)]
        found[speaker] = [
            s if s is not None else _synthetic(4.0, number * 10 + i) for i, s in enumerate(said)
        ]
    return found


def build_recording(folder: Path, minutes: float) -> Path:
    """Four speakers taking turns, with small overlaps and pauses, through the real writer."""
    rng = np.random.default_rng(1)
    said = utterances(folder)
    total = round(minutes * 60 * RATE_HZ) // TICK * TICK
    tracks = {s: np.zeros(total, dtype=np.float32) for s in SPEAKERS}
    levels = {"host": 0.5, "ana": 0.3, "ben": 0.7, "chloe": 0.4}  # mics are never matched
    position = 0
    while position < total:
        speaker = SPEAKERS[int(rng.integers(len(SPEAKERS)))]
        clip = said[speaker][int(rng.integers(len(LINES)))] * levels[speaker]
        end = min(total, position + clip.shape[0])
        tracks[speaker][position:end] += clip[: end - position]
        position = end + int(rng.uniform(-0.3, 1.2) * RATE_HZ)
    recording = folder / "recording"
    writer = RecordingWriter(recording, room_id="bench", room_title="Bench episode")
    for speaker in SPEAKERS:
        writer.set_participant(speaker, speaker.title())
    for tick in range(total // TICK):
        span = slice(tick * TICK, (tick + 1) * TICK)
        writer.write_tick(tick, {s: tracks[s][span] for s in SPEAKERS}, wait=True)
        if tick % (10 * 60 * 50) == 0:
            writer.add_marker(tick, f"Part {tick // (10 * 60 * 50) + 1}", "host")
    writer.stop()
    writer.wait_closed()
    if writer.error is not None:
        raise SystemExit(writer.error.message)
    return recording


def ffmpeg_two_pass(mix: Path, out: Path, bitrate_kbps: int, codec: str) -> None:
    chain = "aformat=channel_layouts=stereo,loudnorm=I=-16:TP=-1:LRA=11"
    first = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-i",
            str(mix),
            "-af",
            f"{chain}:print_format=json",
            "-f",
            "null",
            "-",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    measured = json.loads(first.stderr[first.stderr.rindex("{") :])
    second = (
        f"{chain}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}"
        f":measured_LRA={measured['input_lra']}:measured_thresh={measured['input_thresh']}"
        f":offset={measured['target_offset']}:linear=true,aresample={RATE_HZ}"
    )
    ffmpeg_filter(mix, out, second, "-c:a", codec, "-b:a", f"{bitrate_kbps}k")


def ffmpeg_filter(source: Path, out: Path, chain: str, *encode: str) -> None:
    """ffmpeg: `source` through the filter `chain`, encoded with the `encode` options."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
         "-af", chain, *encode, str(out)],
        check=True,
    )  # fmt: skip


def ebur128(path: Path) -> tuple[float, float]:
    said = subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-hide_banner",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    integrated = float(re.findall(r"I:\s+(-?[\d.]+) LUFS", said)[-1])
    peak = float(re.findall(r"Peak:\s+(-?[\d.]+) dBFS", said)[-1])
    return integrated, peak


def ffmpeg_stems(recording: Path, out_stem: Path, gain_db: float) -> list[Path]:
    """ffmpeg's equivalent of our stems: each track at the mixdown's gain through its limiter
    (`alimiter` at -1 dBFS), as 16-bit FLAC."""
    stems: list[Path] = []
    for track in sorted((recording / "tracks").glob("*.flac")):
        stem = out_stem.with_name(f"{out_stem.stem}-{track.stem}.flac")
        chain = f"volume={gain_db:.2f}dB,alimiter=limit=0.89:level=false"
        ffmpeg_filter(track, stem, chain, "-c:a", "flac", "-sample_fmt", "s16")
        stems.append(stem)
    return stems


def run_case(recording: Path, folder: Path, args: argparse.Namespace, stems: bool) -> None:
    """One export both ways, timed; prints the two times and their ratio."""
    spec = FORMATS[args.format]
    case = "mix + 4 stems" if stems else "mix"
    ours = folder / f"ours-{'stems' if stems else 'mix'}{spec.extension}"
    cpu = time.process_time()
    started = time.perf_counter()
    report = export(recording, ours, args.format, channels=2, stems=stems, encoder=args.encoder)
    ours_s = time.perf_counter() - started
    ours_cpu_s = time.process_time() - cpu
    print(
        f"  [{case}] ours:   {ours_s:7.1f} s wall ({ours_cpu_s:.1f} s CPU in this process; "
        f"encoder {report.encoder}, {report.renders} render(s), {len(report.stems)} stem(s), "
        f"codec probe {report.codec_change_lu:+.2f} LU)",
        flush=True,
    )
    theirs = folder / f"ffmpeg-{'stems' if stems else 'mix'}{spec.extension}"
    bitrate = spec.bitrate_for(2) or 0
    started = time.perf_counter()
    ffmpeg_two_pass(recording / "mix.flac", theirs, bitrate, spec.codec)
    if stems:
        ffmpeg_stems(recording, theirs, report.gain_db)
    ffmpeg_s = time.perf_counter() - started
    print(
        f"  [{case}] ffmpeg: {ffmpeg_s:7.1f} s wall (two-pass loudnorm + {spec.codec} "
        f"{bitrate} kbit/s{'; each track: volume + alimiter to FLAC' if stems else ''})",
        flush=True,
    )
    print(
        f"  [{case}] ratio ffmpeg / ours: {ffmpeg_s / ours_s:.2f}x "
        f"({'ours faster' if ours_s < ffmpeg_s else 'ffmpeg faster'})",
        flush=True,
    )
    if stems:
        return
    print(
        f"  ours, by our meter: {report.file_lufs:.2f} LUFS, "
        f"{report.file_true_peak_dbtp:.2f} dBTP (target -16 LUFS, <= -1 dBTP)"
    )
    if not args.no_check:
        for name, path in (("ours", ours), ("ffmpeg", theirs)):
            integrated, peak = ebur128(path)
            print(
                f"  ebur128 of {name + ':':8} I {integrated:6.1f} LUFS, true peak {peak:5.1f} dBTP"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0, help="recording length")
    parser.add_argument("--format", default="mp3", choices=[f for f in FORMATS if f != "wav"])
    parser.add_argument(
        "--encoder",
        default="auto",
        choices=("auto", "pyav", "ffmpeg"),
        help="our encoder (auto: the ffmpeg program for MP3 when installed)",
    )
    parser.add_argument(
        "--case", default="both", choices=("mix", "stems", "both"), help="which export(s)"
    )
    parser.add_argument("--no-check", action="store_true", help="skip the ebur128 check")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rc-bench-export-"))
    try:
        started = time.perf_counter()
        recording = build_recording(folder, args.minutes)
        print(
            f"  built {args.minutes:g} min x 4 tracks in {time.perf_counter() - started:.1f} s"
            " (not timed below)",
            flush=True,
        )
        if args.case in ("mix", "both"):
            run_case(recording, folder, args, stems=False)
        if args.case in ("stems", "both"):
            run_case(recording, folder, args, stems=True)
    finally:
        if args.keep:
            print(f"  kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
