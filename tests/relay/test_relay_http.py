"""The relay's HTTP interface on a real socket."""

from __future__ import annotations

import asyncio

import aiohttp

from console.identity import Identity
from tests.relay.relaykit import admin_headers, create_room, join, relay


def test_health_create_card_and_directory(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            async with http.get(f"{config.base_url}/healthz") as resp:
                assert resp.status == 200 and (await resp.json())["ok"] is True
            host = Identity.new()
            created = await create_room(
                config, host, description="on sound", topics=["audio", "rtc"]
            )
            assert created["join_url"] == f"{config.base_url}/r/{created['room_id']}"
            assert created["host_url"].endswith("#token=" + created["host_token"])
            assert created["host_id"] == host.client_id

            async with http.get(f"{config.base_url}/api/rooms/{created['room_id']}") as resp:
                card = await resp.json()
            assert card["title"] == "Evening talk" and card["topics"] == ["audio", "rtc"]
            assert card["state"] == "live" and card["hosts"] == ["Hana Host"]
            assert card["listener_count"] == 0 and card["recording"] is False

            later = await create_room(
                config, host, title="Tomorrow", starts_at=__import__("time").time() + 86400
            )
            async with http.get(f"{config.base_url}/api/rooms") as resp:
                rooms = (await resp.json())["rooms"]
            assert [r["title"] for r in rooms] == ["Evening talk", "Tomorrow"]
            assert rooms[1]["state"] == "scheduled"

            reminders = f"{config.base_url}/api/rooms/{later['room_id']}/reminders"
            for client_id, expected in (("a", 1), ("a", 1), ("b", 2)):
                async with http.post(reminders, json={"client_id": client_id}) as resp:
                    assert (await resp.json())["reminders"] == expected

            async with http.get(f"{config.base_url}/api/rooms/nope") as resp:
                assert resp.status == 404
                assert (await resp.json())["error"]["code"] == "room_not_found"

    asyncio.run(scenario())


def test_bad_create_requests_get_clear_errors(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            url = f"{config.base_url}/api/rooms"
            host = {"client_id": "h1", "client_secret": "s" * 32, "display_name": "Hana"}
            cases = [
                (b"{nope", "malformed_json"),
                (b"[1]", "not_an_object"),
                ({"host": host}, "missing_field"),
                ({"title": "x" * 71, "host": host}, "invalid_field"),
                ({"title": "ok", "host": host, "topics": ["a", "b", "c", "d"]}, "invalid_field"),
                ({"title": "ok", "host": host, "starts_at": 1.0}, "invalid_field"),
                ({"title": "ok", "host": host, "ask_mode": "whoever"}, "invalid_field"),
                ({"title": "ok", "host": host, "colour": "red"}, "unknown_field"),
                ({"title": "ok", "host": {"client_id": "h1"}}, "missing_field"),
            ]
            for body, code in cases:
                kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
                headers = admin_headers(config) | {"Content-Type": "application/json"}
                async with http.post(url, headers=headers, **kwargs) as resp:
                    data = await resp.json()
                    assert resp.status == 400, (body, data)
                    assert data["error"]["code"] == code, (body, data)
                    assert data["error"]["message"]
            async with http.get(f"{config.base_url}/api/rooms") as resp:
                assert (await resp.json())["rooms"] == []

    asyncio.run(scenario())


def test_cohost_links_need_the_host_token(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            created = await create_room(config, Identity.new())
            url = f"{config.base_url}/api/rooms/{created['room_id']}/cohost-links"
            async with http.post(url) as resp:
                assert resp.status == 403
            async with http.post(url, headers={"Authorization": "Bearer wrong"}) as resp:
                assert resp.status == 403
            async with http.post(
                url, headers={"Authorization": f"Bearer {created['host_token']}"}
            ) as resp:
                link = await resp.json()
                assert resp.status == 201, link
            cohost = await join(link["url"], "Cory Cohost")
            try:
                assert cohost.room.role_of(cohost.user_id).value == "cohost"
                assert cohost.user_id == link["user_id"]
            finally:
                await cohost.close()

    asyncio.run(scenario())


def test_the_web_page_is_served_with_protective_headers(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            created = await create_room(config, Identity.new())
            async with http.get(created["join_url"]) as resp:
                assert resp.status == 200
                assert "<html" in (await resp.text()).lower()
                assert resp.headers["X-Frame-Options"] == "DENY"
                assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]
                assert resp.headers["X-Content-Type-Options"] == "nosniff"
            async with http.get(f"{config.base_url}/r/no-such-room") as resp:
                assert resp.status == 404
                assert "<html" in (await resp.text()).lower()  # the page says so in words
            async with http.get(f"{config.base_url}/static/app.js") as resp:
                assert resp.status == 200 and resp.headers["X-Frame-Options"] == "DENY"
            async with http.get(f"{config.base_url}/healthz") as resp:
                assert "X-Frame-Options" not in resp.headers

    asyncio.run(scenario())
