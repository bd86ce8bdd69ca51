"""Consent by capture time: at a yes, nothing captured before it is written; after a no,
nothing captured after it (issue 14, DESIGN §6). A real relay, its media worker and a real
aiortc speaker; the files are read back and searched with a tone detector of this test's own.

The speaker's track behaves like a microphone: the frame due at instant t holds the 20 ms
captured before t (late or not in leaving this process), and each sample is the "forbidden" tone or the "allowed" one by when
it was captured. The speaker stops the forbidden tone at the instant they say yes (then sends
the yes), and starts it again once the relay has taken their no (the relay's receipt is the
no's instant, DESIGN §6).
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile

from console.client import JoinLink
from console.host_session import HostSession
from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import FRAME_SAMPLES, SAMPLE_RATE_HZ, PacedAudioTrack
from server.media.capture_gate import OPEN_MARGIN_S
from server.room import (
    ApproveRequest,
    RequestToSpeak,
    Role,
    SetConsent,
    StartRecording,
    StopRecording,
    Unmute,
)
from tests.relay.relaykit import create_room, join, relay

FORBIDDEN_HZ = 3_000.0  # what the speaker sends while they have not consented
ALLOWED_HZ = 500.0  # what they send while they have
EDGES = 50
DETECT_WINDOW = 480  # 10 ms
DETECT_HOP = 120  # 2.5 ms
DETECT_DBFS = -45.0  # the tone is sent at -12 dBFS; codec noise stays far below this


class ConsentTone(PacedAudioTrack):
    """A microphone that hears the forbidden tone until `allow()` and after `forbid()`."""

    def __init__(self) -> None:
        super().__init__()
        self.amplitude = 32767 * 10 ** (-12 / 20)
        self.switches: list[tuple[float, bool]] = [(float("-inf"), False)]
        self.frames = 0
        self._sample = 0
        self._progress = asyncio.Event()

    def allow(self) -> None:
        self.switches.append((time.perf_counter(), True))

    def forbid(self) -> None:
        self.switches.append((time.perf_counter(), False))

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        # As a microphone's buffer: the frame due at instant t (on the track's steady clock,
        # which the RTP timestamps follow) holds the 20 ms captured before t, even when this
        # process hands it over late (a loaded machine).
        start = self._start if self._start is not None else time.monotonic()
        due = start + self._pts / SAMPLE_RATE_HZ
        captured = due - frames / SAMPLE_RATE_HZ + np.arange(frames) / SAMPLE_RATE_HZ
        instants = np.array([at for at, _ in self.switches])
        states = np.array([allowed for _, allowed in self.switches])
        allowed = states[np.searchsorted(instants, captured, side="right") - 1]
        n = np.arange(self._sample, self._sample + frames) / SAMPLE_RATE_HZ
        self._sample += frames
        wave = np.where(
            allowed, np.sin(2 * np.pi * ALLOWED_HZ * n), np.sin(2 * np.pi * FORBIDDEN_HZ * n)
        )
        self.frames += 1
        self._progress.set()
        return (self.amplitude * wave).astype(np.int16)

    async def frames_pass(self, count: int, timeout_s: float = 10.0) -> None:
        """Until `count` more frames have gone to the relay's way."""
        target = self.frames + count
        deadline = time.monotonic() + timeout_s
        while self.frames < target:
            remaining = deadline - time.monotonic()
            assert remaining > 0, "the speaker's track stopped sending"
            self._progress.clear()
            await asyncio.wait_for(self._progress.wait(), remaining)


def tone_windows(samples: npt.NDArray[np.float32], hz: float) -> npt.NDArray[np.bool_]:
    """For each 2.5 ms hop, whether a 10 ms Hann window starting there holds `hz` above
    DETECT_DBFS (amplitude): a tone of even 1 ms lights at least one window."""
    if samples.size < DETECT_WINDOW:
        return np.zeros(0, dtype=bool)
    starts = np.arange(0, samples.size - DETECT_WINDOW + 1, DETECT_HOP)
    frames = samples[starts[:, None] + np.arange(DETECT_WINDOW)].astype(np.float64)
    window = np.hanning(DETECT_WINDOW)
    phasor = np.exp(-2j * np.pi * hz * np.arange(DETECT_WINDOW) / SAMPLE_RATE_HZ)
    amplitude = 2 * np.abs(frames @ (window * phasor)) / window.sum()
    return amplitude > 10 ** (DETECT_DBFS / 20)


def tone_samples(samples: npt.NDArray[np.float32], hz: float) -> int:
    """How many samples lie in a window where `hz` is heard (0: nowhere)."""
    lit = tone_windows(samples, hz)
    covered = np.zeros(samples.size, dtype=bool)
    for start in np.flatnonzero(lit) * DETECT_HOP:
        covered[start : start + DETECT_WINDOW] = True
    return int(covered.sum())


def test_the_detector_finds_a_millisecond_of_tone_and_nothing_in_a_switching_tone():
    rate = SAMPLE_RATE_HZ
    n = np.arange(rate) / rate
    burst = np.zeros(rate, dtype=np.float32)
    burst[24_000:24_048] = 0.25 * np.sin(2 * np.pi * FORBIDDEN_HZ * n[24_000:24_048])
    assert tone_samples(burst, FORBIDDEN_HZ) > 0
    gated = (0.25 * np.sin(2 * np.pi * ALLOWED_HZ * n)).astype(np.float32)
    gated[: rate // 2 : 2 * FRAME_SAMPLES] = 0.0
    gated[rate // 4 : rate // 2] = 0.0  # hard cuts at block edges, as the gate makes
    assert tone_samples(gated, FORBIDDEN_HZ) == 0


async def wait_folder(recordings: Path, timeout_s: float = 30.0) -> Path:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for folder in recordings.iterdir() if recordings.is_dir() else []:
            manifest = folder / "manifest.json"
            if manifest.is_file() and json.loads(manifest.read_text())["state"] == "stopped":
                return folder
        await asyncio.sleep(0.1)
    raise AssertionError(f"no finished recording in {recordings}")


def test_fifty_consent_edges_write_no_sample_captured_without_consent(tmp_path):
    """Before issue 14 the gate applied when audio left the relay's input buffer: at every
    yes, 40-80 ms captured before it was written (this test found the tone there)."""

    async def scenario() -> tuple[Path, str, ConsentTone]:
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new(), title="Consent edges")
            host = await join(created["host_url"], "Hana Host")
            speaker = await join(created["join_url"], "Sam Speaker")
            track = ConsentTone()
            media = MediaLink(speaker, source=track)
            try:
                await speaker.send(RequestToSpeak())
                await host.wait_for(lambda c: c.room.request_of(speaker.user_id) is not None)
                await host.send(ApproveRequest(speaker.user_id))
                await speaker.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
                await speaker.send(Unmute())
                await media.start(send=True)
                await track.frames_pass(25)
                await host.send(StartRecording())
                await speaker.wait_for(lambda c: c.room.is_recording)
                await track.frames_pass(10)
                for edge in range(EDGES):
                    if edge % 2 == 0:
                        track.allow()  # the tone stops at the instant they say yes
                        await speaker.send(SetConsent(True))
                    else:
                        await speaker.send(SetConsent(False))
                        track.forbid()  # the relay has their no: the tone comes back
                    await track.frames_pass(8 + edge % 5)  # 160-240 ms per phase
                await host.send(StopRecording())
                folder = await wait_folder(tmp_path / "recordings")
            finally:
                await media.close()
                await speaker.close()
                await host.close()
            assert speaker.user_id is not None
            return folder, speaker.user_id, track

    folder, speaker_id, track = asyncio.run(scenario())
    manifest = json.loads((folder / "manifest.json").read_text())
    answers = [
        line["answer"] for line in manifest["consent_ledger"] if line["user_id"] == speaker_id
    ]
    assert answers == ["pending"] + ["granted", "declined"] * (EDGES // 2)
    track_file = next(t["file"] for t in manifest["tracks"] if t["user_id"] == speaker_id)
    files = {"track": folder / track_file, "mix": folder / manifest["mix_file"]}
    allowed_s = sum(
        later - at
        for (at, ok), (later, _) in zip(track.switches[1:], track.switches[2:], strict=False)
        if ok
    )
    for name, path in files.items():
        samples, rate = soundfile.read(str(path), dtype="float32")
        assert rate == SAMPLE_RATE_HZ
        lit = np.flatnonzero(tone_windows(samples, FORBIDDEN_HZ)) * DETECT_HOP / rate
        heard_s = tone_samples(samples, ALLOWED_HZ) / rate
        print(  # the figures, for `pytest -s`
            f"{name}: forbidden-tone samples {tone_samples(samples, FORBIDDEN_HZ)}, "
            f"allowed tone {heard_s:.2f} s of {allowed_s:.2f} s consented"
        )
        assert not lit.size, f"{name}: tone captured without consent at {np.round(lit, 4)} s"
        # Each consented phase loses the gate's opening margin and at most ~2 blocks at its
        # edges (the codec's look-ahead).
        assert heard_s > allowed_s - (EDGES // 2) * (OPEN_MARGIN_S + 0.06), (
            f"{name}: {heard_s:.2f} of {allowed_s:.2f} s"
        )


def test_an_all_party_take_writes_nothing_while_one_speaker_has_not_answered(tmp_path):
    """All-party consent (issue 14): Sam says yes at once, Sia answers late. Until Sia's yes,
    nothing of anyone is written — Sam's yes alone records nothing — and after it both are.
    Each speaker sends the forbidden tone until the instant Sia says yes, the allowed one
    after: the forbidden tone may appear in no file."""

    async def scenario() -> tuple[Path, dict[str, str], list[ConsentTone]]:
        async with relay(tmp_path, with_media=True) as config:
            created = await create_room(config, Identity.new(), title="All-party")
            host = await join(created["host_url"], "Hana Host")
            sam = await join(created["join_url"], "Sam Speaker")
            sia = await join(created["join_url"], "Sia Speaker")
            tones = [ConsentTone(), ConsentTone()]
            links = [MediaLink(sam, source=tones[0]), MediaLink(sia, source=tones[1])]
            try:
                for speaker in (sam, sia):
                    await speaker.send(RequestToSpeak())
                    await host.wait_for(lambda c, s=speaker: c.room.request_of(s.user_id))
                    await host.send(ApproveRequest(speaker.user_id))
                    await speaker.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
                    await speaker.send(Unmute())
                for link in links:
                    await link.start(send=True)
                await tones[0].frames_pass(25)
                await host.send(StartRecording(all_party=True))
                await sam.wait_for(lambda c: c.room.is_recording)
                assert set(host.room.recording_waits_for()) == {sam.user_id, sia.user_id}
                await sam.send(SetConsent(True))
                await host.wait_for(lambda c: c.room.recording_waits_for() == (sia.user_id,))
                await tones[0].frames_pass(40)  # 0.8 s in which only Sia's answer is missing
                for tone in tones:
                    tone.allow()  # both switch tones at the instant Sia says yes
                await sia.send(SetConsent(True))
                await tones[0].frames_pass(40)
                await host.send(StopRecording())
                folder = await wait_folder(tmp_path / "recordings")
            finally:
                for link in links:
                    await link.close()
                for client in (sam, sia, host):
                    await client.close()
            names = {str(sam.user_id): "sam", str(sia.user_id): "sia"}
            return folder, names, tones

    folder, names, _tones = asyncio.run(scenario())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["consent_mode"] == "all_party"
    files = {"mix": folder / manifest["mix_file"]}
    for track in manifest["tracks"]:
        if track["user_id"] in names:
            files[names[track["user_id"]]] = folder / track["file"]
    assert set(files) == {"mix", "sam", "sia"}
    for name, path in files.items():
        samples, rate = soundfile.read(str(path), dtype="float32")
        forbidden = tone_samples(samples, FORBIDDEN_HZ)
        heard_s = tone_samples(samples, ALLOWED_HZ) / rate
        lit = np.flatnonzero(tone_windows(samples, FORBIDDEN_HZ)) * DETECT_HOP / rate
        print(
            f"{name}: forbidden-tone samples {forbidden} at {np.round(lit, 4)} s of "
            f"{samples.size / rate:.2f} s, allowed tone {heard_s:.2f} s"
        )
    for name, path in files.items():
        samples, rate = soundfile.read(str(path), dtype="float32")
        forbidden = tone_samples(samples, FORBIDDEN_HZ)
        heard_s = tone_samples(samples, ALLOWED_HZ) / rate
        assert forbidden == 0, f"{name}: audio from before everyone said yes was written"
        assert heard_s > 0.5, f"{name}: after everyone said yes, only {heard_s:.2f} s"


def test_the_consoles_mute_pauses_keep_capture_times_true(tmp_path):
    """The console sends nothing while muted (console/mic_track.py), so the RTP time of what it
    sends after unmuting jumps by the pause. The relay must go on placing its audio at the
    instant it was captured: nothing the host's microphone heard while muted is written, and
    what they say after each unmute is, less the gate's opening margin. Pauses of 0.16-0.24 s
    (under the capture clock's reset) and of 0.7 s (over it)."""

    async def scenario() -> tuple[Path, str, list[tuple[float, float]]]:
        async with relay(tmp_path, with_media=True) as config:
            identity = Identity.new()
            created = await create_room(config, identity, title="Mute edges")
            track = ConsentTone()  # the forbidden tone is what the mic hears while muted
            session = HostSession(
                JoinLink.parse(created["host_url"]), identity, "Hana Host", mic=track
            )
            spoken: list[tuple[float, float]] = []  # (unmuted, muting) on this clock
            try:
                await session.start()
                await track.frames_pass(25)
                await session.send(StartRecording())  # the host consents by starting it
                await session.client.wait_for(lambda c: c.room.is_recording)
                await track.frames_pass(10)
                for edge in range(EDGES // 2):
                    track.allow()  # the host starts talking as they click unmute
                    await session.set_muted(False)
                    assert session.mic is not None and not session.mic.muted
                    unmuted = time.perf_counter()
                    await track.frames_pass(8 + edge % 5)  # 160-240 ms of talk
                    spoken.append((unmuted, time.perf_counter()))
                    await session.set_muted(True)
                    track.forbid()  # the relay has the mute: the mic hears the forbidden tone
                    await track.frames_pass(35 if edge % 4 == 3 else 8 + edge % 5)
                await session.send(StopRecording())
                folder = await wait_folder(tmp_path / "recordings")
                assert session.mic is not None and session.mic.frames_sent > 0
            finally:
                await session.close()
            assert session.user_id is not None
            return folder, session.user_id, spoken

    folder, host_id, spoken = asyncio.run(scenario())
    manifest = json.loads((folder / "manifest.json").read_text())
    track_file = next(t["file"] for t in manifest["tracks"] if t["user_id"] == host_id)
    talked_s = sum(end - start for start, end in spoken)
    for name, path in {"track": folder / track_file, "mix": folder / manifest["mix_file"]}.items():
        samples, rate = soundfile.read(str(path), dtype="float32")
        lit = np.flatnonzero(tone_windows(samples, FORBIDDEN_HZ)) * DETECT_HOP / rate
        heard_s = tone_samples(samples, ALLOWED_HZ) / rate
        print(f"{name}: allowed tone {heard_s:.2f} s of {talked_s:.2f} s talked unmuted")
        assert not lit.size, f"{name}: audio captured while muted at {np.round(lit, 4)} s"
        # Each unmuted phase loses the gate's opening margin and at most ~2 blocks at its
        # edges; capture times off by a pause would lose whole phases.
        assert heard_s > talked_s - len(spoken) * (OPEN_MARGIN_S + 0.06), (
            f"{name}: {heard_s:.2f} of {talked_s:.2f} s"
        )
