"""Levels at ~25 Hz with plausible values, and speaking flags only when they flip."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import numpy as np

from server.media import StageState
from tests.fixtures_audio import SENTENCES, scale_to_peak, speech
from tests.media.test_media_kit import ClientPeer, Recorder, ToneTrack, new_room, wait_until


def test_levels_arrive_at_25_hz_and_read_the_tone_level() -> None:
    """A -20 dBFS RMS sine reads about -20 dB RMS and -17 dB peak after Opus; a muted
    member reads the floor and not speaking."""

    async def scenario() -> None:
        recorder = Recorder()
        room = new_room(recorder)
        await room.start()
        ann = ClientPeer("ann", ToneTrack(440.0, rms_db=-20.0))
        bob = ClientPeer("bob", ToneTrack(440.0, rms_db=-20.0))
        try:
            await ann.join(room, send_allowed=True)
            await bob.join(room, send_allowed=True)
            room.set_stage({"ann": StageState(), "bob": StageState(muted=True)})
            await wait_until(
                lambda: bool(recorder.levels) and recorder.levels[-1][1]["ann"].rms_db > -30,
                what="ann's level",
            )
            await asyncio.sleep(0.3)
            start, ticks = time.perf_counter(), room.stats().ticks
            await asyncio.sleep(1.0)
            window = [lv for t, lv in recorder.levels if t >= start]
            ticks = room.stats().ticks - ticks
            # One report per two 20 ms ticks (25 Hz), however busy the machine is.
            assert ticks >= 25
            assert abs(len(window) - ticks / 2) <= 2, (len(window), ticks)
            assert all(set(lv) == {"ann", "bob"} for lv in window), "every stage member"
            rms = np.median([lv["ann"].rms_db for lv in window])
            peak = np.median([lv["ann"].peak_db for lv in window])
            assert abs(rms + 20.0) < 1.5, rms
            assert abs(peak + 17.0) < 1.5, peak
            assert all(lv["bob"].rms_db <= -119 and not lv["bob"].speaking for lv in window)
        finally:
            await asyncio.gather(ann.close(), bob.close())
            await room.close()

    asyncio.run(scenario())


def test_speaking_flips_on_with_speech_and_off_after_it_ends(tmp_path: Path) -> None:
    voice = scale_to_peak(speech(SENTENCES[0], tmp_path, "welcome"), -6.0)

    async def scenario() -> None:
        recorder = Recorder()
        room = new_room(recorder)
        await room.start()
        track = ToneTrack(signal=voice)
        track.silent = True
        ann = ClientPeer("ann", track)
        try:
            await ann.join(room, send_allowed=True)
            room.set_stage({"ann": StageState()})
            await wait_until(
                lambda: room.stats().peers["ann"].ingress_packets > 25,
                what="ann's audio reaching the relay",
            )
            assert recorder.speaking == [], "silence is not speech"
            track.silent = False
            await wait_until(
                lambda: ("ann", True) in [(u, s) for _, u, s in recorder.speaking],
                what="speaking on",
            )
            await asyncio.sleep(voice.shape[0] / 48_000 * 0.8)
            track.silent = True
            silent_at = time.perf_counter()
            await wait_until(
                lambda: (
                    recorder.speaking[-1][1:] == ("ann", False)
                    and recorder.speaking[-1][0] > silent_at
                ),
                what="speaking off",
            )
            flags = [s for _, u, s in recorder.speaking]
            assert all(a != b for a, b in itertools.pairwise(flags)), "only flips"
            spoke = [lv["ann"].speaking for _, lv in recorder.levels]
            assert any(spoke), "levels carry the speaking flag too"
            # The gate closes after ~300 ms of silence (plus the way to the relay).
            assert recorder.speaking[-1][0] - silent_at < 1.5
        finally:
            await ann.close()
            await room.close()

    asyncio.run(scenario())
