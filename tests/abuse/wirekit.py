"""Raw WebSocket clients for the abuse tests: what an attacker sends, frame by frame, and every
frame the relay sends back (the Python RoomClient hides refusals and close reasons).

Also a quiet room whose listener's audio is tapped, to show that an attack elsewhere costs an
unrelated room nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from console.identity import Identity
from server.config import RelayConfig
from tests.relay.relaykit import create_room
from tests.relay.rtptap import RtpTap, missing_ticks
from tests.relay.test_relay_media import listener, stage_member
from tests.relay.test_relay_workers import tapped, wait_until

__all__ = ["QuietRoom", "Wire", "hello_body", "quiet_room", "wait_until"]


def frame(kind: str, body: dict[str, Any] | None = None, request_id: Any = None) -> str:
    return json.dumps({"v": 1, "type": kind, "id": request_id, "body": body or {}})


def hello_body(
    room_id: str, identity: Identity | None = None, name: str = "Mallory", **extra: Any
) -> dict[str, Any]:
    identity = identity or Identity.new("m")
    body = {
        "room_id": room_id,
        "client_id": identity.client_id,
        "client_secret": identity.client_secret,
        "display_name": name,
    }
    body.update(extra)
    return body


@dataclass
class Wire:
    """One raw connection: frames in order as they arrive, replies by id, the close."""

    ws: aiohttp.ClientWebSocketResponse
    http: aiohttp.ClientSession
    frames: list[dict[str, Any]] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # bytes of each frame, as sent
    replies: dict[Any, dict[str, Any]] = field(default_factory=dict)  # by request id
    close_code: int | None = None
    close_reason: str = ""
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    reader: asyncio.Task[None] | None = None
    next_id: int = 1
    owns_http: bool = True

    @classmethod
    async def open(
        cls, config: RelayConfig, *, read: bool = True, http: aiohttp.ClientSession | None = None
    ) -> Wire:
        """A new connection (on `http`'s connector when given, which it then leaves open)."""
        own = http is None
        session = aiohttp.ClientSession() if http is None else http
        ws = await session.ws_connect(f"{config.base_url}/ws", autoclose=False, heartbeat=None)
        wire = cls(ws, session, owns_http=own)
        if read:
            wire.reader = asyncio.create_task(wire._read())
        return wire

    async def _read(self) -> None:
        while True:
            msg = await self.ws.receive()
            if msg.type is aiohttp.WSMsgType.TEXT:
                item = json.loads(msg.data)
                self.frames.append(item)
                if item.get("type") in ("ok", "error") and item.get("id") is not None:
                    self.replies.setdefault(item["id"], item)
                self.sizes.append(len(msg.data.encode()))
                self.changed.set()
                continue
            if msg.type is aiohttp.WSMsgType.CLOSE:
                self.close_code, self.close_reason = int(msg.data), str(msg.extra or "")
                with contextlib.suppress(Exception):
                    await self.ws.close()
            elif msg.type is aiohttp.WSMsgType.CLOSED and self.close_code is None:
                self.close_code = self.ws.close_code
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                break
            if msg.type is aiohttp.WSMsgType.ERROR:
                break
        self.closed.set()
        self.changed.set()

    async def send(self, kind: str, body: dict[str, Any] | None = None) -> int:
        request_id = self.next_id
        self.next_id += 1
        await self.ws.send_str(frame(kind, body, request_id))
        return request_id

    def reply(self, request_id: int) -> dict[str, Any] | None:
        return self.replies.get(request_id)

    async def wait(self, condition: Callable[[], bool], what: str, timeout_s: float = 10) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {what}; last frames {self.frames[-3:]}"
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=min(remaining, 0.5))

    async def request(self, kind: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send and wait for the reply (ok or error), returned whole."""
        request_id = await self.send(kind, body)
        await self.wait(lambda: self.reply(request_id) is not None or self.closed.is_set(), kind)
        found = self.reply(request_id)
        assert found is not None, f"{kind}: no reply, closed {self.close_code} {self.close_reason}"
        return found

    async def hello(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.request("hello", body)

    async def wait_closed(self, timeout_s: float = 10) -> tuple[int | None, str]:
        await asyncio.wait_for(self.closed.wait(), timeout=timeout_s)
        return self.close_code, self.close_reason

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.frames if f["type"] == kind]

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [f["body"] for f in self.of_type("event") if kind in (None, f["body"]["kind"])]

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(BaseException):
                await self.reader
        with contextlib.suppress(Exception):
            await self.ws.close()
        if self.owns_http:
            await self.http.close()


@contextlib.asynccontextmanager
async def wire(config: RelayConfig, *, read: bool = True) -> AsyncIterator[Wire]:
    opened = await Wire.open(config, read=read)
    try:
        yield opened
    finally:
        await opened.close()


@dataclass
class QuietRoom:
    """A live room elsewhere on the relay: the host sends a tone, a listener's packets are
    counted at its socket."""

    tap: RtpTap
    closers: list[Any]

    def missing_since(self, started: float) -> tuple[int, int]:
        return missing_ticks(self.tap.between(started, time.perf_counter()))

    async def assert_nothing_lost(self, started: float, ticks: int = 50) -> None:
        """Every 20 ms packet since `started` arrived (waiting for at least `ticks` of them, so
        the attack and its aftermath are both covered)."""
        await wait_until(
            lambda: len(self.tap.between(started, time.perf_counter())) >= ticks,
            "the quiet room's audio after the attack",
        )
        span, missing = self.missing_since(started)
        assert missing == 0, f"the quiet room's listener missed {missing} of {span} packets"


@contextlib.asynccontextmanager
async def quiet_room(config: RelayConfig) -> AsyncIterator[QuietRoom]:
    created = await create_room(config, Identity.new(), title="Quiet room")
    host, host_media = await stage_member(created, "Hana Host", 440)
    lis, lis_media = await listener(created, "Lee Listener")
    try:
        tap = tapped(lis_media)
        await wait_until(lambda: len(tap.arrivals) > 50, "the quiet room's audio")
        yield QuietRoom(tap, [])
    finally:
        for client, media in ((lis, lis_media), (host, host_media)):
            await media.close()
            await client.close()
