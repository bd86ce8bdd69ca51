"""The control plane cannot starve the audio (DESIGN §10): a listener in one room gets every
tick while strangers flood another room with commands and poll the directory. A real relay
process with two media workers; the listener's packets are counted at its socket."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time

import aiohttp

from console.client import ClientClosed, CommandRejected
from console.identity import Identity
from server.config import RelayConfig
from server.room import React, RequestToSpeak, WithdrawRequest
from tests.relay.relaykit import create_room, join
from tests.relay.rtptap import missing_ticks
from tests.relay.test_relay_media import listener, stage_member
from tests.relay.test_relay_restart import crash_relay, free_port, start_relay
from tests.relay.test_relay_workers import tapped, wait_until

WINDOW_S = 20.0
FLOODERS = 10
COMMANDS_EACH = 100  # 1,000 commands in all
POLLERS = 4
POLLS_EACH = 50  # 200 directory polls in all
OTHER_ROOMS = 40


async def flood(client, count: int, spread_s: float) -> int:
    """Send `count` commands evenly over `spread_s`; returns how many were answered."""
    answered = 0
    commands = [RequestToSpeak(), WithdrawRequest(), React("👏")]
    for n in range(count):
        with contextlib.suppress(CommandRejected):
            await client.send(commands[n % len(commands)])
        answered += 1
        await asyncio.sleep(spread_s / count)
    return answered


async def poll_directory(base_url: str, count: int, spread_s: float) -> int:
    ok = 0
    async with aiohttp.ClientSession() as http:
        for _ in range(count):
            async with http.get(f"{base_url}/api/rooms") as response:
                await response.read()
                ok += response.status == 200
            await asyncio.sleep(spread_s / count * random.uniform(0.5, 1.5))
    return ok


def test_a_flood_of_commands_and_directory_polls_costs_another_room_no_audio(tmp_path):
    async def scenario():
        port = free_port()
        config = RelayConfig(data_dir=tmp_path, port=port)
        process = await start_relay(tmp_path, port, "--media-workers", "2")
        people = []
        try:
            room_a = await create_room(config, Identity.new(), title="Quiet room")
            room_b = await create_room(config, Identity.new(), title="Busy room")
            for n in range(OTHER_ROOMS):  # a directory worth polling
                await create_room(config, Identity.new(), title=f"Room {n}", topics=["music"])
            host, host_media = await stage_member(room_a, "Hana Host", 440)
            lis, lis_media = await listener(room_a, "Lee Listener")
            people += [(host, host_media), (lis, lis_media)]
            tap = tapped(lis_media)
            await wait_until(lambda: len(tap.arrivals) > 50, "the listener hears room A")
            flooders = [await join(room_b["join_url"], f"Flooder {n}") for n in range(FLOODERS)]
            people += [(client, None) for client in flooders]

            started = time.perf_counter()
            results = await asyncio.gather(
                *(flood(c, COMMANDS_EACH, WINDOW_S - 2.0) for c in flooders),
                *(poll_directory(config.base_url, POLLS_EACH, WINDOW_S - 2.0)
                  for _ in range(POLLERS)),
            )  # fmt: skip
            await wait_until(lambda: time.perf_counter() > started + WINDOW_S, "the window")
            assert sum(results[:FLOODERS]) == FLOODERS * COMMANDS_EACH
            assert sum(results[FLOODERS:]) == POLLERS * POLLS_EACH

            span, missing = missing_ticks(tap.between(started, started + WINDOW_S))
            assert span >= 0.98 * WINDOW_S * 50, f"only {span} ticks in {WINDOW_S} s"
            assert missing == 0, f"the listener missed {missing} of {span} ticks"
        finally:
            for client, media in people:
                if media is not None:
                    await media.close()
                with contextlib.suppress(ClientClosed, OSError):
                    await client.close()
            crash_relay(process)

    asyncio.run(scenario())
