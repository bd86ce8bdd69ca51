"""The console's recordings, for the composition root: the library window, "export the latest
recording", and retention applied when the console starts.

Runs on: the Qt main thread; disk work goes to worker threads (`run_in_executor`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from audio.export import apply_retention
from ui.export_dialog import ExportDialog
from ui.recordings_library import RecordingsLibrary
from ui.recordings_model import RecordingRow, scan_recordings

logger = logging.getLogger(__name__)

WRITER_FINISH_S = 10.0  # after Stop, the relay's writer closes the files within this


class RecordingsDesk(QObject):
    def __init__(
        self,
        root: Path,
        retention_days: int | None,
        save_retention: Callable[[int | None], None],
        notify: Callable[[str], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.root = root
        self.retention_days = retention_days
        self._save_retention = save_retention
        self._notify = notify
        self.library: RecordingsLibrary | None = None
        self.export_dialog: ExportDialog | None = None

    def show_library(self) -> RecordingsLibrary:
        if self.library is None:
            self.library = RecordingsLibrary(self.root, self.retention_days)
            self.library.retentionChanged.connect(self._retention_changed)
        self.library.show()
        self.library.raise_()
        self.library.refresh()
        return self.library

    def _retention_changed(self, days: int | None) -> None:
        self.retention_days = days
        self._save_retention(days)

    async def latest(self) -> RecordingRow | None:
        """The newest finished recording; waits (briefly) for a writer that is closing."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WRITER_FINISH_S
        while True:
            rows = await loop.run_in_executor(None, scan_recordings, self.root)
            if not rows or not rows[0].busy or loop.time() > deadline:
                break
            await asyncio.sleep(0.3)
        return next((r for r in rows if not r.busy and r.state != "unreadable"), None)

    async def export_latest(self, parent: QWidget | None = None) -> ExportDialog | None:
        row = await self.latest()
        if row is None:
            self._notify(
                "There is no finished recording to export yet: press Record above the stage "
                "while the room is live, then Stop."
            )
            return None
        if self.export_dialog is not None and self.export_dialog.job is not None:
            self.export_dialog.show()
            self.export_dialog.raise_()
            return self.export_dialog  # one export at a time: show the one under way
        dialog = ExportDialog(row, parent)
        if self.library is not None:
            dialog.exported.connect(lambda _report: self.library and self.library.refresh())
        dialog.show()
        self.export_dialog = dialog
        return dialog

    def close(self) -> None:
        """The console quits: close the windows (a running export is cancelled)."""
        for window in (self.export_dialog, self.library):
            if window is not None:
                window.close()

    async def apply_retention(self) -> list[Path]:
        """Delete recordings past the retention (off by default). Runs the deletion on a
        worker thread; says what it deleted."""
        days = self.retention_days
        if days is None:
            return []
        loop = asyncio.get_running_loop()
        try:
            deleted = await loop.run_in_executor(None, apply_retention, self.root, days)
        except OSError as exc:
            self._notify(
                f"Could not delete old recordings in {self.root}: {exc.strerror or exc}. "
                "Check the folder's permissions; retention is set in Recordings."
            )
            return []
        if deleted:
            self._notify(
                f"Deleted {len(deleted)} recording(s) older than {days} days "
                "(retention, set in Recordings)."
            )
        return deleted
