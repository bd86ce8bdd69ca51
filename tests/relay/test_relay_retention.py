"""Recordings go where the relay is told, and finished ones older than the retention are deleted
by the relay itself (issue 14, item 7: retention existed only in the console; the standalone
relay kept recordings for ever, and the console's folder setting was saved but unread).

A real `roomcast relay` process with `--recordings-dir` and `--keep-recordings-days`: at start
it deletes the finished take older than the retention, keeps the recent one, and records a new
take into the chosen folder. The console's embedded relay gets the same options from the
console's settings (checked through the real supervisor).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from console.identity import Identity
from console.media_link import MediaLink
from console.rooms_api import RelayApi
from console.settings import Settings
from console.supervisor import RelaySupervisor
from console.tracks import ToneTrack
from server.config import RelayConfig
from server.room import StartRecording, StopRecording
from tests.relay.relaykit import create_room, join
from tests.relay.test_relay_restart import free_port, start_relay
from tests.ui.test_ui_recording_library import make
from ui.recordings_model import recordings_folder, relay_args


async def until(predicate, timeout_s: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def finished_takes(root: Path) -> list[Path]:
    return [
        p
        for p in root.iterdir()
        if (p / "manifest.json").is_file()
        and json.loads((p / "manifest.json").read_text()).get("state") == "stopped"
    ]


def test_the_relay_keeps_recordings_in_its_folder_for_the_days_it_is_told(tmp_path):
    chosen = tmp_path / "podcast takes"
    old = make(chosen, "old", "Old show", stopped_days_ago=40)
    recent = make(chosen, "recent", "Last week", stopped_days_ago=6)

    async def scenario():
        port = free_port()
        config = RelayConfig(data_dir=tmp_path / "data", port=port)
        relay = await start_relay(
            tmp_path / "data", port,
            "--recordings-dir", str(chosen), "--keep-recordings-days", "30",
            "--media-workers", "1",
        )  # fmt: skip
        try:
            await until(lambda: not old.exists(), what="the old take to be deleted")
            assert recent.is_dir()
            created = await create_room(config, Identity.new(), title="Into the chosen folder")
            host = await join(created["host_url"], "Hana Host")
            media = MediaLink(host, source=ToneTrack(440.0))
            try:
                await media.start(send=True)
                await host.send(StartRecording())
                await host.wait_for(lambda c: c.room.is_recording)
                await until(
                    lambda: len([p for p in chosen.iterdir() if p.name != "recent"]) == 1,
                    what="the take's folder in the chosen folder",
                )
                await host.send(StopRecording())
            finally:
                await media.close()
                await host.close()
            await until(lambda: len(finished_takes(chosen)) == 2, what="the new take")
            assert not (tmp_path / "data" / "recordings").exists()
        finally:
            relay.terminate()
            relay.wait(timeout=20)

    asyncio.run(scenario())


def test_the_consoles_recordings_folder_reaches_its_embedded_relay(tmp_path):
    data_dir = tmp_path / "console"
    chosen = tmp_path / "my recordings"
    settings = Settings(recordings_dir=str(chosen), retention_days=30)
    assert recordings_folder(settings, data_dir) == chosen
    assert recordings_folder(Settings(), data_dir) == data_dir / "relay" / "recordings"
    # The console applies its retention itself (it says what it deleted): not the relay's job.
    assert relay_args(settings, data_dir) == ["--recordings-dir", str(chosen)]

    async def scenario():
        supervisor = RelaySupervisor(data_dir, port=0, relay_args=relay_args(settings, data_dir))
        url = await supervisor.start()
        try:
            api = RelayApi(url, admin_key=supervisor.admin_key())
            hosted, _card = await api.create_room(Identity.new(), "Hana Host", "Chosen folder")
            host = await join(hosted.host_url, "Hana Host")
            media = MediaLink(host, source=ToneTrack(440.0))
            try:
                await media.start(send=True)
                await host.send(StartRecording())
                await until(
                    lambda: chosen.is_dir() and any(chosen.iterdir()),
                    what="the take in the chosen folder",
                )
                await host.send(StopRecording())
                await until(lambda: len(finished_takes(chosen)) == 1, what="the take to finish")
            finally:
                await media.close()
                await host.close()
            assert not (data_dir / "relay" / "recordings").exists()
        finally:
            await supervisor.stop()

    asyncio.run(scenario())
