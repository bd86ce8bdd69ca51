"""One WebSocket connection: hello, join or resume, then commands and media.

The first frame must be `hello` (within the configured timeout). The relay
then checks who is asking — a host/co-host token, or a client id bound to its
secret — and either resumes a dropped connection (sending every event the
client missed, in order) or joins the room through the rules and sends a
snapshot. After that every frame is a room command, a media offer or a ping;
each gets `ok` or `error`.

Outgoing frames go through one queue and one writer task, so replies and
events keep their order and a slow client never blocks the room: past
`max_pending_frames` it is closed, and resumes when it can.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from server.config import RelayConfig
from server.hub import (
    CLOSE_BAD_HELLO,
    CLOSE_REMOVED,
    CLOSE_ROOM_OVER,
    CLOSE_TOO_SLOW,
    Hub,
    HubError,
)
from server.protocol import (
    MAX_FRAME_BYTES,
    ErrorCode,
    Hello,
    Offer,
    Ping,
    ProtocolError,
    Request,
    RequestId,
    decode_request,
    encode_error,
    encode_ok,
    encode_protocol_error,
    encode_rejected,
)
from server.room import Join, Leave, Reason, Rejected
from server.store import StoreError

logger = logging.getLogger(__name__)

MAX_CLIENT_ID_CHARS = 64
MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 256
RESERVED_PREFIXES = ("cohost-", "system")
# Ephemeral frames (levels, speaking) are skipped for a connection this far behind.
EPHEMERAL_BACKLOG = 50
# Sustained flooding past the budget closes the connection.
MAX_REFUSED_IN_A_ROW = 200

_CLOSE = object()


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: int, clock: Any = time.monotonic) -> None:
        self.rate_per_s = rate_per_s
        self.burst = float(burst)
        self.tokens = float(burst)
        self.clock = clock
        self.last = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate_per_s)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Session:
    def __init__(self, ws: web.WebSocketResponse, hub: Hub, config: RelayConfig) -> None:
        self.ws = ws
        self.hub = hub
        self.config = config
        self.room_id: str | None = None
        self.user_id: str | None = None
        # Outgoing frames: a deque and a flag rather than an asyncio.Queue, because a room's
        # events are handed to every connection and this append is the per-person cost.
        self._out: deque[object] = deque()
        self._ready = asyncio.Event()
        self._closing = False
        self._requested_close: tuple[int, str] | None = None
        self._close_code = 1000
        self._close_reason = ""
        self._bucket = TokenBucket(config.commands_per_s, config.command_burst)
        self._left = False

    # -- Connection (what the hub calls) -------------------------------------------------------

    def deliver(self, frame: str) -> None:
        if self._closing:
            return
        if len(self._out) >= self.config.max_pending_frames:
            self.close(CLOSE_TOO_SLOW, "too_slow")
            return
        self._out.append(frame)
        self._ready.set()

    def deliver_ephemeral(self, frame: str) -> None:
        if not self._closing and len(self._out) < EPHEMERAL_BACKLOG:
            self._out.append(frame)
            self._ready.set()

    def close(self, code: int, reason: str) -> None:
        """Close once what is queued has gone. Deferred by one loop turn, so the reply to the
        request being handled (say, the host's own "end room") still goes out first."""
        if self._requested_close is not None:
            return
        self._requested_close = (code, reason)
        asyncio.get_running_loop().call_soon(self._close_now)

    def _close_now(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._close_code, self._close_reason = self._requested_close or (1000, "")
        self._out.append(_CLOSE)
        self._ready.set()

    # -- the connection's life -----------------------------------------------------------------

    async def run(self) -> None:
        writer = asyncio.create_task(self._write())
        try:
            if await self._hello():
                await self._serve()
        finally:
            if self.room_id and self.user_id and not self._left:
                self.hub.detach(self.room_id, self.user_id, self)
            if self._requested_close is None:
                self._requested_close = (1000, "")
            self._close_now()
            try:
                await asyncio.wait_for(writer, timeout=5)
            except (TimeoutError, ConnectionError):
                writer.cancel()

    async def _write(self) -> None:
        while True:  # one frame per pass; ends at _CLOSE or a broken connection
            while not self._out:
                self._ready.clear()
                await self._ready.wait()
            item = self._out.popleft()
            if item is _CLOSE:
                await self.ws.close(code=self._close_code, message=self._close_reason.encode())
                return
            assert isinstance(item, str)
            try:
                await self.ws.send_str(item)
            except (ConnectionError, RuntimeError):
                return

    async def _hello(self) -> bool:
        try:
            msg = await self.ws.receive(timeout=self.config.hello_timeout_s)
        except TimeoutError:
            self._refuse(None, "hello_timeout", "Say hello first: no hello arrived in time.")
            return False
        if msg.type is not WSMsgType.TEXT:
            return False
        return self.hello_frame(msg.data)

    def hello_frame(self, data: str) -> bool:
        """The connection's first frame: True once joined (or resumed), else refused and closing."""
        try:
            request = decode_request(data)
        except ProtocolError as error:
            self.deliver(encode_protocol_error(error))
            self.close(CLOSE_BAD_HELLO, error.code.value)
            return False
        if not isinstance(request.message, Hello):
            self._refuse(request.id, ErrorCode.NOT_JOINED.value, "The first message must be hello.")
            return False
        return self._join(request.id, request.message)

    def _refuse(
        self, request_id: RequestId, code: str, message: str, close: int = CLOSE_BAD_HELLO
    ) -> None:
        self.deliver(encode_error(request_id, code, message))
        self.close(close, code)

    def _who(self, request_id: RequestId, hello: Hello) -> str | None:
        """The user id this hello may act as, or None (refused, with the reason sent)."""
        if hello.token is not None:
            holder = self.hub.token_holder(hello.token)
            if holder is None or holder[0] != hello.room_id:
                self._refuse(
                    request_id, "bad_token", "That host or co-host link is not valid for this room."
                )
                return None
            return holder[1]
        client_id, secret = hello.client_id, hello.client_secret
        if not (0 < len(client_id) <= MAX_CLIENT_ID_CHARS and client_id.isprintable()):
            self._refuse(
                request_id,
                ErrorCode.INVALID_FIELD.value,
                "client_id must be 1 to 64 printable characters.",
            )
            return None
        if client_id.startswith(RESERVED_PREFIXES):
            self._refuse(request_id, ErrorCode.INVALID_FIELD.value, "That client_id is reserved.")
            return None
        if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
            self._refuse(
                request_id,
                ErrorCode.INVALID_FIELD.value,
                "client_secret must be 16 to 256 characters.",
            )
            return None
        try:
            known = self.hub.check_identity(client_id, secret)
        except StoreError as exc:
            self._refuse(request_id, "store_failed", str(exc))
            return None
        if not known:
            self._refuse(
                request_id,
                "identity_mismatch",
                "This client id belongs to someone else; make a new identity.",
            )
            return None
        return client_id

    def _join(self, request_id: RequestId, hello: Hello) -> bool:
        user_id = self._who(request_id, hello)
        if user_id is None:
            return False
        try:
            room = self.hub.find(hello.room_id)
            if room is None:
                self._refuse(request_id, "room_not_found", "There is no room with that link.")
                return False
            resuming = hello.resume_after_seq is not None and user_id in room.participants
            if not resuming:
                verdict = self.hub.submit(
                    hello.room_id, user_id, Join(hello.display_name, hello.ticket_code)
                )
                if isinstance(verdict, Rejected) and verdict.reason is not Reason.NO_CHANGE:
                    close = {
                        Reason.REMOVED: CLOSE_REMOVED,
                        Reason.BLOCKED: CLOSE_REMOVED,
                        Reason.ROOM_ENDED: CLOSE_ROOM_OVER,
                    }.get(verdict.reason, CLOSE_BAD_HELLO)
                    self.deliver(encode_rejected(request_id, verdict))
                    self.close(close, verdict.reason.value)
                    return False
            self.hub.attach(hello.room_id, user_id, self)
        except HubError as error:
            self._refuse(request_id, error.code, error.message, CLOSE_ROOM_OVER)
            return False
        self.room_id, self.user_id = hello.room_id, user_id
        seq = self.hub.seq(hello.room_id)
        speaking = self.hub.speaking_now(hello.room_id)
        self.deliver(
            encode_ok(
                request_id,
                {"you": user_id, "seq": seq, "resumed": resuming, "speaking": speaking},
            )
        )
        if resuming:
            assert hello.resume_after_seq is not None
            for frame in self.hub.missed(hello.room_id, user_id, hello.resume_after_seq):
                self.deliver(frame)
        else:
            self.deliver(self.hub.snapshot(hello.room_id, user_id))
        return True

    async def _serve(self) -> None:
        refused_in_a_row = 0
        while self._requested_close is None:
            msg = await self.ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if msg.type is WSMsgType.BINARY:
                self.deliver(
                    encode_error(None, ErrorCode.BINARY_FRAME.value, "send JSON text frames")
                )
                continue
            if msg.type is not WSMsgType.TEXT:
                continue
            if not self._bucket.take():
                refused_in_a_row += 1
                if refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                    self.close(CLOSE_TOO_SLOW, "flooding")
                    return
                self.deliver(
                    encode_error(
                        _peek_id(msg.data),
                        ErrorCode.RATE_LIMITED.value,
                        "Too many messages; slow down.",
                    )
                )
                continue
            refused_in_a_row = 0
            await self.handle_frame(msg.data)

    async def handle_frame(self, data: str | bytes) -> None:
        """One client frame after hello: decoded strictly, then a command, offer or ping; every
        frame gets `ok` or `error`, and a frame that does not decode changes nothing."""
        try:
            request = decode_request(data)
        except ProtocolError as error:
            self.deliver(encode_protocol_error(error))
            return
        await self._handle(request)

    async def _handle(self, request: Request) -> None:
        assert self.room_id is not None and self.user_id is not None
        message = request.message
        try:
            if isinstance(message, Ping):
                self.deliver(encode_ok(request.id, {"now": self.hub.clock()}))
            elif isinstance(message, Hello):
                self.deliver(
                    encode_error(
                        request.id, "already_joined", "This connection has already said hello."
                    )
                )
            elif isinstance(message, Offer):
                await self._offer(request.id, message)
            else:
                verdict = self.hub.submit(self.room_id, self.user_id, message)
                if isinstance(verdict, Rejected):
                    self.deliver(encode_rejected(request.id, verdict))
                    return
                self.deliver(encode_ok(request.id, {"seq": self.hub.seq(self.room_id)}))
                if isinstance(message, Leave):
                    self._left = True
                    self.close(1000, "left")
        except HubError as error:
            self.deliver(encode_error(request.id, error.code, error.message))

    async def _offer(self, request_id: RequestId, offer: Offer) -> None:
        assert self.room_id is not None and self.user_id is not None
        room = self.hub.find(self.room_id)
        role = room.role_of(self.user_id) if room else None
        if role is None:
            self.deliver(
                encode_error(request_id, "not_in_room", "Join the room before sending media.")
            )
            return
        from server.media import MediaError  # the media engine loads only when media is used
        from server.media.values import ListenOverHls

        media = self.hub.media_for(self.room_id)
        try:
            answer = await media.connect(self.user_id, offer.sdp, send_allowed=role.on_stage)
        except ListenOverHls as error:  # the page plays /hls/<room_id>/ instead
            self.deliver(encode_error(request_id, "listen_over_hls", str(error)))
            return
        except MediaError as error:
            self.deliver(encode_error(request_id, "bad_sdp", str(error)))
            return
        self.deliver(encode_ok(request_id, {"sdp": answer}))


def _peek_id(data: str) -> RequestId:
    """The request id of a frame we refuse without decoding it fully, if it is readable."""
    if len(data) > MAX_FRAME_BYTES:
        return None
    try:
        value = json.loads(data).get("id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def websocket_route(
    hub_key: web.AppKey[Hub], config_key: web.AppKey[RelayConfig]
) -> web.AbstractRouteDef:
    """`GET /ws`: one Session per connection, with the app's hub and config."""

    async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
        config = request.app[config_key]
        ws = web.WebSocketResponse(heartbeat=config.heartbeat_s, max_msg_size=4 * MAX_FRAME_BYTES)
        await ws.prepare(request)
        session = Session(ws, request.app[hub_key], config)
        try:
            await session.run()
        except Exception:  # one connection's failure must never take the relay down
            logger.exception("connection failed")
        return ws

    return web.get("/ws", websocket_handler)
