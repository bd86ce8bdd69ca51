"""Slowloris: connections that trickle their headers to hold the relay (issue 13, item 4).

The attack, as found: 200 connections sending a request's headers a byte at a time were all
held for the 60 s the attack ran. The defence: a connection's first request must have its
headers in within the header timeout; a kept-alive connection idle (or trickling its next
request) past the idle timeout is closed; one address may hold only so many connections, and
the ones past that are closed at once. Meanwhile /healthz answers and a listener in a room
loses nothing. Real relay and media worker; the attackers come from 127.0.0.2 and 127.0.0.3.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import aiohttp
import pytest

from server.app import GUARD, running_app
from server.config import RelayConfig
from tests.abuse.abusekit import quiet_room, stranger

pytestmark = pytest.mark.timeout(60)

SLOW_CONNECTIONS = 200
HEADER_TIMEOUT_S = 2.0
HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: " + b"s" * 200


class Trickler:
    """One slow client: opens, sends a byte of its request every `every_s`, notes when the
    relay closed it."""

    def __init__(self, port: int, address: int, every_s: float) -> None:
        self.port, self.address, self.every_s = port, address, every_s
        self.opened_at = 0.0
        self.closed_at: float | None = None

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(
            "127.0.0.1", self.port, local_addr=stranger(self.address)
        )
        self.opened_at = time.monotonic()

        async def dribble() -> None:
            for byte in HEAD:
                await asyncio.sleep(self.every_s)
                writer.write(bytes([byte]))

        sending = asyncio.ensure_future(dribble())
        try:
            with contextlib.suppress(ConnectionError):
                await reader.read(1)  # b"" (closed) or a reset: either way the relay let go
            self.closed_at = time.monotonic()
        finally:
            sending.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await sending
            writer.close()

    @property
    def held_s(self) -> float:
        assert self.closed_at is not None
        return self.closed_at - self.opened_at


async def health_ms(base_url: str) -> float:
    started = time.perf_counter()
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/healthz") as resp:
        assert resp.status == 200, await resp.text()
    return (time.perf_counter() - started) * 1000


def test_trickled_headers_are_cut_at_the_header_timeout(tmp_path):
    async def scenario():
        config = RelayConfig(
            data_dir=tmp_path,
            host="127.0.0.1",
            port=0,
            media_workers=1,
            header_timeout_s=HEADER_TIMEOUT_S,
        )
        async with running_app(config) as (bound, app), quiet_room(bound) as quiet:
            started = time.perf_counter()
            slow = [Trickler(bound.port, 1, every_s=0.25) for _ in range(SLOW_CONNECTIONS)]
            attack = asyncio.gather(*(t.run() for t in slow))
            health = []
            while not attack.done():  # the relay answers others all along
                health.append(await health_ms(bound.base_url))
                await asyncio.sleep(0.25)
            await attack
            span, missing = quiet.since(started)
            longest = max(t.held_s for t in slow)
            print(
                f"{SLOW_CONNECTIONS} slow connections, longest held {longest:.2f} s; "
                f"/healthz worst {max(health):.0f} ms over {len(health)} checks"
            )
            assert longest < HEADER_TIMEOUT_S + 2.0, f"a slow connection was held {longest:.1f} s"
            assert app[GUARD].timed_out >= SLOW_CONNECTIONS
            assert app[GUARD].count <= 2  # nothing of the attack is left open
            assert span > 25 and missing == 0, f"the listener missed {missing} of {span} ticks"

    asyncio.run(scenario())


def test_an_idle_or_trickling_kept_alive_connection_is_closed(tmp_path):
    async def scenario():
        config = RelayConfig(
            data_dir=tmp_path, host="127.0.0.1", port=0, idle_timeout_s=1.5, header_timeout_s=5
        )
        async with running_app(config, with_media=False) as (bound, _app):
            for trickle in (False, True):
                reader, writer = await asyncio.open_connection("127.0.0.1", bound.port)
                writer.write(
                    f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{bound.port}\r\n\r\n".encode()
                )
                assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
                answered = time.monotonic()
                if trickle:  # the next request's headers, one byte a tenth of a second
                    for byte in HEAD[:5]:
                        writer.write(bytes([byte]))
                        await asyncio.sleep(0.1)
                with contextlib.suppress(ConnectionError):
                    while await asyncio.wait_for(reader.read(4096), 10):
                        pass
                held_s = time.monotonic() - answered
                writer.close()
                assert held_s < 1.5 + 1.5, f"kept alive {held_s:.1f} s (trickle={trickle})"

    asyncio.run(scenario())


def test_one_address_holds_only_its_share_of_connections(tmp_path):
    async def scenario():
        config = RelayConfig(
            data_dir=tmp_path,
            host="127.0.0.1",
            port=0,
            max_connections_per_address=50,
            header_timeout_s=10.0,
        )
        async with running_app(config, with_media=False) as (bound, app):
            guard = app[GUARD]
            slow = [Trickler(bound.port, 2, every_s=1.0) for _ in range(120)]
            attack = asyncio.ensure_future(asyncio.gather(*(t.run() for t in slow)))
            deadline = time.monotonic() + 5
            while sum(t.closed_at is not None for t in slow) < 70:
                assert time.monotonic() < deadline, "the connections past the cap were kept"
                await asyncio.sleep(0.05)
            shut = [t for t in slow if t.closed_at is not None]
            assert len(shut) == 70 and max(t.held_s for t in shut) < 1.0
            assert guard.open.get("127.0.0.3") == 50  # stranger(2)
            await health_ms(bound.base_url)  # another address is served meanwhile
            attack.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await attack

    asyncio.run(scenario())
