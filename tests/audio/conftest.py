"""Fixtures for the audio tests: a private headless PulseAudio, speech from espeak-ng.

The PulseAudio fixture fails (never skips) when the server cannot start: these tests are the
proof that capture works through real PortAudio, so a silent skip would hide a broken machine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from audio.devices import DeviceCatalog
from tests.fixtures_audio import SENTENCES, Samples, speech
from tests.pulse import PulseServer, PulseStartError, start_pulse


@pytest.fixture(scope="session")
def pulse_server() -> Iterator[PulseServer]:
    """A headless PulseAudio with null sinks; this process and its children talk to it."""
    # A short path of our own: unix socket paths are limited to 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="rc-pulse-"))
    try:
        server = start_pulse(root)
    except PulseStartError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"could not start a headless PulseAudio for the audio tests: {exc}", pytrace=False
        )
    saved = {key: os.environ.get(key) for key in server.client_env()}
    os.environ.update(server.client_env())
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


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
