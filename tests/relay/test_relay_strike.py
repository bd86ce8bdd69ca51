"""Strike from the record on a real relay (issue 14 item 5): a speaker on stage sends a steady
tone through a real aiortc peer; 75 s into the take they strike their last minute. After the
take their tone is absent from that minute in their track, in the mix and in a fresh
`roomcast export`, and present before and after it; the take's ledger file has the strike.

The only long test of the feature (about 80 s of audio): a minute has to pass to strike one.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import soundfile

from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import SAMPLE_RATE_HZ, PacedAudioTrack
from server.room import (
    ApproveRequest,
    RequestToSpeak,
    Role,
    SetConsent,
    StartRecording,
    StopRecording,
    StrikeFromRecord,
    StruckFromRecord,
    Unmute,
)
from tests.relay.relaykit import create_room, join, relay
from tests.relay.spectrum import band_level_db
from tests.relay.test_relay_consent_edges import wait_folder

pytestmark = pytest.mark.timeout(420)  # about 80 s of take, the export, a loaded machine

TONE_HZ = 700.0
TAKE_S = 75.0
AFTER_S = 4.0
HEARD_DB = -30.0  # the tone is sent at -12 dBFS
ABSENT_DB = -70.0


class Tone(PacedAudioTrack):
    def __init__(self) -> None:
        super().__init__()
        self._sample = 0
        self.frames = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        n = np.arange(self._sample, self._sample + frames) / SAMPLE_RATE_HZ
        self._sample += frames
        self.frames += 1
        return (32767 * 10 ** (-12 / 20) * np.sin(2 * np.pi * TONE_HZ * n)).astype(np.int16)


def level(samples: npt.NDArray[np.float32], from_s: float, to_s: float) -> float:
    rate = SAMPLE_RATE_HZ
    return band_level_db(samples[int(from_s * rate) : int(to_s * rate)], TONE_HZ)


def mono(path: Path) -> npt.NDArray[np.float32]:
    data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert rate == SAMPLE_RATE_HZ
    return np.asarray(data.mean(axis=1), dtype=np.float32)


def test_a_speaker_strikes_their_last_minute_from_a_running_take(tmp_path):
    async def scenario() -> tuple[Path, str, list[object]]:
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new(), title="Strike")
            host = await join(created["host_url"], "Hana Host")
            speaker = await join(created["join_url"], "Sam Speaker")
            seen: list[object] = []
            host.on_event.append(lambda _seq, event, _room: seen.append(event))
            track = Tone()
            media = MediaLink(speaker, source=track)
            try:
                await speaker.send(RequestToSpeak())
                await host.wait_for(lambda c: c.room.request_of(speaker.user_id) is not None)
                await host.send(ApproveRequest(speaker.user_id))
                await speaker.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
                await speaker.send(Unmute())
                await media.start(send=True)
                await host.send(StartRecording())
                await speaker.wait_for(lambda c: c.room.is_recording)
                await speaker.send(SetConsent(True))
                began = time.monotonic()
                deadline = began + TAKE_S + 30  # bounded on a loaded machine
                while time.monotonic() - began < TAKE_S:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.5)
                assert speaker.user_id is not None
                await speaker.send(StrikeFromRecord(speaker.user_id, "last_minute"))
                await host.wait_for(lambda c: any(isinstance(e, StruckFromRecord) for e in seen))
                sent = track.frames
                while track.frames < sent + AFTER_S * 50:
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)
                await host.send(StopRecording())
                folder = await wait_folder(tmp_path / "recordings", timeout_s=60)
            finally:
                await media.close()
                await speaker.close()
                await host.close()
            return folder, speaker.user_id, seen

    folder, speaker_id, seen = asyncio.run(scenario())
    (event,) = [e for e in seen if isinstance(e, StruckFromRecord)]
    assert (event.actor, event.user_id, event.span) == (speaker_id, speaker_id, "last_minute")
    manifest = json.loads((folder / "manifest.json").read_text())
    (strike,) = manifest["strikes"]
    assert strike["applied"] and strike["user_id"] == speaker_id and strike["by"] == speaker_id
    from_s, to_s = strike["from_s"], strike["to_s"]
    assert 60.0 <= to_s - from_s <= 61.5, (from_s, to_s)  # a minute, and the half second after
    assert manifest["duration_s"] > to_s + 2
    ledger = [
        json.loads(line)
        for line in (folder / "consent-ledger.jsonl").read_text().split("\n")
        if line
    ]
    struck = [line for line in ledger if line["answer"] == "struck"]
    assert [(s["user_id"], s["by"], s["from_tick"], s["to_tick"]) for s in struck] == [
        (speaker_id, speaker_id, strike["from_tick"], strike["to_tick"])
    ]
    export = tmp_path / "fresh.wav"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("roomcast")), "export", str(folder), "--format", "wav", "--mono",
         "--out", str(export)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    track_file = next(t["file"] for t in manifest["tracks"] if t["user_id"] == speaker_id)
    files = {
        "track": mono(folder / track_file),
        "mix": mono(folder / manifest["mix_file"]),
        "export": mono(export),
    }
    for name, samples in files.items():
        before = level(samples, from_s - 10, from_s - 0.1)
        inside = [level(samples, t, t + 1) for t in np.arange(from_s + 0.1, to_s - 1.1, 1.0)]
        after = level(samples, to_s + 0.1, to_s + 2)
        print(
            f"{name}: before {before:.1f} dB, inside max {max(inside):.1f} dB, after {after:.1f} dB"
        )
        assert before > HEARD_DB, f"{name}: the tone is missing before the struck minute"
        assert max(inside) < ABSENT_DB, f"{name}: the tone survives in the struck minute"
        assert after > HEARD_DB, f"{name}: the tone is missing after the struck minute"
    assert not np.any(files["track"][int(from_s * SAMPLE_RATE_HZ) : int(to_s * SAMPLE_RATE_HZ)])
