"""Recording a room on the relay's mixer clock: one FLAC per consenting speaker plus the mix.

The relay calls `write_tick` once per 20 ms tick with the blocks of the speakers who consented
(it alone decides who that is; this writer never sees anyone else). The writer copies the
blocks into a bounded queue and returns; a writer thread does all disk I/O. Every file starts
at the recording's tick 0: a speaker first heard at tick k gets k ticks of silence first, a tick
the clock skipped is silence in every file, so sample n is the same instant in every file.

Honest gaps: the relay says, per tick, which speakers' blocks were repaired (Opus FEC or PLC)
or missing while they were sending (`gaps`); each track counts them. A tick the room's clock
skipped (the caller's tick numbers jump) and a tick this writer could not queue are both
silence in every file and both counted as dropped ticks of the take. The manifest carries it
all, so a take never claims to be whole when it is not.

The mix is the limited sum of the recorded tracks (unless the relay passes one), so it can
never hold anyone who has no track.

Crash safety: blocks reach the kernel every `batch_ticks` (200 ms by default) and are fsynced
every `fsync_interval_s`; libFLAC holds at most 85 ms more. A killed relay therefore loses
well under a second; `audio.recording_recovery.recover` repairs the folder at the next start.

A failed write (full disk, size limit, unplugged drive) stops the recording, not the room:
the files written so far stay, `error` says what happened in words a host can act on, and
`write_tick` keeps returning at once.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from audio.block_origin import BlockOrigin
from audio.mixer import LimiterBank
from audio.recording_failure import (
    RecordingFailure,
    folder_taken,
    internal_failure,
    write_failure,
)
from audio.recording_files import FlacSink, FolderLock, SinkWriteError, TrackSink, to_pcm16
from audio.recording_journal import (
    Journal,
    JournalCommand,
    LedgerCommand,
    LedgerEntry,
    MarkerCommand,
    ParticipantCommand,
)
from audio.recording_ledger import LEDGER_NAME, append_ledger
from audio.recording_manifest import (
    MANIFEST_NAME,
    MIX_NAME,
    TRACKS_DIR,
    Manifest,
    RecordingState,
    StrikeEntry,
    TrackEntry,
    iso_utc,
    save_manifest,
    track_file_name,
)
from audio.recording_strike import append_strike, apply_strikes
from audio.voice_gate import VoiceGate

logger = logging.getLogger(__name__)

Float32Array = npt.NDArray[np.float32]
Int16Array = npt.NDArray[np.int16]
SinkFactory = Callable[[Path, int], TrackSink]

_SILENCE_CHUNK_FRAMES = 48_000 * 10
STRIKE_AFTER_TICKS = 25
"""A strike also silences the half second after it: a voice captured before the request may still
be on its way to the relay (network, jitter buffer) when the writer learns of it."""


@dataclass(frozen=True, slots=True)
class StrikeCommand:
    user_id: str
    by: str
    span: str
    at: float  # wall clock of the request
    seconds: float  # how far back from the latest tick handed over
    last_index: int | None  # the latest tick handed over when the strike came


class _FolderTaken(Exception):
    pass


@dataclass(slots=True)
class _Tick:
    index: int
    speakers: tuple[str, ...]
    blocks: Float32Array  # (speakers, tick_frames), a copy
    mix: Float32Array | None
    gaps: tuple[tuple[str, BlockOrigin], ...] = ()


@dataclass(slots=True)
class _Track:
    entry: TrackEntry
    sink: TrackSink
    gate: VoiceGate
    pending: list[Float32Array] = field(default_factory=list)
    talk_ticks: int = 0
    concealed_ticks: int = 0
    fec_ticks: int = 0
    silent_gap_ticks: int = 0


class RecordingWriter:
    """Runs on: the caller (the relay's event loop) for every public method; disk I/O runs on
    the writer thread this object starts."""

    def __init__(
        self,
        folder: Path | str,
        sample_rate_hz: int = 48_000,
        *,
        room_id: str = "",
        room_title: str = "",
        consent_mode: str = "per_speaker",
        first_tick: int | None = None,
        max_queue_ticks: int = 500,
        batch_ticks: int = 10,
        fsync_interval_s: float = 1.0,
        manifest_interval_s: float = 5.0,
        now: Callable[[], float] = time.time,
        sink_factory: SinkFactory = FlacSink,
        on_error: Callable[[RecordingFailure], None] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.sample_rate_hz = sample_rate_hz
        self.tick_frames = sample_rate_hz // 50
        self.tick_s = self.tick_frames / sample_rate_hz
        self.batch_ticks = batch_ticks
        self.fsync_interval_s = fsync_interval_s
        self.manifest_interval_s = manifest_interval_s
        self.on_error = on_error
        """Called once if the recording fails. Runs on: the writer thread."""
        self.error: RecordingFailure | None = None
        self.dropped_ticks = 0  # the queue was full: those ticks are silence in the files
        self.clock_skipped_ticks = 0  # the room's clock skipped them: silence in the files
        self._last_index: int | None = None  # caller side: the last tick number handed over
        self.ticks_written = 0
        self._now = now
        self._sink_factory = sink_factory
        self._first_tick = first_tick
        self._queue: queue.Queue[_Tick] = queue.Queue(maxsize=max_queue_ticks)
        self._controls: deque[JournalCommand | StrikeCommand] = deque()
        self._stopping = threading.Event()
        self._closed = threading.Event()
        self._manifest = Manifest(
            room_id=room_id,
            room_title=room_title,
            consent_mode=consent_mode,
            started_at=iso_utc(now()),
            sample_rate_hz=sample_rate_hz,
            tick_frames=self.tick_frames,
        )
        # Writer-thread state from here on.
        self._lock = FolderLock(self.folder)
        self._owns_folder = False  # False until we hold the folder's lock
        self._origin: int | None = None
        self._next = 0  # next tick (relative to the origin) the files expect
        self._last_tick_seen: int | None = None
        self._tracks: dict[str, _Track] = {}
        self._mix_sink: TrackSink | None = None
        self._mix_pending: list[Float32Array] = []
        self._mix_limiter = LimiterBank(1, sample_rate_hz)
        self._pending_ticks = 0
        self._journal = Journal(self._manifest, self.tick_s)
        self._ledger_written = 0  # lines of the ledger already in its own file
        self._struck_until: dict[str, int] = {}  # per person: ticks before this are struck
        self._waiting_strikes: list[StrikeCommand] = []  # until their tick reaches the writer
        self._silence = np.zeros(self.tick_frames, dtype=np.float32)
        self._thread = threading.Thread(
            target=self._run, name=f"recording:{self.folder.name}", daemon=True
        )
        self._thread.start()

    # -- the caller's side: copy, enqueue, return ----------------------------------------------

    def write_tick(
        self,
        tick_index: int,
        tracks: Mapping[str, npt.NDArray[np.floating]],
        mix: npt.NDArray[np.floating] | None = None,
        *,
        wait: bool = False,
        gaps: Mapping[str, BlockOrigin] | None = None,
    ) -> None:
        """Hand over one tick: a (tick_frames,) float block per consenting speaker who sent
        audio. Leave `mix` None and the writer mixes the tracks (the recorded mix then cannot
        hold anyone without a track); pass one only if it is made of these tracks alone.

        When the writer is `max_queue_ticks` behind, the tick is dropped (it becomes silence,
        counted in `dropped_ticks`) so the caller never waits; `wait=True` waits instead, for
        feeding faster than real time (tests, tools), never on the relay's loop.

        `gaps`: speakers whose block this tick is a repair (FEC, PLC) or missing although they
        were sending (SILENT_GAP); counted per track. Tick numbers that jump are ticks the
        caller's clock skipped: counted, and silence in every file."""
        if self.error is not None or self._stopping.is_set():
            return
        if self._last_index is not None and tick_index > self._last_index + 1:
            self.clock_skipped_ticks += tick_index - self._last_index - 1
        if self._last_index is None or tick_index > self._last_index:
            self._last_index = tick_index
        speakers = tuple(tracks)
        try:
            # One copy of all blocks in one call (the relay reuses its buffers): ~4 us for 13.
            blocks = np.array([tracks[s] for s in speakers], dtype=np.float32)
        except ValueError:
            blocks = np.zeros(0, dtype=np.float32)  # ragged: reported just below
        if blocks.shape != (len(speakers), self.tick_frames):
            if not speakers:
                blocks = np.zeros((0, self.tick_frames), dtype=np.float32)
            else:
                shapes = {s: np.shape(tracks[s]) for s in speakers}
                raise ValueError(f"every block must have {self.tick_frames} samples: {shapes}")
        mix_copy = None if mix is None else np.array(mix, dtype=np.float32)
        gap_pairs = tuple(gaps.items()) if gaps else ()
        item = _Tick(tick_index, speakers, blocks, mix_copy, gap_pairs)
        while wait and self.error is None:
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped_ticks += 1

    def add_marker(self, tick_index: int | None, label: str, by: str) -> None:
        """A chapter mark at `tick_index` (None: the latest tick handed over)."""
        self._controls.append(MarkerCommand(tick_index, label, by, self._now()))

    def set_participant(self, user_id: str, display_name: str) -> None:
        self._controls.append(ParticipantCommand(user_id, display_name))

    def set_consent_ledger(self, entries: Iterable[LedgerEntry]) -> None:
        """Replace the manifest's consent ledger (every answer, in order)."""
        self._controls.append(LedgerCommand.of(entries))

    def strike(self, user_id: str, seconds: float, *, by: str, span: str, at: float) -> None:
        """Strike the last `seconds` of `user_id`'s voice (up to the latest tick handed over, and
        STRIKE_AFTER_TICKS past it) from the take. The writer thread appends it to the ledger
        file (fsynced) at once, silences what it still holds in memory and every later block of
        the span, and silences what is already on disk when the take's files are finished
        (audio/recording_strike.py)."""
        self._controls.append(StrikeCommand(user_id, by, span, at, seconds, self._last_index))

    def stop(self) -> None:
        """Finish the files and the manifest on the writer thread; returns at once."""
        self._stopping.set()

    def wait_closed(self, timeout_s: float | None = None) -> bool:
        """Block until the writer thread is done (not for the event loop: use a thread)."""
        return self._closed.wait(timeout_s)

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def queued_ticks(self) -> int:
        return self._queue.qsize()

    # -- the writer thread ---------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._open()
            last_sync = last_manifest = last_flush = time.monotonic()
            while True:
                self._apply_controls()
                item: _Tick | None
                try:
                    item = self._queue.get(timeout=0.05)
                except queue.Empty:
                    item = None
                if item is not None:
                    self._take(item)
                clock = time.monotonic()
                if self._pending_ticks >= self.batch_ticks or (
                    self._pending_ticks and clock - last_flush >= 0.2
                ):
                    self._flush()
                    last_flush = clock
                if clock - last_sync >= self.fsync_interval_s:
                    self._sync()
                    last_sync = clock
                if clock - last_manifest >= self.manifest_interval_s:
                    self._save(state="recording")
                    last_manifest = clock
                if self._stopping.is_set() and self._queue.empty():
                    break
            self._apply_controls()
            self._finish()
        except _FolderTaken:
            self._fail(folder_taken(self.folder))
        except SinkWriteError as exc:
            self._fail(write_failure(exc, self.folder, self.ticks_written * self.tick_s))
        except Exception as exc:
            logger.exception("recording writer for %s failed", self.folder)
            self._fail(internal_failure(exc, self.folder, self.ticks_written * self.tick_s))
        finally:
            self._lock.release()
            self._closed.set()

    def _open(self) -> None:
        try:
            (self.folder / TRACKS_DIR).mkdir(parents=True, exist_ok=True)
            if not self._lock.acquire():
                raise _FolderTaken
            if (self.folder / MANIFEST_NAME).exists():  # never write over a recording
                self._lock.release()
                raise _FolderTaken
        except OSError as exc:
            raise SinkWriteError(self.folder, exc) from exc
        self._owns_folder = True
        self._save(state="recording")
        self._mix_sink = self._sink_factory(self.folder / MIX_NAME, self.sample_rate_hz)

    def _take(self, tick: _Tick) -> None:
        if self._origin is None:
            self._origin = tick.index if self._first_tick is None else self._first_tick
            self._manifest.origin_tick = self._origin
        relative = tick.index - self._origin
        if relative < self._next:
            return  # a tick we already have (the clock never goes back; a caller bug)
        if relative > self._next:
            self._write_silence(relative - self._next)  # the clock skipped: keep alignment
        self._last_tick_seen = tick.index
        rows = {user_id: row for row, user_id in enumerate(tick.speakers)}
        for user_id in tick.speakers:
            if user_id not in self._tracks:
                self._open_track(user_id, relative)
        struck = [
            row for user_id, row in rows.items() if relative < self._struck_until.get(user_id, -1)
        ]
        if struck:
            tick.blocks = tick.blocks.copy()
            tick.blocks[struck] = 0.0
        for user_id, origin in tick.gaps:
            gapped = self._tracks.get(user_id)
            if gapped is not None:
                gapped.concealed_ticks += origin.concealed
                gapped.fec_ticks += origin is BlockOrigin.FEC
                gapped.silent_gap_ticks += origin is BlockOrigin.SILENT_GAP
        for user_id, track in self._tracks.items():
            row = rows.get(user_id)
            if row is None:
                track.pending.append(self._silence)  # not sending, muted, or consent withdrawn
                continue
            block = tick.blocks[row]
            track.pending.append(block)
            if track.gate.update(block):
                track.talk_ticks += 1
        if tick.mix is not None:
            mix = tick.mix
        else:
            summed = tick.blocks.sum(axis=0, dtype=np.float64)
            mix = self._mix_limiter.process(summed[None, :])[0].astype(np.float32)
        self._mix_pending.append(mix)
        self._pending_ticks += 1
        self._next = relative + 1

    def _open_track(self, user_id: str, first_tick: int) -> None:
        name = self._manifest.participants.get(user_id, user_id)
        file = track_file_name(name, user_id)
        taken = {t.file for t in self._manifest.tracks}
        suffix = 2
        while file in taken:
            file = track_file_name(f"{name}-{suffix}", user_id)
            suffix += 1
        sink = self._sink_factory(self.folder / file, self.sample_rate_hz)
        entry = TrackEntry(file, user_id, name, first_tick)
        self._tracks[user_id] = _Track(entry, sink, VoiceGate(self.sample_rate_hz))
        self._manifest.tracks.append(entry)
        # Silence for every tick before this one: those already flushed and those pending.
        self._write_zeros(sink, first_tick * self.tick_frames)
        self._save(state="recording")

    def _write_zeros(self, sink: TrackSink, frames: int) -> None:
        while frames > 0:
            take = min(frames, _SILENCE_CHUNK_FRAMES)
            sink.write(np.zeros(take, dtype=np.int16))
            frames -= take

    def _write_silence(self, ticks: int) -> None:
        self._flush()
        for sink in self._sinks():
            self._write_zeros(sink, ticks * self.tick_frames)
        self._next += ticks
        self.ticks_written += ticks

    def _sinks(self) -> list[TrackSink]:
        sinks = [t.sink for t in self._tracks.values()]
        return [*sinks, self._mix_sink] if self._mix_sink is not None else sinks

    def _flush(self) -> None:
        if not self._pending_ticks:
            return
        for track in self._tracks.values():
            if track.pending:
                track.sink.write(to_pcm16(np.concatenate(track.pending)))
                track.pending.clear()
        if self._mix_sink is not None and self._mix_pending:
            self._mix_sink.write(to_pcm16(np.concatenate(self._mix_pending)))
            self._mix_pending.clear()
        self.ticks_written += self._pending_ticks
        self._pending_ticks = 0

    def _sync(self) -> None:
        for sink in self._sinks():
            sink.sync()

    def _apply_controls(self) -> None:
        changed = False
        while self._controls:
            command = self._controls.popleft()
            if isinstance(command, StrikeCommand):
                self._waiting_strikes.append(command)
            else:
                self._journal.apply(command)
            changed = True
        self._append_ledger()
        struck = self._apply_strikes(all_of_them=self._stopping.is_set() and self._queue.empty())
        placed = self._journal.place_markers(self._origin, self._last_tick_seen)
        if changed or placed or struck:
            self._save(state="recording")

    def _apply_strikes(self, all_of_them: bool) -> bool:
        """Strikes whose latest tick the writer has taken (every one, at the finish)."""
        seen = self._last_tick_seen
        ready = [
            c
            for c in self._waiting_strikes
            if all_of_them or c.last_index is None or (seen is not None and c.last_index <= seen)
        ]
        for command in ready:
            self._waiting_strikes.remove(command)
            self._strike(command)
        return bool(ready)

    def _strike(self, command: StrikeCommand) -> None:
        """Into the ledger file first (fsynced), then the manifest; what is still in memory is
        silenced now, later blocks of the span as they come, the files on disk at the finish."""
        if not self._owns_folder:
            return
        if self._origin is None or command.last_index is None:
            end = self._next
        else:
            end = max(0, command.last_index - self._origin + 1)
        want = int(np.ceil(command.seconds / self.tick_s - 1e-9))
        start = max(0, end - want)
        stop = end + STRIKE_AFTER_TICKS
        manifest = self._manifest
        entry = StrikeEntry(
            command.user_id,
            manifest.name_of(command.user_id),
            command.by,
            manifest.name_of(command.by),
            iso_utc(command.at),
            command.span,
            start,
            stop,
            round(start * self.tick_s, 3),
            round(stop * self.tick_s, 3),
            reaches_back_s=round(max(0, want - end) * self.tick_s, 3),
        )
        try:
            append_strike(self.folder, entry)
        except OSError as exc:
            raise SinkWriteError(self.folder / LEDGER_NAME, exc) from exc
        manifest.strikes.append(entry)
        self._struck_until[command.user_id] = max(stop, self._struck_until.get(command.user_id, -1))
        track = self._tracks.get(command.user_id)
        if track is not None:
            first_pending = self._next - len(track.pending)
            for index in range(len(track.pending)):
                if start <= first_pending + index < stop:
                    track.pending[index] = self._silence
        logger.info(
            "%s: %s's voice struck, ticks %d-%d", self.folder.name, entry.display_name, start, stop
        )

    def _append_ledger(self) -> None:
        """New answers go to the append-only ledger file (fsynced) before the manifest: a
        damaged manifest can then be rebuilt with its ledger (audio.recording_ledger)."""
        ledger = self._manifest.consent_ledger
        if len(ledger) <= self._ledger_written or not self._owns_folder:
            return
        for line in ledger[self._ledger_written :]:
            line.display_name = self._manifest.name_of(line.user_id)
        try:
            append_ledger(self.folder, ledger[self._ledger_written :])
        except OSError as exc:
            raise SinkWriteError(self.folder / LEDGER_NAME, exc) from exc
        self._ledger_written = len(ledger)

    def _save(self, state: RecordingState) -> None:
        manifest = self._manifest
        manifest.state = state
        manifest.ticks = self.ticks_written
        manifest.duration_s = round(self.ticks_written * self.tick_s, 3)
        # Both kinds are silence in every file: the take's dropped ticks are their sum.
        manifest.writer_dropped_ticks = self.dropped_ticks
        manifest.clock_skipped_ticks = self.clock_skipped_ticks
        manifest.dropped_ticks = self.dropped_ticks + self.clock_skipped_ticks
        for track in self._tracks.values():
            track.entry.talk_time_s = round(track.talk_ticks * self.tick_s, 2)
            track.entry.concealed_ticks = track.concealed_ticks
            track.entry.fec_ticks = track.fec_ticks
            track.entry.silent_gap_ticks = track.silent_gap_ticks
        for line in manifest.consent_ledger:
            line.display_name = manifest.name_of(line.user_id)
        try:
            save_manifest(self.folder, manifest)
        except OSError as exc:
            raise SinkWriteError(self.folder / MANIFEST_NAME, exc) from exc

    def _finish(self) -> None:
        self._flush()
        for sink in self._sinks():
            sink.close()
        self._manifest.stopped_at = iso_utc(self._now())
        if self._manifest.strikes:
            # The files are whole now: the struck spans on disk become silence, the mix is
            # rendered again. A crash before the save below leaves the state "recording", and
            # recovery applies the ledger's strikes again.
            self._save(state="recording")
            try:
                apply_strikes(self.folder, self._manifest, save=False, now=self._now())
                for track in self._tracks.values():  # measured again on what is left
                    track.talk_ticks = round(track.entry.talk_time_s / self.tick_s)
            except (OSError, RuntimeError) as exc:
                raise SinkWriteError(
                    self.folder, exc if isinstance(exc, OSError) else None
                ) from exc
        self._save(state="stopped")

    def _fail(self, failure: RecordingFailure) -> None:
        self.error = failure  # first: write_tick stops queueing at once
        logger.warning("%s", failure.message)
        for sink in self._sinks():
            abandon = getattr(sink, "abandon", None)
            with contextlib.suppress(Exception):
                (abandon or sink.close)()
        if self._owns_folder:
            self._manifest.error = failure.message
            self._manifest.stopped_at = iso_utc(self._now())
            with contextlib.suppress(Exception):
                self._save(state="failed")  # may fail too on a full disk: recovery copes
        while not self._queue.empty():  # free the memory of ticks that will not be written
            with contextlib.suppress(queue.Empty):
                self._queue.get_nowait()
        if self.on_error is not None:
            try:
                self.on_error(failure)
            except Exception:
                logger.exception("on_error callback failed")
