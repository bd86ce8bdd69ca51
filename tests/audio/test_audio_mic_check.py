"""Mic check: five seconds of espeak-ng "voice" in different rooms and at different gains."""

from __future__ import annotations

import numpy as np
import pytest

from audio.mic_check import MicCheck, MicVerdict, _judge, analyse_voice
from tests.fixtures_audio import RATE_HZ, Samples, white_noise


def five_seconds(
    utterances: list[Samples],
    speech_rms_db: float,
    noise_rms_db: float | None,
    overdrive: float = 1.0,
) -> Samples:
    """A sentence in 5 s, its speech at `speech_rms_db`, over white noise at `noise_rms_db`."""
    voice = utterances[0]
    voice = voice * (10 ** (speech_rms_db / 20) / np.sqrt(np.mean(voice.astype(np.float64) ** 2)))
    signal = np.zeros(5 * RATE_HZ, dtype=np.float32)
    start = round(0.4 * RATE_HZ)
    signal[start : start + voice.shape[0]] = voice[: 5 * RATE_HZ - start]
    if noise_rms_db is not None:
        signal += white_noise(5.0, 10 ** (noise_rms_db / 20), seed=9)
    return np.clip(signal * overdrive, -1.0, 1.0).astype(np.float32)


def check(signal: Samples) -> MicCheck:
    mic_check = MicCheck(RATE_HZ, duration_s=5.0)
    for start in range(0, signal.shape[0], 480):
        done = mic_check.feed(signal[start : start + 480])
    assert done and mic_check.progress == 1.0
    return mic_check


def test_a_clear_voice_in_a_quiet_room_is_good(utterances: list[Samples]) -> None:
    result = check(five_seconds(utterances, -22.0, -75.0)).result()
    assert result.verdict is MicVerdict.GOOD
    assert result.advice == ("Sounds good.",)
    assert result.speech_level_db == pytest.approx(-22.0 + 1.0, abs=3.0)  # voiced frames only
    assert result.noise_floor_db == pytest.approx(-75.0, abs=3.0)
    assert result.snr_db > 45 and not result.clipped


def test_a_distant_voice_is_told_to_move_closer(utterances: list[Samples]) -> None:
    result = analyse_voice(five_seconds(utterances, -48.0, -95.0))
    assert result.verdict is MicVerdict.TOO_QUIET
    assert "Move closer to the microphone" in result.advice[0]


def test_an_overdriven_input_is_told_to_lower_the_gain(utterances: list[Samples]) -> None:
    result = analyse_voice(five_seconds(utterances, -22.0, -75.0, overdrive=12.0))
    assert result.clipped and result.verdict is MicVerdict.CLIPPING
    assert "Lower the input gain" in result.advice[0]
    assert result.peak_db == pytest.approx(0.0, abs=0.01)


def test_a_noisy_room_is_called_noisy_with_the_snr(utterances: list[Samples]) -> None:
    result = analyse_voice(five_seconds(utterances, -22.0, -34.0))
    assert result.verdict is MicVerdict.NOISY
    assert result.snr_db == pytest.approx(13.0, abs=4.0)
    assert "background noise" in result.advice[0]


def test_silence_or_noise_alone_is_no_voice(utterances: list[Samples]) -> None:
    for signal in (np.zeros(5 * RATE_HZ, dtype=np.float32), white_noise(5.0, 0.01, seed=4)):
        result = analyse_voice(signal)
        assert result.verdict is MicVerdict.NO_VOICE
        assert "couldn't hear you" in result.advice[0]


def test_too_loud_without_clipping_and_several_problems_at_once() -> None:
    verdict, advice = _judge(speech_level_db=-6.0, snr_db=40.0, clipped=False, voice_fraction=0.6)
    assert verdict is MicVerdict.TOO_LOUD and "Lower the input gain" in advice[0]
    verdict, advice = _judge(speech_level_db=-45.0, snr_db=12.0, clipped=False, voice_fraction=0.6)
    assert verdict is MicVerdict.TOO_QUIET and len(advice) == 2
    assert "background noise" in advice[1]


def test_progress_counts_toward_five_seconds() -> None:
    mic_check = MicCheck(RATE_HZ, duration_s=5.0)
    mic_check.feed(np.zeros(RATE_HZ, dtype=np.float32))
    assert mic_check.progress == pytest.approx(0.2) and not mic_check.done
    with pytest.raises(ValueError, match="at least"):
        analyse_voice(np.zeros(100, dtype=np.float32))
