"""Counting HLS listeners from sampled heartbeats (server/hls_audience.py): the counter on its
own with a stepped clock, then a real relay with real plain-HTTP clients heartbeating from
their own loopback addresses, whose count converges and reaches the card and the host."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import aiohttp
import pytest

from console.identity import Identity
from server.app import HLS, MEDIA, running_app
from server.hls_audience import SESSIONS_PER_ADDRESS, HeartbeatCounter
from server.hls_origin import HlsOrigin
from tests.hls.edge import nginx_available, running_edge
from tests.hls.test_hls_relay import hls_config, wait_until
from tests.relay.relaykit import create_room
from tests.relay.test_relay_media import stage_member

pytestmark = pytest.mark.timeout(120)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_every_session_counts_once_and_drops_out_after_the_window() -> None:
    clock = Clock()
    counter = HeartbeatCounter(every_s=20, now=clock)
    for i in range(30):
        assert counter.beat("r", f"session-{i:08d}-abcdef", f"10.0.{i}.1")
    assert counter.estimate("r") == 30 and counter.p("r") == 1.0
    clock.t += 2
    assert not counter.beat("r", "session-00000000-abcdef", "10.0.0.1"), "faster than every_s/4"
    clock.t += 28  # 30 s after: still within the 50 s window
    for i in range(10):
        assert counter.beat("r", f"session-{i:08d}-abcdef", f"10.0.{i}.1")
    assert counter.estimate("r") == 30
    clock.t += 25  # 55 s after the first beats: only the ten that beat again are left
    assert counter.estimate("r") == 10
    assert counter.estimate("another room") == 0


def test_one_address_counts_at_most_its_share_and_cannot_take_over_a_session() -> None:
    clock = Clock()
    counter = HeartbeatCounter(every_s=20, per_address=4, now=clock)
    taken = [counter.beat("r", f"forged-{i:012d}", "203.0.113.9") for i in range(1000)]
    assert sum(taken) == 4 and counter.estimate("r") == 4
    assert counter.beat("r", "honest-listener-0001", "198.51.100.1")
    clock.t += 10
    assert not counter.beat("r", "honest-listener-0001", "203.0.113.9"), "someone else's id"
    assert counter.estimate("r") == 5


def test_past_the_target_only_a_sample_heartbeats_and_is_weighed_up() -> None:
    """1,000 listeners, 100 wanted: p falls to 0.1; the clients with u < 0.1 go on, each
    weighing 10, and the estimate comes back to 1,000 once the others' entries expire."""
    clock = Clock()
    counter = HeartbeatCounter(every_s=20, target_sampled=100, now=clock)
    draws = [i / 1000 for i in range(1000)]
    for i, _u in enumerate(draws):
        counter.beat("r", f"listener-{i:010d}", f"10.{i // 250}.{i % 250}.1")
    assert counter.estimate("r") == 1000
    p = counter.p("r")
    assert p == 0.1
    for _ in range(4):
        clock.t += 20
        for i, u in enumerate(draws):
            if u < p:
                assert counter.beat("r", f"listener-{i:010d}", f"10.{i // 250}.{i % 250}.1")
        p = counter.p("r")
    assert p == 0.1, "p holds still while the estimate does"
    assert counter.estimate("r") == pytest.approx(1000)


async def heartbeating_client(
    base: str, index: int, count: int, stop: asyncio.Event, every_s: float
) -> int:
    """One HLS client from its own loopback address (127.0.1.<index>): reads p from the room's
    state.json, heartbeats while its draw (spread evenly, i/count) is below p. Returns how many
    heartbeats the relay took."""
    draw = index / count
    session = f"client-{index:04d}-{Identity.new().client_id[:12]}"
    connector = aiohttp.TCPConnector(local_addr=(f"127.0.1.{index + 1}", 0))
    taken = 0
    async with aiohttp.ClientSession(connector=connector) as http:
        while not stop.is_set():
            async with http.get(f"{base}/state.json") as response:
                state = await response.json()
            if draw < state["heartbeat"]["p"]:
                async with http.post(f"{base}/listening", json={"session": session}) as response:
                    taken += response.status == 200
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), state["heartbeat"]["every_s"])
    return taken


def near(value: float, target: float, within: float) -> bool:
    return abs(value - target) <= within * target


def test_the_relay_counts_heartbeating_hls_clients_and_tells_the_room(tmp_path: Path) -> None:
    """60 HLS clients (plain HTTP, no WebSocket) on a relay that wants 20 heartbeating: p
    drops to about a third, the estimate settles near 60, and the card, state.json and the
    host's WebSocket say so, as an estimate."""
    clients = 60

    async def scenario() -> None:
        settings = {"media_workers": 1, "hls_heartbeat_s": 1.0, "hls_sampled_listeners": 20}
        async with running_app(hls_config(tmp_path, **settings)) as (config, app):
            await app[MEDIA].wait_ready()
            origin: HlsOrigin = app[HLS]
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            host, media = await stage_member(created, "Hana Host", 440)
            stop = asyncio.Event()
            tasks: list[asyncio.Task[int]] = []
            try:
                await wait_until(lambda: room_id in origin.streams, "the room's stream")
                base = f"{config.base_url}/hls/{room_id}"
                tasks = [
                    asyncio.create_task(heartbeating_client(base, i, clients, stop, 1.0))
                    for i in range(clients)
                ]
                counter = origin.heartbeats
                await wait_until(lambda: counter.p(room_id) < 0.5, "p to fall", 20)
                # Settled: p no longer moving and the estimate near the truth, several times.
                streak = 0
                deadline = time.monotonic() + 40
                while streak < 5:
                    assert time.monotonic() < deadline, (counter.estimate(room_id), streak)
                    good = near(counter.estimate(room_id), clients, 0.15)
                    streak = streak + 1 if good else 0
                    await asyncio.sleep(0.5)
                assert 0.25 <= counter.p(room_id) <= 0.45, counter.p(room_id)
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"{config.base_url}/api/rooms/{room_id}") as response,
                ):
                    card = await response.json()
                assert card["listener_count_estimated"] is True
                assert near(card["listener_count"], clients, 0.2), card
                await host.wait_for(lambda c: near(c.hls_listeners[0], clients, 0.2), 10)
                assert host.hls_listeners[1] is True, "the host is told it is an estimate"
            finally:
                stop.set()
                taken = await asyncio.gather(*tasks)
                await media.close()
                await host.close()
            sampled = sum(1 for n in taken if n > 3)
            assert 15 <= sampled <= 30, f"about 20 clients went on heartbeating, not {sampled}"

    asyncio.run(scenario())


@pytest.mark.skipif(not nginx_available(), reason="nginx is not installed (make test installs it)")
def test_behind_nginx_the_edges_forwarded_address_is_the_one_limited(tmp_path: Path) -> None:
    """Heartbeats through the nginx edge (deploy/nginx) all come from nginx's address; with
    --trust-forwarded-for naming it, each client counts under its own address, while whatever a
    client writes into X-Forwarded-For itself is not believed."""

    async def scenario() -> None:
        settings = {"media_workers": 1, "trusted_proxies": ("127.0.0.1/32",)}
        async with running_app(hls_config(tmp_path, **settings)) as (config, app):
            await app[MEDIA].wait_ready()
            origin: HlsOrigin = app[HLS]
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            host, media = await stage_member(created, "Hana Host", 440)
            try:
                await wait_until(lambda: room_id in origin.streams, "the room's stream")
                with running_edge(tmp_path / "nginx", config.port) as edge:
                    url = f"{edge.base_url}/hls/{room_id}/listening"
                    for i in range(6):  # six listeners, each at its own address
                        connector = aiohttp.TCPConnector(local_addr=(f"127.0.4.{i + 1}", 0))
                        async with (
                            aiohttp.ClientSession(connector=connector) as http,
                            http.post(url, json={"session": f"edge-listener-{i:06d}"}) as reply,
                        ):
                            assert reply.status == 200, await reply.text()
                    assert origin.heartbeats.estimate(room_id) == 6
                    # One client making up sessions and forwarded-for addresses: its own
                    # address is the one nginx appends, and that is the one limited.
                    connector = aiohttp.TCPConnector(local_addr=("127.0.5.1", 0))
                    statuses = []
                    async with aiohttp.ClientSession(connector=connector) as http:
                        for i in range(20):
                            headers = {"X-Forwarded-For": f"198.51.100.{i}"}
                            body = {"session": f"forged-session-{i:06d}"}
                            async with http.post(url, json=body, headers=headers) as reply:
                                statuses.append(reply.status)
                    assert statuses.count(200) == SESSIONS_PER_ADDRESS, statuses
                    assert origin.heartbeats.estimate(room_id) == 6 + SESSIONS_PER_ADDRESS
                # Straight at the relay, from an address it does not trust: the header is
                # ignored, the peer's address counts.
                connector = aiohttp.TCPConnector(local_addr=("127.0.6.1", 0))
                async with aiohttp.ClientSession(connector=connector) as http:
                    direct = f"{config.base_url}/hls/{room_id}/listening"
                    taken = 0
                    for i in range(10):
                        headers = {"X-Forwarded-For": f"203.0.113.{i}"}
                        body = {"session": f"direct-session-{i:06d}"}
                        async with http.post(direct, json=body, headers=headers) as reply:
                            taken += reply.status == 200
                    assert taken == SESSIONS_PER_ADDRESS
            finally:
                await media.close()
                await host.close()

    asyncio.run(scenario())
