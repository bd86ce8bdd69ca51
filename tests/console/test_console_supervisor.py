"""The embedded relay's supervisor with real relay processes: a relay that cannot start says
why; a console that crashed leaves its relay running for a new console to adopt; and a relay
whose console is gone stops by itself after its grace period."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from console.supervisor import (
    CONSOLE_PID_FILE,
    PID_FILE,
    RelayState,
    RelaySupervisor,
    SupervisorError,
    relay_command,
)

pytestmark = pytest.mark.timeout(60)


def test_a_busy_port_is_reported_in_words(tmp_path):
    async def scenario():
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen(1)
            port = blocker.getsockname()[1]
            supervisor = RelaySupervisor(tmp_path, port=port)
            with pytest.raises(SupervisorError, match="cannot listen"):
                await supervisor.start()
            assert supervisor.state is RelayState.FAILED

    asyncio.run(scenario())


def test_a_new_console_adopts_the_relay_of_one_that_crashed(tmp_path):
    async def scenario():
        first = RelaySupervisor(tmp_path, port=0)
        url = await first.start()
        pid = first.pid
        first.detach()  # as a crashed console would: the relay runs on
        second = RelaySupervisor(tmp_path, port=0)
        try:
            await adopt_and_restart(first, second, url, pid)
        finally:
            await second.stop()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # the first relay, if a step failed before
        assert not (second.relay_dir / PID_FILE).exists()

    asyncio.run(scenario())


async def adopt_and_restart(first, second, url, pid):
    """Adopt the running relay, then restart it on the same port when it dies."""
    assert await second.start() == url
    assert second.pid == pid and second.state is RelayState.RUNNING
    assert int((first.relay_dir / CONSOLE_PID_FILE).read_text()) == os.getpid()
    # the adopted relay dies: the new console restarts it on the same port
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (second.pid == pid or second.state is not RelayState.RUNNING) and (
        time.monotonic() < deadline
    ):
        await asyncio.sleep(0.05)
    assert second.state is RelayState.RUNNING and second.pid != pid
    assert second.base_url == url


def test_a_relay_whose_console_is_gone_stops_after_its_grace(tmp_path):
    pid_file = tmp_path / CONSOLE_PID_FILE
    ghost = subprocess.Popen([sys.executable, "-c", "pass"])
    ghost.wait()
    pid_file.write_text(f"{ghost.pid}\n")  # a console that has exited
    command = [*relay_command("127.0.0.1", 0, tmp_path, pid_file), "--orphan-grace-s", "1"]
    relay = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started = time.monotonic()
    try:
        assert relay.wait(timeout=30) == 0
        assert time.monotonic() - started >= 1.0
    finally:
        if relay.poll() is None:
            relay.kill()


def test_the_pid_file_names_the_relay(tmp_path):
    async def scenario():
        supervisor = RelaySupervisor(tmp_path, port=0)
        url = await supervisor.start()
        known = json.loads((supervisor.relay_dir / PID_FILE).read_text())
        assert known == {"pid": supervisor.pid, "url": url}
        await supervisor.stop()
        assert supervisor.state is RelayState.STOPPED

    asyncio.run(scenario())
