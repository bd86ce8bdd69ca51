"""A private headless PulseAudio for the console's microphone test (the pattern of
tests/audio/conftest.py; fixtures are not shared across conftests)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pulse import PulseServer, PulseStartError, start_pulse


@pytest.fixture(scope="session")
def console_pulse() -> Iterator[PulseServer]:
    root = Path(tempfile.mkdtemp(prefix="rc-cpulse-"))
    try:
        server = start_pulse(root)
    except PulseStartError as exc:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start a headless PulseAudio: {exc}", pytrace=False)
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
