"""Audio through the relay, with real aiortc peers on loopback (DESIGN §5).

Each speaker sends a tone; each person records what they hear. Who hears
which tone is read off the spectrum: a tone someone hears sits tens of dB
above one they must not hear.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
import soundfile

from console.client import CommandRejected
from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import ToneTrack
from server.room import ApproveRequest, Mute, RemoveParticipant, RequestToSpeak, Role, Unmute
from tests.relay.relaykit import create_room, join, relay
from tests.relay.spectrum import band_level_db, dominant_hz

HEARD_DB = -40.0  # a -12 dBFS tone through Opus and the mix reads around -15 dB
SILENT_DB = -50.0  # 35 dB under a heard tone: codec noise only, never the tone itself


async def listen(media: MediaLink, seconds: float):
    media.recorder.clear()
    await asyncio.sleep(seconds)
    return media.recorder.samples()


async def stage_member(created, name, tone_hz, host=None):
    """Someone on stage sending a tone: the host (with the token), or a listener approved by it."""
    if host is None:
        client = await join(created["host_url"], name)
    else:
        client = await join(created["join_url"], name)
        await client.send(RequestToSpeak())
        await host.wait_for(lambda c: c.room.request_of(client.user_id) is not None)
        await host.send(ApproveRequest(client.user_id))
        await client.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
    await client.send(Unmute())
    media = MediaLink(client, source=lambda: ToneTrack(tone_hz))
    await media.start(send=True)
    return client, media


async def listener(created, name):
    client = await join(created["join_url"], name)
    media = MediaLink(client)
    await media.start(send=False)
    return client, media


def test_a_speaker_is_heard_by_a_listener_and_not_by_itself(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            lis, lis_media = await listener(created, "Lee Listener")
            try:
                await asyncio.sleep(1.0)  # connections settle
                heard = await listen(lis_media, 2.0)
                own = host_media.recorder.samples()[-len(heard) :]
                assert heard.size > 48_000
                assert abs(dominant_hz(heard) - 440) < 5
                assert band_level_db(heard, 440) > HEARD_DB
                assert band_level_db(own, 440) < SILENT_DB, "the host hears their own tone"
                assert host_media.recorder.frames_received > 50  # the host does get audio back
            finally:
                for media in (host_media, lis_media):
                    await media.close()
                for client in (host, lis):
                    await client.close()

    asyncio.run(scenario())


def test_two_speakers_hear_each_other_and_a_listener_hears_both(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            a, a_media = await stage_member(created, "Ana", 440)
            b, b_media = await stage_member(created, "Ben", 660, host=a)
            lis, lis_media = await listener(created, "Lee Listener")
            try:
                await asyncio.sleep(1.0)
                for media in (a_media, b_media, lis_media):
                    media.recorder.clear()
                await asyncio.sleep(2.0)
                heard_a, heard_b, heard_lis = (
                    m.recorder.samples() for m in (a_media, b_media, lis_media)
                )
                assert (
                    band_level_db(heard_a, 660) > HEARD_DB
                    and band_level_db(heard_a, 440) < SILENT_DB
                )
                assert (
                    band_level_db(heard_b, 440) > HEARD_DB
                    and band_level_db(heard_b, 660) < SILENT_DB
                )
                assert (
                    band_level_db(heard_lis, 440) > HEARD_DB
                    and band_level_db(heard_lis, 660) > HEARD_DB
                )

                # a muted speaker falls silent for everyone
                await a.send(Mute(b.user_id))
                await asyncio.sleep(0.5)
                for media in (a_media, lis_media):
                    media.recorder.clear()
                await asyncio.sleep(1.5)
                assert band_level_db(lis_media.recorder.samples(), 660) < SILENT_DB
                assert band_level_db(a_media.recorder.samples(), 660) < SILENT_DB
                assert band_level_db(lis_media.recorder.samples(), 440) > HEARD_DB
            finally:
                for media in (a_media, b_media, lis_media):
                    await media.close()
                for client in (a, b, lis):
                    await client.close()

    asyncio.run(scenario())


def test_a_removed_listeners_media_stops_and_it_cannot_rejoin(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            identity = Identity.new()
            client = await join(created["join_url"], "Rex", identity)
            media = MediaLink(client)
            await media.start(send=False)
            try:
                await asyncio.sleep(1.0)
                assert media.recorder.frames_received > 10
                await host.send(RemoveParticipant(client.user_id))
                await client.wait_for(lambda c: c.closed_reason == "removed")
                await asyncio.sleep(0.5)  # in flight
                stopped_at = media.recorder.frames_received
                await asyncio.sleep(1.0)
                assert media.recorder.frames_received == stopped_at, (
                    "media still flows after removal"
                )
                with pytest.raises(CommandRejected) as refused:
                    await join(created["join_url"], "Rex", identity)
                assert refused.value.code == "removed"
            finally:
                await media.close()
                await host_media.close()
                await client.close(leave=False)
                await host.close()

    asyncio.run(scenario())


def test_garbage_sdp_gets_an_error_and_the_room_goes_on(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host, host_media = await stage_member(created, "Hana Host", 440)
            lis, lis_media = await listener(created, "Lee Listener")
            try:
                seq = host.seq
                for sdp in (
                    "",
                    "v=0\r\nthis is not sdp",
                    "x" * 5000,
                    "v=0\r\no=- 1 1 IN IP4 0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
                ):
                    with pytest.raises(CommandRejected) as refused:
                        await lis.offer(sdp)
                    assert refused.value.code == "bad_sdp" and refused.value.message
                assert host.seq == seq
                # a good offer after the bad ones still works
                await lis_media.start(send=False)
                await asyncio.sleep(1.0)
                assert band_level_db(await listen(lis_media, 1.0), 440) > HEARD_DB
            finally:
                for media in (host_media, lis_media):
                    await media.close()
                for client in (host, lis):
                    await client.close()

    asyncio.run(scenario())


def test_the_bot_command_speaks_and_records(tmp_path):
    """`roomcast bot` as a user runs it: a host bot with a tone, a listener bot recording."""

    async def scenario():
        async with relay(tmp_path / "relay", with_media=True) as config:
            created = await create_room(config, Identity.new())
            out = tmp_path / "heard.wav"
            common = [sys.executable, "-m", "ui.cli", "bot"]
            speaker = subprocess.Popen(
                [*common, created["join_url"], "--token", created["host_token"], "--tone", "440",
                 "--seconds", "6", "--name", "Tone Bot"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            await asyncio.sleep(1.5)
            listener_bot = subprocess.Popen(
                [*common, created["join_url"], "--record-to", str(out), "--seconds", "3",
                 "--react", "🔥", "--name", "Ear Bot"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            listener_out, _ = await asyncio.to_thread(listener_bot.communicate, timeout=60)
            speaker_out, _ = await asyncio.to_thread(speaker.communicate, timeout=60)
            assert listener_bot.returncode == 0, listener_out
            assert speaker.returncode == 0, speaker_out
            assert "joined 'Evening talk' as host" in speaker_out
            assert "joined 'Evening talk' as listener" in listener_out
            samples, rate = soundfile.read(str(out), dtype="float32")
            assert rate == 48_000 and samples.size > 48_000
            assert abs(dominant_hz(samples) - 440) < 5
            assert band_level_db(samples, 440) > HEARD_DB

    asyncio.run(scenario())


def test_bot_reports_bad_links_clearly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "ui.cli", "bot", "not-a-link"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "is not a Roomcast room link" in result.stderr


def test_levels_reach_moderators_and_speaking_flips_reach_everyone(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            host_media = MediaLink(host)  # the host listens only
            await host_media.start(send=True)
            speaker, speaker_media = await stage_member(created, "Sam", 440, host=host)
            lis, lis_media = await listener(created, "Lee Listener")
            host_levels: list[dict] = []
            lis_levels: list[dict] = []
            host.on_levels.append(host_levels.append)
            lis.on_levels.append(lis_levels.append)
            try:
                await lis.wait_for(lambda c: c.speaking.get(speaker.user_id) is True, timeout_s=10)
                host_levels.clear()
                await asyncio.sleep(2.0)
                assert 36 <= len(host_levels) <= 56, f"{len(host_levels)} level frames in 2 s"
                latest = host_levels[-1][speaker.user_id]
                assert -25 < latest["rms_db"] < -10 and latest["speaking"] is True
                assert lis_levels == [], "listeners do not get the moderators' meters"
                await speaker_media.close()  # the speaker goes quiet
                await lis.wait_for(lambda c: c.speaking.get(speaker.user_id) is False, timeout_s=10)
            finally:
                for media in (host_media, speaker_media, lis_media):
                    await media.close()
                for client in (host, speaker, lis):
                    await client.close()

    asyncio.run(scenario())


def test_a_removed_bot_exits_with_its_code(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            bot = subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "bot", created["join_url"], "--seconds", "60", "--name", "Gone Bot"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            try:
                await host.wait_for(
                    lambda c: any(
                        p.display_name == "Gone Bot" for p in c.room.participants.values()
                    ),
                    timeout_s=20,
                )
                bot_id = next(
                    u for u, p in host.room.participants.items() if p.display_name == "Gone Bot"
                )
                await host.send(RemoveParticipant(bot_id))
                out, _ = await asyncio.to_thread(bot.communicate, timeout=20)
                assert bot.returncode == 3, out
                assert "removed from the room" in out
            finally:
                if bot.poll() is None:
                    bot.kill()
                await host.close()

    asyncio.run(scenario())
