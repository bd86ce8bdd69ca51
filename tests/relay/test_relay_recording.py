"""Recording with consent, through a real relay and real peers (DESIGN §6)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import soundfile

from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import ToneTrack
from server.room import AddMarker, SetConsent, StartRecording, StopRecording
from tests.relay.relaykit import create_room, join, relay
from tests.relay.spectrum import band_level_db
from tests.relay.test_relay_media import stage_member
from tests.relay.test_relay_restart import crash_relay, free_port, relay_family, start_relay

HEARD_DB = -40.0
ABSENT_DB = -60.0  # a consenting tone reads about -15 dB; a left-out one is simply not there


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


async def finished(recordings: Path, timeout_s: float = 20.0) -> Path:
    """The one recording folder, once its writer has closed it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        folders = [p for p in recordings.iterdir() if p.is_dir()] if recordings.is_dir() else []
        if folders and manifest_of(folders[0]).get("state") == "stopped":
            return folders[0]
        await asyncio.sleep(0.2)
    raise AssertionError(f"no finished recording in {recordings}")


def test_a_declining_speaker_is_absent_from_every_file_and_the_manifest_says_so(tmp_path):
    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new(), title="Recorded talk")
            host, host_media = await stage_member(created, "Hana Host", 440)
            ben, ben_media = await stage_member(created, "Ben Declines", 660, host=host)
            cat, cat_media = await stage_member(created, "Cat Consents", 880, host=host)
            clients, medias = (host, ben, cat), (host_media, ben_media, cat_media)
            try:
                await asyncio.sleep(1.0)
                await host.send(StartRecording())  # pressing Record is the host's yes
                await ben.send(SetConsent(False))
                await cat.send(SetConsent(True))
                await asyncio.sleep(10.0)
                await host.send(AddMarker("Halfway"))
                await asyncio.sleep(10.0)
                await host.send(StopRecording())
                folder = await finished(tmp_path / "recordings")
            finally:
                for media in medias:
                    await media.close()
                for client in clients:
                    await client.close()

        manifest = manifest_of(folder)
        tracks = {t["user_id"]: folder / t["file"] for t in manifest["tracks"]}
        assert set(tracks) == {host.user_id, cat.user_id}, "only those who said yes have a track"
        ledger = {(line["user_id"], line["answer"]) for line in manifest["consent_ledger"]}
        assert (ben.user_id, "declined") in ledger
        assert (cat.user_id, "granted") in ledger
        assert [m["label"] for m in manifest["markers"]] == ["Halfway"]
        assert 9.0 < manifest["markers"][0]["time_s"] < 12.0

        mix, rate = soundfile.read(str(folder / manifest["mix_file"]), dtype="float32")
        assert rate == 48_000 and 19.0 < mix.size / rate < 22.0
        assert band_level_db(mix, 440) > HEARD_DB and band_level_db(mix, 880) > HEARD_DB
        assert band_level_db(mix, 660) < ABSENT_DB, "the declining speaker is in the mix"
        for user_id, path in tracks.items():
            samples, _ = soundfile.read(str(path), dtype="float32")
            assert samples.size == mix.size, "tracks are sample-aligned with the mix"
            assert band_level_db(samples, 660) < ABSENT_DB
            own = 440 if user_id == host.user_id else 880
            other = 880 if own == 440 else 440
            assert band_level_db(samples, own) > HEARD_DB
            assert band_level_db(samples, other) < ABSENT_DB

    asyncio.run(scenario())


def test_a_relay_killed_mid_recording_leaves_files_that_decode(tmp_path):
    async def scenario():
        port = free_port()
        from server.config import RelayConfig

        config = RelayConfig(data_dir=tmp_path, port=port)
        process = await start_relay(tmp_path, port)
        host = host_media = None
        try:
            created = await create_room(config, Identity.new(), title="Crash test")
            host, host_media = await stage_member(created, "Hana Host", 440)
            await asyncio.sleep(0.5)
            await host.send(StartRecording())
            await asyncio.sleep(4.0)
            crash_relay(process)  # the control process and every media worker at once
            await host_media.close()
            await host.close(leave=False)
            process = await start_relay(tmp_path, port)  # recovers at start
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)

        folders = [p for p in (tmp_path / "recordings").iterdir() if p.is_dir()]
        first = min(folders)  # the take that was cut short (a new one may follow the restart)
        manifest = manifest_of(first)
        assert manifest["recovered"] is True and manifest["state"] == "stopped"
        mix, rate = soundfile.read(str(first / manifest["mix_file"]), dtype="float32")
        assert mix.size / rate > 2.5, "more than about a second was lost"
        assert band_level_db(mix, 440) > HEARD_DB
        for track in manifest["tracks"]:
            samples, _ = soundfile.read(str(first / track["file"]), dtype="float32")
            assert samples.size == mix.size

    asyncio.run(scenario())


def test_a_crash_of_the_control_process_alone_loses_no_recorded_audio(tmp_path):
    """The media workers outlive a kill -9 of the relay's control process long enough to
    finish the take's files: nothing is cut, nothing needs repair."""

    async def scenario():
        port = free_port()
        from server.config import RelayConfig

        config = RelayConfig(data_dir=tmp_path, port=port)
        process = await start_relay(tmp_path, port)
        host = host_media = None
        try:
            created = await create_room(config, Identity.new(), title="Crash test")
            host, host_media = await stage_member(created, "Hana Host", 440)
            await asyncio.sleep(0.5)
            await host.send(StartRecording())
            await asyncio.sleep(3.0)
            workers = relay_family(process.pid)[1:]
            assert workers, "the relay runs its media in worker processes"
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            deadline = time.monotonic() + 20
            while any(os.path.exists(f"/proc/{pid}") for pid in workers):
                assert time.monotonic() < deadline, "a media worker outlived its relay"
                await asyncio.sleep(0.1)
        finally:
            if process.poll() is None:
                crash_relay(process)
            if host_media is not None:
                await host_media.close()
            if host is not None:
                await host.close(leave=False)

        folder = await finished(tmp_path / "recordings")
        manifest = manifest_of(folder)
        assert manifest["state"] == "stopped" and not manifest.get("recovered")
        mix, rate = soundfile.read(str(folder / manifest["mix_file"]), dtype="float32")
        assert mix.size / rate > 2.5
        assert band_level_db(mix, 440) > HEARD_DB

    asyncio.run(scenario())


def test_the_bot_answers_the_consent_question_as_told(tmp_path):
    async def scenario():
        import subprocess
        import sys

        import aiohttp

        from server.room import Consent

        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            url = f"{config.base_url}/api/rooms/{created['room_id']}/cohost-links"
            headers = {"Authorization": f"Bearer {created['host_token']}"}
            async with aiohttp.ClientSession() as http, http.post(url, headers=headers) as resp:
                link = await resp.json()
            bot = subprocess.Popen(
                [sys.executable, "-m", "ui.cli", "bot", link["url"], "--consent", "no", "--seconds", "30", "--name", "Shy Bot"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
            try:
                await host.wait_for(lambda c: link["user_id"] in c.room.participants, timeout_s=40)
                await host.send(StartRecording())
                await host.wait_for(
                    lambda c: c.room.recording.consents.get(link["user_id"]) is Consent.DECLINED,
                    timeout_s=20,
                )
            finally:
                bot.terminate()
                await asyncio.to_thread(bot.wait, 10)  # the relay runs in this loop: never block it
                await host.close()

    asyncio.run(scenario())


class _PacketLoss:
    """Drops chosen RTP packets on a real client's way out (above SRTP, below the encoder),
    so the relay sees true loss: a missing sequence number. Runs on: the client's loop."""

    def __init__(self, media, every: int) -> None:
        self.every = every
        self.on = False
        self.dropped: list[int] = []
        self.sent = 0
        dtls = media.pc.getSenders()[0].transport
        self._send = dtls._send_rtp  # aiortc private API, test-only
        dtls._send_rtp = self._send_rtp

    async def _send_rtp(self, data: bytes) -> None:
        is_rtp = len(data) > 12 and (data[1] & 0x7F) >= 96 and not 200 <= data[1] <= 204
        if is_rtp and self.on:
            self.sent += 1
            if self.sent % self.every == 0:
                self.dropped.append(int.from_bytes(data[2:4], "big"))
                return
        await self._send(data)


async def until(condition, timeout_s: float = 20.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await asyncio.sleep(0.05)


def _zero_blocks(samples, tick: int = 960) -> int:
    """20 ms blocks of exact zeros (a hole: a tone never holds one)."""
    whole = samples[: samples.size // tick * tick].reshape(-1, tick)
    return int(np.count_nonzero(~whole.any(axis=1)))


def test_a_speaker_packet_lost_during_a_recording_is_concealed_and_counted(tmp_path):
    """One packet in 25 (one each half second) of the host's tone never reaches the relay.
    The recorded track carries no 20 ms hole where they were, and the manifest counts them."""

    async def scenario():
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new(), title="Lossy talk")
            host, host_media = await stage_member(created, "Hana Host", 440)
            loss = _PacketLoss(host_media, every=25)
            recordings = tmp_path / "recordings"
            try:
                await host.send(StartRecording())
                await until(
                    lambda: recordings.is_dir() and any(recordings.glob("*/manifest.json")),
                    what="the recording to start",
                )
                loss.on = True
                await until(lambda: len(loss.dropped) >= 8, what="8 packets dropped")
                loss.every, sent = 10**9, loss.sent  # no more losses; still counting
                await until(lambda: loss.sent >= sent + 10, what="the last loss to be played")
                await host.send(StopRecording())
                folder = await finished(recordings)
            finally:
                await host_media.close()
                await host.close()
            return folder, len(loss.dropped)

    folder, dropped = asyncio.run(scenario())
    manifest = manifest_of(folder)
    (track,) = manifest["tracks"]
    samples, rate = soundfile.read(str(folder / track["file"]), dtype="float32")
    heard = samples[track["first_tick"] * 960 :]
    assert heard.size / rate > 3.0
    assert band_level_db(heard, 440) > HEARD_DB
    holes = _zero_blocks(heard)
    # Every 20 ms of exact silence is one the manifest owns up to (ideally none at all).
    assert holes <= track["silent_gap_ticks"] + manifest["dropped_ticks"], (holes, track, manifest)
    assert holes < dropped, f"{holes} holes for {dropped} lost packets: they were not concealed"
    assert track["concealed_ticks"] >= dropped, (track, dropped)


def test_a_take_that_outlives_a_relay_crash_goes_on_in_its_next_part(tmp_path):
    """Issue 14, item 4: after a relay crash the take went on in a second folder with the same
    `take1` name and a new time, so nothing said they belonged together. It goes on in
    `<first folder>-part2`, which the recovered first part names as its continuation."""

    async def scenario():
        port = free_port()
        from server.config import RelayConfig

        config = RelayConfig(data_dir=tmp_path, port=port)
        recordings = tmp_path / "recordings"
        process = await start_relay(tmp_path, port)
        clients = []
        try:
            created = await create_room(config, Identity.new(), title="Two parts")
            host, media = await stage_member(created, "Hana Host", 440)
            clients += [(host, media)]
            await host.send(StartRecording())
            await host.wait_for(lambda c: c.room.is_recording)
            deadline = time.monotonic() + 30
            # The first part has written audio and its manifest (a crash before that leaves
            # nothing to continue).
            while not (recordings.is_dir() and any(recordings.glob("*/manifest.json"))):
                assert time.monotonic() < deadline, "the first part's manifest"
                await asyncio.sleep(0.05)
            crash_relay(process)
            await media.close()
            await host.close(leave=False)
            process = await start_relay(tmp_path, port)  # recovers the first part at start
            again = await join(created["host_url"], "Hana Host")  # still unmuted
            again_media = MediaLink(again, source=lambda: ToneTrack(440))
            await again_media.start(send=True)
            clients += [(again, again_media)]
            await again.wait_for(lambda c: c.room.is_recording)
            deadline = time.monotonic() + 30
            while len([p for p in recordings.iterdir() if p.is_dir()]) < 2:
                assert time.monotonic() < deadline, "the second part's folder"
                await asyncio.sleep(0.05)
            await again.send(StopRecording())
        finally:
            for client, link in clients:
                await link.close()
                await client.close(leave=False)
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        return recordings

    recordings = asyncio.run(scenario())
    first, second = sorted(p for p in recordings.iterdir() if p.is_dir())
    assert second.name == f"{first.name}-part2"
    assert "-take1" in first.name and manifest_of(first)["recovered"] is True
