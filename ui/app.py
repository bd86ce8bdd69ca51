"""Composition root of the console: the Qt application and its event loop.

Runs on: the Qt main thread. asyncio runs on the same thread through qasync,
so coroutines may touch widgets; anything slow goes to a worker or the relay.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from pathlib import Path


def _has_display() -> bool:
    if sys.platform != "linux":
        return True
    return bool(
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )


def run_console(
    data_dir: str | None = None, relay_url: str | None = None, room_link: str | None = None
) -> int:
    """Start the console and run until it quits; returns an exit code."""
    if not _has_display():
        print(
            "roomcast: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "The console is a desktop window; on a headless machine run it under a\n"
            "virtual screen:  xvfb-run -a roomcast",
            file=sys.stderr,
        )
        return 1

    from PySide6.QtWidgets import QApplication

    from console.data_folder import resolve_data_dir
    from ui.asyncs import spawn
    from ui.console_app import ConsoleApp
    from ui.event_loop import run as run_on_console_loop

    try:
        folder = resolve_data_dir(data_dir)
    except OSError as exc:
        print(f"roomcast: {exc}", file=sys.stderr)
        return 2
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Roomcast")
    app.setOrganizationName("Roomcast")
    app.setDesktopFileName("roomcast")  # Wayland matches the window to the menu entry
    console = ConsoleApp(Path(folder), relay_url=relay_url, room_link=room_link)
    done = asyncio.Event()
    console.finished.connect(done.set)

    async def _run() -> None:
        spawn(console.start())
        await done.wait()

    with contextlib.suppress(asyncio.CancelledError):
        run_on_console_loop(_run())
    return 0
