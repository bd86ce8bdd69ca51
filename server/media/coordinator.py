"""The relay's media workers, seen from the control process: start them, place rooms and
people on them, pass the room rules' decisions down and their reports up, replace the dead.

Placement (DESIGN §10): a room's mixer lives in one worker (its home: the worker hosting the
fewest mixers); whoever may send audio (the stage) connects to the home, because the mixer
reads their packets; a listener connects to the worker carrying the fewest peers, so the
fan-out of a large room spreads over every core. The home sends the encoded audience packet
once per tick to each other worker that carries listeners of the room.

A worker that dies is started again at once. Everyone whose connection it carried is told
(`on_media_lost`) so their page or bot offers again, and lands on a live worker; a room whose
mixer it carried gets a new home (its listeners elsewhere keep their connections and hear
the room again as soon as the new mixer ticks, on the same RTP timeline); a recording it was
writing is repaired and goes on in a new part.

Runs on: the relay's control loop. Nothing here touches audio; each call costs a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import re
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from server.media.ice import IceConfig
from server.media.values import LevelSample, ListenOverHls, MediaError, MediaStats, StageState
from server.media.worker_protocol import (
    AddMarker,
    Answered,
    CloseRoom,
    Connect,
    DescribeRecording,
    Disconnect,
    FrameReader,
    HlsProgress,
    HostRoom,
    Levels,
    PeerLost,
    ProtocolViolation,
    RecordingFailed,
    Refused,
    SetForward,
    SetStage,
    SpeakingChanged,
    StartRecording,
    StatsRequest,
    StopRecording,
    StrikeRecording,
    WorkerReady,
    WorkerStats,
    decode_message,
    encode_message,
)

logger = logging.getLogger(__name__)

READY_TIMEOUT_S = 30.0
ANSWER_TIMEOUT_S = 20.0
RESTART_BACKOFF_S = (0.0, 0.5, 1.0, 2.0, 5.0)
"""Delay before starting a replacement, by how many deaths in a row came within a minute."""


def default_worker_count() -> int:
    """One worker per core the relay may use (at least one)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores)


def worker_command(
    index: int, fd: int, runtime_dir: Path, ice: IceConfig, connect_timeout_s: float = 30.0
) -> list[str]:
    """A worker's command line, from this interpreter or from the frozen build."""
    args = ["--fd", str(fd), "--index", str(index), "--runtime-dir", str(runtime_dir)]
    args += ["--connect-timeout-s", str(connect_timeout_s)]
    for address in ice.announce_addresses:
        args += ["--announce-address", address]
    for url in ice.stun_urls:
        args += ["--stun", url]
    args += ["--log-level", logging.getLevelName(logging.getLogger().getEffectiveLevel())]
    if getattr(sys, "frozen", False):
        return [sys.executable, "media-worker", *args]
    return [sys.executable, "-m", "server.media.worker", *args]


LevelsHandler = Callable[[str, dict[str, LevelSample]], None]
SpeakingHandler = Callable[[str, str, bool], None]
FailureHandler = Callable[[str, str], None]
MediaLostHandler = Callable[[str, list[str]], None]


@dataclass
class _Worker:
    index: int
    process: asyncio.subprocess.Process | None = None
    writer: asyncio.StreamWriter | None = None
    ready: asyncio.Future[int] | None = None
    alive: bool = False
    pid: int = 0
    peers: int = 0
    hosted: set[str] = field(default_factory=set)
    reader_task: asyncio.Task[None] | None = None


class MediaWorkers:
    """The pool of media worker processes. Runs on: the relay's control loop."""

    def __init__(
        self,
        count: int,
        ice: IceConfig,
        *,
        on_levels: LevelsHandler,
        on_speaking: SpeakingHandler,
        on_recording_failed: FailureHandler,
        on_media_lost: MediaLostHandler,
        on_mixer_restart: Callable[[str], None] = lambda room_id: None,
        connect_timeout_s: float = 30.0,
        command: Callable[..., Sequence[str]] = worker_command,
        hls_root: Path | None = None,
        on_hls: Callable[[HlsProgress], None] = lambda progress: None,
        on_room_closed: Callable[[str], None] = lambda room_id: None,
        webrtc_seats: int | None = None,
        hls_for: Callable[[str], bool] = lambda room_id: True,
        broadcast_of: Callable[[str], bool] = lambda room_id: False,
    ) -> None:
        if count < 1:
            raise ValueError("the relay needs at least one media worker")
        self.ice = ice
        self.on_levels = on_levels
        self.on_speaking = on_speaking
        self.on_recording_failed = on_recording_failed
        self.on_media_lost = on_media_lost
        self.on_mixer_restart = on_mixer_restart
        self.hls_root = hls_root
        """Each room's LL-HLS stream goes to hls_root/<room_id>/ (None: no HLS)."""
        self.on_hls = on_hls
        self.on_room_closed = on_room_closed
        self.hls_for = hls_for
        """Whether a room may be streamed over HLS at all (a ticketed room may not: anyone
        with its link could listen without a ticket)."""
        self.webrtc_seats = webrtc_seats
        """WebRTC listeners per room, when HLS carries the rest (None: no limit)."""
        self.broadcast_of = broadcast_of
        """Whether the room is in broadcast mode (the room rules' `Room.broadcast`): new
        listeners hear HLS."""
        self._command = command
        self.connect_timeout_s = connect_timeout_s
        self.workers = [_Worker(i) for i in range(count)]
        self.rooms: dict[str, RoomMediaProxy] = {}
        self.restarts = 0
        self._runtime = Path(tempfile.mkdtemp(prefix="roomcast-media-"))
        self._calls: dict[int, tuple[int, asyncio.Future[Any]]] = {}
        self._call_ids = itertools.count(1)
        self._deaths: dict[int, list[float]] = {}
        self._closing = False
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- the processes -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker (without waiting for them: an offer waits if it must)."""
        for worker in self.workers:
            await self._spawn(worker)

    async def wait_ready(self) -> None:
        """Until every worker answered (or raises MediaError)."""
        for worker in self.workers:
            await self._wait_ready(worker)

    async def _spawn(self, worker: _Worker) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        loop = asyncio.get_running_loop()
        worker.ready = loop.create_future()
        try:
            worker.process = await asyncio.create_subprocess_exec(
                *self._command(
                    worker.index,
                    theirs.fileno(),
                    self._runtime,
                    self.ice,
                    self.connect_timeout_s,
                ),
                pass_fds=(theirs.fileno(),),
                stdin=asyncio.subprocess.DEVNULL,
            )
        except OSError as exc:
            ours.close()
            worker.ready.set_exception(MediaError(f"cannot start a media worker: {exc}"))
            return
        finally:
            theirs.close()
        reader, worker.writer = await asyncio.open_unix_connection(sock=ours)
        worker.reader_task = loop.create_task(
            self._read(worker, reader), name=f"media-worker-{worker.index}"
        )

    async def _wait_ready(self, worker: _Worker) -> None:
        assert worker.ready is not None
        try:
            await asyncio.wait_for(asyncio.shield(worker.ready), READY_TIMEOUT_S)
        except TimeoutError:
            raise MediaError(f"media worker {worker.index} did not start in time") from None

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        frames = FrameReader()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for body in frames.feed(data):
                    self._dispatch(worker, decode_message(body))
        except ProtocolViolation as error:
            logger.error("media worker %d sent garbage (%s); replacing it", worker.index, error)
        except (ConnectionError, OSError):
            pass
        finally:
            await self._died(worker)

    def _dispatch(self, worker: _Worker, message: object) -> None:
        match message:
            case Levels(room_id=room_id, levels=levels):
                self.on_levels(room_id, levels)
            case SpeakingChanged(room_id=room_id, user_id=user_id, speaking=speaking):
                self.on_speaking(room_id, user_id, speaking)
            case (
                Answered(call_id=call_id) | Refused(call_id=call_id) | WorkerStats(call_id=call_id)
            ):
                pending = self._calls.pop(call_id, None)
                if pending is not None and not pending[1].done():
                    pending[1].set_result(message)
            case RecordingFailed(room_id=room_id, message=text):
                proxy = self.rooms.get(room_id)
                if proxy is not None:
                    proxy.recording = None
                self.on_recording_failed(room_id, text)
            case HlsProgress():
                self.on_hls(message)
            case PeerLost(room_id=room_id, user_id=user_id):
                logger.info("room %s: %s's connection failed in worker %d", room_id, user_id,
                            worker.index)  # fmt: skip
            case WorkerReady(pid=pid):
                worker.pid = pid
                worker.alive = True
                if worker.ready is not None and not worker.ready.done():
                    worker.ready.set_result(pid)
                logger.info("media worker %d ready (pid %d)", worker.index, pid)
                for proxy in list(self.rooms.values()):
                    proxy.worker_ready(worker.index)
            case _:
                logger.error("media worker %d: unexpected %s", worker.index, type(message))

    async def _died(self, worker: _Worker) -> None:
        was_alive = worker.alive
        worker.alive = False
        worker.peers = 0
        hosted, worker.hosted = worker.hosted, set()
        if worker.writer is not None:
            worker.writer.close()
            worker.writer = None
        if worker.process is not None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.kill()
            returncode = await worker.process.wait()
        else:
            returncode = None
        for call_id, (index, future) in list(self._calls.items()):
            if index == worker.index:
                del self._calls[call_id]
                if not future.done():
                    future.set_exception(MediaError("The audio server restarted: offer again."))
        if worker.ready is not None and not worker.ready.done():
            worker.ready.set_exception(MediaError(f"media worker {worker.index} exited"))
        if self._closing:
            return
        logger.error(
            "media worker %d (pid %d) exited (%s); starting a new one",
            worker.index,
            worker.pid,
            returncode,
        )
        self.restarts += 1
        for proxy in list(self.rooms.values()):
            proxy.worker_died(worker.index, proxy.room_id in hosted or proxy.home == worker.index)
        if was_alive or returncode is not None:
            self._spawn_task(self._restart(worker))

    async def _restart(self, worker: _Worker) -> None:
        now = time.monotonic()
        recent = [t for t in self._deaths.get(worker.index, []) if now - t < 60.0] + [now]
        self._deaths[worker.index] = recent
        delay = RESTART_BACKOFF_S[min(len(recent) - 1, len(RESTART_BACKOFF_S) - 1)]
        if delay:
            await asyncio.sleep(delay)
        if not self._closing:
            await self._spawn(worker)

    async def close(self) -> None:
        self._closing = True
        for proxy in list(self.rooms.values()):
            proxy.closed = True
        for worker in self.workers:
            if worker.writer is not None:
                worker.writer.close()  # the worker finishes its recordings and exits
        for worker in self.workers:
            if worker.process is None:
                continue
            try:
                await asyncio.wait_for(worker.process.wait(), 15.0)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    worker.process.kill()
                await worker.process.wait()
        for worker in self.workers:
            if worker.reader_task is not None:
                worker.reader_task.cancel()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(OSError):
            for path in self._runtime.iterdir():
                path.unlink()
            self._runtime.rmdir()

    def _spawn_task(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- messages ------------------------------------------------------------------------------

    def send(self, index: int, message: object) -> bool:
        worker = self.workers[index]
        if not worker.alive or worker.writer is None or worker.writer.is_closing():
            return False
        worker.writer.write(encode_message(message))
        return True

    async def call(self, index: int, make: Callable[[int], object], timeout_s: float) -> Any:
        call_id = next(self._call_ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[call_id] = (index, future)
        if not self.send(index, make(call_id)):
            self._calls.pop(call_id, None)
            raise MediaError("The audio server is restarting: try again in a moment.")
        try:
            return await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise MediaError("The audio server did not answer in time.") from None
        finally:
            self._calls.pop(call_id, None)

    async def wait_alive(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        """Until at least one worker is up (after the only one died, say)."""
        deadline = time.monotonic() + timeout_s
        while not any(w.alive for w in self.workers):
            pending = [w.ready for w in self.workers if w.ready is not None and not w.ready.done()]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MediaError("The audio server is not running.")
            if pending:
                await asyncio.wait(pending, timeout=remaining)
            else:
                await asyncio.sleep(min(0.05, remaining))

    def pick_home(self) -> int | None:
        alive = [w for w in self.workers if w.alive]
        if not alive:
            return None
        return min(alive, key=lambda w: (len(w.hosted), w.peers, w.index)).index

    def pick_for_listener(self, home: int | None) -> int | None:
        alive = [w for w in self.workers if w.alive]
        if not alive:
            return None
        return min(alive, key=lambda w: (w.peers, w.index != home, w.index)).index

    # -- rooms ---------------------------------------------------------------------------------

    def port(self, room_id: str) -> RoomMediaProxy:
        proxy = self.rooms.get(room_id)
        if proxy is None or proxy.closed:
            proxy = self.rooms[room_id] = RoomMediaProxy(self, room_id)
        return proxy

    def forget(self, proxy: RoomMediaProxy) -> None:
        if self.rooms.get(proxy.room_id) is proxy:
            del self.rooms[proxy.room_id]

    async def stats(
        self, timeout_s: float = 5.0, *, restart_windows: bool = False
    ) -> list[WorkerStats]:
        """Every live worker's counters (for tests, benchmarks and health); with
        `restart_windows`, the percentile windows (tick lag, latency) start afresh after it."""

        def request(call_id: int) -> StatsRequest:
            return StatsRequest(call_id, restart_windows)

        replies = await asyncio.gather(
            *(self.call(w.index, request, timeout_s) for w in self.workers if w.alive),
            return_exceptions=True,
        )
        return [r for r in replies if isinstance(r, WorkerStats)]

    async def room_stats(
        self, room_id: str, *, restart_windows: bool = False
    ) -> dict[int, MediaStats]:
        """This room's counters in each worker that carries it, by worker index."""
        replies = await self.stats(restart_windows=restart_windows)
        return {s.index: s.rooms[room_id] for s in replies if room_id in s.rooms}

    def joined_on_hls(self, room_id: str) -> int:
        """Joined listeners of the room this relay sent to HLS (they heartbeat like any HLS
        client, so the HLS estimate counts them already)."""
        proxy = self.rooms.get(room_id)
        return len(proxy.on_hls) if proxy is not None else 0

    def listener_refusal(self, proxy: RoomMediaProxy, user_id: str) -> str | None:
        """Why this listener should hear the room over HLS rather than WebRTC (None: WebRTC).
        Only with HLS on: without it, a refused listener would hear nothing."""
        if self.hls_root is None or user_id in proxy.placements:
            return None
        if not self.hls_for(proxy.room_id):
            return None  # no HLS for this room: everyone gets WebRTC
        if self.broadcast_of(proxy.room_id):
            return "The host streams this room as a broadcast: listening over HLS."
        seats = self.webrtc_seats
        if seats is not None and proxy.webrtc_listeners() >= seats:
            return f"The room's {seats} WebRTC seats are taken: listening over HLS."
        return None

    def pids(self) -> dict[int, int]:
        return {w.index: w.pid for w in self.workers if w.alive}


@dataclass
class _Recording:
    folder: Path
    room_title: str
    consent_mode: str = "per_speaker"
    participants: dict[str, str] = field(default_factory=dict)
    ledger: tuple[Any, ...] = ()
    part: int = 1
    waiting_strikes: list[tuple[StrikeRecording, float]] = field(default_factory=list)
    """Strikes that came while no worker was up to write the take (perf_counter when queued)."""


class RoomMediaProxy:
    """One room's media as the hub sees it (`RoomMediaPort`), spread over the workers.

    Runs on: the relay's control loop."""

    def __init__(self, pool: MediaWorkers, room_id: str) -> None:
        self.pool = pool
        self.room_id = room_id
        self.home: int | None = None
        self.placements: dict[str, int] = {}
        self.on_hls: set[str] = set()  # listeners sent to HLS, until they leave or get WebRTC
        self.stage: dict[str, StageState] = {}
        self.recording: _Recording | None = None
        self.started = False
        self.closed = False
        self._forward: tuple[int, ...] = ()
        self._latest_offer: dict[str, int] = {}
        self._offers = itertools.count(1)
        # The room's tick numbering, shared by every mixer it will ever have (CLOCK_MONOTONIC).
        self.tick_origin_s = time.perf_counter()

    # -- RoomMediaPort -------------------------------------------------------------------------

    async def start(self) -> None:
        self.started = True
        if self.home is None:
            self._rehome()

    async def connect(self, user_id: str, offer_sdp: str, *, send_allowed: bool) -> str:
        if self.closed:
            raise MediaError("This room's audio has ended.")
        if not send_allowed:
            refusal = self.pool.listener_refusal(self, user_id)
            if refusal is not None:
                self.on_hls.add(user_id)
                raise ListenOverHls(refusal)
        token = next(self._offers)
        self._latest_offer[user_id] = token
        if self.home is None:
            await self.pool.wait_alive()
            if self.home is None:  # a worker that came up meanwhile may have taken the room
                self._rehome()
        target = self.home if send_allowed else self.pool.pick_for_listener(self.home)
        if target is None:
            raise MediaError("The audio server is restarting: try again in a moment.")
        reply = await self.pool.call(
            target,
            lambda call_id: Connect(call_id, self.room_id, user_id, offer_sdp, send_allowed),
            ANSWER_TIMEOUT_S,
        )
        if isinstance(reply, Refused):
            raise MediaError(reply.message)
        assert isinstance(reply, Answered)
        if self.closed or self._latest_offer.get(user_id) != token:
            # A newer offer (or a disconnect) overtook this one while it was answered.
            if self.placements.get(user_id) != target:
                self.pool.send(target, Disconnect(self.room_id, user_id))
            raise MediaError("This offer was overtaken by a newer one, or the user left.")
        del self._latest_offer[user_id]
        self.on_hls.discard(user_id)
        old = self.placements.get(user_id)
        self.placements[user_id] = target
        self.pool.workers[target].peers += 1
        if old is not None:
            self.pool.workers[old].peers = max(0, self.pool.workers[old].peers - 1)
            if old != target:
                self.pool.send(old, Disconnect(self.room_id, user_id))
        self._refresh_forward()
        return reply.sdp

    def webrtc_listeners(self) -> int:
        return sum(1 for user_id in self.placements if user_id not in self.stage)

    def set_stage(self, stage: Mapping[str, StageState]) -> None:
        # Stamped now, as the hub applies the rules' decision: the worker writes a speaker's
        # audio by when it was captured, against this instant (CLOCK_MONOTONIC, machine-wide).
        self.stage = dict(stage)
        if self.home is not None:
            self.pool.send(self.home, SetStage(self.room_id, self.stage, time.perf_counter()))

    async def disconnect(self, user_id: str) -> None:
        self._latest_offer.pop(user_id, None)
        self.on_hls.discard(user_id)
        index = self.placements.pop(user_id, None)
        if index is not None:
            worker = self.pool.workers[index]
            worker.peers = max(0, worker.peers - 1)
            self.pool.send(index, Disconnect(self.room_id, user_id))
            self._refresh_forward()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for index in {*self.placements.values(), *([self.home] if self.home is not None else [])}:
            self.pool.send(index, CloseRoom(self.room_id))
        for index in self.placements.values():
            worker = self.pool.workers[index]
            worker.peers = max(0, worker.peers - 1)
        if self.home is not None:
            self.pool.workers[self.home].hosted.discard(self.room_id)
        self.placements.clear()
        self.recording = None
        self.pool.forget(self)
        self.pool.on_room_closed(self.room_id)

    # -- recording (server/recorder.py) --------------------------------------------------------

    def start_recording(
        self, folder: Path, room_title: str, consent_mode: str = "per_speaker"
    ) -> None:
        self.recording = _Recording(folder, room_title, consent_mode)
        if self.home is None:
            self._rehome()  # a recording needs its mixer, even before anyone connects
        if self.home is not None:
            self.pool.send(
                self.home, StartRecording(self.room_id, str(folder), room_title, consent_mode)
            )

    def describe_recording(self, participants: Mapping[str, str], ledger: Sequence[Any]) -> None:
        if self.recording is None:
            return
        self.recording.participants.update(participants)
        self.recording.ledger = tuple(ledger)
        if self.home is not None:
            message = DescribeRecording(
                self.room_id, dict(self.recording.participants), self.recording.ledger
            )
            self.pool.send(self.home, message)

    def add_marker(self, label: str, actor: str) -> None:
        if self.recording is not None and self.home is not None:
            self.pool.send(self.home, AddMarker(self.room_id, label, actor))

    def strike(self, user_id: str, seconds: float, by: str, span: str, at: float) -> None:
        if self.recording is None:
            return
        message = StrikeRecording(self.room_id, user_id, seconds, by, span, at)
        if self.home is None:  # the next home's writer gets it, reaching back as much further
            self.recording.waiting_strikes.append((message, time.perf_counter()))
            return
        self.pool.send(self.home, message)

    def stop_recording(self) -> None:
        self.recording = None
        if self.home is not None:
            self.pool.send(self.home, StopRecording(self.room_id))

    # -- placement -----------------------------------------------------------------------------

    def _rehome(self) -> None:
        if self.closed or self.home is not None:
            return
        home = self.pool.pick_home()
        if home is None:
            return  # no worker is up: `worker_ready` brings the room back
        self.home = home
        self.pool.workers[home].hosted.add(self.room_id)
        root = self.pool.hls_root
        streams = root is not None and self.pool.hls_for(self.room_id)
        hls_folder = str(root / self.room_id) if root is not None and streams else None
        self.pool.send(home, HostRoom(self.room_id, self.tick_origin_s, hls_folder))
        self.pool.send(home, SetStage(self.room_id, self.stage))
        self._forward = ()
        self._refresh_forward()
        recording = self.recording
        if recording is not None:
            self.pool.send(
                home,
                StartRecording(
                    self.room_id,
                    str(recording.folder),
                    recording.room_title,
                    recording.consent_mode,
                ),
            )
            if recording.participants or recording.ledger:
                self.pool.send(
                    home,
                    DescribeRecording(self.room_id, dict(recording.participants), recording.ledger),
                )
            waiting, recording.waiting_strikes = recording.waiting_strikes, []
            for message, queued in waiting:
                late = time.perf_counter() - queued
                self.pool.send(home, replace(message, seconds=message.seconds + late))

    def _refresh_forward(self) -> None:
        if self.home is None:
            return
        targets = tuple(sorted({i for i in self.placements.values() if i != self.home}))
        if targets != self._forward:
            self._forward = targets
            self.pool.send(self.home, SetForward(self.room_id, targets))

    def worker_died(self, index: int, was_home: bool) -> None:
        """Everyone this worker carried offers again; the room gets a new mixer if it was here."""
        lost = [user for user, placed in self.placements.items() if placed == index]
        for user in lost:
            del self.placements[user]
        if was_home and self.home == index:
            self.home = None
            self.pool.on_mixer_restart(self.room_id)
            recording = self.recording
            if recording is not None:
                self._continue_recording(recording)
            if self.started:
                self._rehome()
        else:
            self._refresh_forward()
        if lost:
            self.pool.on_media_lost(self.room_id, lost)

    def worker_ready(self, index: int) -> None:
        if self.home is None and self.started and not self.closed:
            self._rehome()

    def _continue_recording(self, recording: _Recording) -> None:
        """The take's writer died with its worker: repair what it wrote, go on in a new part."""
        from audio.recording_recovery import recover  # loads only when a worker died mid-take

        broken = recording.folder
        recording.part += 1
        base = re.sub(r"-part\d+$", "", broken.name)
        recording.folder = broken.with_name(f"{base}-part{recording.part}")

        def repair() -> None:
            try:
                report = recover(broken)
                logger.warning("recording %s repaired after its worker died: %s", broken,
                               report.message)  # fmt: skip
            except Exception:
                logger.exception("could not repair %s", broken)

        self.pool._spawn_task(asyncio.get_running_loop().run_in_executor(None, repair))
