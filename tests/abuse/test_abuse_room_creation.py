"""Strangers create rooms (issue 13, item 2).

The attack, as found: anyone could POST /api/rooms, 10,000 rooms in 4.9 s, never expiring,
all "live" again after a restart. The defence: a relay creates rooms for holders of its key
(the console reads it from the data folder it shares with its relay), or, started with
open_rooms, for anyone within per-address limits; scheduled rooms are bounded per host.
Meanwhile a listener in an unrelated room loses nothing. Real relay and media worker on
loopback.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from console.identity import Identity
from server.app import running_app
from server.config import RelayConfig
from tests.abuse.abusekit import quiet_room, stranger
from tests.relay.relaykit import admin_headers, create_room, relay

pytestmark = pytest.mark.timeout(60)

FLOOD = 1_500


def room_body(host: Identity, title: str = "Free room", **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "host": {
            "client_id": host.client_id,
            "client_secret": host.client_secret,
            "display_name": "Mallory",
        },
        **extra,
    }


async def flood_create(
    url: str, count: int, *, headers: dict[str, str] | None = None, address: int = 1
) -> dict[int, int]:
    """`count` creations from one stranger's address, 20 at a time; statuses counted."""
    statuses: dict[int, int] = {}
    connector = aiohttp.TCPConnector(limit=20, local_addr=stranger(address))
    async with aiohttp.ClientSession(connector=connector) as http:

        async def one(n: int) -> None:
            body = room_body(Identity.new(), f"Spam {n}")
            async with http.post(url, json=body, headers=headers) as resp:
                data = await resp.json()
                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                if resp.status != 201:
                    assert data["error"]["code"] and data["error"]["message"], data

        for start in range(0, count, 100):
            await asyncio.gather(*(one(n) for n in range(start, min(start + 100, count))))
    return statuses


async def directory_titles(config: RelayConfig) -> list[str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{config.base_url}/api/rooms?limit=200") as resp,
    ):
        return [room["title"] for room in (await resp.json())["rooms"]]


def test_a_stranger_without_the_key_creates_nothing_and_the_room_next_door_plays_on(tmp_path):
    async def scenario():
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0, media_workers=1)
        async with running_app(config) as (bound, _app), quiet_room(bound) as quiet:
            url = f"{bound.base_url}/api/rooms"
            started = time.perf_counter()
            statuses = await flood_create(url, FLOOD)
            wrong = await flood_create(url, 50, headers={"Authorization": "Bearer " + "0" * 64})
            span, missing = quiet.since(started)
            print(f"{FLOOD} creations refused in {time.perf_counter() - started:.1f} s")
            assert statuses == {401: FLOOD}
            assert wrong == {403: 50}
            assert await directory_titles(bound) == ["Quiet room"]
            assert span > 25 and missing == 0, f"the listener missed {missing} of {span} ticks"
            # the key holder (the console) still creates rooms
            await create_room(bound, Identity.new(), title="The host's next show")

    asyncio.run(scenario())


def test_an_open_relay_limits_each_address(tmp_path):
    async def scenario():
        async with relay(
            tmp_path, open_rooms=True, rooms_per_address_per_hour=5, open_rooms_per_address=3
        ) as config:
            url = f"{config.base_url}/api/rooms"
            first = await flood_create(url, 40, address=1)
            assert first == {201: 3, 429: 37}, first  # three open rooms at a time
            other = await flood_create(url, 2, address=2)
            assert other == {201: 2}  # another address is not held back by the first
            async with (
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(local_addr=stranger(1))
                ) as http,
                http.post(url, json=room_body(Identity.new())) as resp,
            ):
                error = (await resp.json())["error"]
                assert resp.status == 429 and error["code"] == "too_many_open_rooms"
                assert "end one first" in error["message"]
            # a key holder is not counted against any address
            keyed = await flood_create(url, 8, address=1, headers=admin_headers(config))
            assert keyed == {201: 8}
            assert len(await directory_titles(config)) == 3 + 2 + 8

    asyncio.run(scenario())


def test_an_open_relay_counts_rooms_an_address_made_this_hour(tmp_path):
    async def scenario():
        async with relay(
            tmp_path, open_rooms=True, rooms_per_address_per_hour=4, open_rooms_per_address=100
        ) as config:
            url = f"{config.base_url}/api/rooms"
            assert await flood_create(url, 10, address=3) == {201: 4, 429: 6}
            async with (
                aiohttp.ClientSession(
                    connector=aiohttp.TCPConnector(local_addr=stranger(3))
                ) as http,
                http.post(url, json=room_body(Identity.new())) as resp,
            ):
                assert (await resp.json())["error"]["code"] == "too_many_rooms"

    asyncio.run(scenario())


def test_scheduled_rooms_are_bounded_per_host(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            host = Identity.new()
            later = time.time() + 3600
            top = config.limits.max_scheduled_rooms_per_host
            for n in range(top):
                await create_room(config, host, title=f"Week {n}", starts_at=later + n)
            async with aiohttp.ClientSession() as http:
                body = room_body(host, "One too many", starts_at=later)
                body["host"]["display_name"] = "Hana Host"
                async with http.post(
                    f"{config.base_url}/api/rooms", json=body, headers=admin_headers(config)
                ) as resp:
                    error = (await resp.json())["error"]
                    assert resp.status == 429 and error["code"] == "limit_reached"
                    assert "cancel one" in error["message"]
            # the same host may still go live now, and another host may schedule
            await create_room(config, host, title="Live now")
            await create_room(config, Identity.new(), title="Someone else", starts_at=later)

    asyncio.run(scenario())
