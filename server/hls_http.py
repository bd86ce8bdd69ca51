"""The relay's HLS routes: every live room's audience mix for any HTTP cache or CDN.

    GET  /hls/{room_id}/index.m3u8      the LL-HLS media playlist; with ?_HLS_msn=M[&_HLS_part=N]
                                        held until segment M (part N of M) is out (RFC 8216bis
                                        §6.2.5.2), 503 after three target durations
    GET  /hls/{room_id}/init.mp4        the fMP4 init segment (Opus, mono, 48 kHz)
    GET  /hls/{room_id}/s{M}.m4s        segment M;  /p{M}.{N}.m4s: its part N (a part not yet
                                        written but next in line is held until it is)
    GET  /hls/{room_id}/state.json      who is on stage, who is speaking, listener count,
                                        recent reactions: for listeners without a WebSocket
    POST /hls/{room_id}/reactions       {"emoji": E}: one reaction, rate-limited per address;
                                        each second's sum reaches the room once (hls_reactions)
    POST /hls/{room_id}/listening       {"session": id}: an HLS client's heartbeat (sampled:
                                        state.json says how often and how many), the
                                        listener count (server/hls_audience.py); never cached
    POST /hls/{room_id}/broadcast       {"on": true|false} with `Authorization: Bearer <host
                                        or co-host token>`: issues the room rules' command
                                        SetBroadcastMode (new listeners hear HLS)

Cache-Control is what an edge needs: media (init, segments, parts) never change once written,
so they are immutable for a year; the plain playlist and the state live one second; a blocking
playlist answer names its version in its URL, so it may be kept a while. Kept apart from
server/http_api.py so the two evolve without stepping on each other.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from aiohttp import web

from server.hls_audience import SESSION_ID
from server.hls_origin import HlsOrigin, StreamState
from server.hub import Hub
from server.protocol.ephemeral import HlsReactions
from server.room import Reason, Rejected, SetBroadcastMode, validation

IMMUTABLE = "public, max-age=31536000, immutable"
LIVE_PLAYLIST = "public, max-age=1"
BLOCKING_PLAYLIST = "public, max-age=60"
NOT_YET = "no-store"
HOLD_S = 6.0
"""How long a request for what is not out yet is held: three 2 s target durations."""
ADVANCE_PART_LIMIT = 3

_ROOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PART = re.compile(r"^p(\d{1,19})\.(\d{1,3})\.m4s$")
_SEGMENT = re.compile(r"^s(\d{1,19})\.m4s$")
REACTION_EVERY_S = 1.0
"""One reaction per address per second (behind an edge, the edge's address: see README)."""


def _headers(cache: str, content_type: str) -> dict[str, str]:
    return {
        "Cache-Control": cache,
        "Content-Type": content_type,
        "Access-Control-Allow-Origin": "*",
    }


class _Reactions:
    """Reactions from HLS listeners, counted per second; each second's sum goes to the room's
    WebSocket connections once (`hls_reactions`). Runs on: the control loop."""

    def __init__(self) -> None:
        self.last_by_address: dict[str, float] = {}
        self.recent: dict[str, deque[tuple[int, Counter[str]]]] = {}
        self.pending: dict[str, Counter[str]] = {}

    def flush(self, hub: Hub, room_id: str) -> None:
        counts = self.pending.pop(room_id, None)
        if counts:
            hub.broadcaster.broadcast(room_id, HlsReactions(dict(counts)))

    def add(self, room_id: str, address: str, emoji: str, now: float) -> bool:
        if now - self.last_by_address.get(address, -1e9) < REACTION_EVERY_S:
            return False
        self.last_by_address[address] = now
        if len(self.last_by_address) > 16 * 1024:
            horizon = now - REACTION_EVERY_S
            self.last_by_address = {a: t for a, t in self.last_by_address.items() if t > horizon}
        second = int(now)
        seconds = self.recent.setdefault(room_id, deque(maxlen=10))
        if not seconds or seconds[-1][0] != second:
            seconds.append((second, Counter()))
        seconds[-1][1][emoji] += 1
        self.pending.setdefault(room_id, Counter())[emoji] += 1
        return True

    def last_seconds(self, room_id: str, now: float, span_s: int = 5) -> dict[str, int]:
        total: Counter[str] = Counter()
        for second, counts in self.recent.get(room_id, ()):
            if second > now - span_s:
                total.update(counts)
        return dict(total)


def hls_routes(
    hub_key: Any, origin_key: Any, media_key: Any, trusted_proxies: tuple[str, ...] = ()
) -> list[web.AbstractRouteDef]:
    reactions = _Reactions()
    trusted = tuple(ipaddress.ip_network(n, strict=False) for n in trusted_proxies)

    def client_address(request: web.Request) -> str:
        return _client_address(request, trusted)

    def origin_of(request: web.Request) -> HlsOrigin:
        origin: HlsOrigin = request.app[origin_key]
        return origin

    def room_id_of(request: web.Request) -> str:
        room_id = request.match_info["room_id"]
        if not _ROOM_ID.match(room_id):
            raise web.HTTPNotFound(text="No such room.")
        return room_id

    def not_found(text: str) -> web.Response:
        return web.Response(status=404, text=text, headers={"Cache-Control": NOT_YET})

    def ticketed(request: web.Request, room_id: str) -> web.Response | None:
        """A ticketed room is never served over HLS (ticketing may start while it streams)."""
        hub: Hub = request.app[hub_key]
        room = hub.find(room_id)
        if room is None or not room.is_ticketed:
            return None
        text = "This room is ticketed: join it from its page with your ticket."
        return web.Response(status=403, text=text, headers={"Cache-Control": NOT_YET})

    async def playlist(request: web.Request) -> web.Response:
        origin, room_id = origin_of(request), room_id_of(request)
        if (refused := ticketed(request, room_id)) is not None:
            return refused
        msn_text = request.query.get("_HLS_msn")
        part_text = request.query.get("_HLS_part")
        state = origin.streams.get(room_id)
        pool = request.app.get(media_key)
        if state is None and pool is not None and room_id in pool.rooms:
            state = origin.expect(room_id)  # its media started, its first part is on its way
        if state is None:
            return not_found("This room is not streaming over HLS (it ended, or has not begun).")
        if msn_text is None:
            if part_text is not None:
                return web.Response(status=400, text="_HLS_part needs _HLS_msn.")
            if state.msn < 0:
                await origin.wait(room_id, lambda s: s.msn >= 0, HOLD_S)
            return _playlist_response(origin, room_id, "playlist", LIVE_PLAYLIST)
        if not msn_text.isdigit() or (part_text is not None and not part_text.isdigit()):
            return web.Response(status=400, text="_HLS_msn and _HLS_part are whole numbers.")
        msn = int(msn_text)
        part = int(part_text) if part_text is not None else None
        if msn > state.msn + 2 or (
            part is not None and msn == state.msn and part > state.part + ADVANCE_PART_LIMIT
        ):
            return web.Response(status=400, text="That segment is too far ahead of the stream.")

        def ready(s: StreamState) -> bool:
            if part is None:
                return s.complete_msn >= msn
            return (s.msn, s.part) >= (msn, part)

        if await origin.wait(room_id, ready, HOLD_S) is None:
            text = "The stream did not get there in time."
            return web.Response(status=503, text=text, headers={"Cache-Control": NOT_YET})
        return _playlist_response(origin, room_id, "blocking", BLOCKING_PLAYLIST)

    async def media(request: web.Request) -> web.StreamResponse:
        origin, room_id = origin_of(request), room_id_of(request)
        if (refused := ticketed(request, room_id)) is not None:
            return refused
        name = request.match_info["name"]
        if name == "init.mp4":
            kind = "init"
        elif (match := _PART.match(name)) is not None:
            kind = "part"
            wanted = (int(match.group(1)), int(match.group(2)))
        elif (match := _SEGMENT.match(name)) is not None:
            kind = "segment"
            wanted_msn = int(match.group(1))
        else:
            return not_found("No such file in this stream.")
        path = origin.folder(room_id) / name
        data = _read(path)
        state = origin.streams.get(room_id)
        if data is None and state is not None and not state.ended and kind != "init":
            # A preload hint, or a segment about to close: hold it until it is written.
            if kind == "part" and wanted[0] <= state.msn + 1:
                await origin.wait(room_id, lambda s: (s.msn, s.part) >= wanted, HOLD_S)
                data = _read(path)
            elif kind == "segment" and wanted_msn <= state.complete_msn + 1:
                await origin.wait(room_id, lambda s: s.complete_msn >= wanted_msn, HOLD_S)
                data = _read(path)
        if data is None:
            return not_found("Not written yet, or too old.")
        origin.served[kind] += 1
        content_type = "audio/mp4" if kind == "init" else "video/iso.segment"
        return web.Response(body=data, headers=_headers(IMMUTABLE, content_type))

    async def state_document(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        origin, room_id = origin_of(request), room_id_of(request)
        card = hub.card(room_id)
        if card is None:
            return not_found("No such room.")
        origin.served["state"] += 1
        stream = origin.streams.get(room_id)
        hls_only = int(card.get("hls_listeners", 0))
        joined = card.get("listener_count", 0) - hls_only
        heartbeats = origin.heartbeats
        room = hub.room(room_id)
        stage = [
            {
                "user_id": p.user_id,
                "name": p.display_name,
                "role": p.role.value,
                "muted": p.muted,
            }
            for p in (room.stage() if room is not None else ())
        ]
        body = {
            "room": card,
            "stage": stage,
            "speaking": hub.speaking_now(room_id) if room is not None else [],
            "listeners": {
                "joined": joined,  # with the page open, whichever way they hear
                "hls": round(heartbeats.estimate(room_id)),  # from heartbeats: see README
                "total": joined + hls_only,
                "estimated": bool(card.get("listener_count_estimated", False)),
            },
            # Heartbeat if your draw u (once, in [0, 1)) is below p: POST listening.
            "heartbeat": {"every_s": heartbeats.every_s, "p": heartbeats.p(room_id)},
            "reactions": reactions.last_seconds(room_id, time.time()),
            "hls": {
                "live": stream is not None and not stream.ended,
                "broadcast": bool(card.get("broadcast", False)),
            },
            "updated_at": time.time(),
        }
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            headers=_headers(LIVE_PLAYLIST, "application/json; charset=utf-8"),
        )

    async def react(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        room_id = room_id_of(request)
        if hub.room(room_id) is None:
            return not_found("This room is not live.")
        raw = await request.content.read(1025)
        try:
            emoji = json.loads(raw)["emoji"] if len(raw) <= 1024 else None
        except (ValueError, KeyError, TypeError):
            emoji = None
        checked = validation.reaction(emoji)
        if not isinstance(checked, str):
            return _error(400, "invalid_field", checked.detail or "Not one of the reactions.")
        first_this_second = room_id not in reactions.pending
        if not reactions.add(room_id, client_address(request), checked, time.time()):
            return web.json_response(
                {"error": {"code": "rate_limited", "message": "One reaction a second, please."}},
                status=429,
            )
        if first_this_second:  # the room hears this second's sum once, a second from now
            asyncio.get_running_loop().call_later(1.0, reactions.flush, hub, room_id)
        return web.json_response({"ok": True}, headers={"Cache-Control": "no-store"})

    async def listening(request: web.Request) -> web.Response:
        hub: Hub = request.app[hub_key]
        origin, room_id = origin_of(request), room_id_of(request)
        if origin.streams.get(room_id) is None or hub.room(room_id) is None:
            return not_found("This room is not streaming over HLS.")
        raw = await request.content.read(257)
        try:
            session = json.loads(raw)["session"] if len(raw) <= 256 else None
        except (ValueError, KeyError, TypeError):
            session = None
        if not isinstance(session, str) or not SESSION_ID.match(session):
            return _error(400, "invalid_field", "session: 16 to 64 letters, digits, - or _.")
        if not origin.heartbeats.beat(room_id, session, client_address(request)):
            return web.json_response(
                {
                    "error": {
                        "code": "rate_limited",
                        "message": "Too many listening sessions from this address, or too often.",
                    }
                },
                status=429,
                headers={"Cache-Control": NOT_YET},
            )
        body = {"every_s": origin.heartbeats.every_s, "p": origin.heartbeats.p(room_id)}
        return web.json_response(body, headers={"Cache-Control": NOT_YET})

    async def broadcast(request: web.Request) -> web.Response:
        """Issues SetBroadcastMode for the link's holder (the host, or a co-host in the room):
        the same command as the console's toggle, kept in the room's state."""
        hub: Hub = request.app[hub_key]
        room_id = room_id_of(request)
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        holder = hub.token_holder(token) if token else None
        if holder is None or holder[0] != room_id or holder[2] not in ("host", "cohost"):
            return _error(
                403, "forbidden", "Only the host and co-hosts turn broadcast mode on or off."
            )
        raw = await request.content.read(1025)
        try:
            on = json.loads(raw)["on"]
        except (ValueError, KeyError, TypeError):
            on = None
        if not isinstance(on, bool):
            return _error(400, "invalid_field", 'Send {"on": true} or {"on": false}.')
        if hub.find(room_id) is None:
            return not_found("No such room.")
        verdict = hub.submit(room_id, holder[1], SetBroadcastMode(on))
        if isinstance(verdict, Rejected) and verdict.reason is not Reason.NO_CHANGE:
            status = 403 if verdict.reason is Reason.NOT_ALLOWED else 409
            return _error(status, verdict.reason.value, verdict.detail)
        return web.json_response({"broadcast": on}, headers={"Cache-Control": NOT_YET})

    return [
        web.post("/hls/{room_id}/broadcast", broadcast),
        web.get("/hls/{room_id}/index.m3u8", playlist),
        web.get("/hls/{room_id}/state.json", state_document),
        web.post("/hls/{room_id}/reactions", react),
        web.post("/hls/{room_id}/listening", listening),
        web.get("/hls/{room_id}/{name}", media),
    ]


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _client_address(request: web.Request, trusted: tuple[Network, ...] = ()) -> str:
    """The address a per-address limit counts: the peer's, or, when the peer is a trusted
    edge, the nearest address in X-Forwarded-For that is not itself a trusted edge (read
    from the right: whatever the client wrote on the left is not believed)."""
    remote = request.remote or "unknown"
    if not trusted or not _is_trusted(remote, trusted):
        return remote
    hops = [h.strip() for h in ",".join(request.headers.getall("X-Forwarded-For", [])).split(",")]
    for hop in reversed(hops):
        if not hop:
            continue
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote  # garbage where an address should be: count the edge
    return remote


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _read(path: Path) -> bytes | None:
    """A small file (a part is ~2 KB, a segment ~8 KB) from the page cache: microseconds."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def _playlist_response(origin: HlsOrigin, room_id: str, kind: str, cache: str) -> web.Response:
    data = _read(origin.folder(room_id) / "index.m3u8")
    if data is None:
        return web.Response(status=404, text="No playlist yet.", headers={"Cache-Control": NOT_YET})
    origin.served[kind] += 1
    headers = _headers(cache, "application/vnd.apple.mpegurl")
    # The playlist's version, for edges' logs: the part it hints at next (or its end).
    hint = data.rfind(b'PRELOAD-HINT:TYPE=PART,URI="')
    if hint >= 0:
        start = hint + len(b'PRELOAD-HINT:TYPE=PART,URI="')
        headers["X-Playlist-Next-Part"] = data[start : data.find(b'"', start)].decode("ascii")
    else:
        headers["X-Playlist-Next-Part"] = "end"
    return web.Response(body=data, headers=headers)
