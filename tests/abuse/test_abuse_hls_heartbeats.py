"""Inflating a room's listener count with forged HLS heartbeats (POST /hls/<room>/listening):
one address making up session ids counts at most SESSIONS_PER_ADDRESS listeners, cannot take
over an honest listener's id, and the honest ones stay counted. Real relay (--hls, real media
worker and speaker) on loopback; bounded in requests and time."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import aiohttp
import pytest

from console.identity import Identity
from server.app import HLS, MEDIA, running_app
from server.hls_audience import SESSIONS_PER_ADDRESS
from server.hls_origin import HlsOrigin
from tests.hls.test_hls_relay import hls_config, wait_until
from tests.relay.relaykit import create_room
from tests.relay.test_relay_media import stage_member

pytestmark = pytest.mark.timeout(90)

FORGED = 2000
HONEST = 5


def test_a_flood_of_forged_heartbeats_from_one_address_counts_its_share_only(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with running_app(hls_config(tmp_path, media_workers=1)) as (config, app):
            await app[MEDIA].wait_ready()
            origin: HlsOrigin = app[HLS]
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            host, media = await stage_member(created, "Hana Host", 440)
            base = f"{config.base_url}/hls/{room_id}"
            honest_ids = [f"honest-{i}-{secrets.token_hex(8)}" for i in range(HONEST)]
            try:
                await wait_until(lambda: room_id in origin.streams, "the room's stream")
                for i, session in enumerate(honest_ids):  # each from its own address
                    connector = aiohttp.TCPConnector(local_addr=(f"127.0.2.{i + 1}", 0))
                    async with (
                        aiohttp.ClientSession(connector=connector) as http,
                        http.post(f"{base}/listening", json={"session": session}) as response,
                    ):
                        assert response.status == 200
                        assert response.headers["Cache-Control"] == "no-store"

                statuses: dict[int, int] = {}
                started = time.monotonic()
                connector = aiohttp.TCPConnector(local_addr=("127.0.0.9", 0), limit=16)
                async with aiohttp.ClientSession(connector=connector) as http:

                    async def forge(session: str) -> None:
                        async with http.post(
                            f"{base}/listening", json={"session": session}
                        ) as response:
                            statuses[response.status] = statuses.get(response.status, 0) + 1

                    forged = [f"forged-{secrets.token_hex(12)}" for _ in range(FORGED)]
                    # Someone else's id from the flooding address: refused, never moved.
                    await asyncio.wait_for(
                        asyncio.gather(*(forge(s) for s in [*honest_ids, *forged])), 60
                    )
                    async with http.post(f"{base}/listening", data=b"{") as response:
                        assert response.status == 400
                    async with http.post(
                        f"{base}/listening", json={"session": "<script>"}
                    ) as response:
                        assert response.status == 400
                elapsed = time.monotonic() - started

                assert statuses.get(200, 0) == SESSIONS_PER_ADDRESS, statuses
                assert statuses.get(429, 0) == FORGED + HONEST - SESSIONS_PER_ADDRESS, statuses
                estimate = origin.heartbeats.estimate(room_id)
                assert estimate == HONEST + SESSIONS_PER_ADDRESS, estimate
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"{config.base_url}/api/rooms/{room_id}") as response,
                ):
                    card = await response.json()
                assert card["listener_count"] <= HONEST + SESSIONS_PER_ADDRESS, card
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"{config.base_url}/healthz") as response,
                ):
                    assert response.status == 200
                print(f"\n{FORGED} forged heartbeats answered in {elapsed:.1f} s")
            finally:
                await media.close()
                await host.close()

    asyncio.run(scenario())
