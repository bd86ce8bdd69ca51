"""A web page in the host's browser reaches the local relay (issue 13, item 3).

The attack, as found: `POST /api/rooms` with `Content-Type: text/plain` (a "simple" request a
page may send anywhere without asking), a foreign Origin and a foreign Host was accepted, and
a WebSocket from any site was accepted: any page open in the host's browser could act on
127.0.0.1:8470, and a DNS-rebinding name could even read the answers. The defence: the relay
answers only its own host names (421 otherwise), takes JSON bodies only as application/json
(415), and refuses a WebSocket whose Origin is not its own (403). Real relay on loopback;
requests written byte for byte where a client library would tidy them.
"""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from console.identity import Identity
from tests.relay.relaykit import admin_headers, create_room, join, relay

pytestmark = pytest.mark.timeout(60)


async def raw_request(port: int, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request exactly as written; (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head_bytes, _, rest = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, rest


def post_head(host: str, path: str, body: bytes, content_type: str, extra: str = "") -> str:
    return (
        f"POST {path} HTTP/1.1\nHost: {host}\nContent-Type: {content_type}\n"
        f"Content-Length: {len(body)}\nConnection: close\n{extra}"
    )


def test_a_foreign_host_is_refused_before_anything_happens(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            port = config.port
            host = Identity.new()
            body = json.dumps(
                {
                    "title": "Rebound",
                    "host": {
                        "client_id": host.client_id,
                        "client_secret": host.client_secret,
                        "display_name": "Mallory",
                    },
                }
            ).encode()
            key = admin_headers(config)["Authorization"]
            # what a DNS-rebinding page sends: its own name, its own origin, text/plain
            for name in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
                status, headers, answer = await raw_request(
                    port,
                    post_head(
                        name,
                        "/api/rooms",
                        body,
                        "text/plain",
                        f"Origin: http://{name}\nAuthorization: {key}\n",
                    ),
                    body,
                )
                error = json.loads(answer)["error"]
                assert status == 421 and error["code"] == "wrong_host", (name, answer)
                assert "host name" in error["message"]
                assert headers["x-content-type-options"] == "nosniff"
            status, _, _ = await raw_request(
                port, f"GET /healthz HTTP/1.1\nHost: evil.example:{port}\nConnection: close\n"
            )
            assert status == 421
            # the relay's own names are answered (on any port: a port forward keeps the name)
            for name in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", "localhost",
                         f"127.0.0.1:{port + 1}"):  # fmt: skip
                status, _, answer = await raw_request(
                    port, f"GET /healthz HTTP/1.1\nHost: {name}\nConnection: close\n"
                )
                assert status == 200, (name, answer)
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{config.base_url}/api/rooms") as r,
            ):
                assert (await r.json())["rooms"] == []

    asyncio.run(scenario())


def test_a_public_url_names_the_relay_behind_a_proxy(tmp_path):
    async def scenario():
        async with relay(tmp_path, public_url="https://rooms.example.org") as config:
            for name, expect in (
                ("rooms.example.org", 200),
                ("rooms.example.org:443", 200),
                ("Rooms.Example.Org", 200),
                (f"127.0.0.1:{config.port}", 200),
                ("rooms.example.org.evil.example", 421),
            ):
                status, _, _ = await raw_request(
                    config.port, f"GET /healthz HTTP/1.1\nHost: {name}\nConnection: close\n"
                )
                assert status == expect, name

    asyncio.run(scenario())


def test_json_endpoints_take_only_json(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            port = config.port
            own = f"127.0.0.1:{port}"
            key = admin_headers(config)["Authorization"]
            body = json.dumps({"title": "Form post", "host": {}}).encode()
            for content_type in ("text/plain", "application/x-www-form-urlencoded",
                                 "multipart/form-data; boundary=x"):  # fmt: skip
                status, _, answer = await raw_request(
                    port,
                    post_head(own, "/api/rooms", body, content_type, f"Authorization: {key}\n"),
                    body,
                )
                error = json.loads(answer)["error"]
                assert status == 415 and error["code"] == "unsupported_media_type", answer
            later = await create_room(config, Identity.new(), starts_at=time.time() + 3600)
            path = f"/api/rooms/{later['room_id']}/reminders"
            reminder = b'{"client_id": "someone"}'
            status, _, _ = await raw_request(
                port, post_head(own, path, reminder, "text/plain"), reminder
            )
            assert status == 415
            status, _, answer = await raw_request(
                port, post_head(own, path, reminder, "application/json; charset=utf-8"), reminder
            )
            assert status == 200 and json.loads(answer) == {"reminders": 1}

    asyncio.run(scenario())


def test_a_websocket_from_another_site_is_refused(tmp_path):
    async def scenario():
        async with relay(tmp_path) as config:
            created = await create_room(config, Identity.new())
            ws_url = f"{config.base_url.replace('http', 'ws', 1)}/ws"
            async with aiohttp.ClientSession() as http:
                # another site, a sandboxed frame, another program's page on this computer, and
                # the relay's own name spelled otherwise than the page the socket is opened from
                for origin in ("http://evil.example", f"http://evil.example:{config.port}",
                               "null", f"http://127.0.0.1:{config.port + 1}",
                               f"http://localhost:{config.port}"):  # fmt: skip
                    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                        await http.ws_connect(ws_url, headers={"Origin": origin})
                    assert refused.value.status == 403, origin
                # the relay's own page (its origin) and clients without one (bots) are fine
                ws = await http.ws_connect(ws_url, headers={"Origin": config.base_url})
                await ws.close()
                local = f"ws://localhost:{config.port}/ws"  # the page as http://localhost:PORT
                ws = await http.ws_connect(
                    local, headers={"Origin": f"http://localhost:{config.port}"}
                )
                await ws.close()
            bot = await join(created["join_url"], "Bea Bot")  # no Origin, as `roomcast bot`
            try:
                assert bot.user_id in bot.room.participants
            finally:
                await bot.close()

    asyncio.run(scenario())
