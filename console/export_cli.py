"""`roomcast export`: a recording folder to a podcast-ready file.

    roomcast export RECORDING_DIR [--format mp3|m4a|opus|flac|wav] [--out FILE]
                    [--mono] [--stems] [--encoder auto|pyav|ffmpeg] [--no-verify]

Loudness-normalised (-16 LUFS stereo, -19 LUFS mono, true peak <= -1 dBTP), with chapters
from the markers, an Audacity label file, show notes and, with --stems, one FLAC per speaker.
Progress goes to stderr, the result to stdout. Exit codes: 0 done, 1 the export failed (the
message says why and what to do), 2 bad arguments, 130 interrupted (nothing is left behind).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from audio.export import FORMATS, ExportError, ExportReport, export
from audio.recording_manifest import (
    RecordingFolderError,
    clock_text,
    load_manifest,
    safe_name,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="export a recording as a normalised podcast file (MP3, M4A, Opus, FLAC, WAV)",
        description="Export a Roomcast recording folder: a mixdown normalised to -16 LUFS "
        "(stereo) or -19 LUFS (mono), true peak at most -1 dBTP, with chapters, an Audacity "
        "label file, show notes and optional per-speaker stems.",
    )
    parser.add_argument(
        "recording_dir",
        metavar="RECORDING_DIR",
        type=Path,
        help="the recording's folder (it holds manifest.json)",
    )
    parser.add_argument(
        "--format",
        type=str.lower,
        choices=list(FORMATS),
        default=None,
        help="file format (default: from --out's extension, else mp3)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="FILE",
        help="output file or folder (default: RECORDING_DIR/exports/<room title>.<ext>)",
    )
    parser.add_argument("--mono", action="store_true", help="one channel at -19 LUFS")
    parser.add_argument("--stems", action="store_true", help="also one FLAC per speaker")
    parser.add_argument(
        "--encoder",
        choices=("auto", "pyav", "ffmpeg"),
        default="auto",
        help="auto: the ffmpeg program for MP3 when installed (faster), else the built-in encoder",
    )
    parser.add_argument(
        "--no-verify",
        action="store_true",
        help="skip decoding the finished file to check loudness and peak",
    )
    parser.set_defaults(handler=run)


def _resolve(args: argparse.Namespace) -> tuple[str, Path | None]:
    """The format and output path from --format and --out; ExportError if they disagree."""
    out: Path | None = args.out
    chosen: str | None = args.format
    if out is not None and out.is_dir():
        folder = out
        try:
            title = load_manifest(args.recording_dir).room_title
        except RecordingFolderError:
            title = ""
        stem = safe_name(title, args.recording_dir.name)
        fmt = chosen or "mp3"
        return fmt, folder / f"{stem}{FORMATS[fmt].extension}"
    if out is not None and out.suffix:
        suffix = out.suffix.lower()
        by_suffix = next((n for n, s in FORMATS.items() if s.extension == suffix), None)
        if chosen is None and by_suffix is None:
            raise ExportError(
                f"Cannot tell the format from {out.name!r}: add --format "
                f"({', '.join(FORMATS)}) or use one of those extensions."
            )
        if chosen is not None and by_suffix is not None and by_suffix != chosen:
            raise ExportError(
                f"--out ends in {out.suffix} but --format is {chosen}: make them agree."
            )
        return chosen or by_suffix or "mp3", out
    return chosen or "mp3", out


class _ProgressLine:
    """One updating line on a terminal; a line every 10 % when stderr is a file or a pipe."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._shown = -1

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if self._tty:
            if percent != self._shown:
                self._stream.write(f"\rExporting… {percent:3d} %")
                self._stream.flush()
        elif percent // 10 != self._shown // 10:
            self._stream.write(f"Exporting… {percent} %\n")
            self._stream.flush()
        self._shown = percent

    def done(self) -> None:
        if self._tty and self._shown >= 0:
            self._stream.write("\n")
            self._stream.flush()


def run(args: argparse.Namespace) -> int:
    progress = _ProgressLine(sys.stderr)
    try:
        fmt, out = _resolve(args)
        report = export(
            args.recording_dir,
            out,
            fmt,
            channels=1 if args.mono else 2,
            stems=args.stems,
            progress=progress,
            encoder=args.encoder,
            verify=not args.no_verify,
        )
    except ExportError as exc:
        progress.done()
        print(f"roomcast export: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        progress.done()
        print("roomcast export: interrupted; nothing was written.", file=sys.stderr)
        return 130
    progress.done()
    print(summary(report))
    return 0


def summary(report: ExportReport) -> str:
    spec = FORMATS[report.format]
    layout = "mono" if report.channels == 1 else "stereo"
    bitrate = spec.bitrate_for(report.channels)
    kind = f"{report.format.upper()} {layout}" + (f" {bitrate} kbit/s" if bitrate else "")
    measured = (
        f"{report.file_lufs:.1f} LUFS, true peak {report.file_true_peak_dbtp:.1f} dBTP "
        "(measured on the file)"
        if report.file_lufs is not None and report.file_true_peak_dbtp is not None
        else f"{report.output_lufs:.1f} LUFS, true peak {report.output_true_peak_dbtp:.1f} dBTP"
    )
    lines = [
        f"Exported {report.out_path} ({clock_text(report.duration_s)}, {kind})",
        f"  loudness {measured}; target {report.target_lufs:.0f} LUFS, at most -1 dBTP",
        f"  chapters: {report.chapters}",
    ]
    if report.recovered:
        lines.append("  the recording had not stopped cleanly: it was repaired first")
    for repair in report.repairs:
        lines.append(f"  repaired first: {repair}")
    if report.file_true_peak_dbtp is not None and report.file_true_peak_dbtp > -1.0:
        lines.append(
            f"  warning: the encoder pushed the true peak to {report.file_true_peak_dbtp:.1f} "
            "dBTP; try another format or bit rate"
        )
    if report.file_lufs is not None and abs(report.file_lufs - report.target_lufs) > 0.5:
        lines.append(f"  warning: the file reads {report.file_lufs:.1f} LUFS, off target")
    lines += [f"  {path}" for path in (*report.side_files, *report.stems)]
    return "\n".join(lines)
