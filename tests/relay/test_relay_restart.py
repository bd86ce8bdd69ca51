"""Killed and restarted on the same data folder, the relay brings its rooms back."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from console.identity import Identity
from server.config import RelayConfig
from server.room import ApproveRequest, PinLink, RequestToSpeak, Role
from tests.relay.relaykit import create_room, join


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def relay_family(pid: int) -> list[int]:
    """The relay's process and its media workers (what a crash of the whole relay takes)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as children:
            return [pid, *(int(child) for child in children.read().split())]
    except OSError:
        return [pid]


def crash_relay(process: subprocess.Popen[str]) -> None:
    """kill -9 of the relay and every media worker at once, as a power cut would."""
    for pid in relay_family(process.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=10)


async def start_relay(data_dir: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "relay", "--port", str(port), "--data-dir", str(data_dir),
         "--log-level", "WARNING", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    seen = []
    for _ in range(50):  # log lines (a recovered recording, say) may come first
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), timeout=30)
        seen.append(line)
        if "roomcast relay listening on http://127.0.0.1:" in line or not line:
            break
    if "roomcast relay listening on http://127.0.0.1:" not in seen[-1]:
        process.kill()  # never leave a relay behind a failed test
        process.wait()
        raise AssertionError("the relay did not start:\n" + "".join(seen))
    return process


def test_kill_9_and_restart_brings_the_room_and_roles_back(tmp_path):
    async def scenario():
        port = free_port()
        config = RelayConfig(data_dir=tmp_path, port=port)
        relay = await start_relay(tmp_path, port)
        clients = []
        try:
            created = await create_room(config, Identity.new())
            host = await join(created["host_url"], "Hana Host")
            speaker = await join(created["join_url"], "Sam Speaker")
            listener = await join(created["join_url"], "Lee Listener")
            clients = [host, speaker, listener]
            await speaker.send(RequestToSpeak())
            await host.wait_for(lambda c: c.room.request_of(speaker.user_id) is not None)
            await host.send(ApproveRequest(speaker.user_id))
            await speaker.wait_for(lambda c: c.room.role_of(c.user_id) is Role.SPEAKER)
            seq_before = host.seq

            os.kill(relay.pid, signal.SIGKILL)
            relay.wait(timeout=10)
            relay = await start_relay(tmp_path, port)

            # every client resumes on its own, with its role and no gap
            await host.send_when_connected(
                PinLink("https://example.org/after", "After the restart")
            )
            for client in clients:
                await client.wait_for(
                    lambda c: c.seq == seq_before + 1 and c.connected, timeout_s=20
                )
            assert host.room.role_of(host.user_id) is Role.HOST
            assert speaker.room.role_of(speaker.user_id) is Role.SPEAKER
            assert listener.room.role_of(listener.user_id) is Role.LISTENER
            assert listener.room.pinned_links[0].url == "https://example.org/after"
            late = await join(created["join_url"], "Late Comer")
            assert late.room.participants.keys() == host.room.participants.keys() | {late.user_id}
            clients.append(late)
        finally:
            for client in clients:
                await client.close(leave=False)
            relay.send_signal(signal.SIGTERM)
            assert relay.wait(timeout=10) == 0

    asyncio.run(scenario())
