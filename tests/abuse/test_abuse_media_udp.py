"""A stranger floods a media port whose peer never connected (issue: UDP memory growth).

The attack, as found: a listener's offer names a candidate nobody answers at, so the relay's
port for it never connects; every datagram anyone sends there was queued without limit
(116 MB in 25 s took the relay from 113 to 239 MB, and it never fell back). The defence:
datagrams from an address no ICE check validated are dropped, every queue is bounded, and a
peer that has not connected within the timeout is closed, port and all. Meanwhile a listener
in another room loses nothing. Real relay, real media worker, real UDP on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import time

from aiortc import RTCPeerConnection

from console.identity import Identity
from server.app import MEDIA, running_app
from server.config import RelayConfig
from server.media.ice import IceConfig, gathering_on, rtc_configuration
from tests.relay.relaykit import create_room, join
from tests.relay.rtptap import missing_ticks
from tests.relay.test_relay_media import listener, stage_member
from tests.relay.test_relay_workers import tapped, wait_until

FLOOD_DATAGRAMS = 40_000
DATAGRAM_BYTES = 1_200  # 48 MB in all
CONNECT_TIMEOUT_S = 4.0


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def unreachable_offer() -> str:
    """A real offer whose only candidate points at a port nobody listens on."""
    pc = RTCPeerConnection(rtc_configuration(IceConfig()))
    pc.addTransceiver("audio", direction="recvonly")
    with gathering_on(IceConfig()):
        await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    dead = free_udp_port()
    return re.sub(r"(a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1) \d+", rf"\1 {dead}", sdp)


def relay_port_in(answer: str) -> int:
    found = re.search(r"a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host", answer)
    assert found, answer
    return int(found.group(1))


async def flood(port: int) -> None:
    """FLOOD_DATAGRAMS SRTP-looking datagrams at the port, from many source ports."""
    payload = bytes([0x80, 0x6F]) + os.urandom(DATAGRAM_BYTES - 2)
    senders = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(8)]
    try:
        for sender in senders:
            sender.setblocking(False)
        for n in range(FLOOD_DATAGRAMS):
            with contextlib.suppress(BlockingIOError, ConnectionRefusedError):
                senders[n % len(senders)].sendto(payload, ("127.0.0.1", port))
            if n % 500 == 0:
                await asyncio.sleep(0)  # let the listener's peer (in this process) breathe
    finally:
        for sender in senders:
            sender.close()


def test_a_flood_at_an_unconnected_media_port_is_dropped_and_the_port_closes(tmp_path):
    async def scenario():
        config = RelayConfig(
            data_dir=tmp_path,
            host="127.0.0.1",
            port=0,
            media_workers=1,
            media_connect_timeout_s=CONNECT_TIMEOUT_S,
        )
        async with running_app(config) as (bound, app):
            pool = app[MEDIA]
            await pool.wait_ready()
            quiet = await create_room(bound, Identity.new(), title="Quiet room")
            target = await create_room(bound, Identity.new(), title="Target room")
            host, host_media = await stage_member(quiet, "Hana Host", 440)
            lis, lis_media = await listener(quiet, "Lee Listener")
            attacker = await join(target["join_url"], "Mallory")
            try:
                tap = tapped(lis_media)
                await wait_until(lambda: len(tap.arrivals) > 50, "the quiet room's audio")
                worker = pool.pids()[0]
                answer = await attacker.offer(await unreachable_offer())
                port = relay_port_in(answer)
                before_mb = rss_mb(worker)
                started = time.perf_counter()
                await flood(port)
                await asyncio.sleep(1.0)  # the worker reads what the kernel still holds
                grown_mb = rss_mb(worker) - before_mb
                assert grown_mb < 20, f"the media worker grew {grown_mb:.0f} MB under the flood"
                span, missing = missing_ticks(tap.between(started, time.perf_counter()))
                assert span > 25 and missing == 0, f"the listener missed {missing} of {span}"

                # The peer never connected: after the timeout it is closed, port and all.
                async def attacker_gone() -> bool:
                    stats = await pool.room_stats(target["room_id"])
                    return all(attacker.user_id not in s.peers for s in stats.values())

                deadline = time.monotonic() + CONNECT_TIMEOUT_S + 10
                while not await attacker_gone():
                    assert time.monotonic() < deadline, "the unconnected peer was never closed"
                    await asyncio.sleep(0.2)
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probe.connect(("127.0.0.1", port))
                probe.send(b"\x80" * 100)
                await asyncio.sleep(0.2)
                try:
                    probe.send(b"\x80" * 100)
                    refused = False
                except ConnectionRefusedError:
                    refused = True  # ICMP port unreachable: nobody listens there any more
                probe.close()
                assert refused, "the relay's port for the dead peer is still open"
            finally:
                for client, media in ((lis, lis_media), (host, host_media)):
                    await media.close()
                    await client.close()
                await attacker.close()

    asyncio.run(scenario())
