"""The relay's HTTP API as the console uses it, and the book of rooms this console hosts.

`RelayApi` creates rooms, lists the directory, reads cards and makes co-host links. Creating
a room needs the relay's key (`admin_key`): the console reads its embedded relay's from the
data folder they share (`RelaySupervisor.admin_key`); for a relay elsewhere
(`--relay-url`), from ROOMCAST_RELAY_KEY, unless that relay was started with --open-rooms.
`RoomBook` remembers, per room, the relay it lives on and the host link (which holds the
host token), so the console can reopen a room after a restart. The book is private to the
user (0600): a host link is a key to the room.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp

from console.identity import Identity

BOOK_FILE = "console-rooms.json"


class ApiError(Exception):
    """The relay refused, or could not be reached; `message` is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class HostedRoom:
    room_id: str
    base_url: str
    host_url: str  # join link with #token=… : acts as the host
    join_url: str
    title: str


RELAY_KEY_ENV = "ROOMCAST_RELAY_KEY"


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """One page of the relay's room directory (`GET /api/rooms?limit=&cursor=`)."""

    cards: list[dict[str, Any]]
    next_cursor: str | None  # None: the last page
    total: int  # rooms listed on the relay right now, across all pages


class RelayApi:
    def __init__(
        self, base_url: str, timeout_s: float = 10.0, *, admin_key: str | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.admin_key = admin_key

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        token: str | None = None,
        accept: tuple[int, ...] = (),
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as http,
                http.request(method, self.base_url + path, json=body, headers=headers) as resp,
            ):
                try:
                    data = await resp.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    data = None
                if not isinstance(data, dict):
                    raise ApiError("bad_reply", f"The relay at {self.base_url} sent no JSON.")
                if resp.status >= 400 and resp.status not in accept:
                    error = data.get("error") or {}
                    raise ApiError(
                        str(error.get("code", resp.status)), str(error.get("message", ""))
                    )
                return data
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise ApiError(
                "unreachable",
                f"Cannot reach the relay at {self.base_url} ({exc or type(exc).__name__}) — "
                "check the address in Settings",
            ) from exc

    async def health(self) -> dict[str, Any]:
        """{"ok": true, …}, or {"ok": false, "problem": …} from a relay that runs but cannot save
        (503): it answers, so it is there."""
        return await self._call("GET", "/healthz", accept=(503,))

    async def create_room(
        self,
        host: Identity,
        display_name: str,
        title: str,
        *,
        description: str = "",
        topics: tuple[str, ...] = (),
        starts_at: float | None = None,
        ask_mode: str = "everyone",
        tickets: dict[str, Any] | None = None,
        broadcast: bool = False,
    ) -> tuple[HostedRoom, dict[str, Any]]:
        body: dict[str, Any] = {
            "title": title,
            "description": description,
            "topics": list(topics),
            "ask_mode": ask_mode,
            "host": {
                "client_id": host.client_id,
                "client_secret": host.client_secret,
                "display_name": display_name,
            },
        }
        if starts_at is not None:
            body["starts_at"] = starts_at
        if tickets is not None:
            body["tickets"] = tickets
        if broadcast:
            body["broadcast"] = True
        data = await self._call("POST", "/api/rooms", body, token=self.admin_key)
        hosted = HostedRoom(
            str(data["room_id"]), self.base_url, str(data["host_url"]), str(data["join_url"]), title
        )
        return hosted, dict(data["room"])

    async def rooms(self, max_pages: int = 20) -> list[dict[str, Any]]:
        """The relay's directory, page by page (200 cards a page, at most `max_pages` pages)."""
        cards: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(max_pages):
            query = "?limit=200" + (f"&cursor={cursor}" if cursor else "")
            data = await self._call("GET", f"/api/rooms{query}")
            cards += [dict(card) for card in data.get("rooms", [])]
            cursor = data.get("next_cursor")
            if not cursor:
                break
        return cards

    async def directory_page(self, limit: int = 50, cursor: str | None = None) -> DirectoryPage:
        """One page of live and scheduled rooms; pass `next_cursor` back for the next."""
        query = f"?limit={limit}" + (f"&cursor={quote(cursor)}" if cursor else "")
        data = await self._call("GET", f"/api/rooms{query}")
        cursor_after = data.get("next_cursor")
        return DirectoryPage(
            [dict(card) for card in data.get("rooms", [])],
            str(cursor_after) if cursor_after else None,
            int(data.get("total") or 0),
        )

    async def card(self, room_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/api/rooms/{room_id}")

    async def cohost_link(self, room_id: str, host_token: str) -> str:
        data = await self._call("POST", f"/api/rooms/{room_id}/cohost-links", {}, token=host_token)
        return str(data["url"])


class RoomBook:
    """The rooms this console created, by room id, kept in the data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / BOOK_FILE
        self._rooms: dict[str, HostedRoom] = {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            for item in raw.get("rooms", []):
                room = HostedRoom(**{k: str(item[k]) for k in HostedRoom.__dataclass_fields__})
                self._rooms[room.room_id] = room
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            pass

    def rooms(self) -> list[HostedRoom]:
        return list(self._rooms.values())

    def get(self, room_id: str) -> HostedRoom | None:
        return self._rooms.get(room_id)

    def add(self, room: HostedRoom) -> None:
        self._rooms[room.room_id] = room
        self._save()

    def remove(self, room_id: str) -> None:
        if self._rooms.pop(room_id, None) is not None:
            self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"rooms": [asdict(r) for r in self._rooms.values()]}, handle, indent=2)
        tmp.replace(self.path)
