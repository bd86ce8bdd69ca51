"""The console's main window.

The stage, request queue, audience and host strip arrive with the console
issue; until then the window shows where the host's data lives and says
plainly what is not built yet.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget


class MainWindow(QMainWindow):
    def __init__(self, data_dir: Path | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Roomcast")
        self.resize(960, 640)
        central = QWidget(self)
        layout = QVBoxLayout(central)
        title = QLabel("Roomcast", central)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = title.font()
        font.setPointSize(font.pointSize() * 2)
        title.setFont(font)
        status = QLabel(
            "This build has the room rules and the audio engine.\n"
            "The embedded relay, the stage and the host controls are not built yet.",
            central,
        )
        status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        status.setObjectName("status")
        layout.addStretch(1)
        layout.addWidget(title)
        layout.addWidget(status)
        layout.addStretch(1)
        self.setCentralWidget(central)
        self.data_dir = data_dir
