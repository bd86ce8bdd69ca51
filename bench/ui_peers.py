"""The other side of the console benchmark (bench/bench_ui.py): a room's people, in a child
process so their cost is not counted as the console's.

    python -m bench.ui_peers JOIN_URL            then, one command a line on stdin:
    speakers URL [URL ...]   one talking peer per link (a co-host link seats a co-host; the
                             room link asks to speak and waits to be approved)
    listeners N              N listeners on raw WebSockets (hello, then read and drop)
    quit

Each command answers one line on stdout: `ok ...` once done, or `error ...`.
Talkers send a tone whose loudness rises and falls like speech (3 syllables a second), so the
relay's levels, and the console's meters and speaking glow, move.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
from typing import Any

import aiohttp
import numpy as np
import numpy.typing as npt

from console.client import Hello, JoinLink, RoomClient, _body
from console.identity import Identity
from console.media_link import MediaLink
from console.tracks import SAMPLE_RATE_HZ, PacedAudioTrack
from server.protocol import encode_envelope
from server.room import RequestToSpeak, Role, RoleChanged, Unmute

JOIN_BATCH = 25  # listeners connecting at once
PER_ADDRESS = 40  # listeners per loopback address (the relay's per-address join burst is 60)


class SyllableTone(PacedAudioTrack):
    """A tone at `frequency_hz`, its loudness following a 3 Hz syllable envelope."""

    def __init__(self, frequency_hz: float, seed: int) -> None:
        super().__init__()
        self.frequency_hz = frequency_hz
        self.offset = seed * 0.37
        self._n = 0

    def next_block(self, frames: int) -> npt.NDArray[np.int16]:
        n = np.arange(self._n, self._n + frames)
        self._n += frames
        t = n / SAMPLE_RATE_HZ
        envelope = np.clip(np.sin(2 * np.pi * 3.0 * t + self.offset), 0.0, 1.0) ** 2
        slow = 0.55 + 0.45 * math.sin(2 * np.pi * 0.2 * float(t[0]) + self.offset)
        wave = 9000 * slow * envelope * np.sin(2 * np.pi * self.frequency_hz * t)
        return wave.astype(np.int16)


class Talker:
    def __init__(self, url: str, index: int) -> None:
        link = JoinLink.parse(url)
        self.client = RoomClient(
            link, Identity.new("bot"), f"Speaker {index:02d}", token=link.token
        )
        self.index = index
        self.media = MediaLink(self.client, source=lambda: SyllableTone(180 + 23 * index, index))
        self.client.on_event.append(self._on_event)
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.client.connect()
        room, me = self.client.room, self.client.user_id
        assert room is not None and me is not None
        on_stage = bool(room.role_of(me) and room.role_of(me).on_stage)  # type: ignore[union-attr]
        await self.media.start(send=on_stage)
        if on_stage:
            await self.client.send(Unmute())
        else:
            await self.client.send(RequestToSpeak())

    def _on_event(self, seq: int, event: object, room: object) -> None:
        if isinstance(event, RoleChanged) and event.user_id == self.client.user_id:
            task = asyncio.ensure_future(self._on_stage(event.role is not Role.LISTENER))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _on_stage(self, on_stage: bool) -> None:
        await self.media.start(send=on_stage)
        if on_stage:
            await self.client.send(Unmute())

    async def close(self) -> None:
        await self.media.close()
        await self.client.close(leave=False)


async def listen(http: aiohttp.ClientSession, link: JoinLink, index: int) -> Any:
    """One listener on a raw WebSocket: hello, then read and drop every frame."""
    ws = await http.ws_connect(f"{link.base_url}/ws", heartbeat=30.0)
    identity = Identity.new("lst")
    hello = Hello(
        room_id=link.room_id,
        client_id=identity.client_id,
        client_secret=identity.client_secret,
        display_name=f"Listener {index:03d}",
    )
    await ws.send_str(encode_envelope("hello", _body(hello), 1))
    while True:  # the reply to the hello (events may come first)
        frame = json.loads((await ws.receive()).data)
        if frame.get("id") == 1:
            if frame.get("type") == "error":
                raise RuntimeError(f"listener {index} refused: {frame}")
            break

    async def drain() -> None:
        async for _msg in ws:
            pass

    return ws, asyncio.ensure_future(drain())


async def main(join_url: str) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    talkers: list[Talker] = []
    sockets: list[Any] = []
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    spread: list[aiohttp.ClientSession] = []  # the listeners' sessions, one per address
    link = JoinLink.parse(join_url)
    try:
        while line := (await reader.readline()).decode().strip():
            command, *args = line.split()
            try:
                if command == "speakers":
                    for url in args:
                        talker = Talker(url, len(talkers) + 1)
                        await talker.start()
                        talkers.append(talker)
                    print(f"ok {len(talkers)} talkers", flush=True)
                elif command == "listeners":
                    wanted = int(args[0])
                    while len(spread) * PER_ADDRESS < wanted:
                        address = f"127.0.0.{len(spread) + 2}"
                        connector = aiohttp.TCPConnector(limit=0, local_addr=(address, 0))
                        spread.append(aiohttp.ClientSession(connector=connector))
                    while len(sockets) < wanted:
                        batch = range(len(sockets), min(wanted, len(sockets) + JOIN_BATCH))
                        sockets += await asyncio.gather(
                            *(listen(spread[i // PER_ADDRESS], link, i) for i in batch)
                        )
                    print(f"ok {len(sockets)} listeners", flush=True)
                elif command == "quit":
                    break
                else:
                    print(f"error unknown command {command}", flush=True)
            except Exception as exc:  # said to the parent, which stops the benchmark
                print(f"error {type(exc).__name__}: {exc}", flush=True)
    finally:
        for ws, drain in sockets:
            drain.cancel()
            await ws.close()
        for talker in talkers:
            await talker.close()
        for session in spread:
            await session.close()
        await http.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
