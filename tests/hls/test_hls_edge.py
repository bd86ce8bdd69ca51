"""A room heard over LL-HLS through a real nginx cache, by 500 plain HTTP clients at once.

A real relay (a subprocess, `--hls`), a host bot sending a 440 Hz tone over WebRTC, Debian's
nginx rendered from deploy/nginx/roomcast-hls.conf in front of it, and 500 followers in this
process doing what a player does for 60 s. The edge must do its job: the relay sees each
segment, part and playlist version at most twice however many clients there are (the cache
lock collapses concurrent misses), every client gets every segment, byte for byte the same,
and what they get is the tone. Then the room ends: its playlist gets EXT-X-ENDLIST, and its
folder is gone shortly after (HLS is the live room, not a recording).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest

from console.identity import Identity
from server.config import RelayConfig
from server.room import EndRoom
from tests.hls.edge import free_port, nginx_available, running_edge
from tests.hls.followers import complete_segments, follow_many
from tests.relay.relaykit import create_room, join
from tests.relay.spectrum import band_level_db, dominant_hz
from tests.relay.test_relay_restart import start_relay

pytestmark = pytest.mark.skipif(
    not nginx_available(),
    reason="Debian's nginx is not installed (`make test` installs it: apt-get install nginx)",
)

CLIENTS = 500
LISTEN_S = 60.0


async def first_segment(http: aiohttp.ClientSession, url: str, timeout_s: float) -> str:
    """The playlist once it lists a whole segment (waiting on the origin's blocking reload)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        async with http.get(url) as response:
            text = await response.text()
        if response.status == 200 and complete_segments(text):
            return text
        sequence = (
            re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)", text) if response.status == 200 else None
        )
        if sequence is None:
            await asyncio.sleep(0.2)  # the room's first part is not out: poll, bounded
            continue
        async with http.get(f"{url}?_HLS_msn={sequence.group(1)}") as response:
            await response.read()
    raise AssertionError(f"no whole segment in {url} after {timeout_s} s")


def decode(init: bytes, segments: list[bytes]) -> np.ndarray:
    with av.open(io.BytesIO(init + b"".join(segments))) as container:
        blocks = [f.to_ndarray().reshape(-1) for f in container.decode(audio=0)]
    return np.concatenate(blocks).astype(np.float32)


def test_500_clients_through_nginx_cost_the_relay_one_fetch_per_version(tmp_path: Path) -> None:
    async def scenario() -> None:
        port = free_port()
        data_dir = tmp_path / "relay"
        relay = await start_relay(
            data_dir, port, "--hls", "--hls-linger-s", "3", "--media-workers", "1"
        )
        bot = None
        try:
            config = RelayConfig(data_dir=data_dir, port=port)
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            bot = subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "bot", created["join_url"], "--token",
                 created["host_token"], "--tone", "440", "--seconds", "300", "--name", "Tone Bot"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            with running_edge(tmp_path / "nginx", port) as edge:
                url = f"{edge.base_url}/hls/{room_id}/index.m3u8"
                async with aiohttp.ClientSession() as http:
                    await first_segment(http, url, timeout_s=30)
                started = time.monotonic()
                followers = await follow_many(url, CLIENTS, LISTEN_S)
                took_s = time.monotonic() - started

                errors = [(f.index, f.errors) for f in followers if f.errors]
                assert not errors, f"{len(errors)} clients failed, e.g. {errors[:3]}"
                first = followers[0].segments[0]
                last = max(f.segments[-1] for f in followers)
                assert last - first + 1 >= (LISTEN_S - 6) / 2.0, (first, last, took_s)
                for f in followers:
                    # Every segment from the first, none skipped; at most the one being
                    # fetched when the window closed is missing at the end.
                    assert f.segments == list(range(first, f.segments[-1] + 1)), f.index
                    assert f.segments[-1] >= last - 1, (f.index, f.segments[-1], last)
                reference = followers[0].digests
                assert all(
                    f.digests[m] == reference[m] for f in followers for m in f.digests if m in reference
                ), "clients got different bytes for the same segment"  # fmt: skip

                counts = edge.upstream_counts()
                segment_fetches = {u: n for u, n in counts.items() if re.search(r"/s\d+\.m4s$", u)}
                assert len(segment_fetches) >= last - first, sorted(segment_fetches)
                worst = counts.most_common(5)
                assert worst and worst[0][1] <= 2, (
                    f"the relay served these more than twice: {worst}"
                )
                client_requests = sum(f.requests for f in followers)
                upstream_requests = sum(counts.values())
                print(
                    f"\n{CLIENTS} HLS clients for {took_s:.0f} s through nginx: "
                    f"{client_requests} requests to the edge, {upstream_requests} reached the "
                    f"relay ({upstream_requests / max(1, last - first + 1):.1f} per segment)"
                )

                kept = followers[0]
                samples = decode(kept.init, [kept.kept[m] for m in sorted(kept.kept)])
                assert samples.size >= 48_000 * 40
                assert abs(dominant_hz(samples) - 440) < 5
                assert band_level_db(samples, 440) > -40.0

                # The room ends: the stream says so, then its folder goes.
                host = await join(created["host_url"], "Hana Host")
                await host.send(EndRoom())
                async with aiohttp.ClientSession() as http:
                    deadline = time.monotonic() + 20
                    text = ""
                    while "#EXT-X-ENDLIST" not in text and time.monotonic() < deadline:
                        next_msn = (
                            complete_segments(text)[-1] + 1 if complete_segments(text) else last
                        )
                        async with http.get(f"{url}?_HLS_msn={next_msn}") as response:
                            text = await response.text()
                    assert text.rstrip().endswith("#EXT-X-ENDLIST"), text[-300:]
                await host.close()
                folder = data_dir / "hls" / room_id
                deadline = time.monotonic() + 20
                while folder.exists() and time.monotonic() < deadline:
                    await asyncio.sleep(0.2)
                assert not folder.exists(), "the ended room's HLS outlived it"
        finally:
            if bot is not None:
                bot.kill()
                bot.wait()
            with contextlib.suppress(ProcessLookupError):
                relay.terminate()
            relay.wait(timeout=20)

    asyncio.run(scenario())
