"""What the flood tests share: a room whose listener is counted packet by packet while the
attack runs elsewhere, and attackers on loopback addresses of their own (127.0.0.2, …; Linux
routes all of 127/8 to lo), so the relay's per-address limits see them as strangers while
the test's own clients stay on 127.0.0.1."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from console.identity import Identity
from server.config import RelayConfig
from tests.relay.relaykit import create_room
from tests.relay.rtptap import RtpTap, missing_ticks
from tests.relay.test_relay_media import listener, stage_member
from tests.relay.test_relay_workers import tapped, wait_until


@dataclass
class QuietRoom:
    """A host on stage sending a tone and a listener whose packets are counted."""

    created: dict[str, Any]
    tap: RtpTap

    def since(self, started: float) -> tuple[int, int]:
        """(ticks spanned since `started`, ticks missing) at the listener."""
        return missing_ticks(self.tap.between(started, time.perf_counter()))


@contextlib.asynccontextmanager
async def quiet_room(config: RelayConfig) -> AsyncIterator[QuietRoom]:
    created = await create_room(config, Identity.new(), title="Quiet room")
    host, host_media = await stage_member(created, "Hana Host", 440)
    lis, lis_media = await listener(created, "Lee Listener")
    try:
        tap = tapped(lis_media)
        await wait_until(lambda: len(tap.arrivals) > 50, "the quiet room's audio")
        yield QuietRoom(created, tap)
    finally:
        for client, media in ((lis, lis_media), (host, host_media)):
            await media.close()
            await client.close()


def stranger(n: int) -> tuple[str, int]:
    """A local address for attacker `n` (1 → 127.0.0.2)."""
    return (f"127.0.0.{1 + n}", 0)
