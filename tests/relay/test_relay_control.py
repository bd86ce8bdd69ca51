"""The control plane on a real relay: abandoned rooms end, the directory pages, and a restart
from snapshot + events gives back every room exactly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

import aiohttp

from console.client import ClientClosed
from console.identity import Identity
from server.protocol import encode_envelope
from server.room import EndReason, React, Reacted, RoomEnded, RoomState
from server.store import Store
from tests.relay.relaykit import create_room, join, relay


async def vanish_after_hello(base_url: str, room_id: str, host: Identity, token: str) -> None:
    """Connect as the host, join, and drop the socket without leaving (a crashed console)."""
    hello = {"room_id": room_id, "client_id": host.client_id, "client_secret": host.client_secret,
             "display_name": "Hana Host", "token": token}  # fmt: skip
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{base_url}/ws") as ws:
        await ws.send_str(encode_envelope("hello", hello, "h"))
        reply = json.loads((await ws.receive(timeout=10)).data)
        assert reply["type"] == "ok", reply


def test_a_room_whose_host_vanished_ends_after_the_abandon_time(tmp_path):
    async def scenario():
        async with relay(tmp_path, abandon_after_s=1.5) as config, aiohttp.ClientSession() as http:
            host = Identity.new()
            created = await create_room(config, host)
            room_id = created["room_id"]
            await vanish_after_hello(config.base_url, room_id, host, created["host_token"])
            listener = await join(created["join_url"], "Lee Listener")
            started = time.monotonic()
            with contextlib.suppress(ClientClosed):
                await listener.wait_for(lambda c: c.room.state is RoomState.ENDED, timeout_s=15)
            waited_s = time.monotonic() - started
            assert listener.room.state is RoomState.ENDED, "the listener is told the room ended"
            assert waited_s > 0.5, "a listener does not keep a room alive, but it is not instant"
            async with http.get(f"{config.base_url}/api/rooms/{room_id}") as resp:
                assert (await resp.json())["state"] == "ended"
            async with http.get(f"{config.base_url}/api/rooms") as resp:
                assert room_id not in [r["room_id"] for r in (await resp.json())["rooms"]]
            await listener.close(leave=False)
        store = Store.open(tmp_path)
        try:
            log = [event for _, event in store.events_after(room_id, 0)]
        finally:
            store.close()
        assert isinstance(log[-1], RoomEnded)
        assert log[-1].reason is EndReason.ABANDONED and log[-1].actor == "system"

    asyncio.run(scenario())


def test_a_room_whose_host_stays_connected_does_not_end(tmp_path):
    async def scenario():
        async with relay(tmp_path, abandon_after_s=0.5) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listener = await join(created["join_url"], "Lee Listener")
            # a round trip long after the abandon time: still live for both
            await asyncio.sleep(1.5)  # the verdict is "nothing happened", which has no event
            await listener.ping()
            assert host.room.state is RoomState.LIVE and listener.room.state is RoomState.LIVE
            await host.close()
            await listener.close()

    asyncio.run(scenario())


def test_the_directory_pages_and_refuses_bad_limits(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            host = Identity.new()
            made = [
                (await create_room(config, host, title=f"Room {i}"))["room_id"] for i in range(5)
            ]
            seen, cursor = [], None
            for _ in range(5):  # at most one page per room
                query = "?limit=2" + (f"&cursor={cursor}" if cursor else "")
                async with http.get(f"{config.base_url}/api/rooms{query}") as resp:
                    page = await resp.json()
                assert len(page["rooms"]) <= 2 and page["total"] == 5
                seen += [r["room_id"] for r in page["rooms"]]
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert sorted(seen) == sorted(made)
            for bad in ("?limit=0", "?limit=201", "?limit=x", "?cursor=-1"):
                async with http.get(f"{config.base_url}/api/rooms{bad}") as resp:
                    assert resp.status == 400, bad
                    assert (await resp.json())["error"]["code"] == "invalid_field"

    asyncio.run(scenario())


def test_the_log_and_the_snapshot_agree_with_what_clients_saw(tmp_path):
    """Snapshots are rare here (every 60 s); a clean stop writes the last one. (A kill -9,
    which leaves only the events, is tests/relay/test_relay_restart.py and tests/server.)"""

    async def scenario():
        async with relay(tmp_path, snapshot_interval_s=60.0, snapshot_every_events=10**6) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            listeners = [await join(created["join_url"], f"Listener {i}") for i in range(5)]
            for listener in listeners:
                await listener.send(React("🔥"))
            await host.wait_for(lambda c: c.seq == 1 + 5 + 5)
            truth = host.room
            for client in (host, *listeners):
                await client.close(leave=False)
        store = Store.open(tmp_path)
        try:
            stale = store.load_room(created["room_id"])
            current = store.load_current(created["room_id"])
            events = store.events_after(created["room_id"], 0)
        finally:
            store.close()
        assert any(isinstance(e, Reacted) for _, e in events)
        assert current is not None and current.room == truth and current.last_seq == 11
        assert stale is not None and stale.last_seq <= current.last_seq

    asyncio.run(scenario())
