"""The relay's HLS origin with real media workers and a real speaker: what survives a dead home
worker, who is sent to HLS, and the small endpoints next to the playlist."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import aiohttp

from console.client import CommandRejected
from console.identity import Identity
from console.media_link import MediaLink
from server.app import HLS, HUB, MEDIA, running_app
from server.config import RelayConfig
from server.hls_origin import HlsOrigin
from server.media.coordinator import MediaWorkers
from server.room import SetBroadcastMode
from tests.relay.relaykit import admin_headers, create_room, join
from tests.relay.test_relay_media import stage_member
from tests.relay.test_relay_workers import follow_restarts


async def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def hls_config(tmp_path: Path, **settings: object) -> RelayConfig:
    return RelayConfig(
        data_dir=tmp_path,
        host="127.0.0.1",
        port=0,
        hls_dir=tmp_path / "hls",
        hls_linger_s=1.0,
        **settings,  # type: ignore[arg-type]
    )


def test_a_new_home_worker_continues_the_rooms_stream(tmp_path: Path) -> None:
    """The home worker is killed mid-stream: the new home goes on with the next media sequence
    number after #EXT-X-DISCONTINUITY, and the segments before stay listed."""

    async def scenario() -> None:
        async with running_app(hls_config(tmp_path, media_workers=2)) as (config, app):
            pool: MediaWorkers = app[MEDIA]
            origin: HlsOrigin = app[HLS]
            await pool.wait_ready()
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            host, media = await stage_member(created, "Hana Host", 440)
            try:
                follow_restarts(media, send=True)
                await wait_until(
                    lambda: room_id in origin.streams and origin.streams[room_id].complete_msn > 0,
                    "a first segment",
                )
                before = origin.streams[room_id].complete_msn
                home = pool.rooms[room_id].home
                assert home is not None
                os.kill(pool.pids()[home], signal.SIGKILL)
                await wait_until(lambda: pool.rooms[room_id].home == 1 - home, "a new home")
                await wait_until(
                    lambda: origin.streams[room_id].complete_msn >= before + 3,
                    "segments from the new home",
                )
                playlist = (tmp_path / "hls" / room_id / "index.m3u8").read_text()
                numbers = [int(m) for m in re.findall(r"^s(\d+)\.m4s$", playlist, re.M)]
                assert numbers == list(range(numbers[0], numbers[-1] + 1)), playlist
                assert before in numbers, "segments from before the restart stay listed"
                assert playlist.count("#EXT-X-DISCONTINUITY\n") == 1, playlist
            finally:
                await media.close()
                await host.close()

    asyncio.run(scenario())


def test_past_the_seats_a_listener_is_sent_to_hls_and_the_endpoints_answer(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with running_app(hls_config(tmp_path, media_workers=1, webrtc_seats=1)) as (
            config,
            app,
        ):
            await app[MEDIA].wait_ready()
            created = await create_room(config, Identity.new())
            room_id = created["room_id"]
            host, host_media = await stage_member(created, "Hana Host", 440)
            first = await join(created["join_url"], "First Listener")
            first_media = MediaLink(first)
            second = await join(created["join_url"], "Second Listener")
            second_media = MediaLink(second)
            base = f"{config.base_url}/hls/{room_id}"
            frames: list[dict[str, object]] = []
            dispatch = host._dispatch
            host._dispatch = lambda frame: (frames.append(frame), dispatch(frame))[1]  # type: ignore[method-assign]
            try:
                await first_media.start(send=False)  # the one seat
                try:
                    await second_media.start(send=False)
                    raise AssertionError("a listener past the seats got WebRTC")
                except CommandRejected as refused:
                    assert refused.code == "listen_over_hls", refused

                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{base}/state.json") as response:
                        assert response.headers["Cache-Control"] == "public, max-age=1"
                        state = await response.json()
                    assert [p["name"] for p in state["stage"]] == ["Hana Host"]
                    assert state["listeners"]["joined"] == 2  # both joined over the WebSocket
                    assert state["listeners"]["total"] == 2
                    assert state["heartbeat"] == {"every_s": 20.0, "p": 1.0}
                    assert state["hls"]["broadcast"] is False
                    async with http.post(f"{base}/reactions", json={"emoji": "🔥"}) as response:
                        assert response.status == 200
                    async with http.post(f"{base}/reactions", json={"emoji": "🔥"}) as response:
                        assert response.status == 429, "one reaction a second per address"
                    async with http.post(f"{base}/reactions", json={"emoji": "<b>"}) as response:
                        assert response.status == 400
                    async with http.get(f"{base}/state.json") as response:
                        assert (await response.json())["reactions"] == {"🔥": 1}
                    # The room hears the second's sum once, over its WebSocket.
                    await wait_until(
                        lambda: any(f.get("type") == "hls_reactions" for f in frames),
                        "hls_reactions",
                    )
                    sums = [f["body"] for f in frames if f.get("type") == "hls_reactions"]
                    assert sums == [{"counts": {"🔥": 1}}], sums
                    async with http.post(f"{base}/broadcast", json={"on": True}) as response:
                        assert response.status == 403, "only the host turns broadcast on"
                    headers = {"Authorization": f"Bearer {created['host_token']}"}
                    async with http.post(
                        f"{base}/broadcast", json={"on": True}, headers=headers
                    ) as response:
                        assert response.status == 200
                    # The endpoint issues the room rules' command: everyone's room has it.
                    await first.wait_for(lambda c: c.room is not None and c.room.broadcast, 5)
                    async with http.get(f"{base}/state.json") as response:
                        state = await response.json()
                    assert state["hls"]["broadcast"] is True and state["room"]["broadcast"]
                    async with http.get(f"{base}/index.m3u8?_HLS_msn=999999999999") as response:
                        assert response.status == 400, "far ahead of the stream"
                    async with http.get(f"{base}/../../etc/passwd") as response:
                        assert response.status == 404
                    async with http.get(f"{config.base_url}/hls/nope/index.m3u8") as response:
                        assert response.status == 404
                assert app[HUB].room(room_id).broadcast
            finally:
                for client, media in [(second, second_media), (first, first_media)]:
                    await media.close()
                    await client.close()
                await host_media.close()
                await host.close()

    asyncio.run(scenario())


def test_a_ticketed_room_is_never_streamed_over_hls(tmp_path: Path) -> None:
    """Its link alone would let anyone listen without a ticket: no files, no playlist, and its
    listeners are never sent to HLS, however few the seats."""

    async def scenario() -> None:
        async with running_app(hls_config(tmp_path, media_workers=1, webrtc_seats=1)) as (
            config,
            app,
        ):
            await app[MEDIA].wait_ready()
            tickets = {"price_cents": 500, "currency": "EUR", "quantity": 10}
            created = await create_room(config, Identity.new(), tickets=tickets)
            room_id = created["room_id"]
            host, host_media = await stage_member(created, "Hana Host", 440)
            try:
                await wait_until(lambda: room_id in app[MEDIA].rooms, "the room's media")
                assert app[MEDIA].listener_refusal(app[MEDIA].rooms[room_id], "someone") is None
                async with (
                    aiohttp.ClientSession() as http,
                    http.get(f"{config.base_url}/hls/{room_id}/index.m3u8") as response,
                ):
                    assert response.status == 403
                assert not (tmp_path / "hls" / room_id).exists()
            finally:
                await host_media.close()
                await host.close()

    asyncio.run(scenario())


def test_broadcast_mode_survives_a_relay_restart(tmp_path: Path) -> None:
    """Set when the room is made, kept by the store: after a restart the room is still a
    broadcast, its card says so, and a new listener is sent to HLS at once (WebRTC seats
    free). Turned off by the host's command, the next listener gets WebRTC."""

    async def scenario() -> None:
        async with running_app(hls_config(tmp_path, media_workers=1)) as (config, app):
            await app[MEDIA].wait_ready()
            created = await create_room(config, Identity.new(), broadcast=True)
            room_id = created["room_id"]
        async with running_app(
            replace(hls_config(tmp_path, media_workers=1), port=config.port)
        ) as (
            config,
            app,
        ):
            await app[MEDIA].wait_ready()
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{config.base_url}/api/rooms/{room_id}") as response,
            ):
                assert (await response.json())["broadcast"] is True
            host, host_media = await stage_member(created, "Hana Host", 440)
            lena = await join(created["join_url"], "Lena Listener")
            lena_media = MediaLink(lena)
            wes = await join(created["join_url"], "Wes Listener")
            wes_media = MediaLink(wes)
            try:
                assert lena.room is not None and lena.room.broadcast
                try:
                    await lena_media.start(send=False)
                    raise AssertionError("a listener of a broadcast got WebRTC")
                except CommandRejected as refused:
                    assert refused.code == "listen_over_hls", refused
                    assert "broadcast" in refused.message
                assert app[MEDIA].joined_on_hls(room_id) == 1
                await host.send(SetBroadcastMode(False))
                await wes.wait_for(lambda c: c.room is not None and not c.room.broadcast, 5)
                await wes_media.start(send=False)
            finally:
                for client, media in [(wes, wes_media), (lena, lena_media), (host, host_media)]:
                    await media.close()
                    await client.close()

    asyncio.run(scenario())


def test_broadcast_mode_needs_a_relay_with_hls(tmp_path: Path) -> None:
    async def scenario() -> None:
        config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0)
        async with running_app(config, with_media=False) as (config, _app):
            async with (
                aiohttp.ClientSession() as http,
                http.post(
                    f"{config.base_url}/api/rooms",
                    json={
                        "title": "No HLS here",
                        "broadcast": True,
                        "host": {
                            "client_id": (who := Identity.new()).client_id,
                            "client_secret": who.client_secret,
                            "display_name": "Hana Host",
                        },
                    },
                    headers=admin_headers(config),
                ) as response,
            ):
                body = await response.json()
                assert response.status == 400, body
                assert "--hls" in body["error"]["message"]
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            try:
                try:
                    await host.send(SetBroadcastMode(True))
                    raise AssertionError("broadcast mode without HLS")
                except CommandRejected as refused:
                    assert "--hls" in refused.message
                assert host.hls is False
            finally:
                await host.close()

    asyncio.run(scenario())
