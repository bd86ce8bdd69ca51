"""Participants for the console tests: `roomcast bot` processes, and in-process bots whose
audio survives a relay restart (each connection gets a fresh tone track)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from console.client import JoinLink, RoomClient
from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import ToneTrack, WavTrack
from server.room import RequestToSpeak, Role, RoleChanged, Unmute


async def until(predicate: Callable[[], object], timeout_s: float = 30.0, what: str = "") -> None:
    """Await a condition, polling every 20 ms (never nests the Qt loop)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or predicate}")
        await asyncio.sleep(0.02)


class BotProcess:
    """`roomcast bot JOIN_URL …` as a child process, its output collected line by line."""

    def __init__(self, join_url: str, identity_file: Path, *args: str) -> None:
        self.identity = Identity.load_or_create(identity_file, prefix="bot")
        self.user_id = self.identity.client_id
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ui.cli",
                "bot",
                join_url,
                "--identity",
                str(identity_file),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ToneBot:
    """An in-process participant that asks to speak, unmutes on stage, and sends a tone,
    renewing its media (with a fresh track) after every reconnect."""

    def __init__(self, join_url: str, name: str, tone_hz: float, wav: Path | None = None) -> None:
        self.client = RoomClient(JoinLink.parse(join_url), Identity.new("bot"), name)
        self.tone_hz = tone_hz
        self.wav = wav
        self.media = MediaLink(self.client)
        self.on_stage = False
        self.client.on_event.append(self._on_event)
        self.client.on_reconnected.append(self._renew)
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def user_id(self) -> str:
        assert self.client.user_id is not None
        return self.client.user_id

    async def start(self, ask: bool = True) -> None:
        await self.client.connect()
        await self._renew()
        if ask:
            await self.client.send(RequestToSpeak())

    async def _renew(self) -> None:
        self.media.source = WavTrack(self.wav) if self.wav else ToneTrack(self.tone_hz)
        await self.media.start(send=self.on_stage)
        room = self.client.room
        if self.on_stage and room is not None and room.participants[self.user_id].muted:
            await self.client.send(Unmute())

    def _on_event(self, seq: int, event: object, room: object) -> None:
        if isinstance(event, RoleChanged) and event.user_id == self.client.user_id:
            self.on_stage = event.role is not Role.LISTENER
            task = asyncio.ensure_future(self._renew())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await self.media.close()
        await self.client.close(leave=False)
