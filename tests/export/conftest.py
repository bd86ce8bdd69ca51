"""A recording shared by the export tests: two speakers from espeak-ng, made once per session
through the real RecordingWriter. Tests that change a recording make their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.fixtures_audio import SENTENCES, speech
from tests.recording.recordingkit import RATE_HZ, record

SECONDS = 20.0
MARKERS = [(250, "Guest joins", "host"), (700, "Questions", "host")]  # 5 s, 14 s
CHAPTER_TITLES = ["Opening", "Guest joins", "Questions"]
CHAPTER_STARTS = [0.0, 5.0, 14.0]


def _line(parts: list[np.ndarray], gap_s: float) -> np.ndarray:
    silence = np.zeros(round(gap_s * RATE_HZ), dtype=np.float32)
    return np.concatenate([piece for part in parts for piece in (part, silence)])


@pytest.fixture(scope="session")
def speech_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Alice (quiet mic) from the start, Bob (hot mic) from 4 s; 20 s in all."""
    work = tmp_path_factory.mktemp("speech-recording")
    alice = _line([speech(t, work, f"a{i}") for i, t in enumerate(SENTENCES)], 0.8) * 0.25
    bob = _line([speech(t, work, f"b{i}", 190) for i, t in enumerate(SENTENCES[::-1])], 0.5)
    total = round(SECONDS * RATE_HZ)
    host = np.zeros(total, dtype=np.float32)
    guest = np.zeros(total, dtype=np.float32)
    host[: min(total, alice.shape[0])] = alice[:total]
    start = 4 * RATE_HZ
    guest[start : start + min(total - start, bob.shape[0])] = bob[: total - start] * 0.7
    return record(
        work / "recording",
        {"host": host, "g1": guest},
        first_ticks={"g1": 200},
        names={"host": "Alice Host", "g1": "Bob"},
        markers=MARKERS,
        title="Weekly Show: Q&A",
    )


@pytest.fixture
def recording_copy(speech_recording: Path, tmp_path: Path) -> Path:
    """A copy a test may change (exports land in its exports/ folder)."""
    return Path(shutil.copytree(speech_recording, tmp_path / "recording"))
