"""Fixtures for the console's Qt tests: a qasync loop on the test's QApplication, a real relay
started by the console's own supervisor, and a way to await conditions without nesting loops.

Coroutines run with `aloop.run_until_complete(...)`: Qt events and asyncio callbacks are
served by the same loop. Inside a coroutine never call qtbot.wait* (that nests a Qt loop
inside a running task); await `until(...)` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from console.supervisor import RelaySupervisor
from ui.event_loop import ConsoleLoop


@pytest.fixture
def aloop(qapp) -> Iterator[asyncio.AbstractEventLoop]:
    qapp.setQuitOnLastWindowClosed(False)  # closing a test window must not stop the loop
    loop = ConsoleLoop(qapp)  # the console's own loop (ui/event_loop.py)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            with contextlib.suppress(Exception):
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)


@pytest.fixture
def relay_child(aloop, tmp_path: Path) -> Iterator[RelaySupervisor]:
    """A real relay child process on a free loopback port, stopped after the test."""
    supervisor = RelaySupervisor(tmp_path / "data", port=0)
    aloop.run_until_complete(supervisor.start())
    try:
        yield supervisor
    finally:
        aloop.run_until_complete(supervisor.stop())


@pytest.fixture(scope="module")
def ui_pulse() -> Iterator[object]:
    """A private headless PulseAudio (tests/pulse.py) for a module of console tests that need
    a real microphone: "Roomcast Test Mic" hears what is played into "Roomcast Test Speech".
    Module-scoped, so the other console tests keep a machine without sound."""
    from tests.pulse import pulse_for_this_process

    with pulse_for_this_process("rc-uipulse-") as server:
        yield server
