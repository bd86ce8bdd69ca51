"""Rooms, bots and checks for the web tests: everything that runs in the relay's loop."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import soundfile

from console.client import JoinLink, RoomClient
from console.identity import Identity
from console.media_link import MediaLink
from server.admin_key import key_path, read_key
from server.room import Room, Unmute
from tests.fixtures_audio import SENTENCES, speech
from tests.web.webrig import RelayThread

RATE_HZ = 48_000

OPEN_BOTS: list[Bot] = []
"""Every bot a test made; the `close_bots` fixture closes what a test left open."""


@dataclass
class Bot:
    """A real participant (the console's own client), optionally with WebRTC audio."""

    relay: RelayThread
    client: RoomClient
    media: MediaLink | None = None

    @property
    def room(self) -> Room:
        assert self.client.room is not None
        return self.client.room

    @property
    def user_id(self) -> str:
        assert self.client.user_id is not None
        return self.client.user_id

    def send(self, command: object) -> dict[str, Any]:
        return self.relay.run(self.client.send(command))

    def start_media(self, send: bool) -> None:
        assert self.media is not None
        self.relay.run(self.media.start(send=send))

    def heard(self) -> np.ndarray:
        """What this bot has received so far, 48 kHz mono float32."""
        assert self.media is not None
        return self.relay.call(self.media.recorder.samples)

    def close(self) -> None:
        async def close() -> None:
            if self.media is not None:
                await self.media.close()
            await self.client.close(leave=self.client.closed_reason is None)

        if self in OPEN_BOTS:
            OPEN_BOTS.remove(self)
            self.relay.run(close())


@dataclass
class TestRoom:
    relay: RelayThread
    made: dict[str, Any]
    host: Bot

    @property
    def room_id(self) -> str:
        return str(self.made["room_id"])

    @property
    def url(self) -> str:
        return str(self.made["join_url"])

    def live(self) -> Room:
        """The relay's own room (the authority), read on its thread."""
        return self.relay.call(lambda: self.relay.hub.room(self.room_id))

    def host_speaks(self, source: Any) -> None:
        """The host's bot sends `source` from the stage, microphone open."""
        self.host.media = MediaLink(self.host.client, source=source)
        self.host.start_media(send=True)
        self.host.send(Unmute())

    def join_bot(self, name: str, *, source: Any = None, media: bool = False) -> Bot:
        return join_bot(self.relay, self.url, name, source=source, media=media)


def join_bot(
    relay: RelayThread,
    url: str,
    name: str,
    *,
    identity: Identity | None = None,
    source: Any = None,
    media: bool = False,
    token: str | None = None,
) -> Bot:
    async def connect() -> Bot:
        client = RoomClient(JoinLink.parse(url), identity or Identity.new("bot"), name, token=token)
        await client.connect()
        link = MediaLink(client, source=source) if (media or source is not None) else None
        bot = Bot(relay, client, link)
        OPEN_BOTS.append(bot)
        return bot

    return relay.run(connect())


def open_room(relay: RelayThread, *, host_name: str = "Hana Host", **fields: Any) -> TestRoom:
    """Create a room through the HTTP API and bring its host in (a bot holding the host token)."""
    identity = Identity.new("host")
    fields.setdefault("title", "Evening talk")
    fields["host"] = {
        "client_id": identity.client_id,
        "client_secret": identity.client_secret,
        "display_name": host_name,
    }
    key = read_key(key_path(relay.config.data_dir))  # what the console sends
    made = relay.run(
        post_json(
            f"{relay.base_url}/api/rooms",
            fields,
            expect=201,
            headers={"Authorization": f"Bearer {key}"},
        )
    )
    host = join_bot(relay, made["host_url"], host_name, identity=identity, token=made["host_token"])
    return TestRoom(relay, made, host)


async def post_json(
    url: str, body: dict[str, Any], expect: int = 200, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as response,
    ):
        data: dict[str, Any] = await response.json()
        assert response.status == expect, data
        return data


def wait_until(predicate: Callable[[], Any], timeout_s: float = 10.0, what: str = "") -> Any:
    """Poll `predicate` (from the test thread) until it is truthy; returns its value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def join_from_browser(page: Any, name: str, ticket: str | None = None) -> str:
    """Fill in the card's join form and wait until inside; returns the browser's user id."""
    page.wait_for_selector("body[data-phase=card]")
    page.get_by_label("Your name").fill(name)
    if ticket is not None:
        page.get_by_label("Ticket code").fill(ticket)
    page.get_by_role("button", name="Join and listen").click()
    page.wait_for_selector("body[data-phase=room]")
    return str(page.evaluate("window.roomcast.you"))


def page_until(page: Any, expression: str, timeout_s: float = 10.0, what: str = "") -> Any:
    """Evaluate `expression` (may be async) in the page until it is truthy; returns it.
    (Playwright's wait_for_function takes a returned Promise itself as truthy.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or expression}")
        page.wait_for_timeout(100)


def speech_wav(folder: Path, pause_s: float = 1.5) -> Path:
    """A spoken sentence (espeak-ng) followed by a pause, as a WAV a bot can loop: the relay's
    speaking flag opens on the speech and closes in the pause."""
    samples = speech(SENTENCES[0], folder, "sentence")
    padded = np.concatenate([samples * 0.5, np.zeros(int(pause_s * RATE_HZ), dtype=np.float32)])
    path = folder / "sentence-with-pause.wav"
    soundfile.write(str(path), padded, RATE_HZ, subtype="PCM_16")
    return path


def rms_db(samples: np.ndarray) -> float:
    if samples.size == 0:
        return -200.0
    return float(10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-20))


def spectrum_peak_hz(samples: np.ndarray, rate_hz: int = RATE_HZ) -> float:
    """The strongest frequency in `samples` (Hann window), ignoring DC and < 50 Hz."""
    window = np.hanning(samples.size)
    magnitude = np.abs(np.fft.rfft(samples * window))
    freqs = np.fft.rfftfreq(samples.size, 1 / rate_hz)
    magnitude[freqs < 50] = 0
    return float(freqs[int(np.argmax(magnitude))])
