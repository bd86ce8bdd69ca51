"""A private headless PulseAudio for the console's microphone test (the pattern of
tests/audio/conftest.py; fixtures are not shared across conftests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pulse import PulseServer, pulse_for_this_process


@pytest.fixture(scope="session")
def console_pulse() -> Iterator[PulseServer]:
    with pulse_for_this_process("rc-cpulse-") as server:
        yield server
