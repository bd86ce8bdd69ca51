"""The web tests' rig: a real relay (with media) in a background event loop, and Debian's
Chromium with the DESIGN §9 flags, opened as separate people (one BrowserContext each).

Used by conftest.py (the fixtures) and by screenshots.py (run by hand)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from server.app import HUB, make_app
from server.config import RelayConfig
from server.hub import Hub

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection",
]
PHONE = {"width": 390, "height": 844}


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium with the flags WebRTC needs here (Playwright's own download fails)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)


class RelayThread:
    """A real relay (HTTP, WebSocket, media) on a free loopback port, in its own loop thread.

    Bots and room checks run in the same loop through `run`, so they touch the hub only from
    the thread that owns it.
    """

    def __init__(self, data_dir: Path, **settings: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="relay", daemon=True)
        self._thread.start()
        self.runner: web.AppRunner | None = None
        self.app: web.Application | None = None
        self.config = self.run(self._start(data_dir, settings))

    async def _start(self, data_dir: Path, settings: dict[str, Any]) -> RelayConfig:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        config = RelayConfig(data_dir=data_dir, host="127.0.0.1", port=port, **settings)
        self.app = make_app(config, with_media=True)
        self.runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=2.0)
        await self.runner.setup()
        await web.SockSite(self.runner, sock).start()
        return config

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def hub(self) -> Hub:
        assert self.app is not None
        return self.app[HUB]

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def call(self, fn: Callable[[], T], timeout_s: float = 10.0) -> T:
        """Run a plain function on the relay's thread (to read the hub safely)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper(), timeout_s)

    def close(self) -> None:
        if self.runner is not None:
            self.run(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


@dataclass
class Browsers:
    """Opens fresh browser contexts (one per person) and checks none of them hit a JS error."""

    chromium: Any
    contexts: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, fragment: str) -> None:
        """Expect console errors containing `fragment` (say, a connection cut on purpose)."""
        self.allowed.append(fragment)

    def new_page(
        self,
        url: str | None = None,
        *,
        viewport: dict[str, int] | None = None,
        color_scheme: str = "light",
        init_script: str | None = None,
    ) -> Any:
        context = self.chromium.new_context(
            viewport=viewport or PHONE,
            color_scheme=color_scheme,
            permissions=["microphone"],
            accept_downloads=True,
        )
        self.contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("pageerror", lambda error: self.errors.append(f"{url}: {error}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"console.error: {msg.text}")
                if msg.type == "error" and "favicon" not in msg.text
                else None
            ),
        )
        if url:
            page.goto(url)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
