"""The host's microphone through real PortAudio on a headless PulseAudio: a tone played into
the virtual mic reaches the host's own meter and the frames the console would send; a name
that is not a device gives a sentence the host can act on."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from audio.devices import DeviceCatalog, DeviceError
from console.level_board import LOCAL, LevelBoard
from console.mic_track import MeteredTrack
from console.microphones import device_names, open_microphone

pytestmark = [pytest.mark.pulse, pytest.mark.timeout(60)]


def test_a_tone_into_the_virtual_mic_moves_the_hosts_meter(console_pulse):
    catalog = DeviceCatalog()
    try:
        inputs, outputs = device_names(catalog)
        assert "Roomcast Test Mic" in inputs and "Roomcast Test Speakers" in outputs
        with pytest.raises(DeviceError, match="not connected"):
            open_microphone(catalog, "No Such Microphone")
        track = open_microphone(catalog, "Roomcast Test Mic")
        playback = catalog.open_playback("Roomcast Test Speech")
        t = np.arange(48_000 * 3) / 48_000
        tone = (0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        player = threading.Thread(target=playback.write_all, args=(tone,), daemon=True)
        player.start()

        async def scenario() -> tuple[float, int]:
            board = LevelBoard()
            mic = MeteredTrack(track, board)
            mic.muted = False
            heard_db, sent_peak = -200.0, 0
            for _ in range(100):  # 2 s of 20 ms frames
                frame = await mic.recv()
                sent_peak = max(sent_peak, int(np.abs(frame.to_ndarray()).max()))
                heard_db = max(heard_db, board.latest(LOCAL).rms_db)
            mic.stop()
            return heard_db, sent_peak

        heard_db, sent_peak = asyncio.run(scenario())
        player.join(timeout=10)
        assert heard_db > -20.0, f"the meter read {heard_db:.1f} dBFS for a -12 dBFS tone"
        assert sent_peak > 5000
    finally:
        catalog.close()
