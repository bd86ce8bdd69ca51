"""A Python client of the relay: the console, the bot and the tests use it.

It speaks the same protocol as the browser: hello, then a snapshot and
sequenced events that it applies to its own mirror of the room with the
shared rules (`server.room.apply`), commands with ok/error replies, and a
resume after a dropped connection that picks up every missed event.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from console.identity import Identity
from server.protocol import Hello, Offer, Ping, RequestId, encode_envelope
from server.room import COMMAND_TYPES, EVENT_TYPES, Leave, Room, apply
from server.room.codec import decode_dataclass, to_plain

logger = logging.getLogger(__name__)

# Close codes after which reconnecting is pointless (server/hub.py).
FINAL_CLOSE_CODES = {4000: "room_ended", 4001: "replaced", 4003: "removed", 4009: "refused"}

EventCallback = Callable[[int, object, Room], None]
# A hello refused as rate_limited is tried again (after the wait the relay names) this often.
MAX_RATE_LIMITED_HELLOS = 5


def _body(message: object) -> dict[str, Any]:
    plain = to_plain(message)
    assert isinstance(plain, dict)
    return plain


class CommandRejected(Exception):
    """The relay refused a request; `code` is machine-readable, the message is for people."""

    def __init__(self, code: str, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s  # `rate_limited`: when to try again


class ClientClosed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class JoinLink:
    base_url: str
    room_id: str
    token: str | None = None

    @classmethod
    def parse(cls, url: str) -> JoinLink:
        """`http(s)://HOST:PORT/r/ROOM_ID[#token=T]` → its parts; ValueError if it is not one."""
        parts = urlsplit(url)
        segments = [s for s in parts.path.split("/") if s]
        if parts.scheme not in ("http", "https") or len(segments) != 2 or segments[0] != "r":
            raise ValueError(f"{url!r} is not a Roomcast room link (http://HOST:PORT/r/ROOM_ID)")
        token = None
        if parts.fragment.startswith("token="):
            token = parts.fragment.removeprefix("token=") or None
        return cls(f"{parts.scheme}://{parts.netloc}", segments[1], token)


class RoomClient:
    def __init__(
        self,
        link: JoinLink,
        identity: Identity,
        display_name: str,
        *,
        token: str | None = None,
        ticket_code: str | None = None,
        reconnect: bool = True,
        max_reconnects: int = 20,
    ) -> None:
        self.link = link
        self.identity = identity
        self.display_name = display_name
        self.token = token or link.token
        self.ticket_code = ticket_code
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self.room: Room | None = None
        self.user_id: str | None = None
        self.seq = 0
        self.closed_reason: str | None = None
        # The relay's close reason, as it said it ("Your host link was opened somewhere else.").
        self.closed_message = ""
        self.on_event: list[EventCallback] = []
        # A snapshot replaced the room (a resume from far behind gets one instead of events).
        self.on_snapshot: list[Callable[[Room], None]] = []
        self.on_levels: list[Callable[[dict[str, Any]], None]] = []
        self.on_speaking: list[Callable[[str, bool], None]] = []
        self.on_reconnected: list[Callable[[], Awaitable[None]]] = []
        # The relay's audio worker carrying our connection restarted: offer media again.
        self.on_media_restart: list[Callable[[], Awaitable[None]]] = []
        self.media_restarts = 0
        self._callbacks: set[asyncio.Task[None]] = set()
        # The relay's recording writer failed (a full disk): the message is for the host, as is.
        self.on_recording_failed: list[Callable[[str], None]] = []
        # With --hls on the relay: HLS listeners' reactions, each second's sum; and how many
        # listen over HLS without joining (extra, estimated), to add to the listeners.
        self.on_hls_reactions: list[Callable[[dict[str, int]], None]] = []
        self.on_hls_listeners: list[Callable[[int, bool], None]] = []
        self.hls = False  # the relay streams HLS: broadcast mode can be turned on
        self.hls_listeners: tuple[int, bool] = (0, False)
        self.speaking: dict[str, bool] = {}
        self._http: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[RequestId, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._closing = False
        self._snapshot_waiter: asyncio.Future[None] | None = None

    # -- connecting ----------------------------------------------------------------------------

    async def connect(self) -> None:
        """Join (or resume) and wait for the room state; raises CommandRejected if refused.

        A first connection that fails leaves nothing open behind it.
        """
        first = self.room is None
        try:
            for attempt in range(MAX_RATE_LIMITED_HELLOS):
                try:
                    await self._connect()
                    return
                except CommandRejected as refused:
                    # Many joins from one network at once: wait as the relay says, then again.
                    if refused.code != "rate_limited" or attempt == MAX_RATE_LIMITED_HELLOS - 1:
                        raise
                    await asyncio.sleep(refused.retry_after_s or 1.0)
        except BaseException:
            if first:
                await self._release()
            raise

    async def _connect(self) -> None:
        if self._closing:
            raise ClientClosed("closed")
        if self._http is None:
            self._http = aiohttp.ClientSession()
        resume = self.seq if self.room is not None else None
        self._ws = await self._http.ws_connect(f"{self.link.base_url}/ws", heartbeat=15.0)
        hello = Hello(
            room_id=self.link.room_id,
            client_id=self.identity.client_id,
            client_secret=self.identity.client_secret,
            display_name=self.display_name,
            token=self.token,
            ticket_code=self.ticket_code,
            resume_after_seq=resume,
        )
        snapshot_seen = asyncio.get_running_loop().create_future()
        self._snapshot_waiter = snapshot_seen if resume is None else None
        self._reader = asyncio.create_task(self._read(self._ws))
        reply = await self._request("hello", _body(hello))
        self.closed_reason = None  # an earlier attempt's refusal (a rate-limited hello) is over
        self.user_id = reply["you"]
        self.hls = bool(reply.get("hls"))
        self._take_hls_listeners(reply.get("hls_listeners") or {})
        if reply.get("resumed"):  # flips sent while we were away are lost: this is who talks now
            self.speaking = {str(user): True for user in reply.get("speaking") or ()}
        if resume is None:
            await asyncio.wait_for(snapshot_seen, timeout=10)
        self._changed.set()

    async def _release(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def close(self, leave: bool = True) -> None:
        self._closing = True
        if leave and self._ws is not None and not self._ws.closed and self.closed_reason is None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.send(Leave()), timeout=3)
        await self._release()

    # -- requests ------------------------------------------------------------------------------

    async def send(self, command: object) -> dict[str, Any]:
        """Send a room command; returns the ok body or raises CommandRejected."""
        kind = getattr(type(command), "wire_name", None)
        if not isinstance(kind, str) or kind not in COMMAND_TYPES:
            raise TypeError(f"{type(command).__name__} is not a room command")
        return await self._request(kind, _body(command))

    async def send_when_connected(self, command: object, timeout_s: float = 20.0) -> dict[str, Any]:
        """Send once the connection is (back) up: for commands issued across a reconnect."""
        await self.wait_for(lambda c: c.connected and c.user_id is not None, timeout_s)
        return await self.send(command)

    async def offer(self, sdp: str) -> str:
        reply = await self._request("offer", _body(Offer(sdp)))
        return str(reply["sdp"])

    async def rotate_host_link(self) -> str:
        """Host only: a new host link (returned); the old one stops working at once. This
        client reconnects with the new one from now on."""
        reply = await self._request("rotate_host_link", {})
        self.token = str(reply["token"])
        return str(reply["url"])

    async def ping(self) -> float:
        reply = await self._request("ping", _body(Ping()))
        return float(reply["now"])

    async def _request(
        self, kind: str, body: dict[str, Any], timeout_s: float = 15.0
    ) -> dict[str, Any]:
        if self._ws is None or self._ws.closed:
            raise ClientClosed(self.closed_reason or "not connected")
        request_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._ws.send_str(encode_envelope(kind, body, request_id))
            return await asyncio.wait_for(future, timeout=timeout_s)
        finally:
            self._pending.pop(request_id, None)

    # -- reading -------------------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        ends = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED)
        while True:
            msg = await ws.receive()
            if msg.type in ends or msg.type is aiohttp.WSMsgType.ERROR:
                if msg.type is aiohttp.WSMsgType.CLOSE:  # the relay's words for why
                    self.closed_message = str(msg.extra or "")
                break
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            try:
                self._dispatch(json.loads(msg.data))
            except Exception:  # a frame we cannot read must not stop the client
                logger.exception("cannot handle frame %.200s", msg.data)
        code = ws.close_code
        reason = FINAL_CLOSE_CODES.get(code or 0)
        error = ClientClosed(reason or f"connection closed ({code})")
        for future in self._pending.values():
            if not future.done():
                future.set_exception(error)
        self._changed.set()
        if reason is not None:
            self.closed_reason = reason
            return
        if not self._closing and self.reconnect:
            asyncio.get_running_loop().create_task(self._reconnect())

    def _dispatch(self, frame: dict[str, Any]) -> None:
        kind, body, request_id = frame.get("type"), frame.get("body") or {}, frame.get("id")
        if kind in ("ok", "error"):
            future = self._pending.get(request_id)
            if future is None or future.done():
                if kind == "error":
                    logger.info("relay error: %s", body)
                return
            if kind == "ok":
                future.set_result(body)
            else:
                retry = body.get("retry_after_s")
                future.set_exception(
                    CommandRejected(
                        body.get("code", "?"),
                        body.get("message", ""),
                        float(retry) if isinstance(retry, (int, float)) else None,
                    )
                )
        elif kind == "snapshot":
            self.room = decode_dataclass(Room, body["room"])
            self.speaking = {str(user): True for user in body.get("speaking") or ()}
            self.seq = int(body["seq"])
            waiter = self._snapshot_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            for snapshot_callback in self.on_snapshot:
                snapshot_callback(self.room)
            self._changed.set()
        elif kind == "event":
            seq = int(body["seq"])
            if self.room is None or seq <= self.seq:
                return  # already applied (a resume can overlap the snapshot)
            event = decode_dataclass(EVENT_TYPES[body["kind"]], body["event"])
            self.room = apply(self.room, event)
            self.seq = seq
            for callback in self.on_event:
                callback(seq, event, self.room)
            self._changed.set()
        elif kind == "levels":
            for level_callback in self.on_levels:
                level_callback(body.get("levels", {}))
        elif kind == "speaking":
            user_id, flag = str(body.get("user_id")), bool(body.get("speaking"))
            self.speaking[user_id] = flag
            for speaking_callback in self.on_speaking:
                speaking_callback(user_id, flag)
            self._changed.set()
        elif kind == "hls_reactions":
            counts = body.get("counts") or {}
            clean = {
                str(emoji): int(n)
                for emoji, n in counts.items()
                if isinstance(n, int) and not isinstance(n, bool) and n > 0
            }
            for reactions_callback in self.on_hls_reactions:
                reactions_callback(clean)
        elif kind == "hls_listeners":
            self._take_hls_listeners(body)
        elif kind == "media_restart":
            self.media_restarts += 1
            logger.info("relay: %s", body.get("message", "media restarted"))
            for restart in self.on_media_restart:
                self._spawn(restart())
        elif kind == "recording_failed":
            message = str(
                body.get("message") or "The recording stopped: the relay could not write it."
            )
            for failed_callback in self.on_recording_failed:
                failed_callback(message)

    def _take_hls_listeners(self, body: dict[str, Any]) -> None:
        extra = body.get("extra", 0)
        if not isinstance(extra, int) or isinstance(extra, bool) or extra < 0:
            return
        self.hls_listeners = (extra, bool(body.get("estimated")))
        for callback in self.on_hls_listeners:
            callback(*self.hls_listeners)

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._callbacks.add(task)
        task.add_done_callback(self._callback_done)

    def _callback_done(self, task: asyncio.Task[None]) -> None:
        self._callbacks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.warning("media restart failed: %r", task.exception())

    async def _reconnect(self) -> None:
        delay_s = 0.2
        for _ in range(self.max_reconnects):
            await asyncio.sleep(delay_s)
            if self._closing:
                return
            try:
                await self.connect()
            except (TimeoutError, aiohttp.ClientError, OSError, ClientClosed):
                delay_s = min(delay_s * 2, 5.0)
                continue
            except CommandRejected as refused:
                if refused.code == "rate_limited":  # too many reconnects: wait as told
                    delay_s = max(delay_s, refused.retry_after_s or 1.0)
                    continue
                self.closed_reason = refused.code
                self._changed.set()
                return
            for callback in self.on_reconnected:
                await callback()
            return
        self.closed_reason = "gave_up_reconnecting"
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[RoomClient], bool], timeout_s: float = 10.0
    ) -> None:
        """Wait until `predicate(self)` holds (checked after every change), or time out."""

        async def until() -> None:
            while not predicate(self):
                self._changed.clear()
                if self.closed_reason is not None and not predicate(self):
                    raise ClientClosed(self.closed_reason)
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout=timeout_s)

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed
