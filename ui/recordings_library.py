"""The recordings library: every recording the relay wrote on this computer, with play, open
the folder, export, remove one speaker's audio on request, delete, and retention (delete
recordings after N days; off unless the host turns it on).

Scans, deletions and speaker removals run on worker threads (`run_in_executor`); the window
shows what is under way and stays responsive. Confirmations are non-modal `Question`s.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from audio.export import remove_speaker
from audio.recording_files import folder_is_busy
from audio.recording_library import RemovalReport
from audio.recording_manifest import RecordingFolderError, load_manifest
from audio.recording_parts import parts_of
from ui.asyncs import spawn
from ui.dialogs import Question, open_again
from ui.export_dialog import ExportDialog
from ui.placement import place_on_screen
from ui.plain import PathLabel, plain_label
from ui.recordings_model import GAPS_TIP, RecordingRow, RecordingsModel, scan_recordings
from ui.room_models import clock_text

DEFAULT_RETENTION_DAYS = 30
SPEAKERS_COLUMN = 3  # takes the room that is left
NO_RECORDINGS = "No recordings yet: press Record above the stage while live."
POLL_MS = 2000  # while shown: new takes appear, "Recording now" turns "Finished"


def delete_recording(folder: Path) -> None:
    """Delete one recording (every part of a take that went on after a crash). Runs on: a
    worker thread."""
    parts = parts_of(folder)
    for part in parts:
        if folder_is_busy(part):
            raise RecordingFolderError(
                f"{part.name} is still being recorded: stop the recording, then delete it."
            )
    for part in reversed(parts):
        shutil.rmtree(part)


def remove_speaker_from_take(folder: Path, user_id: str) -> RemovalReport:
    """Remove a speaker's audio from every part of the take they are in. Runs on: a worker
    thread."""
    reports = [
        remove_speaker(part, user_id)
        for part in parts_of(folder)
        if any(t.user_id == user_id for t in load_manifest(part).tracks)
    ]
    if not reports:
        return remove_speaker(folder, user_id)  # says in words that there is nothing to remove
    last = reports[-1]
    if len(reports) == 1:
        return last
    exports = tuple(e for r in reports for e in r.exports_deleted)
    return replace(
        last,
        exports_deleted=exports,
        message=f"{last.message} (from all {len(reports)} parts of the take)",
    )


class RecordingsLibrary(QWidget):
    retentionChanged = Signal(object)  # int days, or None for "keep everything"
    scanned = Signal()

    def __init__(
        self, root: Path, retention_days: int | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.root = root
        self.setWindowTitle("Recordings — Roomcast")
        self.resize(900, 460)
        place_on_screen(self)  # whole, on the host's screen
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl  # a seam for tests
        self.pending_question: Question | None = None
        self.export_dialog: ExportDialog | None = None
        self.busy = False
        self.last_removal: RemovalReport | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        where = PathLabel(root, self, prefix="Saved in ")
        where.setEnabled(False)
        self.where = where
        top.addWidget(where, 1)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.clicked.connect(self.refresh)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        self.model = RecordingsModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(SPEAKERS_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.view.doubleClicked.connect(lambda _index: self.play())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        layout.addWidget(self.view, 1)

        actions = QHBoxLayout()
        self.play_button = QPushButton("Play", self)
        self.folder_button = QPushButton("Open folder", self)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setObjectName("primary")
        self.remove_button = QPushButton("Remove a speaker…", self)
        self.delete_button = QPushButton("Delete…", self)
        self.delete_button.setObjectName("destructive")
        for button, slot in (
            (self.play_button, self.play),
            (self.folder_button, self.open_folder),
            (self.export_button, self.export),
            (self.remove_button, self.ask_remove_speaker),
            (self.delete_button, self.ask_delete),
        ):
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        retention = QHBoxLayout()
        self.retention = QCheckBox("Delete recordings older than", self)
        self.retention_days = QSpinBox(self)
        self.retention_days.setRange(1, 3650)
        self.retention_days.setSuffix(" days")
        self.retention_days.setValue(retention_days or DEFAULT_RETENTION_DAYS)
        self.retention.setChecked(retention_days is not None)
        self.retention_days.setEnabled(retention_days is not None)
        note = plain_label("(checked each time Roomcast starts; off: keep everything)", self)
        note.setEnabled(False)
        self.retention.toggled.connect(self._retention_changed)
        self.retention_days.valueChanged.connect(self._retention_changed)
        retention.addWidget(self.retention)
        retention.addWidget(self.retention_days)
        retention.addWidget(note, 1)
        layout.addLayout(retention)

        self.gaps_line = plain_label("", self)  # the selected take's repairs, if it had any
        self.gaps_line.setWordWrap(True)
        layout.addWidget(self.gaps_line)

        self.status = plain_label("", self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self._update_buttons()
        self._scanning = False
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_tick)

    # -- reading the folder -----------------------------------------------------------------------

    def refresh(self) -> asyncio.Task[Any]:
        return spawn(self._scan(), self._show_error)

    def showEvent(self, event: Any) -> None:
        self._poll.start()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:
        self._poll.stop()
        super().hideEvent(event)

    def closeEvent(self, event: Any) -> None:
        if self.export_dialog is not None:
            self.export_dialog.close()  # cancels an export under way
        super().closeEvent(event)

    def _poll_tick(self) -> None:
        if self.isVisible() and not self.busy and not self._scanning:
            self.refresh()

    async def _scan(self) -> None:
        loop = asyncio.get_running_loop()
        self._scanning = True
        try:
            rows = await loop.run_in_executor(None, scan_recordings, self.root)
        finally:
            self._scanning = False
        fresh = self.model.rowCount() == 0
        self.model.sync(rows)
        if fresh and rows:  # once: later the person's widths stay
            header = self.view.horizontalHeader()
            for column in range(self.model.columnCount()):
                if column != SPEAKERS_COLUMN:
                    width = max(self.view.sizeHintForColumn(column), header.sectionSizeHint(column))
                    header.resizeSection(column, width + 12)
        if not rows and not self.status.text():
            self.status.setText(NO_RECORDINGS)
        elif rows and self.status.text() == NO_RECORDINGS:
            self.status.setText("")  # it is no longer true once a take is listed
        self._update_buttons()
        self.scanned.emit()

    def selected(self) -> RecordingRow | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, row: int) -> None:
        self.view.selectRow(row)

    def _update_buttons(self) -> None:
        row = self.selected()
        idle = row is not None and not self.busy
        finished = idle and row is not None and not row.busy and row.state != "unreadable"
        self.play_button.setEnabled(finished)
        self.folder_button.setEnabled(row is not None)
        self.export_button.setEnabled(finished and row is not None and not row.ledger_lost)
        self.remove_button.setEnabled(finished and row is not None and bool(row.speakers))
        self.delete_button.setEnabled(idle and row is not None and not row.busy)
        self.refresh_button.setEnabled(not self.busy)
        gaps = row.gaps_text() if row is not None and row.state != "unreadable" else "none"
        line = "" if gaps == "none" else f"Gaps in this take: {gaps}"
        if row is not None and row.state == "damaged":
            line = f"Damaged: {row.problem}" + (f" {line}." if line else "")
        self.gaps_line.setText(line)
        self.gaps_line.setToolTip(GAPS_TIP)

    # -- simple actions ---------------------------------------------------------------------------

    def play(self) -> None:
        row = self.selected()
        if row is not None and not row.busy:
            self.open_url(QUrl.fromLocalFile(str(row.folder / row.mix_file)))

    def open_folder(self) -> None:
        row = self.selected()
        self.open_url(QUrl.fromLocalFile(str(row.folder if row is not None else self.root)))

    def export(self) -> ExportDialog | None:
        row = self.selected()
        if row is None:
            return None
        dialog = ExportDialog(row, self)
        dialog.exported.connect(lambda _report: self.refresh())
        dialog.show()
        self.export_dialog = dialog
        return dialog

    # -- delete -----------------------------------------------------------------------------------

    def ask_delete(self) -> Question | None:
        row = self.selected()
        if row is None:
            return None
        if isinstance(again := open_again(self.pending_question), Question):
            return again
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(row.started_at))
        question = Question(
            self,
            "Delete this recording?",
            f"“{row.title}” ({when}, {clock_text(row.duration_s)}) is deleted from this "
            "computer with every track and everything exported into its folder. This cannot "
            "be undone.",
            "Delete",
            "Keep it",
            destructive=True,
        )
        question.answered.connect(lambda yes: self._run(self._delete(row)) if yes else None)
        question.show()
        self.pending_question = question
        return question

    async def _delete(self, row: RecordingRow) -> None:
        self.status.setText(f"Deleting “{row.title}”…")
        await asyncio.get_running_loop().run_in_executor(None, delete_recording, row.folder)
        self.status.setText(f"Deleted “{row.title}”.")

    # -- remove a speaker -------------------------------------------------------------------------

    def ask_remove_speaker(self) -> Question | None:
        row = self.selected()
        if row is None or not row.speakers:
            return None
        if isinstance(again := open_again(self.pending_question), Question):
            return again
        question = Question(
            self,
            "Remove a speaker's audio?",
            "Their track is deleted and the recording's mix is rendered again without them; "
            "exports made into this recording's folder are deleted too (they hold that voice). "
            "This cannot be undone.",
            "Remove their audio",
            "Cancel",
            destructive=True,
        )
        picker = QComboBox(question)
        for speaker in row.speakers:
            picker.addItem(f"{speaker.name} — talked {clock_text(speaker.talk_time_s)}", speaker)
        layout = question.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(2, picker)  # between the text and the buttons
        question.picker = picker  # type: ignore[attr-defined]

        def answered(yes: bool) -> None:
            if yes:
                self._run(self._remove(row, picker.currentData()))

        question.answered.connect(answered)
        question.show()
        self.pending_question = question
        return question

    async def _remove(self, row: RecordingRow, speaker: Any) -> None:
        self.status.setText(
            f"Removing {speaker.name}'s audio from “{row.title}” and rendering the mix again…"
        )
        loop = asyncio.get_running_loop()
        report = await loop.run_in_executor(
            None, remove_speaker_from_take, row.folder, speaker.user_id
        )
        self.last_removal = report
        self.status.setText(report.message)

    # -- running one job at a time ----------------------------------------------------------------

    def _run(self, job: Any) -> asyncio.Task[Any]:
        async def run() -> None:
            self.busy = True
            self._update_buttons()
            try:
                await job
            finally:
                self.busy = False
                await self._scan()

        return spawn(run(), self._show_error)

    def _show_error(self, error: BaseException) -> None:
        if isinstance(error, RecordingFolderError):
            text = str(error)
        elif isinstance(error, OSError):
            where = error.filename or self.root
            text = (
                f"Could not change {where}: {error.strerror or error}. Check that no other "
                "program is using it and that the disk is writable, then try again."
            )
        else:
            text = f"That did not work ({error!r}). Please report this."
        self.status.setText(text)
        self._update_buttons()

    # -- retention --------------------------------------------------------------------------------

    def retention_value(self) -> int | None:
        return self.retention_days.value() if self.retention.isChecked() else None

    def _retention_changed(self) -> None:
        self.retention_days.setEnabled(self.retention.isChecked())
        self.retentionChanged.emit(self.retention_value())
