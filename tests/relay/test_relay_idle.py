"""An empty room costs nothing (DESIGN §10): once everyone has gone, no mixer ticks, and the
relay's processes (control and media workers) sleep. A real relay process with two media
workers; CPU is read from /proc for every process of the relay."""

from __future__ import annotations

import asyncio
import os
import time

from console.identity import Identity
from server.config import RelayConfig
from tests.relay.relaykit import create_room
from tests.relay.test_relay_media import listener, stage_member
from tests.relay.test_relay_restart import crash_relay, free_port, relay_family, start_relay

TICKS_PER_S = os.sysconf("SC_CLK_TCK")
IDLE_LIMIT = 0.01  # of one core, all relay processes together


def cpu_s(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS_PER_S


async def cpu_share(pids: list[int], seconds: float) -> float:
    before, started = cpu_s(pids), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_s(pids) - before) / (time.monotonic() - started)


def test_live_rooms_with_nobody_in_them_cost_the_relay_no_cpu(tmp_path):
    async def scenario():
        port = free_port()
        config = RelayConfig(data_dir=tmp_path, port=port)
        process = await start_relay(tmp_path, port, "--media-workers", "2")
        try:
            rooms = [await create_room(config, Identity.new(), title=f"Room {n}") for n in range(6)]
            for created in rooms[:3]:  # these had audio: mixers ran, then everyone left
                host, host_media = await stage_member(created, "Hana Host", 440)
                lis, lis_media = await listener(created, "Lee Listener")
                await asyncio.sleep(0.5)
                for client, media in ((lis, lis_media), (host, host_media)):
                    await media.close()
                    await client.close()  # leaves the room
            family = relay_family(process.pid)
            assert len(family) == 3, "a control process and two media workers"
            # Wait (bounded) for the workers to let go of the peers, then measure.
            deadline = time.monotonic() + 30
            share = await cpu_share(family, 1.0)
            while share > IDLE_LIMIT and time.monotonic() < deadline:
                share = await cpu_share(family, 1.0)
            share = await cpu_share(family, 5.0)
            assert share < IDLE_LIMIT, f"the idle relay used {share:.1%} of a core"
        finally:
            crash_relay(process)

    asyncio.run(scenario())
