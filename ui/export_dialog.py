"""Export a recording as a podcast file: format, mono or stereo, stems, where to save; a
progress bar and Cancel; then where the files went and the loudness measured on the file.

The export (`audio.export.export`) runs on a thread of its own; it reports progress through
a Qt signal delivered to this dialog by a queued connection, and reads a `threading.Event`
for Cancel. The dialog never waits for it.
"""

from __future__ import annotations

import html
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audio.export import FORMATS, ExportCancelled, ExportError, ExportReport, export
from audio.recording_manifest import EXPORTS_DIR, safe_name
from ui.dialogs import Question
from ui.plain import rich_label, wrappable_path
from ui.recordings_model import RecordingRow
from ui.room_models import clock_text

FORMAT_WORDS = {
    "mp3": "MP3 (plays everywhere)",
    "m4a": "M4A (AAC, Apple Podcasts)",
    "opus": "Opus (small, modern players)",
    "flac": "FLAC (lossless)",
    "wav": "WAV (lossless, uncompressed)",
}
PROGRESS_STEPS = 1000


def default_out(row: RecordingRow, fmt: str) -> Path:
    """Inside the recording (`exports/`), as `audio.export.default_out_path` does: deleting the
    recording or removing a speaker from it reaches its exports too."""
    return (
        row.folder
        / EXPORTS_DIR
        / f"{safe_name(row.title, row.folder.name)}{FORMATS[fmt].extension}"
    )


class ExportJob(QObject):
    """One export on a worker thread. Signals are emitted from that thread; connect them
    queued so the slots run on the GUI thread."""

    progressed = Signal(float)  # 0..1
    succeeded = Signal(object)  # ExportReport
    failed = Signal(str, bool)  # message for people, cancelled

    def __init__(
        self,
        folder: Path,
        out: Path,
        fmt: str,
        channels: int,
        stems: bool,
        export_fn: Callable[..., ExportReport] = export,
    ) -> None:
        super().__init__()
        self.args = (folder, out, fmt, channels, stems)
        self.cancel = threading.Event()
        self._export = export_fn
        # not a daemon: at exit Python waits for it, so a cancelled export (closing the
        # dialog cancels) still removes its partial files; it stops within one block
        self.worker = threading.Thread(target=self._run, name="roomcast-export")

    def start(self) -> None:
        self.worker.start()

    def _run(self) -> None:
        """Runs on: the export thread."""
        folder, out, fmt, channels, stems = self.args
        try:
            report = self._export(
                folder, out, fmt, channels=channels, stems=stems,
                progress=self.progressed.emit, cancel=self.cancel,
            )  # fmt: skip
        except ExportCancelled as exc:
            self.failed.emit(str(exc), True)
        except ExportError as exc:
            self.failed.emit(str(exc), False)
        except Exception as exc:  # a bug must still reach the person, in words
            self.failed.emit(
                f"The export failed unexpectedly ({exc!r}); nothing was written. "
                "Please report this.",
                False,
            )
        else:
            self.succeeded.emit(report)


def loudness_text(report: ExportReport) -> str:
    if report.file_lufs is not None and report.file_true_peak_dbtp is not None:
        lufs, peak, where = report.file_lufs, report.file_true_peak_dbtp, "measured on the file"
    else:
        lufs, peak, where = report.output_lufs, report.output_true_peak_dbtp, "as rendered"
    text = (
        f"Loudness {lufs:.1f} LUFS, true peak {peak:.1f} dBTP ({where}; target "
        f"{report.target_lufs:.0f} LUFS, at most −1 dBTP)."
    )
    if peak > -1.0:
        text += " The encoder pushed the peak over −1 dBTP: try another format."
    return text.replace("-", "−")


class ExportDialog(QDialog):
    exported = Signal(object)  # ExportReport

    def __init__(
        self,
        row: RecordingRow,
        parent: QWidget | None = None,
        export_fn: Callable[..., ExportReport] = export,
    ) -> None:
        super().__init__(parent)
        self.row = row
        self.setWindowTitle(f"Export — {row.title}")
        self.setModal(False)
        self.job: ExportJob | None = None
        self.report: ExportReport | None = None
        self.pending_question: Question | None = None
        self.open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl  # a seam for tests
        self._export_fn = export_fn
        layout = QVBoxLayout(self)
        speakers = ", ".join(s.name for s in row.speakers) or "nobody"
        about = rich_label(
            f"<b>{html.escape(row.title)}</b> — {clock_text(row.duration_s)}, "
            f"{html.escape(speakers)}; {row.markers} marker(s) become chapters.",
            self,
        )
        about.setWordWrap(True)
        layout.addWidget(about)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.format = QComboBox(self)
        for name in FORMATS:
            self.format.addItem(FORMAT_WORDS.get(name, name.upper()), name)
        self.format.currentIndexChanged.connect(self._format_changed)
        form.addRow("Format", self.format)
        self.channels = QComboBox(self)
        self.channels.addItem("Stereo (−16 LUFS)", 2)
        self.channels.addItem("Mono (−19 LUFS)", 1)
        form.addRow("Channels", self.channels)
        self.stems = QCheckBox("Also one FLAC per speaker (stems)", self)
        form.addRow("", self.stems)
        where = QHBoxLayout()
        self.out = QLineEdit(str(default_out(row, "mp3")), self)
        choose = QPushButton("Choose…", self)
        choose.setMinimumWidth(choose.sizeHint().width())
        choose.clicked.connect(self._choose)
        where.addWidget(self.out, 1)
        where.addWidget(choose)
        form.addRow("Save as", where)
        layout.addLayout(form)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, PROGRESS_STEPS)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = rich_label("", self)  # the result's lines, each value escaped
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addStretch(1)  # growing for the result adds room here, not between the fields
        buttons = QHBoxLayout()
        self.open_folder = QPushButton("Open folder", self)
        self.open_folder.clicked.connect(self._open_folder)
        self.play = QPushButton("Play", self)
        self.play.clicked.connect(self._play)
        self.start = QPushButton("Export", self)
        self.start.setObjectName("primary")
        self.start.setDefault(True)
        self.start.clicked.connect(self.ask_export)
        self.cancel = QPushButton("Close", self)
        self.cancel.clicked.connect(self._cancel_or_close)
        for button in (self.open_folder, self.play):
            button.setVisible(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.start)
        buttons.addWidget(self.cancel)
        layout.addLayout(buttons)
        self.resize(620, self.sizeHint().height())

    # -- choosing ---------------------------------------------------------------------------------

    @property
    def chosen_format(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self) -> None:
        text = self.out.text().strip()
        if text:
            self.out.setText(str(Path(text).with_suffix(FORMATS[self.chosen_format].extension)))

    def _choose(self) -> None:
        dialog = QFileDialog(self, "Save the export as", self.out.text())
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setModal(False)
        dialog.fileSelected.connect(self.out.setText)
        dialog.show()
        self.file_dialog = dialog

    def out_path(self) -> Path | None:
        text = self.out.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        extension = FORMATS[self.chosen_format].extension
        return path if path.suffix.lower() == extension else path.with_suffix(extension)

    # -- running ----------------------------------------------------------------------------------

    def ask_export(self) -> None:
        """Export, after asking when it would replace a file (Path.exists is one stat)."""
        out = self.out_path()
        if out is None or not out.is_absolute():
            self._say("Choose where to save the export: a full path, or use Choose….")
            return
        if not out.exists():
            self.start_export(out)
            return
        question = Question(
            self,
            "Replace the file?",
            f"{out} already exists. Export over it?",
            "Replace",
            "Keep it",
            destructive=True,
        )
        question.answered.connect(lambda yes: self.start_export(out) if yes else None)
        question.show()
        self.pending_question = question

    def start_export(self, out: Path) -> ExportJob:
        self.out.setText(str(out))
        job = ExportJob(
            self.row.folder, out, self.chosen_format, int(self.channels.currentData()),
            self.stems.isChecked(), self._export_fn,
        )  # fmt: skip
        queued = Qt.ConnectionType.QueuedConnection
        job.progressed.connect(self._progressed, queued)
        job.succeeded.connect(self._succeeded, queued)
        job.failed.connect(self._failed, queued)
        self.job = job
        self.report = None
        self._set_running(True)
        self._say(f"Exporting to {out}…")
        job.start()
        return job

    def _set_running(self, running: bool) -> None:
        for widget in (self.format, self.channels, self.stems, self.out, self.start):
            widget.setEnabled(not running)
        self.progress.setVisible(running or self.report is not None)
        if running:
            self.progress.setValue(0)
            self.open_folder.setVisible(False)
            self.play.setVisible(False)
        self.cancel.setText("Cancel" if running else "Close")

    def _progressed(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * PROGRESS_STEPS))

    def _succeeded(self, report: ExportReport) -> None:
        self.job = None
        self.report = report
        self.progress.setValue(PROGRESS_STEPS)
        self._set_running(False)
        extra = [p.name for p in (*report.side_files, *report.stems)]
        lines = [
            f"Exported to <b>{html.escape(wrappable_path(report.out_path))}</b> "
            f"({report.format.upper()}, {'mono' if report.channels == 1 else 'stereo'}, "
            f"{clock_text(report.duration_s)}, {report.chapters} chapter(s)).",
            html.escape(loudness_text(report)),
        ]
        if extra:
            lines.append("Beside it: " + html.escape(", ".join(extra)) + ".")
        if report.recovered:
            lines.append("The recording had not stopped cleanly; it was repaired first.")
        self.status.setText("<br>".join(lines))
        self.open_folder.setVisible(True)
        self.play.setVisible(True)
        self.start.setText("Export again")
        self._fit_height()
        self.exported.emit(report)

    def _fit_height(self) -> None:
        """Grow (never narrow) to show the result's wrapped lines."""
        layout = self.layout()
        assert layout is not None
        layout.activate()
        wanted = layout.heightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        self.resize(self.width(), max(self.height(), wanted, self.sizeHint().height()))

    def _failed(self, message: str, cancelled: bool) -> None:
        self.job = None
        self._set_running(False)
        self.progress.setVisible(False)
        self._say(message if not cancelled else "Export cancelled; nothing was written.")

    def _cancel_or_close(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self._say("Cancelling…")
            return
        self.close()

    def closeEvent(self, event: Any) -> None:
        if self.job is not None:
            self.job.cancel.set()  # the thread stops at its next block and cleans up
        super().closeEvent(event)

    def _say(self, text: str) -> None:
        self.status.setText(html.escape(text))

    def _open_folder(self) -> None:
        if self.report is not None:
            self.open_url(QUrl.fromLocalFile(str(self.report.out_path.parent)))

    def _play(self) -> None:
        if self.report is not None:
            self.open_url(QUrl.fromLocalFile(str(self.report.out_path)))
