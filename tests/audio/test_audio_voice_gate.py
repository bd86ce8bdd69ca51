"""Speaking detection: webrtcvad + the hysteresis gate, on espeak-ng speech in white noise."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from audio.voice_gate import MutedTalkDetector, SpeechFrames, VoiceGate
from tests.fixtures_audio import RATE_HZ, Samples, Timeline, speech_in_noise, white_noise

BLOCK = 480  # the console's 10 ms capture blocks


def run_gate(gate: VoiceGate, signal: Samples, block_frames: int = BLOCK) -> npt.NDArray[np.bool_]:
    """The indicator after each block."""
    return np.array(
        [
            gate.update(signal[start : start + block_frames])
            for start in range(0, signal.shape[0] - block_frames + 1, block_frames)
        ]
    )


@pytest.fixture(scope="module")
def timeline(utterances: list[Samples]) -> Timeline:
    """Three sentences, 2 s apart, over white noise 10 dB below the speech."""
    return speech_in_noise(utterances, snr_db=10.0)


def test_speaking_in_noise_recall_false_alarms_and_timing(timeline: Timeline) -> None:
    """At 10 dB SNR: recall >= 0.90, false alarms <= 0.05, on <= 100 ms, off <= 400 ms.

    The first 100 ms of each sentence and the 400 ms after it are the allowed reaction times,
    so they count neither way.
    """
    shown = run_gate(VoiceGate(), timeline.signal)
    truth = timeline.truth(BLOCK)[: shown.shape[0]]
    starts = np.arange(shown.shape[0]) * BLOCK
    judged_speech = truth.copy()
    judged_quiet = ~truth
    for start, end in timeline.speech_spans:
        judged_speech &= ~((starts >= start) & (starts < start + 0.1 * RATE_HZ))
        judged_quiet &= ~((starts >= end) & (starts < end + 0.4 * RATE_HZ))
        on = np.flatnonzero(shown & (starts >= start))[0] * BLOCK + BLOCK  # end of that block
        assert (on - start) / RATE_HZ <= 0.100, "indicator too slow to turn on"
        off = np.flatnonzero(~shown & (starts >= end))[0] * BLOCK + BLOCK
        assert (off - end) / RATE_HZ <= 0.400, "indicator too slow to turn off"
    recall = shown[judged_speech].mean()
    false_alarms = shown[judged_quiet].mean()
    assert recall >= 0.90
    assert false_alarms <= 0.05


@pytest.mark.parametrize("noise_rms", [0.005, 0.016, 0.05])
def test_noise_alone_never_opens_the_gate(noise_rms: float) -> None:
    """Including the start of a stream, where webrtcvad calls its first 80 ms voice."""
    assert SpeechFrames().process(white_noise(0.2, noise_rms, seed=21))[:4] == [True] * 4
    shown = run_gate(VoiceGate(), white_noise(5.0, noise_rms, seed=21))
    assert not shown.any()


def test_gate_opens_after_60_ms_of_voice_and_closes_after_300_ms_of_silence() -> None:
    """The hysteresis on its own, with the detector's verdicts scripted."""
    gate = VoiceGate(open_after_s=0.06, close_after_s=0.3, frame_s=0.02, warmup_s=0.0)
    verdicts: list[bool] = []
    gate.frames._is_speech = lambda frame: verdicts.pop(0)  # type: ignore[method-assign]
    block = np.zeros(960, dtype=np.float32)  # one 20 ms frame per update

    def step(voiced: bool) -> bool:
        verdicts.append(voiced)
        return gate.update(block)

    assert [step(True) for _ in range(3)] == [False, False, True]  # open at 60 ms
    assert [step(False) for _ in range(14)] == [True] * 14  # 280 ms of quiet: still open
    assert step(True)  # a word: the hang time starts over
    assert [step(False) for _ in range(15)] == [True] * 14 + [False]  # closes at 300 ms
    assert [step(True), step(False), step(True)] == [False, False, False]  # blips don't open


def test_detector_takes_any_block_size() -> None:
    """10 ms blocks into 20 ms frames, or 20 ms blocks split oddly: the same verdicts."""
    signal = white_noise(1.0, 0.05, seed=2)
    whole = SpeechFrames(frame_s=0.02).process(signal)
    pieces: list[bool] = []
    odd = SpeechFrames(frame_s=0.02)
    for start in range(0, signal.shape[0], 700):
        pieces += odd.process(signal[start : start + 700])
    assert len(whole) == 50 and pieces == whole


def test_mode_is_configurable_and_checked() -> None:
    gate = VoiceGate(mode=1)
    assert gate.frames.mode == 1
    gate.frames.set_mode(3)
    assert gate.frames.mode == 3
    with pytest.raises(ValueError, match="mode"):
        VoiceGate(mode=4)
    with pytest.raises(ValueError, match="frame_s"):
        VoiceGate(frame_s=0.025)


def test_talking_while_muted_is_noticed_once_per_burst() -> None:
    detector = MutedTalkDetector(notice_after_s=0.5, repeat_after_s=10.0)
    notices = [detector.update(True, True, 0.02) for _ in range(30)]
    assert notices[23] is None and notices[24] is not None  # at 500 ms
    assert sum(n is not None for n in notices) == 1
    assert detector.talking_while_muted
    assert detector.update(True, False, 0.02) is None  # unmuted: fine
    assert not detector.talking_while_muted
    again = [detector.update(True, True, 0.02) for _ in range(30)]
    assert all(n is None for n in again)  # within repeat_after_s: no nagging
    for _ in range(500):
        detector.update(False, True, 0.02)
    later = [detector.update(True, True, 0.02) for _ in range(30)]
    assert sum(n is not None for n in later) == 1


def test_talking_while_muted_from_real_speech(utterances: list[Samples]) -> None:
    gate, detector = VoiceGate(), MutedTalkDetector()
    signal = np.concatenate([np.zeros(RATE_HZ, dtype=np.float32), utterances[1] * 0.3])
    notices = []
    for start in range(0, signal.shape[0] - BLOCK + 1, BLOCK):
        speaking = gate.update(signal[start : start + BLOCK])
        notice = detector.update(speaking, muted=True, duration_s=BLOCK / RATE_HZ)
        if notice is not None:
            notices.append(start / RATE_HZ)
    assert len(notices) == 1 and 1.5 <= notices[0] <= 2.5
