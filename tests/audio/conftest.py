"""Fixtures for the audio tests: a private headless PulseAudio, speech from espeak-ng.

The PulseAudio fixture fails (never skips) when the server cannot start: these tests are the
proof that capture works through real PortAudio, so a silent skip would hide a broken machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.devices import DeviceCatalog
from tests.fixtures_audio import SENTENCES, Samples, speech
from tests.pulse import PulseServer, pulse_for_this_process


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """A headless PulseAudio with null sinks; this process and its children talk to it."""
    with pulse_for_this_process("rc-pulse-") as server:
        yield server


@pytest.fixture
def catalog(pulse_server: PulseServer) -> Iterator[DeviceCatalog]:
    """A device catalog on the test server, PortAudio re-scanned; closes its streams after."""
    devices = DeviceCatalog()
    devices.refresh()
    yield devices
    devices.close()


@pytest.fixture(scope="session")
def speech_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def utterances(speech_folder: Path) -> list[Samples]:
    """Three English sentences (about 4 s each) from espeak-ng, 48 kHz mono float32."""
    return [speech(text, speech_folder, f"sentence{i}") for i, text in enumerate(SENTENCES)]
