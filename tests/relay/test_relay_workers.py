"""The media plane in worker processes: placement, the audience across workers, and a worker
killed with SIGKILL while people listen (DESIGN §10). Real relay, real worker processes, real
aiortc peers on loopback; packets are counted as they reach each listener's socket."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import soundfile

from console.identity import Identity
from console.media_link import MediaLink
from server.app import HUB, MEDIA, running_app
from server.config import RelayConfig
from server.media.coordinator import MediaWorkers
from server.room import Role
from tests.relay.relaykit import create_room
from tests.relay.rtptap import RtpTap, missing_ticks
from tests.relay.spectrum import dominant_hz
from tests.relay.test_relay_media import listener, stage_member

HEAR_AGAIN_WITHIN_S = 3.0


async def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def tapped(media: MediaLink) -> RtpTap:
    """Tap this link's connection, and every connection it makes after a restart."""
    tap = RtpTap()
    assert media.pc is not None
    tap.attach(media.pc)
    start = media.start

    async def start_and_tap(send: bool) -> None:
        await start(send)
        assert media.pc is not None
        tap.attach(media.pc)

    media.start = start_and_tap  # type: ignore[method-assign]
    return tap


def follow_restarts(media: MediaLink, send: bool) -> None:
    """What the page and the bot do: offer again when the relay says the audio restarted."""

    async def again() -> None:
        await media.start(send=send)

    media.client.on_media_restart.append(again)


async def relay_with_workers(tmp_path: Path, count: int):  # type: ignore[no-untyped-def]
    config = RelayConfig(data_dir=tmp_path, host="127.0.0.1", port=0, media_workers=count)
    return running_app(config)


def test_the_audience_crosses_to_the_other_worker_once_per_tick(tmp_path):
    async def scenario():
        async with await relay_with_workers(tmp_path, 2) as (config, app):
            pool: MediaWorkers = app[MEDIA]
            await pool.wait_ready()
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            people = [await listener(created, f"Listener {n}") for n in range(3)]
            try:
                proxy = pool.rooms[created["room_id"]]
                home = proxy.home
                assert proxy.placements[host.user_id] == home, "the stage sits with the mixer"
                placed = {proxy.placements[client.user_id] for client, _ in people}
                assert placed == {0, 1}, "listeners spread over both workers"
                taps = [tapped(media) for _, media in people]
                await wait_until(lambda: all(len(t.arrivals) > 100 for t in taps), "audio")
                for _, media in people:
                    assert abs(dominant_hz(media.recorder.samples()[-24_000:]) - 440) < 5
                # A measurement window: the workers' percentiles start afresh here.
                before = {s.index: s for s in await pool.stats(restart_windows=True)}
                await asyncio.sleep(1.0)
                after = {s.index: s for s in await pool.stats()}
                other = 1 - home
                sent = after[home].audience_frames_out - before[home].audience_frames_out
                got = after[other].audience_frames_in - before[other].audience_frames_in
                # One frame per tick to the one other worker, whatever its listener count.
                assert 40 <= sent <= 60 and abs(sent - got) <= 2
                assert after[home].audience_frames_in == 0
            finally:
                for client, media in [*people, (host, host_media)]:
                    await media.close()
                    await client.close()

    asyncio.run(scenario())


def test_a_listener_whose_worker_is_killed_hears_again_and_nobody_else_notices(tmp_path):
    async def scenario():
        async with await relay_with_workers(tmp_path, 2) as (config, app):
            pool: MediaWorkers = app[MEDIA]
            await pool.wait_ready()
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            ann, ann_media = await listener(created, "Ann Away")
            bob, bob_media = await listener(created, "Bob Home")
            try:
                proxy = pool.rooms[created["room_id"]]
                home = proxy.home
                assert home is not None
                assert proxy.placements[ann.user_id] == 1 - home
                assert proxy.placements[bob.user_id] == home
                ann_tap, bob_tap = tapped(ann_media), tapped(bob_media)
                follow_restarts(ann_media, send=False)
                follow_restarts(bob_media, send=False)
                await wait_until(
                    lambda: len(ann_tap.arrivals) > 50 and len(bob_tap.arrivals) > 50, "audio"
                )
                victim = pool.pids()[1 - home]
                killed_at = time.perf_counter()
                os.kill(victim, signal.SIGKILL)

                def ann_hears_again() -> bool:
                    first = ann_tap.first_after(killed_at)
                    # a packet of the new connection (a new SSRC), not one still in flight
                    return first is not None and first.ssrc != ann_tap.arrivals[0].ssrc

                await wait_until(ann_hears_again, "Ann's audio back", timeout_s=15)
                back = ann_tap.first_after(killed_at)
                assert back is not None
                recovery_s = back.at_s - killed_at
                assert recovery_s < HEAR_AGAIN_WITHIN_S, f"Ann heard again after {recovery_s:.2f} s"
                ann_media.recorder.clear()
                await wait_until(lambda: ann_media.recorder.samples().size > 48_000, "Ann hears")
                assert abs(dominant_hz(ann_media.recorder.samples()) - 440) < 5

                # Bob, on the worker that lived, lost nothing meanwhile.
                await wait_until(lambda: time.perf_counter() > killed_at + 3.1, "3 s to pass")
                span, missing = missing_ticks(bob_tap.between(killed_at - 1.0, killed_at + 3.0))
                assert span >= 190 and missing == 0, f"Bob missed {missing} of {span} ticks"
                assert bob.media_restarts == 0 and host.media_restarts == 0
                assert ann.media_restarts == 1
                # The room and everyone's place in it are untouched.
                room = host.room
                assert room is not None
                assert room.role_of(ann.user_id) is Role.LISTENER
                assert room.role_of(host.user_id) is Role.HOST
                await wait_until(
                    lambda: pool.pids().get(1 - home, victim) != victim, "a new worker"
                )
            finally:
                for client, media in [(ann, ann_media), (bob, bob_media), (host, host_media)]:
                    await media.close()
                    await client.close()

    asyncio.run(scenario())


def test_when_the_mixer_worker_dies_the_room_gets_a_new_mixer(tmp_path):
    """The speaker offers again (to the new home); a listener on the other worker keeps its
    connection and hears the room again on the same RTP timeline."""

    async def scenario():
        async with await relay_with_workers(tmp_path, 2) as (config, app):
            pool: MediaWorkers = app[MEDIA]
            await pool.wait_ready()
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            ann, ann_media = await listener(created, "Ann Away")
            try:
                proxy = pool.rooms[created["room_id"]]
                home = proxy.home
                assert home is not None and proxy.placements[ann.user_id] == 1 - home
                follow_restarts(host_media, send=True)
                ann_tap = tapped(ann_media)
                await wait_until(lambda: len(ann_tap.arrivals) > 50, "audio")
                ssrc = ann_tap.arrivals[-1].ssrc
                killed_at = time.perf_counter()
                os.kill(pool.pids()[home], signal.SIGKILL)
                await wait_until(lambda: proxy.home == 1 - home, "a new home for the mixer")
                ann_media.recorder.clear()
                await wait_until(
                    lambda: (
                        ann_media.recorder.samples().size > 48_000
                        and abs(dominant_hz(ann_media.recorder.samples()[-24_000:]) - 440) < 5
                    ),
                    "the speaker heard again",
                    timeout_s=15,
                )
                heard_again = next(
                    a for a in ann_tap.arrivals if a.at_s > killed_at + 0.1 and a.ssrc == ssrc
                )
                assert heard_again.at_s - killed_at < HEAR_AGAIN_WITHIN_S
                assert ann.media_restarts == 0, "the listener kept its connection"
                assert host.media_restarts == 1
                assert all(a.ssrc == ssrc for a in ann_tap.arrivals)
            finally:
                for client, media in [(ann, ann_media), (host, host_media)]:
                    await media.close()
                    await client.close()

    asyncio.run(scenario())


def test_a_take_whose_worker_died_is_repaired_and_goes_on_in_a_second_part(tmp_path):
    from server.room import StartRecording, StopRecording
    from tests.relay.spectrum import band_level_db
    from tests.relay.test_relay_recording import manifest_of

    async def scenario():
        async with await relay_with_workers(tmp_path, 2) as (config, app):
            pool: MediaWorkers = app[MEDIA]
            await pool.wait_ready()
            created = await create_room(config, Identity.new(), title="Two parts")
            host, host_media = await stage_member(created, "Hana Host", 440)
            follow_restarts(host_media, send=True)
            try:
                proxy = pool.rooms[created["room_id"]]
                await host.send(StartRecording())
                recordings = tmp_path / "recordings"
                await wait_until(
                    lambda: recordings.is_dir() and any(recordings.iterdir()), "a take"
                )
                await asyncio.sleep(2.0)
                home = proxy.home
                assert home is not None
                os.kill(pool.pids()[home], signal.SIGKILL)
                await wait_until(lambda: host.media_restarts == 1, "the host told to offer again")
                await wait_until(lambda: len(list(recordings.iterdir())) == 2, "a second part")
                await asyncio.sleep(2.0)
                await host.send(StopRecording())

                def both_closed() -> bool:
                    folders = sorted(recordings.iterdir())
                    return all(manifest_of(f).get("state") == "stopped" for f in folders)

                await wait_until(both_closed, "both parts finished")
            finally:
                await host_media.close()
                await host.close()
        first, second = sorted(recordings.iterdir())
        assert second.name == f"{first.name}-part2"
        assert manifest_of(first).get("recovered") is True
        for folder in (first, second):
            manifest = manifest_of(folder)
            mix, rate = soundfile.read(str(folder / manifest["mix_file"]), dtype="float32")
            assert mix.size / rate > 1.0
            assert band_level_db(mix, 440) > -40.0

    asyncio.run(scenario())


def test_a_client_back_from_a_drop_learns_who_is_talking_now(tmp_path):
    """Speaking flips sent while a client was cut off are lost; its resume's reply says who is
    talking now, so a ring lit before the drop does not stay lit for someone who stopped."""
    from console.client import JoinLink, RoomClient
    from server.room import Mute
    from tests.web.netcut import CuttableProxy

    async def scenario():
        async with await relay_with_workers(tmp_path, 1) as (config, app):
            await app[MEDIA].wait_ready()
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            proxy = CuttableProxy(config.port)
            port = await proxy.start()
            link = JoinLink.parse(created["join_url"].replace(str(config.port), str(port), 1))
            lis = RoomClient(link, Identity.new(), "Lee Listener")
            await lis.connect()
            try:
                hub = app[HUB]
                await wait_until(lambda: lis.speaking.get(host.user_id) is True, "the ring on")
                await proxy.cut()  # the listener's link drops; its reconnects are refused
                await host.send(Mute(host.user_id))
                room_id = created["room_id"]
                await wait_until(
                    lambda: host.user_id not in hub.speaking_now(room_id), "the host silent"
                )
                assert lis.speaking.get(host.user_id) is True, "the flip was lost in the drop"
                await proxy.heal()
                await wait_until(
                    lambda: lis.connected and not lis.speaking.get(host.user_id), "resumed"
                )
            finally:
                await lis.close()
                await host_media.close()
                await host.close()
                await proxy.close()

    asyncio.run(scenario())
