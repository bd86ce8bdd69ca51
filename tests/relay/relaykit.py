"""A real relay on a free loopback port, and clients of it, for the relay tests."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

from console.client import JoinLink, RoomClient
from console.identity import Identity
from server.admin_key import key_path, read_key
from server.app import running_relay
from server.config import RelayConfig


@contextlib.asynccontextmanager
async def relay(
    data_dir: Path, *, with_media: bool = False, **settings: Any
) -> AsyncIterator[RelayConfig]:
    config = RelayConfig(data_dir=data_dir, host="127.0.0.1", port=0, **settings)
    async with running_relay(config, with_media=with_media) as running:
        yield running


def admin_headers(config: RelayConfig) -> dict[str, str]:
    """What the console sends to create a room: the relay's key, from its data folder."""
    return {"Authorization": f"Bearer {read_key(key_path(config.data_dir))}"}


async def create_room(config: RelayConfig, host: Identity, **fields: Any) -> dict[str, Any]:
    body = {
        "title": "Evening talk",
        "host": {
            "client_id": host.client_id,
            "client_secret": host.client_secret,
            "display_name": "Hana Host",
        },
    }
    body.update(fields)
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{config.base_url}/api/rooms", json=body, headers=admin_headers(config)) as resp,
    ):
        data = await resp.json()
        assert resp.status == 201, data
        return data


async def join(url: str, name: str, identity: Identity | None = None, **kwargs: Any) -> RoomClient:
    client = RoomClient(JoinLink.parse(url), identity or Identity.new(), name, **kwargs)
    await client.connect()
    return client


async def cohost_link(config: RelayConfig, created: dict[str, Any]) -> dict[str, Any]:
    """A co-host seat behind a link, made with the host's token: {user_id, token, url}."""
    url = f"{config.base_url}/api/rooms/{created['room_id']}/cohost-links"
    headers = {"Authorization": f"Bearer {created['host_token']}"}
    async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as resp:
        link = await resp.json()
        assert resp.status == 201, link
        return dict(link)
