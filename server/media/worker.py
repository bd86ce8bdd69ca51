"""A media worker: one process of the relay's media plane (DESIGN §10).

It carries peer connections (ICE, DTLS, SRTP), speakers' ingress, the 20 ms mixer clocks of
the rooms it hosts, their recorders, and the fan-out to its own listeners. It never decides
anything about a room: the control process tells it who is on stage, muted or recordable,
over its control socket (`worker_protocol`), and hears back answers, levels and speaking.

A room's mixer runs in exactly one worker (its home); its listeners may sit in any worker.
Each tick the home sends the encoded audience packet once to every other worker carrying
listeners of the room, over a stream socket in the relay's runtime folder (`w<index>.sock`);
the receiving worker sends it on to its listeners at once. Speakers always sit at the home,
so their mix-minus never leaves it.

Started as `python -m server.media.worker --fd N --index I --runtime-dir D` (or
`roomcast media-worker …` from the frozen build) by `server/media/coordinator.py`. It exits
when its control socket closes (the relay stopped or died), finishing any recording first.

Runs on: its own asyncio loop, in its own process; recordings write on their own threads.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from server.media.capture_gate import ConsentStep
from server.media.hls_stream import HlsStream
from server.media.ice import IceConfig
from server.media.room_media import RoomMedia
from server.media.values import LevelSample, MediaError
from server.media.worker_args import worker_arguments
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
    decode_audience,
    decode_message,
    encode_audience,
    encode_message,
)

logger = logging.getLogger(__name__)

LINK_BUFFER_LIMIT_BYTES = 64 * 1024
"""Past this much unsent to another worker, its audience packets are dropped (and counted):
a stalled worker must never make this one wait or grow."""
CONTROL_BUFFER_LIMIT_BYTES = 4 * 1024 * 1024
"""Past this much unsent to the control process, levels are skipped (they are superseded
25 times a second anyway); answers and failures always go."""
RECONNECT_AFTER_S = 0.25


def consent_steps(ledger: Sequence[Any]) -> list[ConsentStep]:
    """The ledger as the capture gate reads it: each answer at the instant it was accepted.

    A line without that instant (a plain ConsentEntry) is placed by its wall-clock time,
    read against this process's clocks now."""
    wall_now, perf_now = time.time(), time.perf_counter()
    steps = []
    for line in ledger:
        at_s = getattr(line, "at_s", None)
        if at_s is None:
            at_s = perf_now - max(0.0, wall_now - float(line.at))
        answer = str(getattr(line.consent, "value", line.consent))
        steps.append(ConsentStep(str(line.user_id), float(at_s), answer == "granted"))
    return steps


def socket_path(runtime_dir: Path | str, index: int) -> Path:
    return Path(runtime_dir) / f"w{index}.sock"


class _AudienceIn(asyncio.Protocol):
    """Audience packets from another worker's mixer. Runs on: this worker's loop."""

    def __init__(self, worker: MediaWorker) -> None:
        self._worker = worker
        self._frames = FrameReader(max_bytes=64 * 1024)
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            bodies = self._frames.feed(data)
        except ProtocolViolation as error:
            logger.error("audience link closed: %s", error)
            if self._transport is not None:
                self._transport.close()
            return
        for body in bodies:
            self._worker.audience_in(body)


class _AudienceOut(asyncio.Protocol):
    """This worker's link to another worker, for audience packets."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


class _Link:
    """The way to one other worker: opened on first use, reopened after that worker restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.protocol: _AudienceOut | None = None
        self.opening = False
        self.next_try_s = 0.0


class MediaWorker:
    """Runs on: the worker's event loop."""

    def __init__(
        self, index: int, runtime_dir: Path, ice: IceConfig, connect_timeout_s: float = 30.0
    ) -> None:
        self.index = index
        self.connect_timeout_s = connect_timeout_s
        self.runtime_dir = runtime_dir
        self.ice = ice
        self.rooms: dict[str, RoomMedia] = {}
        self.hosted: set[str] = set()
        self.forward: dict[str, tuple[int, ...]] = {}
        self.writers: dict[str, Any] = {}
        self.hls: dict[str, HlsStream] = {}
        self._finishing: list[Any] = []
        self._links: dict[int, _Link] = {}
        self._control: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._room_keys: dict[str, bytes] = {}
        self.audience_frames_in = 0
        self.audience_frames_out = 0
        self.audience_frames_dropped = 0

    # -- the control socket --------------------------------------------------------------------

    async def serve(self, control: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        path = socket_path(self.runtime_dir, self.index)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # left by the worker this one replaces
        server = await loop.create_unix_server(lambda: _AudienceIn(self), str(path))
        reader, writer = await asyncio.open_unix_connection(sock=control)
        self._control = writer
        self._send(WorkerReady(self.index, os.getpid()))
        frames = FrameReader()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    return  # the relay closed us, or died: finish and go
                for body in frames.feed(data):
                    self._handle(decode_message(body))
        finally:
            server.close()
            await self.shutdown()

    def _send(self, message: object, *, skippable: bool = False) -> None:
        control = self._control
        if control is None or control.is_closing():
            return
        if skippable and control.transport.get_write_buffer_size() > CONTROL_BUFFER_LIMIT_BYTES:
            return
        control.write(encode_message(message))

    def _handle(self, message: object) -> None:
        match message:
            case HostRoom(room_id=room_id, tick_origin_s=origin, hls_folder=hls_folder):
                self._host(room_id, origin)
                if hls_folder is not None:
                    self._start_hls(room_id, Path(hls_folder))
            case Connect():
                self._spawn(self._connect(message))
            case Disconnect(room_id=room_id, user_id=user_id):
                self._spawn(self._disconnect(room_id, user_id))
            case SetStage(room_id=room_id, stage=stage, at_s=at_s):
                media = self.rooms.get(room_id)
                if media is not None:
                    media.set_stage(stage, at_s)
            case SetForward(room_id=room_id, workers=workers):
                self._set_forward(room_id, workers)
            case CloseRoom(room_id=room_id):
                self._spawn(self._close_room(room_id))
            case StartRecording():
                self._start_recording(message)
            case DescribeRecording(room_id=room_id, participants=names, ledger=ledger):
                writer = self.writers.get(room_id)
                if writer is not None:
                    for user_id, name in names.items():
                        writer.set_participant(user_id, name)
                    writer.set_consent_ledger(ledger)
                    media = self.rooms.get(room_id)
                    if media is not None:
                        media.set_consent(consent_steps(ledger))
            case AddMarker(room_id=room_id, label=label, actor=actor):
                writer = self.writers.get(room_id)
                if writer is not None:
                    writer.add_marker(None, label, actor)
            case StrikeRecording(room_id=room_id, user_id=user_id, seconds=seconds):
                writer = self.writers.get(room_id)
                if writer is not None:
                    writer.strike(user_id, seconds, by=message.by, span=message.span, at=message.at)
            case StopRecording(room_id=room_id):
                self._stop_recording(room_id)
            case StatsRequest(call_id=call_id, restart_windows=restart):
                self._send(self._stats(call_id))
                if restart:
                    for media in self.rooms.values():
                        media.restart_windows()
            case _:
                logger.error("worker %d: unexpected %s", self.index, type(message).__name__)

    # -- rooms and peers -----------------------------------------------------------------------

    def _room(self, room_id: str) -> RoomMedia:
        media = self.rooms.get(room_id)
        if media is None:

            def on_levels(levels: dict[str, LevelSample]) -> None:
                self._send(Levels(room_id, levels), skippable=True)

            def on_speaking(user_id: str, speaking: bool) -> None:
                self._send(SpeakingChanged(room_id, user_id, speaking))

            def on_audience(
                tick: int, payload: bytes, level: int, voice: bool, silent: bool
            ) -> None:
                self._forward_audience(room_id, tick, payload, level, voice, silent)

            def on_peer_lost(user_id: str) -> None:
                self._send(PeerLost(room_id, user_id))

            media = RoomMedia(
                room_id,
                self.ice,
                on_levels,
                on_speaking,
                on_audience=on_audience,
                on_peer_lost=on_peer_lost,
                connect_timeout_s=self.connect_timeout_s,
            )
            self.rooms[room_id] = media
        return media

    def _host(self, room_id: str, tick_origin_s: float) -> None:
        media = self._room(room_id)
        media.host_from(tick_origin_s)
        self.hosted.add(room_id)
        self._spawn(media.start())
        logger.info("worker %d: hosting room %s's mixer", self.index, room_id)

    async def _connect(self, message: Connect) -> None:
        media = self._room(message.room_id)
        try:
            sdp = await media.connect(
                message.user_id, message.offer_sdp, send_allowed=message.send_allowed
            )
        except MediaError as error:
            self._send(Refused(message.call_id, str(error)))
            await self._forget_if_empty(message.room_id)
            return
        except Exception as exc:  # one bad offer must never take the worker down
            logger.exception("worker %d: offer from %s failed", self.index, message.user_id)
            self._send(Refused(message.call_id, f"The relay could not answer ({exc})."))
            await self._forget_if_empty(message.room_id)
            return
        self._send(Answered(message.call_id, sdp))

    async def _disconnect(self, room_id: str, user_id: str) -> None:
        media = self.rooms.get(room_id)
        if media is not None:
            await media.disconnect(user_id)
            await self._forget_if_empty(room_id)

    async def _forget_if_empty(self, room_id: str) -> None:
        """A room this worker only carried listeners for, now without any: let it go."""
        media = self.rooms.get(room_id)
        if media is not None and room_id not in self.hosted and not media.peer_count:
            del self.rooms[room_id]
            await media.close()

    async def _close_room(self, room_id: str) -> None:
        self._stop_recording(room_id)
        stream = self.hls.pop(room_id, None)
        if stream is not None:
            stream.end()  # the writer thread adds EXT-X-ENDLIST and reports it
            await asyncio.get_running_loop().run_in_executor(None, stream.close)
        self.hosted.discard(room_id)
        self.forward.pop(room_id, None)
        self._room_keys.pop(room_id, None)
        media = self.rooms.pop(room_id, None)
        if media is not None:
            await media.close()

    # -- the audience between workers ----------------------------------------------------------

    def _set_forward(self, room_id: str, workers: tuple[int, ...]) -> None:
        targets = tuple(w for w in workers if w != self.index)
        if targets:
            self.forward[room_id] = targets
        else:
            self.forward.pop(room_id, None)
        media = self.rooms.get(room_id)
        if media is not None:
            media.set_forwarding(bool(targets))

    def _forward_audience(
        self, room_id: str, tick: int, payload: bytes, level: int, voice: bool, silent: bool
    ) -> None:
        """Runs on: the room's clock task. One frame per other worker, never per listener."""
        targets = self.forward.get(room_id)
        if not targets:
            return
        key = self._room_keys.get(room_id)
        if key is None:
            key = self._room_keys[room_id] = room_id.encode("utf-8")
        frame = encode_audience(key, tick, level, voice, time.perf_counter(), payload, silent)
        for index in targets:
            transport = self._link_transport(index)
            if transport is None or transport.get_write_buffer_size() > LINK_BUFFER_LIMIT_BYTES:
                self.audience_frames_dropped += 1
                continue
            transport.write(frame)
            self.audience_frames_out += 1

    def _link_transport(self, index: int) -> asyncio.Transport | None:
        link = self._links.get(index)
        if link is None:
            link = self._links[index] = _Link(socket_path(self.runtime_dir, index))
        if link.protocol is not None and link.protocol.transport is not None:
            return link.protocol.transport
        loop = asyncio.get_running_loop()
        if not link.opening and loop.time() >= link.next_try_s:
            link.opening = True
            self._spawn(self._open_link(link))
        return None

    async def _open_link(self, link: _Link) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, protocol = await loop.create_unix_connection(_AudienceOut, str(link.path))
            link.protocol = protocol
        except OSError:
            link.protocol = None
            link.next_try_s = loop.time() + RECONNECT_AFTER_S  # that worker is (re)starting
        finally:
            link.opening = False

    def audience_in(self, body: bytes) -> None:
        """Runs on: this worker's loop, as soon as another worker's packet arrives."""
        try:
            frame = decode_audience(body)
        except ProtocolViolation:
            return
        self.audience_frames_in += 1
        media = self.rooms.get(frame.room_id)
        if media is not None and frame.room_id not in self.hosted:
            media.feed(
                frame.tick, frame.payload, frame.level, frame.voice, frame.mixed_at_s, frame.silent
            )

    # -- HLS -------------------------------------------------------------------------------------

    def _start_hls(self, room_id: str, folder: Path) -> None:
        if room_id in self.hls:
            return
        loop = asyncio.get_running_loop()

        def published(msn: int, part: int, complete_msn: int, ended: bool) -> None:
            # Runs on: the stream's writer thread, after the files are in place.
            progress = HlsProgress(room_id, msn, part, complete_msn, ended)
            with contextlib.suppress(RuntimeError):  # the loop closed: the worker is exiting
                loop.call_soon_threadsafe(self._send, progress)

        stream = HlsStream(folder, published)
        self.hls[room_id] = stream
        self._room(room_id).hls_to(stream)
        logger.info("worker %d: room %s streams HLS to %s", self.index, room_id, folder)

    # -- recordings ----------------------------------------------------------------------------

    def _start_recording(self, message: StartRecording) -> None:
        from audio.recording import RecordingWriter
        from audio.recording_failure import RecordingFailure

        room_id = message.room_id
        if room_id in self.writers:
            return
        loop = asyncio.get_running_loop()

        def failed(failure: RecordingFailure) -> None:  # Runs on: the writer thread
            loop.call_soon_threadsafe(self._recording_failed, room_id, failure.message)

        folder = Path(message.folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        writer = RecordingWriter(
            folder,
            room_id=room_id,
            room_title=message.room_title,
            consent_mode=message.consent_mode,
            on_error=failed,
        )
        self.writers[room_id] = writer
        self._room(room_id).record_to(writer)
        logger.info("worker %d: room %s recording to %s", self.index, room_id, folder)

    def _stop_recording(self, room_id: str) -> None:
        writer = self.writers.pop(room_id, None)
        media = self.rooms.get(room_id)
        if media is not None:
            media.record_to(None)
        if writer is not None:
            writer.stop()
            # Its thread finishes the files; the worker does not exit before it is done.
            self._finishing = [w for w in self._finishing if not w.closed] + [writer]

    def _recording_failed(self, room_id: str, message: str) -> None:
        self.writers.pop(room_id, None)
        media = self.rooms.get(room_id)
        if media is not None:
            media.record_to(None)
        self._send(RecordingFailed(room_id, message))

    # -- counters and shutdown -----------------------------------------------------------------

    def _stats(self, call_id: int) -> WorkerStats:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return WorkerStats(
            call_id,
            self.index,
            {room_id: media.stats() for room_id, media in self.rooms.items()},
            self.audience_frames_in,
            self.audience_frames_out,
            self.audience_frames_dropped,
            usage.ru_utime + usage.ru_stime,
        )

    async def shutdown(self) -> None:
        for room_id in list(self.writers):
            self._stop_recording(room_id)
        streams = list(self.hls.values())
        self.hls.clear()
        for stream in streams:  # the relay stops: no ENDLIST, its next start clears the folder
            stream.close()
        writers, self._finishing = self._finishing, []
        rooms = list(self.rooms.values())
        self.rooms.clear()
        await asyncio.gather(*(m.close() for m in rooms), return_exceptions=True)
        loop = asyncio.get_running_loop()
        for writer in writers:  # the files and manifests must be complete before we exit
            await loop.run_in_executor(None, writer.wait_closed, 10.0)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("worker %d: task failed: %r", self.index, task.exception())


# -- the process ------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level,
        format=f"%(asctime)s %(levelname)s media-worker-{args.index} %(name)s: %(message)s",
    )
    # Ctrl+C in a terminal reaches the whole process group: the relay decides when we stop
    # (it closes our control socket), so a recording is never cut short by the keypress.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ice = IceConfig(
        announce_addresses=tuple(args.announce_address or ("127.0.0.1",)),
        stun_urls=tuple(args.stun or ()),
    )
    control = socket.socket(fileno=args.fd)
    worker = MediaWorker(args.index, Path(args.runtime_dir), ice, args.connect_timeout_s)
    try:
        asyncio.run(_main(worker, control))
    except ProtocolViolation as error:
        print(f"media worker {args.index}: {error}", file=sys.stderr)
        return 2
    return 0


async def _main(worker: MediaWorker, control: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    serving = asyncio.ensure_future(worker.serve(control))
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, serving.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await serving


def main(argv: Sequence[str] | None = None) -> int:
    return run(
        worker_arguments(argparse.ArgumentParser(prog="roomcast media-worker")).parse_args(argv)
    )


if __name__ == "__main__":
    sys.exit(main())
