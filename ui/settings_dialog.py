"""Settings: devices, speaking sensitivity, theme, data folder, relay address and port.

The device lists are filled by the caller from a worker thread (a scan can take a while);
the dialog answers with `answered(Settings | None)` and never blocks.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLineEdit,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from console.settings import THEMES, Settings
from ui.plain import plain_label
from ui.recordings_model import recordings_folder

SENSITIVITY_WORDS = ("Eager (quiet rooms)", "Relaxed", "Balanced", "Strict (noisy rooms)")


class SettingsDialog(QDialog):
    answered = Signal(object)  # Settings, or None when cancelled
    refreshDevices = Signal()

    def __init__(self, settings: Settings, data_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setModal(False)
        self.settings = settings
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.display_name = QLineEdit(settings.display_name, self)
        form.addRow("Your name", self.display_name)
        devices = QHBoxLayout()
        self.input = QComboBox(self)
        self.output = QComboBox(self)
        self.refresh = QPushButton("Refresh", self)
        self.refresh.clicked.connect(self.refreshDevices.emit)
        devices.addWidget(self.input, 1)
        devices.addWidget(self.refresh)
        form.addRow("Microphone", devices)
        form.addRow("Speakers", self.output)
        self.set_devices([], [])
        sensitivity = QHBoxLayout()
        self.sensitivity = QSlider(Qt.Orientation.Horizontal, self)
        self.sensitivity.setRange(0, 3)
        self.sensitivity.setValue(settings.speaking_sensitivity)
        self.sensitivity_label = plain_label(SENSITIVITY_WORDS[settings.speaking_sensitivity], self)
        self.sensitivity.valueChanged.connect(
            lambda v: self.sensitivity_label.setText(SENSITIVITY_WORDS[v])
        )
        sensitivity.addWidget(self.sensitivity, 1)
        sensitivity.addWidget(self.sensitivity_label)
        form.addRow("Speaking detection", sensitivity)
        self.theme = QComboBox(self)
        for theme in THEMES:
            self.theme.addItem(
                {"system": "Follow the system"}.get(theme, theme.capitalize()), theme
            )
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        form.addRow("Theme", self.theme)
        folder = QHBoxLayout()
        self.data_dir = QLineEdit(data_dir, self)
        self.data_dir.setReadOnly(True)
        browse = QPushButton("Recordings folder…", self)
        # The embedded relay's own folder unless the host chose one (console/supervisor.py).
        self._default_recordings = str(recordings_folder(Settings(), Path(data_dir)))
        self.recordings = QLineEdit(settings.recordings_dir or self._default_recordings, self)
        self.recordings.setToolTip(
            "Where new recordings are written; a change applies the next time Roomcast starts"
        )
        browse.clicked.connect(self._browse)
        folder.addWidget(self.recordings, 1)
        folder.addWidget(browse)
        form.addRow("Data folder", self.data_dir)
        form.addRow("Recordings", folder)
        relay = QHBoxLayout()
        self.relay_host = QLineEdit(settings.relay_host, self)
        self.relay_port = QSpinBox(self)
        self.relay_port.setRange(1, 65535)
        self.relay_port.setValue(settings.relay_port or 8470)
        relay.addWidget(self.relay_host, 1)
        relay.addWidget(plain_label("port", self))
        relay.addWidget(self.relay_port)
        form.addRow("Relay address", relay)
        # captures the key pressed (F8, Ctrl+Space); the clear button means "no push-to-talk"
        self.ptt = QKeySequenceEdit(QKeySequence(settings.push_to_talk_key), self)
        self.ptt.setMaximumSequenceLength(1)
        self.ptt.setClearButtonEnabled(True)
        self.ptt.setToolTip("Click, then press the key to hold while you talk")
        form.addRow("Push-to-talk key", self.ptt)
        layout.addLayout(form)
        note = plain_label("Relay address and port apply the next time Roomcast starts.", self)
        note.setEnabled(False)
        layout.addWidget(note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._answered = False

    def set_devices(self, inputs: list[str], outputs: list[str]) -> None:
        for combo, names, current in (
            (self.input, inputs, self.settings.input_device),
            (self.output, outputs, self.settings.output_device),
        ):
            combo.clear()
            combo.addItem("System default", None)
            for name in names:
                combo.addItem(name, name)
            combo.setCurrentIndex(max(0, combo.findData(current)))

    def value(self) -> Settings:
        return self.settings.with_changes(
            display_name=self.display_name.text().strip() or "Host",
            input_device=self.input.currentData(),
            output_device=self.output.currentData(),
            speaking_sensitivity=self.sensitivity.value(),
            theme=str(self.theme.currentData()),
            relay_host=self.relay_host.text().strip() or "127.0.0.1",
            relay_port=self.relay_port.value(),
            push_to_talk_key=self.ptt.keySequence().toString(
                QKeySequence.SequenceFormat.PortableText
            ),
            recordings_dir=(
                None
                if self.recordings.text().strip() in ("", self._default_recordings)
                else self.recordings.text().strip()
            ),
        )

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Recordings folder", self.recordings.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setModal(False)
        dialog.fileSelected.connect(self.recordings.setText)
        dialog.show()

    def _save(self) -> None:
        if not self._answered:
            self._answered = True
            self.answered.emit(self.value())
        self.close()

    def reject(self) -> None:
        if not self._answered:
            self._answered = True
            self.answered.emit(None)
        super().reject()
