"""Podcast export of a recording: a normalised mixdown with chapters, side files and stems.

    export(folder, out, "mp3", channels=2) -> ExportReport

1. Measure the mix: integrated loudness (BS.1770-4, gated) and true peak, one streaming pass.
2. Aim: -16 LUFS for stereo, -19 LUFS for mono (the mono mix on two channels reads 3 dB
   louder, so both are the same gain). A lossy codec changes loudness (LAME at 128 kbit/s
   takes about 0.5 LU away): a one-minute excerpt is encoded first to measure by how much, and
   the render aims that much higher.
3. Gain: if it would put the true peak over the ceiling, a dry run through the true-peak
   limiter (at two gains) measures what limiting costs in loudness; the gain makes up for it.
4. Render: gain, limiter, encoder (on its own thread or process, beside the DSP).
5. Check the file itself: decode it, measure loudness and true peak. If it misses the
   target by more than 0.25 LU or its true peak is over -1 dBTP (less a margin for other
   meters), render again with the error corrected.
6. Side files: `<out>.chapters.json` (Podcasting 2.0), `<out>.labels.txt` (Audacity labels),
   `<out>.notes.md` (show notes); with `stems`, one FLAC per speaker, `<out-stem>-<track>.flac`,
   at the mixdown's gain and through the same limiter, so they line up with it.

The output is written under a temporary name and renamed at the end: a failed or cancelled
export leaves nothing behind. Runs on: the caller's thread (a worker, never the GUI thread);
`progress` is called from it, `cancel` is read between blocks.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import math
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from threading import Event

import soundfile

from audio.export_encode import FORMATS, Chapter, EncodeError, EncoderChoice, open_encoder
from audio.export_render import (
    ExportCancelled,
    ExportError,
    Progress,
    Stages,
    codec_loudness_change,
    encode,
    excerpt,
    limited_loudness,
    measure,
    measure_file,
    read_blocks,
    render_stem,
)
from audio.export_sidecars import (
    chapters_from,
    write_audacity_labels,
    write_chapters_json,
    write_show_notes,
)
from audio.loudness import LOUDNESS_FLOOR_LUFS
from audio.recording_files import SinkWriteError, folder_is_busy
from audio.recording_library import apply_retention, remove_speaker
from audio.recording_manifest import (
    EXPORTS_DIR,
    Manifest,
    RecordingFolderError,
    load_manifest,
    parse_iso,
    safe_name,
)
from audio.recording_parts import first_of, join_parts, parts_of
from audio.recording_recovery import needs_recovery, recover
from audio.recording_repair import DamagedAudio, repair_damaged
from audio.recording_strike import apply_strikes, record_export

logger = logging.getLogger(__name__)

__all__ = [
    "FORMATS",
    "ExportCancelled",
    "ExportError",
    "ExportReport",
    "apply_retention",
    "default_out_path",
    "export",
    "remove_speaker",
]

TARGET_LUFS = {1: -19.0, 2: -16.0}
TRUE_PEAK_LIMIT_DBTP = -1.0
# True-peak meters differ: BS.1770's own interpolator ripples by +-0.22 dB, FFmpeg's
# resampler does not (measured: ours reads up to 0.26 dB under it near 8 and 16 kHz).
_METER_MARGIN_DB = 0.3
_CEILING_LOSSLESS_DBTP = TRUE_PEAK_LIMIT_DBTP - _METER_MARGIN_DB - 0.1
_CEILING_LOSSY_DBTP = -2.0  # lossy codecs overshoot by a few tenths of a dB on speech
_LOUDNESS_TOLERANCE_LU = 0.25  # render again past this
_MAX_RENDERS = 3


@dataclass(frozen=True, slots=True)
class ExportReport:
    out_path: Path
    format: str
    codec: str
    encoder: str  # "pyav" or "ffmpeg"
    channels: int
    duration_s: float
    target_lufs: float
    input_lufs: float  # the mix as recorded (mono)
    gain_db: float
    output_lufs: float  # the rendered mixdown, before encoding
    output_true_peak_dbtp: float
    codec_change_lu: float  # what the codec did to loudness on the excerpt (0 for lossless)
    file_lufs: float | None  # measured on the decoded file (None: not checked)
    file_true_peak_dbtp: float | None
    limiter_max_reduction_db: float
    renders: int
    chapters: int
    side_files: tuple[Path, ...]
    stems: tuple[Path, ...]
    recovered: bool  # the folder was repaired (after a crash) before exporting
    elapsed_s: float
    repairs: tuple[str, ...] = ()  # damaged files repaired first, one sentence each
    parts: int = 1  # a take that went on in parts after a crash is exported as one


def default_out_path(folder: Path, manifest: Manifest, format: str) -> Path:
    """`<folder>/exports/<room-title>.<ext>`: inside the recording, so removing a speaker or
    the recording's retention reaches its exports too."""
    spec = FORMATS[format]
    return folder / EXPORTS_DIR / f"{safe_name(manifest.room_title, folder.name)}{spec.extension}"


def export(
    recording_dir: Path | str,
    out_path: Path | str | None = None,
    format: str = "mp3",
    channels: int = 2,
    stems: bool = False,
    progress: Progress | None = None,
    cancel: Event | None = None,
    *,
    encoder: EncoderChoice = "auto",
    verify: bool = True,
) -> ExportReport:
    """Export a recording folder; raises ExportError (ExportCancelled) with a message a
    person can act on. See the module docstring for the steps."""
    started = time.perf_counter()
    if format not in FORMATS:
        raise ExportError(f"Unknown format {format!r}: choose one of {', '.join(FORMATS)}.")
    if channels not in (1, 2):
        raise ExportError(f"An export has 1 (mono) or 2 (stereo) channels, not {channels}.")
    folder = Path(recording_dir)
    parts = parts_of(folder) if first_of(folder) is None else [folder]
    if len(parts) > 1:
        return _export_parts(
            parts, out_path, format, channels, stems, progress, cancel, encoder, verify
        )
    manifest, recovered = _open_recording(folder)
    out = Path(out_path) if out_path is not None else default_out_path(folder, manifest, format)
    repairs: list[str] = []
    for attempt in (1, 2):
        job = _Job(folder, manifest, out, format, channels, encoder, Stages(progress, cancel))
        try:
            report = job.run(stems, verify)
            break
        except BaseException as exc:
            for path in job.written:
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(exc, DamagedAudio) and attempt == 1:
                repairs = _repair_for_export(folder, manifest, exc)
                manifest = load_manifest(folder)
                continue
            if isinstance(exc, DamagedAudio):
                raise ExportError(f"{folder} cannot be exported: {exc}.") from exc
            if isinstance(exc, OSError | SinkWriteError | EncodeError):
                raise ExportError(_write_failure(exc, out)) from exc
            raise
    record_export(folder, out)  # a later strike marks it stale
    return replace(
        report,
        recovered=recovered,
        elapsed_s=time.perf_counter() - started,
        repairs=tuple(repairs),
    )


def _export_parts(
    parts: list[Path],
    out_path: Path | str | None,
    format: str,
    channels: int,
    stems: bool,
    progress: Progress | None,
    cancel: Event | None,
    encoder: EncoderChoice,
    verify: bool,
) -> ExportReport:
    """A take that went on in parts after a crash: joined end to end (audio/recording_parts.py)
    in a hidden folder beside it, exported as one, the joined copy removed after."""
    first = parts[0]
    for part in parts:
        _open_recording(part)  # each part readable and not being written, or a clear error
    manifest = load_manifest(first)
    out = Path(out_path) if out_path is not None else default_out_path(first, manifest, format)
    with tempfile.TemporaryDirectory(prefix=".roomcast-joining-", dir=first.parent) as scratch:
        try:
            joined = join_parts(parts, Path(scratch) / first.name)
        except (OSError, RuntimeError, ValueError, RecordingFolderError) as exc:
            raise ExportError(f"The parts of {first.name} could not be joined: {exc}.") from exc
        report = export(
            joined, out, format, channels, stems, progress, cancel, encoder=encoder, verify=verify
        )
    record_export(first, out)
    return replace(report, parts=len(parts))


def _repair_for_export(folder: Path, manifest: Manifest, found: DamagedAudio) -> list[str]:
    """A file did not decode to its end: repair the folder (audio.recording_repair), or say
    in one sentence why it cannot be."""
    try:
        repairs = repair_damaged(folder, manifest)
    except (DamagedAudio, OSError, RecordingFolderError) as exc:
        raise ExportError(f"{folder} cannot be exported: {exc}.") from exc
    except (RuntimeError, ValueError) as exc:  # a decoder's complaint while re-rendering
        raise ExportError(
            f"{folder} cannot be exported: {found}, and repairing it failed ({exc})."
        ) from exc
    if not repairs:
        raise ExportError(f"{folder} cannot be exported: {found}.")
    for sentence in repairs:
        logger.warning("export: %s", sentence)
    return repairs


def _open_recording(folder: Path) -> tuple[Manifest, bool]:
    if folder.is_dir() and folder_is_busy(folder):
        raise ExportError(f"{folder} is still being recorded: stop the recording, then export.")
    try:
        try:
            manifest = load_manifest(folder)
        except RecordingFolderError:
            report = recover(folder)  # damaged: rebuilt from the files and the ledger file
            if not report.recovered:
                raise
            manifest = load_manifest(folder)
            recovered = True
        else:
            recovered = False
            if needs_recovery(manifest):
                recovered = recover(folder).recovered  # a crashed recording: repair it first
                manifest = load_manifest(folder)
    except (RecordingFolderError, OSError) as exc:
        raise ExportError(str(exc)) from exc
    try:
        apply_strikes(folder, manifest)  # whatever the ledger strikes is silence before export
    except (RecordingFolderError, OSError, RuntimeError) as exc:
        raise ExportError(f"{folder}: a strike could not be applied ({exc}).") from exc
    if manifest.ledger_lost:
        raise ExportError(
            f"{folder} cannot be exported: its consent ledger could not be established "
            "(the manifest and the ledger file are damaged or missing), so nobody can tell "
            "who agreed to be recorded. The damaged files are kept in the folder."
        )
    return manifest, recovered


class _Job:
    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        out: Path,
        format: str,
        channels: int,
        encoder: EncoderChoice,
        stages: Stages,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.out = out
        self.spec = FORMATS[format]
        self.channels = channels
        self.encoder = encoder
        self.stages = stages
        self.written: list[Path] = []  # deleted again if the export fails
        self.mix = folder / manifest.mix_file
        try:
            info = soundfile.info(str(self.mix))
        except (OSError, RuntimeError) as exc:
            raise ExportError(
                f"The mix of {folder} ({manifest.mix_file}) cannot be read ({exc}); "
                "the folder may be damaged."
            ) from exc
        self.rate, self.frames = int(info.samplerate), int(info.frames)
        self.target = TARGET_LUFS[channels]
        self.ceiling = _CEILING_LOSSY_DBTP if self.spec.lossy else _CEILING_LOSSLESS_DBTP
        self.input_lufs = self.input_tp = 0.0

    def plain_gain(self, aim_lufs: float) -> float:
        copies_db = 10.0 * math.log10(self.channels)  # the mono mix on every channel
        return aim_lufs - (self.input_lufs + copies_db)

    def fit_gain(self, aim_lufs: float) -> float:
        """The gain that renders the mix at `aim_lufs`, limiting included.

        Limiting takes loudness away, more so the louder the input: one dry run measures
        the result at the plain gain and 1 dB above it, and the gain is read off the line
        through the two (a few hundredths of an LU off; the file check catches the rest)."""
        gain_db = self.plain_gain(aim_lufs)
        if self.input_tp + gain_db <= self.ceiling:
            return gain_db  # the limiter stays idle: the gain alone is exact
        blocks = read_blocks(self.mix, self.stages)
        gains = (gain_db, gain_db + 1.0)
        low, high = limited_loudness(blocks, self.rate, gains, self.ceiling, self.channels)
        slope = min(1.0, max(0.2, high - low))  # LU per dB of gain
        return gain_db + (aim_lufs - low) / slope

    def run(self, stems: bool, verify: bool) -> ExportReport:
        stages, spec, out = self.stages, self.spec, self.out
        stages.enter(0.0, 0.1)
        self.input_lufs, self.input_tp = measure(read_blocks(self.mix, stages))
        if self.input_lufs <= LOUDNESS_FLOOR_LUFS:
            raise ExportError(f"The recording in {self.folder} is silent: nothing to export.")
        duration_s = self.frames / self.rate
        chapters = chapters_from(self.manifest, duration_s)
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(out.name + ".partial")
        self.written.append(partial)
        stages.enter(0.1, 0.25)
        codec_change = 0.0
        if spec.lossy:
            probe = out.with_name(out.name + ".probe")
            self.written.append(probe)
            codec_change = codec_loudness_change(
                excerpt(self.mix),
                probe,
                spec,
                self.rate,
                self.plain_gain(self.target),
                self.ceiling,
                self.channels,
                self.encoder,
            )
        aim = self.target - codec_change
        renders = 0
        file_lufs = file_tp = None
        high = 0.8 if stems else 0.85
        while True:
            renders += 1
            stages.enter(0.1, 0.25)
            gain_db = self.fit_gain(aim)
            stages.enter(0.25, high)
            sink = open_encoder(
                partial,
                spec,
                self.channels,
                self.rate,
                chapters,
                _metadata(self.manifest),
                self.encoder,
            )
            rendered = encode(
                read_blocks(self.mix, stages), sink, self.rate, gain_db, self.ceiling, self.channels
            )
            if not verify:
                break
            stages.enter(high, high + 0.12)
            file_lufs, file_tp = measure_file(partial, self.rate, self.frames, stages)
            over_db = file_tp - (TRUE_PEAK_LIMIT_DBTP - _METER_MARGIN_DB)
            off_lu = self.target - file_lufs
            if (over_db <= 0.0 and abs(off_lu) <= _LOUDNESS_TOLERANCE_LU) or (
                renders >= _MAX_RENDERS
            ):
                break
            if over_db > 0.0:
                self.ceiling -= over_db + 0.3  # the codec overshot: leave it more room
            aim += off_lu
        partial.replace(out)
        self.written[self.written.index(partial)] = out
        side_files = self._write_side_files(chapters, duration_s)
        stem_files = self._write_stems(gain_db) if stems else []
        stages.enter(1.0, 1.0)
        return ExportReport(
            out_path=out,
            format=spec.name,
            codec=spec.codec,
            encoder=sink.name,
            channels=self.channels,
            duration_s=duration_s,
            target_lufs=self.target,
            input_lufs=self.input_lufs,
            gain_db=gain_db,
            output_lufs=rendered.lufs,
            output_true_peak_dbtp=rendered.true_peak_dbtp,
            codec_change_lu=codec_change,
            file_lufs=file_lufs,
            file_true_peak_dbtp=file_tp,
            limiter_max_reduction_db=rendered.max_reduction_db,
            renders=renders,
            chapters=len(chapters),
            side_files=tuple(side_files),
            stems=tuple(stem_files),
            recovered=False,  # set by export()
            elapsed_s=0.0,
        )

    def _write_side_files(self, chapters: list[Chapter], duration_s: float) -> list[Path]:
        out = self.out
        files: list[Path] = []
        if chapters:
            chapters_json = out.with_name(out.name + ".chapters.json")
            labels = out.with_name(out.name + ".labels.txt")
            self.written += [chapters_json, labels]
            write_chapters_json(chapters_json, chapters, self.manifest.room_title)
            write_audacity_labels(labels, chapters)
            files += [chapters_json, labels]
        notes = out.with_name(out.name + ".notes.md")
        self.written.append(notes)
        write_show_notes(notes, self.manifest, chapters, duration_s)
        return [*files, notes]

    def _write_stems(self, gain_db: float) -> list[Path]:
        stems: list[Path] = []
        tracks = self.manifest.tracks
        for number, track in enumerate(tracks):
            share = 0.05 / len(tracks)
            self.stages.enter(0.95 + share * number, 0.95 + share * (number + 1))
            stem = self.out.with_name(f"{self.out.stem}-{Path(track.file).stem}.flac")
            self.written.append(stem)
            render_stem(
                self.folder / track.file,
                stem,
                self.rate,
                gain_db,
                _CEILING_LOSSLESS_DBTP,
                self.stages,
            )
            stems.append(stem)
        return stems


def _metadata(manifest: Manifest) -> dict[str, str]:
    tags = {"title": manifest.room_title or "Untitled room", "comment": "Recorded with Roomcast"}
    if manifest.started_at:
        moment = datetime.fromtimestamp(parse_iso(manifest.started_at), UTC)
        tags["date"] = moment.strftime("%Y-%m-%d")
    return tags


def _write_failure(exc: BaseException, out: Path) -> str:
    os_error: OSError | None
    if isinstance(exc, SinkWriteError | EncodeError):
        os_error = exc.os_error
    else:
        os_error = exc if isinstance(exc, OSError) else None
    code = os_error.errno if os_error is not None else None
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"The disk is full: could not write the export in {out.parent}. Free some space "
            "or export to another folder; nothing was written."
        )
    if code == errno.EFBIG:
        return (
            f"The export grew past the largest file this system allows in {out.parent}: "
            "export to another disk, or choose a compressed format; nothing was written."
        )
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Roomcast may not write to {out.parent}: choose another folder."
    return f"Could not write the export {out}: {exc}. Nothing was written."
