"""`roomcast bot`: a real WebRTC participant for demos, tests and load.

    roomcast bot JOIN_URL [--name N] [--token T] [--speak FILE.wav | --tone HZ]
                 [--react EMOJI] [--request-to-speak] [--approve-requests]
                 [--consent yes|no] [--record-to FILE.wav] [--seconds S]

It joins (as host or co-host with a token), listens, and — on stage — sends
its tone or file. It prints one line per thing that happens to it. Exit
codes: 0 done, 2 bad arguments or refused at the door, 3 removed, 4 the room
ended.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from console.client import ClientClosed, CommandRejected, JoinLink, RoomClient
from console.identity import Identity
from server.room import (
    ApproveRequest,
    Consent,
    React,
    RequestToSpeak,
    Role,
    RoleChanged,
    SetConsent,
    SpeakRequested,
    Unmute,
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bot",
        help="join a room as a scripted participant (demos, tests, load)",
        description="Join a Roomcast room as a real WebRTC participant.",
    )
    parser.add_argument(
        "join_url", metavar="JOIN_URL", help="the room link (http://HOST:PORT/r/ROOM_ID)"
    )
    parser.add_argument("--name", default="Roomcast bot", help="display name")
    parser.add_argument(
        "--token", default=None, help="a host or co-host token (or put #token=… in the link)"
    )
    parser.add_argument("--ticket", default=None, help="ticket code for a ticketed room")
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--speak",
        type=Path,
        default=None,
        metavar="FILE.wav",
        help="sound file to say on stage (looped)",
    )
    source.add_argument(
        "--tone", type=float, default=None, metavar="HZ", help="a sine tone to send on stage"
    )
    parser.add_argument(
        "--react", default=None, metavar="EMOJI", help="send this reaction once joined"
    )
    parser.add_argument("--request-to-speak", action="store_true", help="ask to speak once joined")
    parser.add_argument(
        "--approve-requests",
        action="store_true",
        help="approve every speak request (needs --token)",
    )
    parser.add_argument(
        "--consent",
        choices=["yes", "no"],
        default=None,
        help="answer when the room records the bot's voice (unanswered: not recorded)",
    )
    parser.add_argument(
        "--record-to", type=Path, default=None, metavar="FILE.wav", help="write what the bot hears"
    )
    parser.add_argument(
        "--seconds", type=float, default=None, metavar="S", help="leave after S seconds"
    )
    parser.add_argument(
        "--identity", type=Path, default=None, help="keep the bot's identity in this file"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        link = JoinLink.parse(args.join_url)
    except ValueError as exc:
        print(f"roomcast bot: {exc}", file=sys.stderr)
        return 2
    if args.speak is not None and not args.speak.is_file():
        print(f"roomcast bot: no such file: {args.speak}", file=sys.stderr)
        return 2
    return asyncio.run(Bot(link, args).run())


def say(text: str) -> None:
    print(text, flush=True)


class Bot:
    def __init__(self, link: JoinLink, args: argparse.Namespace) -> None:
        self.args = args
        identity = Identity.load_or_create(args.identity) if args.identity else Identity.new("bot")
        self.client = RoomClient(
            link, identity, args.name, token=args.token, ticket_code=args.ticket
        )
        self.media: Any = None
        self._on_stage = False
        self._stage_changed = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._consent_pending = False

    def _source(self) -> Any:
        """A factory of fresh tracks (each media connection needs its own), or None."""
        from console.tracks import ToneTrack, WavTrack

        tone, speak = self.args.tone, self.args.speak
        if tone is not None:
            return lambda: ToneTrack(tone)
        if speak is not None:
            return lambda: WavTrack(speak)
        return None

    async def run(self) -> int:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await self.client.connect()
        except CommandRejected as refused:
            say(f"refused: {refused.message} ({refused.code})")
            return 4 if refused.code == "room_ended" else 2
        except (OSError, ClientClosed) as exc:
            say(f"cannot reach the relay at {self.client.link.base_url}: {exc}")
            return 2
        room, me = self.client.room, self.client.user_id
        assert room is not None and me is not None
        role = room.role_of(me)
        say(f"joined {room.card.title!r} as {role.value if role else '?'} ({me})")
        self.client.on_event.append(self._on_event)
        self.client.on_reconnected.append(self._restart_media)
        self.client.on_media_restart.append(self._restart_media)

        from console.media_link import MediaLink
        from console.tracks import Recorder

        # With --record-to it keeps everything it hears until it leaves.
        recorder = Recorder(max_seconds=None if self.args.record_to else 10.0)
        self.media = MediaLink(self.client, source=self._source(), recorder=recorder)
        self._on_stage = bool(role and role.on_stage)
        try:
            await self._begin(room)
        except ClientClosed:
            return await self._finish()  # removed or ended while still setting up

        waiter = asyncio.create_task(self._follow_stage(stop))
        closed = asyncio.create_task(self._until_closed(stop))
        try:
            if self.args.seconds is not None:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.args.seconds)
            else:
                await stop.wait()
        finally:
            waiter.cancel()
            closed.cancel()
        return await self._finish()

    async def _begin(self, room: Any) -> None:
        # a recording may have started before the bot was listening for events
        if self.args.consent is not None and self._asked_for_consent(
            self.client.room, self.client.user_id
        ):
            await self._try(SetConsent(self.args.consent == "yes"), "answer consent")
        await self.media.start(send=self._on_stage)
        if self._on_stage:
            await self._open_mic()
        if self.args.approve_requests:
            for request in list(room.requests):
                await self._approve(request.user_id)
        if self.args.react:
            await self._try(React(self.args.react), "react")
        asking = self.args.request_to_speak and not self._on_stage
        if asking and await self._try(RequestToSpeak(), "request to speak"):
            say("asked to speak")

    async def _until_closed(self, stop: asyncio.Event) -> None:
        """Removed, the room ended, or signed in elsewhere: the bot is done."""
        await self.client.wait_for(lambda c: c.closed_reason is not None, timeout_s=1e9)
        stop.set()

    async def _follow_stage(self, stop: asyncio.Event) -> None:
        while True:
            await self._stage_changed.wait()
            self._stage_changed.clear()
            try:
                await self.media.start(send=self._on_stage)
                if self._on_stage:
                    await self._open_mic()
            except ClientClosed:
                stop.set()
                return

    async def _restart_media(self) -> None:
        await self.media.start(send=self._on_stage)

    def _on_event(self, seq: int, event: object, room: Any) -> None:
        me = self.client.user_id
        if isinstance(event, SpeakRequested) and self.args.approve_requests:
            self._spawn(self._approve(event.actor))
        if self.args.consent is not None and self._asked_for_consent(room, me):
            self._spawn(self._try(SetConsent(self.args.consent == "yes"), "answer consent"))
        if isinstance(event, RoleChanged) and event.user_id == me:
            say(f"now {event.role.value}")
            on_stage = event.role is not Role.LISTENER
            if on_stage != self._on_stage:
                self._on_stage = on_stage
                self._stage_changed.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _asked_for_consent(self, room: Any, me: str | None) -> bool:
        """The room records and waits for this bot's answer (once per question)."""
        recording = room.recording if room.is_recording else None
        pending = recording is not None and recording.consents.get(me) is Consent.PENDING
        asked, self._consent_pending = pending and not self._consent_pending, pending
        return asked

    async def _open_mic(self) -> None:
        room, me = self.client.room, self.client.user_id
        if not self.media.sending or room is None or me not in room.participants:
            return
        if room.participants[me].muted:
            await self._try(Unmute(), "unmute")

    async def _approve(self, user_id: str) -> None:
        if await self._try(ApproveRequest(user_id), "approve"):
            say(f"approved {user_id}")

    async def _try(self, command: object, what: str) -> bool:
        try:
            await self.client.send(command)
        except CommandRejected as refused:
            say(f"could not {what}: {refused.message} ({refused.code})")
            return False
        except ClientClosed:
            return False
        return True

    async def _finish(self) -> int:
        reason = self.client.closed_reason
        if self.args.record_to is not None and self.media is not None:
            self.media.recorder.write(self.args.record_to)
            seconds = self.media.recorder.samples().size / 48_000
            say(f"wrote {seconds:.1f} s to {self.args.record_to}")
        if self.media is not None:
            await self.media.close()
        await self.client.close(leave=reason is None)
        if reason == "removed":
            say("removed from the room")
            return 3
        if reason == "room_ended":
            say("the room has ended")
            return 4
        return 0
