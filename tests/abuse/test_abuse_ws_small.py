"""The WebSocket side's small ones (issue 13, item 12).

As found: every hello, even to a room that does not exist, added a permanent identity row;
reminder counts could be inflated with made-up client ids; a slow reader was cut by a TCP abort
instead of the documented 4008; a binary first frame closed with 1000 instead of 4009. (A
healthy client resuming from far behind is in test_abuse_amplification.py: it gets a
snapshot.) Real relay, real sockets on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import sqlite3
import struct
import time
from dataclasses import replace

import aiohttp

from console.identity import Identity
from server.app import HUB, running_app
from server.config import RelayConfig
from server.rate_limits import Rate, RateLimitPolicy
from server.store import DB_NAME
from tests.abuse.wirekit import hello_body, wait_until, wire
from tests.relay.relaykit import create_room, join


def relay_config(tmp_path, **settings) -> RelayConfig:
    return RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0, **settings)


def identity_rows(data_dir) -> int:
    with sqlite3.connect(data_dir / DB_NAME) as db:
        return int(db.execute("SELECT count(*) FROM identities").fetchone()[0])


def test_only_a_real_join_records_an_identity(tmp_path):
    async def scenario():
        async with running_app(relay_config(tmp_path), with_media=False) as (bound, _app):
            created = await create_room(
                bound,
                Identity.new(),
                tickets={"price_cents": 100, "currency": "EUR", "quantity": 1},
            )
            before = identity_rows(tmp_path)
            for room_id in ("no-such-room", created["room_id"]):  # unknown; no ticket
                for _ in range(5):
                    async with wire(bound) as stranger:
                        reply = await stranger.hello(hello_body(room_id))
                        assert reply["type"] == "error", reply
            assert identity_rows(tmp_path) == before, "refused hellos left identity rows"
            free = await create_room(bound, Identity.new(), title="Free room")
            async with wire(bound) as guest:
                assert (await guest.hello(hello_body(free["room_id"])))["type"] == "ok"
            assert identity_rows(tmp_path) == before + 2  # the free room's host, and the guest

    asyncio.run(scenario())


def test_reminders_from_one_address_count_only_a_few_client_ids(tmp_path):
    async def scenario():
        async with running_app(relay_config(tmp_path), with_media=False) as (bound, _app):
            created = await create_room(bound, Identity.new(), starts_at=time.time() + 3600)
            url = f"{bound.base_url}/api/rooms/{created['room_id']}/reminders"
            answers = []
            async with aiohttp.ClientSession() as http:
                for n in range(10):
                    async with http.post(url, json={"client_id": f"fake-{n}"}) as resp:
                        answers.append((resp.status, await resp.json()))
                async with http.post(url, json={"client_id": "fake-0"}) as resp:
                    again = (resp.status, await resp.json())
            assert [a[1]["reminders"] for a in answers[:3]] == [1, 2, 3]
            for status, body in answers[3:]:
                assert status == 429 and body["error"]["code"] == "rate_limited", body
            assert again == (200, {"reminders": 3})  # asking twice is fine, and counts once
            card_url = f"{bound.base_url}/api/rooms/{created['room_id']}"
            async with aiohttp.ClientSession() as http, http.get(card_url) as resp:
                assert (await resp.json())["reminders"] == 3

    asyncio.run(scenario())


def test_a_binary_first_frame_is_refused_as_a_bad_hello(tmp_path):
    async def scenario():
        async with (
            running_app(relay_config(tmp_path), with_media=False) as (bound, _app),
            wire(bound) as odd,
        ):
            await odd.ws.send_bytes(b'{"v":1,"type":"hello"}')
            code, reason = await odd.wait_closed()
            assert (code, reason) == (4009, "binary_frame")
            assert odd.of_type("error")[0]["body"]["code"] == "binary_frame"

    asyncio.run(scenario())


class SlowReader:
    """A WebSocket client over a socket with a tiny receive buffer that reads only when told:
    the relay's frames pile up on its side, as for a phone on a bad network."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, port: int) -> SlowReader:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=2048)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        status = await reader.readuntil(b"\r\n\r\n")
        assert b" 101 " in status.split(b"\r\n")[0], status
        return cls(reader, writer)

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        else:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(header + mask + masked)

    async def frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", await self.reader.readexactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", await self.reader.readexactly(8))[0]
        return first & 0x0F, await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def test_a_slow_reader_is_closed_with_4008_and_a_reason_not_cut(tmp_path):
    async def scenario():
        config = relay_config(
            tmp_path,
            max_pending_frames=50,
            commands_per_s=1e6,
            command_burst=10**6,
            rate_limits=RateLimitPolicy.unlimited(),
        )
        async with running_app(config, with_media=False) as (bound, app):
            hub = app[HUB]
            created = await create_room(bound, Identity.new())
            room_id = created["room_id"]
            slow = await SlowReader.connect(bound.port)
            slow.send_text(
                json.dumps({"v": 1, "type": "hello", "id": 1, "body": hello_body(room_id)})
            )
            await wait_until(lambda: hub.broadcaster.connection_count(room_id) == 1, "the join")
            async with wire(bound) as host:
                hello = hello_body(room_id, Identity.new("h"), "Hana", token=created["host_token"])
                assert (await host.hello(hello))["type"] == "ok"
                # Pinning and unpinning a long link: about 2 KB an event, for everyone.
                link = {"url": "https://example.org/" + "a" * 2000}
                sent = 0
                while hub.broadcaster.connection_count(room_id) > 1:  # until the slow one goes
                    assert sent < 10_000, "the slow reader was never closed"
                    ids = [
                        await host.send("unpin_link" if n % 2 else "pin_link", link)
                        for n in range(10)  # the host's own backlog stays under 50
                    ]
                    await host.wait(lambda i=ids[-1]: host.reply(i) is not None, "pins")
                    sent += 10
            # Now it reads: everything it was sent, then a close frame with 4008 and a reason.
            close = None
            frames = 0
            deadline = time.monotonic() + 20
            while close is None:
                assert time.monotonic() < deadline, "no close frame arrived"
                opcode, payload = await asyncio.wait_for(slow.frame(), timeout=10)
                if opcode == 0x8:
                    close = (struct.unpack("!H", payload[:2])[0], payload[2:].decode())
                else:
                    frames += 1
            print(f"\n  the slow reader was closed after {sent} commands; it read {frames} frames")
            assert close == (4008, "too_slow")
            slow.close()

    asyncio.run(scenario())


def test_clients_refused_for_joining_too_fast_wait_as_told_and_get_in(tmp_path):
    """The other side of the per-address hello limit: many honest people behind one address
    (a conference's wifi) are slowed down, not shut out. The bot's and console's client waits
    `retry_after_s` and tries again."""

    async def scenario():
        policy = RateLimitPolicy()
        tight = replace(policy, kinds={**policy.kinds, "hello": (Rate(1.0, 10), Rate(4.0, 2))})
        config = relay_config(tmp_path, rate_limits=tight)
        async with running_app(config, with_media=False) as (bound, app):
            created = await create_room(bound, Identity.new())
            started = time.monotonic()
            clients = await asyncio.gather(
                *(join(created["join_url"], f"Guest {n}") for n in range(6))
            )
            try:
                elapsed_s = time.monotonic() - started
                assert all(c.connected and c.room is not None for c in clients)
                assert app[HUB].broadcaster.connection_count(created["room_id"]) == 6
                print(f"\n  6 joins through a limit of 2 at once, then 4/s: {elapsed_s:.1f} s")
                assert elapsed_s > 0.5, "nobody was held back: the limit did not apply"
            finally:
                for client in clients:
                    await client.close()

    asyncio.run(scenario())
