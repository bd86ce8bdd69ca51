"""The relay's HTTP interface: health, the room directory, room cards, creation.

    GET  /healthz               {"ok": true, "hls": bool (streams HLS: broadcast mode), ...}
    POST /api/rooms             create → {room_id, host_id, host_token, join_url, host_url, room}
    GET  /api/rooms             live and scheduled rooms (cards), a page at a time:
                                ?limit=N (default 50, at most 200) &cursor=C (from next_cursor)
                                → {rooms, next_cursor, total}; see server/directory.py
    GET  /api/rooms/{id}        one room's card
    POST /api/rooms/{id}/cohost-links   (host token) → a co-host link
    GET  /api/rooms/{id}/log    (host or co-host token) the room's events as that moderator
                                may see them: ?after=SEQ &limit=N (at most 200)
                                → {events: [{seq, kind, event}], next_after}
    POST /api/rooms/{id}/reminders      {client_id} → the room's reminder count (at most
                                        3 client ids per address per room; then 429)
    GET  /api/rooms/{id}/qr.svg the room's join link as a QR code
    GET  /r/{id}                the web client page (server/web/index.html)
    GET  /static/...            the web client's modules, styles and vendored files

Errors are JSON `{"error": {"code": ..., "message": ...}}` with a 4xx status (503 when the
store cannot save). Creating a room needs the relay's key or an open relay
(server/room_creation.py); a JSON body must say `Content-Type: application/json` (415
otherwise: a cross-site form or a "simple" fetch cannot) and arrive within the body timeout.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from aiohttp import web

from server.directory import DEFAULT_PAGE, MAX_PAGE, card_of
from server.hub import Hub, HubError
from server.identity_rules import identity_refusal
from server.room import AskMode, Role, RoomCard, RoomState, SetTicketing, is_moderator
from server.room.codec import CodecError, from_plain
from server.room_creation import CreationRights, Refusal
from server.store import StoreError

MAX_BODY_BYTES = 16 * 1024
# The moderation log is read a page at a time.
LOG_PAGE = 100
MAX_LOG_PAGE = 200
# /healthz reports a failed write this long after it (then the disk check alone decides).
STORE_FAILURE_RECENT_S = 60.0


CREATE_FIELDS = frozenset(
    {"title", "description", "topics", "starts_at", "ask_mode", "broadcast", "tickets", "host"}
)


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


class BodyError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


async def _json_body(request: web.Request, timeout_s: float) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BodyError(
            415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json)."
        )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HubError("too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    try:
        async with asyncio.timeout(timeout_s):  # a body trickled a byte a second holds nothing
            raw = b""
            while len(raw) <= MAX_BODY_BYTES:  # read() returns what has come so far, not all
                chunk = await request.content.read(MAX_BODY_BYTES + 1 - len(raw))
                if not chunk:
                    break
                raw += chunk
    except TimeoutError:
        raise BodyError(408, "too_slow", "The request body did not arrive in time.") from None
    if len(raw) > MAX_BODY_BYTES:
        raise HubError("too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError):  # "[" * 16000 nests past the parser's stack
        raise HubError("malformed_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise HubError("not_an_object", "The body must be a JSON object.")
    return data


def _body_error(error: BodyError) -> web.Response:
    response = _error(error.status, error.code, error.message)
    if error.status == 408:
        response.force_close()  # the rest of a trickled body is not waited for
    return response


def _field(data: dict[str, Any], name: str, tp: Any, default: Any = ...) -> Any:
    if name not in data:
        if default is ...:
            raise HubError("missing_field", f"{name} is required.")
        return default
    try:
        return from_plain(tp, data[name], name)
    except CodecError as exc:
        raise HubError("invalid_field", str(exc)) from None


def _whole_number(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    return int(text) if text.isdigit() and len(text) <= 9 else None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _disk_problem(folder: Path, min_free_bytes: int) -> str | None:
    """Why the store could not save now, or None: a full disk, a folder it cannot write."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError as exc:
        return f"Cannot see the data folder {folder} ({exc.strerror})."
    if free < min_free_bytes:
        return (
            f"The disk holding Roomcast's data has {free // (1024 * 1024)} MB free; "
            "changes may not be saved. Free some space."
        )
    return None


def routes(hub_key: Any, config_key: Any, rights_key: Any) -> list[web.AbstractRouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        config = request.app[config_key]
        problem = hub.store_problem(STORE_FAILURE_RECENT_S) or _disk_problem(
            config.data_dir, config.min_free_disk_bytes
        )
        store = hub.store_report()  # what the start found wrong with the data file
        if problem is not None:
            return web.json_response(
                {
                    "ok": False,
                    "live_rooms": hub.live_room_count,
                    "problem": problem,
                    "store": store,
                    "hls": hub.hls_enabled,
                },
                status=503,
            )
        return web.json_response(
            {"ok": True, "live_rooms": hub.live_room_count, "store": store, "hls": hub.hls_enabled}
        )

    async def create_room(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        config = request.app[config_key]
        rights: CreationRights = request.app[rights_key]
        key = _bearer(request)
        address = request.remote
        grant = rights.check(key, address, lambda room_id: hub.room(room_id) is not None)
        if isinstance(grant, Refusal):
            return _error(grant.status, grant.code, grant.message)
        try:
            data = await _json_body(request, config.body_timeout_s)
            unknown = sorted(set(data) - CREATE_FIELDS)
            if unknown:
                raise HubError("unknown_field", f"unknown field {unknown[0]!r}")
            host = _field(data, "host", dict[str, str])
            for name in ("client_id", "client_secret", "display_name"):
                if name not in host:
                    raise HubError("missing_field", f"host.{name} is required.")
            refused = identity_refusal(host["client_id"], host["client_secret"])
            if refused is not None:
                raise HubError("invalid_field", f"host: {refused}")
            card = RoomCard(
                _field(data, "title", str),
                _field(data, "description", str, ""),
                _field(data, "topics", tuple[str, ...], ()),
            )
            tickets = _field(data, "tickets", dict[str, int | str] | None, None)
            ticketing = None
            if tickets is not None:
                try:
                    ticketing = SetTicketing(
                        int(tickets["price_cents"]),
                        str(tickets["currency"]),
                        int(tickets["quantity"]),
                    )
                except (KeyError, ValueError):
                    raise HubError(
                        "invalid_field", "tickets needs price_cents, currency and quantity."
                    ) from None
            if not hub.check_identity(host["client_id"], host["client_secret"]):
                raise HubError("identity_mismatch", "This client id belongs to someone else.")
            created = hub.create_room(
                host_id=host["client_id"],
                host_name=host["display_name"],
                card=card,
                starts_at=_field(data, "starts_at", float | None, None),
                ask_mode=_field(data, "ask_mode", AskMode, AskMode.EVERYONE),
                ticketing=ticketing,
                broadcast=_field(data, "broadcast", bool, False),
            )
        except BodyError as error:
            rights.withdraw(grant)
            return _body_error(error)
        except HubError as error:
            rights.withdraw(grant)
            return _error(429 if error.code == "limit_reached" else 400, error.code, error.message)
        except StoreError as error:
            rights.withdraw(grant)
            return _error(503, "store_failed", str(error))
        except BaseException:  # a dropped request (cancelled), a bug: the grant must not stay
            rights.withdraw(grant)
            raise
        rights.created(grant, created.room.room_id)
        room = created.room
        join_url = config.join_url(room.room_id)
        return web.json_response(
            {
                "room_id": room.room_id,
                "host_id": room.host_id,
                "host_token": created.host_token,
                "join_url": join_url,
                "host_url": f"{join_url}#token={created.host_token}",
                "room": card_of(room),
            },
            status=201,
        )

    async def list_rooms(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        limit = _whole_number(request.query.get("limit"), DEFAULT_PAGE)
        offset = _whole_number(request.query.get("cursor"), 0)
        if limit is None or not 0 < limit <= MAX_PAGE:
            return _error(
                400, "invalid_field", f"limit must be a whole number from 1 to {MAX_PAGE}."
            )
        if offset is None:
            return _error(400, "invalid_field", "cursor must be a next_cursor this relay gave.")
        rooms, after, total = hub.directory_page(limit, offset)
        next_cursor = str(after) if after is not None else None
        return web.json_response({"rooms": rooms, "next_cursor": next_cursor, "total": total})

    async def get_room(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        room_id = request.match_info["room_id"]
        card = hub.card(room_id)
        if card is None:
            return _error(404, "room_not_found", "There is no room with that link.")
        return web.json_response(card)

    async def cohost_link(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        config = request.app[config_key]
        room_id = request.match_info["room_id"]
        token = _bearer(request)
        holder = hub.token_holder(token) if token else None
        if holder is None or holder[0] != room_id or holder[2] != Role.HOST.value:
            return _error(403, "not_allowed", "Only the host's link can make co-host links.")
        try:
            user_id, cohost_token = hub.add_cohost_link(room_id)
        except HubError as error:
            return _error(400, error.code, error.message)
        except StoreError as error:
            return _error(503, "store_failed", str(error))
        url = f"{config.join_url(room_id)}#token={cohost_token}"
        return web.json_response(
            {"user_id": user_id, "token": cohost_token, "url": url}, status=201
        )

    async def moderation_log(request: web.Request) -> web.Response:
        """The room's events before this page joined (a fresh join gets a snapshot only), for
        the moderators: whoever holds a host or co-host link and is in the room as one."""
        hub: Hub = request.app[hub_key]
        room_id = request.match_info["room_id"]
        token = _bearer(request)
        if not token:
            return _error(401, "token_required", "Send the host or co-host link's token.")
        holder = hub.token_holder(token)
        room = hub.room(room_id)
        if holder is None or holder[0] != room_id or room is None:
            return _error(403, "not_allowed", "Only the room's host and co-hosts read its log.")
        user_id = holder[1]
        if not is_moderator(room, user_id):
            # A co-host who stepped down keeps a link that admits a listener: no log.
            return _error(
                403, "not_allowed", "Join the room as its host or co-host to read its log."
            )
        after = _whole_number(request.query.get("after"), 0)
        limit = _whole_number(request.query.get("limit"), LOG_PAGE)
        if after is None:
            return _error(400, "invalid_field", "after must be a seq (a whole number).")
        if limit is None or not 0 < limit <= MAX_LOG_PAGE:
            return _error(
                400, "invalid_field", f"limit must be a whole number from 1 to {MAX_LOG_PAGE}."
            )
        try:
            events, next_after = hub.moderation_log(room_id, user_id, after, limit)
        except HubError as error:
            return _error(404, error.code, error.message)
        return web.json_response(
            {"events": events, "next_after": next_after},
            headers={"Cache-Control": "no-store"},
        )

    async def remind(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        room_id = request.match_info["room_id"]
        room = hub.find(room_id)
        if room is None:
            return _error(404, "room_not_found", "There is no room with that link.")
        if room.state is not RoomState.SCHEDULED:
            return _error(409, "not_scheduled", "Reminders are for rooms that have not started.")
        try:
            data = await _json_body(request, request.app[config_key].body_timeout_s)
            client_id = _field(data, "client_id", str)
        except BodyError as error:
            return _body_error(error)
        except HubError as error:
            return _error(400, error.code, error.message)
        if not 0 < len(client_id) <= 64:
            return _error(400, "invalid_field", "client_id must be 1 to 64 characters.")
        try:
            count = hub.add_reminder(room_id, client_id, request.remote or "")
        except StoreError as error:
            return _error(503, "store_failed", str(error))
        if count is None:
            # Anonymous client ids are free to make: one network counts only a few of them.
            return _error(
                429,
                "rate_limited",
                "Reminders from your network are already counted for this room.",
            )
        return web.json_response({"reminders": count})

    async def qr_code(request: web.Request) -> web.Response:
        """The room's join link as a QR code (SVG), for the page's Share dialog."""
        hub: Hub = request.app[hub_key]
        config = request.app[config_key]
        room_id = request.match_info["room_id"]
        if hub.find(room_id) is None:
            return _error(404, "room_not_found", "There is no room with that link.")
        import io

        import segno

        out = io.BytesIO()
        segno.make(config.join_url(room_id), error="m", micro=False).save(
            out, kind="svg", scale=6, border=4, xmldecl=False, svgns=True, title="Room link"
        )
        return web.Response(
            body=out.getvalue(),
            content_type="image/svg+xml",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def web_client(request: web.Request) -> web.StreamResponse:
        hub: Hub = request.app[hub_key]
        page = _web_page()
        if page is None:
            return web.Response(
                status=501,
                text="The browser client is not part of this build; join with `roomcast bot`.",
            )
        # An unknown room still gets the page (with 404), which then says so in words.
        status = 200 if hub.find(request.match_info["room_id"]) is not None else 404
        return web.FileResponse(page, status=status, headers={"Cache-Control": "no-cache"})

    web_dir = Path(__file__).parent / "web"
    static = [web.static("/static", web_dir, append_version=False)] if web_dir.is_dir() else []
    return [
        *static,
        web.get("/healthz", healthz),
        web.post("/api/rooms", create_room),
        web.get("/api/rooms", list_rooms),
        web.get("/api/rooms/{room_id}", get_room),
        web.post("/api/rooms/{room_id}/cohost-links", cohost_link),
        web.post("/api/rooms/{room_id}/reminders", remind),
        web.get("/api/rooms/{room_id}/log", moderation_log),
        web.get("/api/rooms/{room_id}/qr.svg", qr_code),
        web.get("/r/{room_id}", web_client),
    ]


PAGE_HEADERS = {
    # The page's own <meta> policy cannot forbid framing; without this, another site could
    # frame the room and trick clicks on Leave, Report or the consent answer.
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    response: web.StreamResponse = await handler(request)
    if request.path.startswith(("/r/", "/static/")):
        response.headers.update(PAGE_HEADERS)
    return response


def _web_page() -> Path | None:
    page = Path(__file__).parent / "web" / "index.html"
    return page if page.is_file() else None
