"""Mic check: a few seconds of the host's voice -> level, noise floor, clipping, SNR, advice.

Analysis runs on 20 ms frames: webrtcvad splits voice from pauses, the voice frames give the
speech level, the quietest tenth of all frames gives the noise floor (a person pauses between
words, so this works even when the detector calls a noisy pause "voice").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from audio.levels import FLOOR_DB, ClipDetector, block_peak, gain_to_db
from audio.voice_gate import SpeechFrames

NO_VOICE_FRACTION = 0.1  # under this share of voiced frames, we did not hear anyone
TOO_QUIET_DB = -40.0  # speech RMS, dBFS
TOO_LOUD_DB = -10.0
NOISY_SNR_DB = 20.0
FAIR_SNR_DB = 30.0


class MicVerdict(StrEnum):
    GOOD = "good"
    NO_VOICE = "no_voice"
    CLIPPING = "clipping"
    TOO_LOUD = "too_loud"
    TOO_QUIET = "too_quiet"
    NOISY = "noisy"


@dataclass(frozen=True, slots=True)
class MicCheckResult:
    """What the mic check found; levels in dBFS, `advice` in plain words, most urgent first."""

    speech_level_db: float
    peak_db: float
    noise_floor_db: float
    snr_db: float
    clipped: bool
    voice_fraction: float
    verdict: MicVerdict
    advice: tuple[str, ...]


class MicCheck:
    """Collects `duration_s` of one microphone, block by block, then judges it."""

    FRAME_S = 0.02

    def __init__(self, sample_rate_hz: int = 48_000, duration_s: float = 5.0) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.duration_s = duration_s
        self._frame_frames = round(sample_rate_hz * self.FRAME_S)
        self._wanted_frames = round(sample_rate_hz * duration_s)
        self._samples = np.zeros(self._wanted_frames, dtype=np.float32)
        self._filled = 0

    @property
    def progress(self) -> float:
        """0.0 to 1.0, for a progress bar."""
        return self._filled / self._wanted_frames

    @property
    def done(self) -> bool:
        return self._filled >= self._wanted_frames

    def feed(self, samples: npt.NDArray[np.float32]) -> bool:
        """Add a 1-D block; return True once enough audio has been heard."""
        take = min(samples.shape[0], self._wanted_frames - self._filled)
        self._samples[self._filled : self._filled + take] = samples[:take]
        self._filled += take
        return self.done

    def heard(self) -> npt.NDArray[np.float32]:
        """What was collected so far (a view: copy it to keep it past the next `feed`)."""
        return self._samples[: self._filled]

    def result(self) -> MicCheckResult:
        return analyse_voice(self._samples[: self._filled], self.sample_rate_hz)


def _frame_mean_squares(
    samples: npt.NDArray[np.float32], frame_frames: int
) -> npt.NDArray[np.float64]:
    count = samples.shape[0] // frame_frames
    frames = samples[: count * frame_frames].astype(np.float64).reshape(count, frame_frames)
    mean_squares: npt.NDArray[np.float64] = np.mean(frames * frames, axis=1)
    return mean_squares


def analyse_voice(samples: npt.NDArray[np.float32], sample_rate_hz: int = 48_000) -> MicCheckResult:
    """Judge a recording of someone talking (1-D float32, a few seconds)."""
    frame_frames = round(sample_rate_hz * MicCheck.FRAME_S)
    if samples.shape[0] < frame_frames * 10:
        raise ValueError("a mic check needs at least 0.2 s of audio")
    mean_squares = _frame_mean_squares(samples, frame_frames)
    vad = SpeechFrames(sample_rate_hz, mode=3, frame_s=MicCheck.FRAME_S)
    voiced = np.array(vad.process(samples[: mean_squares.shape[0] * frame_frames]), dtype=bool)

    quietest = np.sort(mean_squares)[: max(1, mean_squares.shape[0] // 10)]
    noise_floor_db = gain_to_db(math.sqrt(float(np.mean(quietest))))
    voice_fraction = float(voiced.mean())
    speech_power = float(np.mean(mean_squares[voiced])) if voiced.any() else 0.0
    speech_level_db = gain_to_db(math.sqrt(speech_power))
    snr_db = speech_level_db - noise_floor_db if voiced.any() else 0.0
    clip = ClipDetector()
    clip.update(samples, block_peak(samples), samples.shape[0] / sample_rate_hz)
    clipped = clip.clip_events > 0

    verdict, advice = _judge(speech_level_db, snr_db, clipped, voice_fraction)
    return MicCheckResult(
        speech_level_db=speech_level_db,
        peak_db=gain_to_db(block_peak(samples)),
        noise_floor_db=noise_floor_db,
        snr_db=snr_db,
        clipped=clipped,
        voice_fraction=voice_fraction,
        verdict=verdict,
        advice=advice,
    )


def _judge(
    speech_level_db: float, snr_db: float, clipped: bool, voice_fraction: float
) -> tuple[MicVerdict, tuple[str, ...]]:
    if voice_fraction < NO_VOICE_FRACTION or speech_level_db <= FLOOR_DB + 1:
        return MicVerdict.NO_VOICE, (
            "We couldn't hear you. Check that the right microphone is selected and not muted "
            "in your system settings, then talk normally for five seconds.",
        )
    found: list[tuple[MicVerdict, str]] = []
    if clipped:
        found.append(
            (
                MicVerdict.CLIPPING,
                "Your voice is distorting. Lower the input gain, or move a little farther from "
                "the microphone.",
            )
        )
    elif speech_level_db > TOO_LOUD_DB:
        found.append((MicVerdict.TOO_LOUD, "You're very loud. Lower the input gain a little."))
    if speech_level_db < TOO_QUIET_DB:
        found.append(
            (
                MicVerdict.TOO_QUIET,
                "You're hard to hear. Move closer to the microphone, or raise the input gain.",
            )
        )
    if snr_db < NOISY_SNR_DB:
        found.append(
            (
                MicVerdict.NOISY,
                "There's a lot of background noise. Move somewhere quieter or turn off fans, and "
                "get closer to the microphone.",
            )
        )
    if not found:
        if snr_db < FAIR_SNR_DB:
            return MicVerdict.GOOD, ("Sounds good. A quieter room would make you even clearer.",)
        return MicVerdict.GOOD, ("Sounds good.",)
    return found[0][0], tuple(text for _, text in found)
