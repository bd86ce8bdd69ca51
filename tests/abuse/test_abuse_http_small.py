"""The small HTTP findings (issue 13, item 12): a body nested past the parser's stack, a host
identity the WebSocket would refuse, a health check blind to a full disk, a Server header
naming versions, JSON without nosniff, and a body trickled to hold a handler. Real relay on
loopback."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from console.identity import Identity
from server.app import HUB, running_app
from server.config import RelayConfig
from tests.abuse.test_abuse_cross_site import post_head
from tests.relay.relaykit import admin_headers, create_room, relay

pytestmark = pytest.mark.timeout(60)


def test_deeply_nested_json_is_malformed_not_a_crash(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            created = await create_room(config, Identity.new(), starts_at=time.time() + 3600)
            json_headers = admin_headers(config) | {"Content-Type": "application/json"}
            for url in (
                f"{config.base_url}/api/rooms",
                f"{config.base_url}/api/rooms/{created['room_id']}/reminders",
            ):
                for body in (b"[" * 16000, b'{"a":' * 3000):
                    async with http.post(url, data=body, headers=json_headers) as resp:
                        data = await resp.json()
                        assert resp.status == 400, data
                        assert data["error"]["code"] == "malformed_json"
            async with http.get(f"{config.base_url}/healthz") as resp:
                assert resp.status == 200

    asyncio.run(scenario())


def test_a_host_identity_follows_the_websocket_rules(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            url = f"{config.base_url}/api/rooms"
            good = Identity.new()
            cases = [
                (good.client_id, ""),
                (good.client_id, "x"),
                (good.client_id, "s" * 15),
                (good.client_id, "s" * 257),
                ("cohost-1a2b3c4d", "s" * 32),
                ("system", "s" * 32),
                ("", "s" * 32),
                ("x" * 65, "s" * 32),
                ("tab\there", "s" * 32),
            ]
            for client_id, secret in cases:
                body = {
                    "title": "Borrowed name",
                    "host": {
                        "client_id": client_id,
                        "client_secret": secret,
                        "display_name": "Hana",
                    },
                }
                async with http.post(url, json=body, headers=admin_headers(config)) as resp:
                    data = await resp.json()
                    assert resp.status == 400, (client_id, secret, data)
                    assert data["error"]["code"] == "invalid_field"
                    assert data["error"]["message"].startswith("host: ")
            await create_room(config, good)  # a proper identity still works

    asyncio.run(scenario())


def test_health_says_503_when_the_disk_cannot_take_writes(tmp_path):
    async def scenario():
        # A threshold above the disk's real free space stands in for a full disk: the check
        # is the same statvfs the relay makes against the threshold.
        async with (
            relay(tmp_path, min_free_disk_bytes=1 << 62) as config,
            aiohttp.ClientSession() as http,
            http.get(f"{config.base_url}/healthz") as resp,
        ):
            data = await resp.json()
            assert resp.status == 503 and data["ok"] is False
            assert "free" in data["problem"] and "Free some space" in data["problem"]
        async with (
            relay(tmp_path) as config,
            aiohttp.ClientSession() as http,
            http.get(f"{config.base_url}/healthz") as resp,
        ):
            assert resp.status == 200 and (await resp.json())["ok"] is True

    asyncio.run(scenario())


def test_health_says_503_after_a_change_could_not_be_saved(tmp_path):
    async def scenario():
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)
        async with running_app(config, with_media=False) as (bound, app):
            # SQLite's own "database or disk is full", as a full disk gives it: the database
            # may not grow by another page.
            db = app[HUB]._store._db
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages}")
            async with aiohttp.ClientSession() as http:
                for n in range(50):  # until a write needs a new page
                    body = {
                        "title": f"Room {n}",
                        "description": "x" * 250,
                        "host": {
                            "client_id": f"host-{n}",
                            "client_secret": "s" * 32,
                            "display_name": "Hana",
                        },
                    }
                    async with http.post(
                        f"{bound.base_url}/api/rooms", json=body, headers=admin_headers(bound)
                    ) as resp:
                        if resp.status == 503:
                            error = (await resp.json())["error"]
                            break
                else:
                    raise AssertionError("the database never filled up")
                assert error["code"] == "store_failed" and "full" in error["message"]
                async with http.get(f"{bound.base_url}/healthz") as resp:
                    data = await resp.json()
                    assert resp.status == 503 and data["ok"] is False
                    assert "full" in data["problem"]

    asyncio.run(scenario())


def test_every_answer_says_only_roomcast_and_forbids_sniffing(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config, aiohttp.ClientSession() as http:
            created = await create_room(config, Identity.new())
            base = config.base_url
            answers = []
            for method, path in (
                ("GET", "/healthz"),
                ("GET", "/api/rooms"),
                ("GET", f"/api/rooms/{created['room_id']}"),
                ("GET", "/api/rooms/nope"),
                ("POST", "/api/rooms"),
                ("GET", f"/r/{created['room_id']}"),
                ("GET", "/static/app.js"),
                ("GET", "/no/such/path"),
            ):
                async with http.request(method, base + path) as resp:
                    answers.append((path, resp.status, resp.headers))
            ws = await http.ws_connect(base.replace("http", "ws", 1) + "/ws")
            assert ws._response is not None
            answers.append(("/ws", 101, ws._response.headers))
            await ws.close()
            for path, status, headers in answers:
                assert headers.get("Server") == "Roomcast", (path, status, headers)
                assert headers.get("X-Content-Type-Options") == "nosniff", (path, status)

    asyncio.run(scenario())


def test_a_trickled_body_is_cut_at_the_body_timeout(tmp_path):
    async def scenario():
        async with relay(tmp_path, body_timeout_s=1.0) as config:
            port = config.port
            key = admin_headers(config)["Authorization"]
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            body_length = 1000
            head = post_head(
                f"127.0.0.1:{port}", "/api/rooms", b"x" * body_length, "application/json",
                f"Authorization: {key}\n",
            )  # fmt: skip
            writer.write(head.replace("\n", "\r\n").encode() + b"\r\n{")
            await writer.drain()
            started = time.monotonic()

            async def trickle() -> None:
                for _ in range(body_length - 1):
                    writer.write(b" ")
                    await writer.drain()
                    await asyncio.sleep(0.2)

            dribble = asyncio.ensure_future(trickle())
            try:
                answer = await asyncio.wait_for(reader.read(), 10)
            finally:
                dribble.cancel()
                writer.close()
            took_s = time.monotonic() - started
            status = int(answer.split(b" ", 2)[1])
            error = json.loads(answer.partition(b"\r\n\r\n")[2])["error"]
            assert status == 408 and error["code"] == "too_slow", answer
            assert took_s < 5, f"the trickled body was held {took_s:.1f} s"

    asyncio.run(scenario())
