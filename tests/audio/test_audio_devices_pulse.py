"""Devices through real PortAudio, on a private headless PulseAudio with null sinks.

Sound goes out through our own PlaybackStream into the null sink `rc_speech` and comes back in
through `rc_mic` (a remap of that sink's monitor), float32 at unity gain: what we measure is
what we played. The first capture from an idle null sink waits for its 2 s render block (about
1.8 s); the helpers wait for the first callback instead of sleeping.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from audio.device_error import DeviceError, DeviceProblem
from audio.devices import PULSE_HOST_API, DeviceCatalog
from audio.levels import LevelMeter, LevelReading
from audio.loudness import LoudnessMeter
from audio.streams import CaptureStream, StreamState
from audio.voice_gate import VoiceGate
from tests.fixtures_audio import RATE_HZ, Samples, rms, scale_to_peak, sine, speech_in_noise
from tests.pulse import PulseServer

pytestmark = pytest.mark.pulse

TONE_PEAK_DB = -20.0
TONE_RMS_DB = TONE_PEAK_DB - 10 * math.log10(2)  # -23.01 dBFS
SPEECH_PEAK_DB = -6.0


def drain(mic: CaptureStream, seconds: float, timeout_s: float = 20.0) -> Samples:
    """Read `seconds` of capture in 10 ms blocks (polling, as a UI timer would)."""
    wanted = round(seconds * RATE_HZ) // mic.block_frames
    blocks: list[Samples] = []
    deadline = time.monotonic() + timeout_s
    while len(blocks) < wanted:
        assert mic.check() is None, mic.error
        block = mic.read_block()
        if block is None:
            assert time.monotonic() < deadline, "capture stopped delivering blocks"
            time.sleep(0.005)
            continue
        blocks.append(block.copy())
    return np.concatenate(blocks)


def test_lists_the_servers_inputs_and_outputs_with_their_details(
    catalog: DeviceCatalog,
) -> None:
    """A person picks from names, host API, channels and rate; the test server's are known."""
    mic = catalog.find("Roomcast Test Mic", "input")
    assert (mic.host_api, mic.channels, mic.default_sample_rate_hz) == (PULSE_HOST_API, 1, 48000)
    assert mic.is_default and not mic.is_monitor
    speakers = catalog.find("Roomcast Test Speakers", "output")
    assert speakers.is_default and speakers.host_api == PULSE_HOST_API
    assert any(d.is_monitor for d in catalog.inputs())
    # PortAudio's own devices are listed too (ALSA's "pulse" is the way to the server).
    assert any(d.host_api == "ALSA" and d.name == "pulse" for d in catalog.inputs())
    # Picking by the server's node name or by a unique part of the name also works.
    assert catalog.find("rc_mic", "input") == mic
    assert catalog.find("test mic", "input") == mic


def test_captured_speech_and_tone_read_their_known_levels(
    catalog: DeviceCatalog, utterances: list[Samples]
) -> None:
    """Played into a virtual source, captured through sounddevice: meters agree within 0.5 dB."""
    speaker = catalog.open_playback("Roomcast Test Speech", ring_s=10.0)
    mic = catalog.open_capture("Roomcast Test Mic")
    assert speaker.wait_first_block(10.0)
    assert mic.wait_first_block(10.0)
    tone = sine(1000.0, 1.5, 10 ** (TONE_PEAK_DB / 20))
    voice = scale_to_peak(utterances[0][: 2 * RATE_HZ], SPEECH_PEAK_DB)
    gap = np.zeros(RATE_HZ // 2, dtype=np.float32)
    mic.ring.discard()
    assert speaker.write_all(np.concatenate([gap, tone, gap, voice, gap]))

    captured = drain(mic, 5.5)
    assert mic.ring.overflows == 0

    meter, loudness = LevelMeter(), LoudnessMeter()
    readings: list[LevelReading] = []
    momentary: list[float] = []
    for start in range(0, captured.shape[0] - 479, 480):
        block = captured[start : start + 480]
        readings.append(meter.update(block))
        loudness.update(block)
        momentary.append(loudness.momentary_lufs)
    rms_db = np.array([r.rms_db for r in readings])
    loud_blocks = np.flatnonzero(rms_db > -40)
    assert loud_blocks.size, "nothing came through the virtual microphone"
    # The tone is the first loud stretch: 150 blocks; its middle third is steady.
    tone_start = int(loud_blocks[0])
    steady = range(tone_start + 60, tone_start + 140)
    for index in steady:
        assert abs(readings[index].vu_db - TONE_RMS_DB) < 0.5
        assert abs(readings[index].rms_db - TONE_RMS_DB) < 0.5
        assert abs(readings[index].peak_db - TONE_PEAK_DB) < 0.5
        # A 1 kHz sine at -20 dBFS peak is -23.0 LUFS (K-weighting is ~0 dB there).
        assert abs(momentary[index] - (TONE_RMS_DB + 0.0)) < 0.5
    # Speech: the held peak reaches the peak we played, and the energy is all there.
    speech_readings = readings[tone_start + 150 + 30 :]
    assert abs(max(r.peak_hold_db for r in speech_readings) - SPEECH_PEAK_DB) < 0.5
    speech_part = captured[(tone_start + 150 + 30) * 480 :]
    played_energy_db = 20 * math.log10(rms(voice)) + 10 * math.log10(voice.shape[0])
    captured_energy_db = 20 * math.log10(rms(speech_part)) + 10 * math.log10(speech_part.shape[0])
    assert abs(captured_energy_db - played_energy_db) < 0.5
    assert not any(r.clipping for r in readings)


def align(captured: Samples, played: Samples) -> int:
    """Where `played` starts in `captured` (FFT cross-correlation; white noise makes it sharp)."""
    size = 1 << (captured.shape[0] + played.shape[0]).bit_length()
    spectrum = np.fft.rfft(captured, size) * np.conj(np.fft.rfft(played, size))
    return int(np.argmax(np.fft.irfft(spectrum, size)[: captured.shape[0]]))


def test_speaking_indicator_through_the_device_in_noise(
    catalog: DeviceCatalog, utterances: list[Samples]
) -> None:
    """Speech at 10 dB SNR over white noise, played and captured live: the indicator follows."""
    timeline = speech_in_noise(utterances[2:], snr_db=10.0, gap_s=1.5, lead_s=1.5)
    speaker = catalog.open_playback("Roomcast Test Speech", ring_s=10.0)
    mic = catalog.open_capture("Roomcast Test Mic")
    assert speaker.wait_first_block(10.0) and mic.wait_first_block(10.0)
    mic.ring.discard()
    assert speaker.write_all(timeline.signal)
    captured = drain(mic, timeline.signal.shape[0] / RATE_HZ + 1.0)
    offset = align(captured, timeline.signal)
    assert np.allclose(captured[offset : offset + 4800], timeline.signal[:4800], atol=1e-6)

    gate = VoiceGate()  # what the console runs on each 10 ms block it drains
    shown = np.array(
        [
            gate.update(captured[i : i + 480])
            for i in range(offset, offset + timeline.signal.shape[0] - 479, 480)
        ]
    )
    start, end = timeline.speech_spans[0]
    on_s = (np.flatnonzero(shown)[0] + 1) * 480 / RATE_HZ - start / RATE_HZ
    off_s = (np.flatnonzero(~shown & (np.arange(shown.shape[0]) * 480 >= end))[0] + 1) * 480
    assert 0 <= on_s <= 0.100
    assert off_s / RATE_HZ - end / RATE_HZ <= 0.400
    truth = timeline.truth(480)[: shown.shape[0]]
    assert shown[truth].mean() >= 0.90
    assert shown[~truth].sum() * 480 / RATE_HZ <= 0.4  # only the hang time after the speech


def test_unloaded_source_gives_a_clear_error_and_another_device_recovers(
    catalog: DeviceCatalog, pulse_server: PulseServer
) -> None:
    """`pactl unload-module` mid-stream: the stream reports it, nothing crashes, and picking
    another microphone works without a restart."""
    spare = pulse_server.add_virtual_mic("rc_spare_mic", "Spare Mic")
    try:
        catalog.refresh()
        mic = catalog.open_capture("Spare Mic")
        assert mic.wait_first_block(10.0)
        assert mic.check() is None

        pulse_server.unload_module(spare.source_module)
        deadline = time.monotonic() + 5.0
        while mic.check() is None:
            assert time.monotonic() < deadline, "the vanished microphone was not noticed"
            time.sleep(0.01)

        error = mic.check()
        assert error is not None and error.problem is DeviceProblem.DISAPPEARED
        assert str(error) == "Microphone 'Spare Mic' disappeared — pick another input"
        assert mic.state is StreamState.LOST
        assert mic.check() is error  # reported once, then kept: no new error per tick
        assert "Spare Mic" not in [d.name for d in catalog.refresh()]
        with pytest.raises(DeviceError, match="Spare Mic' is not connected"):
            catalog.open_capture("Spare Mic")

        # Recover: another input, in the same process, and sound flows again.
        speaker = catalog.open_playback("Roomcast Test Speech", ring_s=10.0)
        other = catalog.open_capture("Roomcast Test Mic")
        assert other.wait_first_block(10.0)
        assert speaker.wait_first_block(10.0)
        other.ring.discard()
        assert speaker.write_all(sine(440.0, 0.6, 0.5))
        heard = drain(other, 1.0)
        assert 20 * math.log10(np.abs(heard).max()) == pytest.approx(20 * math.log10(0.5), abs=0.5)
        assert other.check() is None
    finally:
        pulse_server.unload_module(spare.sink_module)


def test_a_device_that_cannot_open_is_a_clear_error(
    catalog: DeviceCatalog, pulse_server: PulseServer
) -> None:
    """The source is gone between listing and opening: an error naming it, no stream left."""
    ghost = pulse_server.add_virtual_mic("rc_ghost", "Ghost Mic")
    catalog.refresh()
    pulse_server.unload_module(ghost.source_module)
    pulse_server.unload_module(ghost.sink_module)
    with pytest.raises(DeviceError) as caught:
        catalog.open_capture("Ghost Mic")
    assert caught.value.problem is DeviceProblem.NOT_FOUND
    assert "Ghost Mic" in str(caught.value) and "pick another input" in str(caught.value)


def test_playback_underflow_is_counted_and_plays_silence(catalog: DeviceCatalog) -> None:
    """An output with nothing queued keeps running on silence and counts the gaps."""
    speaker = catalog.open_playback("Roomcast Test Speakers")
    assert speaker.wait_first_block(10.0)
    time.sleep(0.1)
    assert speaker.check() is None
    assert speaker.ring.underflows > 0
    speaker.close()
    assert speaker.state is StreamState.CLOSED
