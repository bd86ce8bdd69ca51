"""One WebSocket connection: hello, join or resume, then commands and media.

The first frame must be `hello` (within the configured timeout). The relay
then checks who is asking — a host/co-host token, or a client id bound to its
secret — and either resumes a dropped connection (sending every event the
client missed, in order) or joins the room through the rules and sends a
snapshot. After that every frame is a room command, a media offer or a ping;
each gets `ok` or `error`.

Outgoing frames go through one queue and one writer task, so replies and
events keep their order and a slow client never blocks the room: past
`max_pending_frames` what it has not read yet is dropped and it is closed with
4008 (it resumes when it can).

What a connection may cost the room is bounded: its own frame budget (binary
frames count too), the relay's per-person and per-address limits on each kind
of message (server/rate_limits.py; a refusal is a `rate_limited` error with
`retry_after_s`), and resumes: one from far behind gets a fresh snapshot
instead of a replay. Sustained refusals close it with 4008.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
from collections import deque
from typing import Any

from aiohttp import WSMsgType, web

from server.config import RelayConfig
from server.http_guard import origin_allowed
from server.hub import (
    CLOSE_BAD_HELLO,
    CLOSE_REMOVED,
    CLOSE_ROOM_OVER,
    CLOSE_TOO_SLOW,
    Hub,
    HubError,
)
from server.identity_rules import identity_refusal
from server.protocol import (
    MAX_FRAME_BYTES,
    ErrorCode,
    Hello,
    Offer,
    Ping,
    ProtocolError,
    Request,
    RequestId,
    RotateHostLink,
    decode_request,
    encode_error,
    encode_ok,
    encode_protocol_error,
    encode_rejected,
)
from server.rate_limits import retry_after_text
from server.room import Join, Leave, Reason, Rejected
from server.store import StoreError

logger = logging.getLogger(__name__)

# Ephemeral frames (levels, speaking) are skipped for a connection this far behind.
EPHEMERAL_BACKLOG = 50
# How long a too-slow reader gets to take its close frame before the socket is closed.
SLOW_CLOSE_S = 5.0
# Sustained flooding past the budget (refused frames, binary frames) closes the connection.
MAX_REFUSED_IN_A_ROW = 100
RATE_LIMIT_TEXT = {
    "hello": "Too many connections from your network or identity",
    "stage_request": "You are asking to speak and withdrawing too often",
    "react": "Too many reactions",
    "report": "Too many reports",
    "command": "Too many requests",
}

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
    def __init__(
        self, ws: web.WebSocketResponse, hub: Hub, config: RelayConfig, address: str = ""
    ) -> None:
        self.ws = ws
        self.address = address  # the remote address, for per-address limits ("": unknown)
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
        self._refused_in_a_row = 0
        self._left = False
        self._writer: asyncio.Task[None] | None = None
        self.token: str | None = None  # the host or co-host link this connection came in on

    # -- Connection (what the hub calls) -------------------------------------------------------

    def deliver(self, frame: str) -> None:
        if self._closing:
            return
        if len(self._out) >= self.config.max_pending_frames:
            self._too_slow()
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

    def _too_slow(self) -> None:
        """The client reads slower than the room talks: drop what it has not had (it resumes
        later, with the missed events or a snapshot) and close with 4008 and a reason. The
        writer may be stuck waiting for the socket to drain, so it is replaced by one that
        writes only the close frame, behind the bytes already handed to the socket."""
        if self._closing:
            return
        self._out.clear()
        self._requested_close = (CLOSE_TOO_SLOW, "too_slow")
        self._close_now()
        if self.room_id and self.user_id:  # stop feeding it now; its place is kept for a resume
            self.hub.detach(self.room_id, self.user_id, self)
        writer = self._writer
        if writer is not None and not writer.done():
            writer.cancel()
            self._writer = asyncio.get_running_loop().create_task(self._write())

    # -- the connection's life -----------------------------------------------------------------

    async def run(self) -> None:
        self._writer = asyncio.create_task(self._write())
        try:
            if await self._hello():
                await self._serve()
        finally:
            if self.room_id and self.user_id and not self._left:
                self.hub.detach(self.room_id, self.user_id, self)
            if self._requested_close is None:
                self._requested_close = (1000, "")
            self._close_now()
            writer = self._writer
            try:
                await asyncio.wait_for(asyncio.shield(writer), timeout=5)
            except (TimeoutError, ConnectionError):
                writer.cancel()
            if writer is not self._writer:  # replaced by the too-slow closer meanwhile
                with contextlib.suppress(TimeoutError, ConnectionError):
                    await asyncio.wait_for(self._writer, timeout=5)

    async def _write(self) -> None:
        while True:  # one frame per pass; ends at _CLOSE or a broken connection
            while not self._out:
                self._ready.clear()
                await self._ready.wait()
            item = self._out.popleft()
            if item is _CLOSE:
                # A slow reader's socket may never drain: write the close frame and go on.
                slow = self._close_code == CLOSE_TOO_SLOW
                closing = self.ws.close(
                    code=self._close_code, message=self._close_reason.encode(), drain=not slow
                )
                if not slow:
                    await closing
                    return
                # The close frame is queued behind what the socket holds; give the reader a
                # while to take it, then close the socket (it still flushes, close frame last).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(closing, timeout=SLOW_CLOSE_S)
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
        if msg.type is WSMsgType.BINARY:
            self._refuse(None, ErrorCode.BINARY_FRAME.value, "Send hello as a JSON text frame.")
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
        # Per address before anything touches the store; per person once we know who.
        if not self._allowed(request.id, "hello", None):
            self.close(CLOSE_BAD_HELLO, ErrorCode.RATE_LIMITED.value)
            return False
        return self._join(request.id, request.message)

    def _allowed(
        self, request_id: RequestId, kind: str, person: str | None, by_address: bool = True
    ) -> bool:
        """Count one `kind` message against the relay's limits; if refused, say so (with when
        to try again) and count the refusal towards closing a flooding connection."""
        limits = self.hub.rate_limits
        if limits is None or (not self.address and person is None):
            return True
        wait_s = limits.check(kind, person, self.address if by_address and self.address else None)
        if wait_s is None:
            return True
        self._refused_in_a_row += 1
        text = RATE_LIMIT_TEXT.get(kind, RATE_LIMIT_TEXT["command"])
        self.deliver(
            encode_error(
                request_id,
                ErrorCode.RATE_LIMITED.value,
                f"{text}; try again in {retry_after_text(wait_s)}.",
                {"retry_after_s": math.ceil(wait_s * 10) / 10},
            )
        )
        if self._refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
            self.close(CLOSE_TOO_SLOW, "flooding")
        return False

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
                    request_id,
                    "bad_token",
                    "That host or co-host link is not valid for this room (it may have been "
                    "changed or taken back); ask the host for a new one.",
                )
                return None
            self.token = hello.token
            return holder[1]
        client_id, secret = hello.client_id, hello.client_secret
        refusal = identity_refusal(client_id, secret)
        if refusal is not None:
            self._refuse(request_id, ErrorCode.INVALID_FIELD.value, refusal)
            return None
        try:
            # Nothing is written yet: an identity is recorded only once it really joins.
            known = self.hub.check_identity(client_id, secret, bind=False)
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
        if not self._allowed(request_id, "hello", user_id, by_address=False):
            self.close(CLOSE_BAD_HELLO, ErrorCode.RATE_LIMITED.value)
            return False
        try:
            room = self.hub.find(hello.room_id)
            if room is None:
                self._refuse(request_id, "room_not_found", "There is no room with that link.")
                return False
            resuming = hello.resume_after_seq is not None and user_id in room.participants
            present = user_id in room.participants
            if (
                not present
                and hello.token is None
                and self.hub.address_barred(hello.room_id, self.address)
            ):
                # A host or co-host link still gets in; so does anyone already inside.
                self._refuse(
                    request_id,
                    Reason.REMOVED.value,
                    "Someone on your network was removed from this room, so it is closed to "
                    "your network. If that was not you, ask a host for a link.",
                    CLOSE_REMOVED,
                )
                return False
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
            if hello.token is None:
                self.hub.bind_identity(user_id, hello.client_secret)
            self.hub.attach(hello.room_id, user_id, self)
            self.hub.note_address(hello.room_id, user_id, self.address)
        except HubError as error:
            self._refuse(request_id, error.code, error.message, CLOSE_ROOM_OVER)
            return False
        except StoreError as exc:
            self._refuse(request_id, "store_failed", str(exc))
            return False
        self.room_id, self.user_id = hello.room_id, user_id
        seq = self.hub.seq(hello.room_id)
        assert seq is not None
        speaking = self.hub.speaking_now(hello.room_id)
        after = hello.resume_after_seq
        # A resume replays at most `max_resume_events`; from further behind (or from a number
        # this room never had) a fresh snapshot is cheaper for both sides.
        replay = (
            resuming
            and after is not None
            and 0 <= after <= seq
            and seq - after
            <= min(self.config.max_resume_events, self.config.max_pending_frames // 2)
        )
        self.deliver(
            encode_ok(
                request_id,
                {
                    "you": user_id,
                    "seq": seq,
                    "resumed": resuming,
                    "speaking": speaking,
                    "hls": self.hub.hls_enabled,  # broadcast mode can be turned on
                    "hls_listeners": self.hub.hls_listeners_body(hello.room_id),
                    "catch_up": "events" if replay else "snapshot",
                    # how long a dropped connection keeps its place (the page says so)
                    "resume_grace_s": self.hub.resume_grace_s,
                    "stage_grace_s": self.hub.stage_grace_s,  # a seat on stage is kept longer
                },
            )
        )
        if replay:
            assert after is not None
            for frame in self.hub.missed(hello.room_id, user_id, after):
                self.deliver(frame)
        else:
            self.deliver(self.hub.snapshot(hello.room_id, user_id))
        return True

    async def _serve(self) -> None:
        while self._requested_close is None:
            msg = await self.ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return
            if msg.type is WSMsgType.BINARY:
                # Never valid, so always a refusal, and it spends the budget like any frame.
                self._bucket.take()
                self._refused_in_a_row += 1
                if self._refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                    self.close(CLOSE_TOO_SLOW, "flooding")
                    return
                self.deliver(
                    encode_error(None, ErrorCode.BINARY_FRAME.value, "send JSON text frames")
                )
                continue
            if msg.type is not WSMsgType.TEXT:
                continue
            if not self._bucket.take():
                self._refused_in_a_row += 1
                if self._refused_in_a_row >= MAX_REFUSED_IN_A_ROW:
                    self.close(CLOSE_TOO_SLOW, "flooding")
                    return
                wait_s = 1 / self._bucket.rate_per_s
                self.deliver(
                    encode_error(
                        _peek_id(msg.data),
                        ErrorCode.RATE_LIMITED.value,
                        f"Too many messages; try again in {retry_after_text(wait_s)}.",
                        {"retry_after_s": round(wait_s, 3)},
                    )
                )
                continue
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
        limits = self.hub.rate_limits
        kind = limits.kind_of(request.type) if limits is not None else ""
        if (
            kind
            and not isinstance(message, Hello)
            and not self._allowed(request.id, kind, self.user_id)
        ):
            return
        self._refused_in_a_row = 0
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
            elif isinstance(message, RotateHostLink):
                self._rotate_host_link(request.id)
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

    def _rotate_host_link(self, request_id: RequestId) -> None:
        """The host takes their link back: a new one, the old one dead at once."""
        assert self.room_id is not None and self.user_id is not None
        room = self.hub.find(self.room_id)
        if room is None or room.host_id != self.user_id:
            self.deliver(
                encode_error(
                    request_id, Reason.NOT_ALLOWED.value, "Only the host can change the host link."
                )
            )
            return
        try:
            token = self.hub.rotate_host_link(self.room_id, keep=self)
        except StoreError as exc:
            self.deliver(encode_error(request_id, "store_failed", str(exc)))
            return
        self.token = token
        url = f"{self.config.join_url(self.room_id)}#token={token}"
        self.deliver(encode_ok(request_id, {"token": token, "url": url}))

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
    hub_key: web.AppKey[Hub],
    config_key: web.AppKey[RelayConfig],
    own_hosts_key: web.AppKey[frozenset[str]],
) -> web.AbstractRouteDef:
    """`GET /ws`: one Session per connection, with the app's hub and config. A browser's
    connection must come from a page the relay served (its Origin is the relay's own): any
    other site open in the host's browser could otherwise act in a room as its visitor."""

    async def websocket_handler(request: web.Request) -> web.StreamResponse:
        config = request.app[config_key]
        origin, host = request.headers.get("Origin"), request.headers.get("Host")
        if not origin_allowed(request.app[own_hosts_key], origin, host):
            return web.json_response(
                {
                    "error": {
                        "code": "wrong_origin",
                        "message": "Rooms on this relay are joined from its own pages, not "
                        "from another site.",
                    }
                },
                status=403,
            )
        ws = web.WebSocketResponse(heartbeat=config.heartbeat_s, max_msg_size=4 * MAX_FRAME_BYTES)
        await ws.prepare(request)
        session = Session(ws, request.app[hub_key], config, request.remote or "")
        try:
            await session.run()
        except Exception:  # one connection's failure must never take the relay down
            logger.exception("connection failed")
        return ws

    return web.get("/ws", websocket_handler)
