"""Composition root of the console: the Qt application and its event loop.

Runs on: the Qt main thread. asyncio runs on the same thread through qasync,
so coroutines may touch widgets; anything slow goes to a worker or the relay.
"""

from __future__ import annotations

import asyncio
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


def run_console(data_dir: str | None = None) -> int:
    """Start the console window and run until it closes; returns an exit code."""
    if not _has_display():
        print(
            "roomcast: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "The console is a desktop window; on a headless machine run it under a\n"
            "virtual screen:  xvfb-run -a roomcast",
            file=sys.stderr,
        )
        return 1

    import qasync
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Roomcast")
    app.setOrganizationName("Roomcast")
    window = MainWindow(data_dir=Path(data_dir) if data_dir else None)
    window.show()

    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    async def _until_closed() -> None:
        await closed.wait()

    try:
        qasync.run(_until_closed())
    except asyncio.CancelledError:
        pass
    return 0
