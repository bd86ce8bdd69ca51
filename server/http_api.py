"""The relay's HTTP interface: health, the room directory, room cards, creation.

    GET  /healthz               {"ok": true, ...}
    POST /api/rooms             create → {room_id, host_id, host_token, join_url, host_url, room}
    GET  /api/rooms             live and scheduled rooms (cards), a page at a time:
                                ?limit=N (default 50, at most 200) &cursor=C (from next_cursor)
                                → {rooms, next_cursor, total}; see server/directory.py
    GET  /api/rooms/{id}        one room's card
    POST /api/rooms/{id}/cohost-links   (host token) → a co-host link
    POST /api/rooms/{id}/reminders      {client_id} → the room's reminder count (at most
                                        3 client ids per address per room; then 429)
    GET  /api/rooms/{id}/qr.svg the room's join link as a QR code
    GET  /r/{id}                the web client page (server/web/index.html)
    GET  /static/...            the web client's modules, styles and vendored files

Errors are JSON `{"error": {"code": ..., "message": ...}}` with a 4xx status.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiohttp import web

from server.directory import DEFAULT_PAGE, MAX_PAGE, card_of
from server.hub import Hub, HubError
from server.room import AskMode, Role, RoomCard, RoomState, SetTicketing
from server.room.codec import CodecError, from_plain
from server.store import StoreError

MAX_BODY_BYTES = 16 * 1024


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise HubError("too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    raw = await request.content.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise HubError("too_large", f"Request bodies are limited to {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise HubError("malformed_json", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise HubError("not_an_object", "The body must be a JSON object.")
    return data


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


def routes(hub_key: Any, config_key: Any) -> list[web.AbstractRouteDef]:
    async def healthz(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        return web.json_response(
            {"ok": True, "live_rooms": hub.live_room_count, "store": hub.store_report()}
        )

    async def create_room(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        config = request.app[config_key]
        try:
            data = await _json_body(request)
            known = {"title", "description", "topics", "starts_at", "ask_mode", "tickets", "host"}
            unknown = sorted(set(data) - known)
            if unknown:
                raise HubError("unknown_field", f"unknown field {unknown[0]!r}")
            host = _field(data, "host", dict[str, str])
            for key in ("client_id", "client_secret", "display_name"):
                if key not in host:
                    raise HubError("missing_field", f"host.{key} is required.")
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
            )
        except HubError as error:
            return _error(400, error.code, error.message)
        except StoreError as error:
            return _error(503, "store_failed", str(error))
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

    async def remind(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        room_id = request.match_info["room_id"]
        room = hub.find(room_id)
        if room is None:
            return _error(404, "room_not_found", "There is no room with that link.")
        if room.state is not RoomState.SCHEDULED:
            return _error(409, "not_scheduled", "Reminders are for rooms that have not started.")
        try:
            data = await _json_body(request)
            client_id = _field(data, "client_id", str)
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
