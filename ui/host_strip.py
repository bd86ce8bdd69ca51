"""The host's own strip: input device, mute, a meter of the microphone as measured here,
"you are talking while muted", the push-to-talk key, and ending the room."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QWidget

from console.level_board import LOCAL, LevelBoard
from ui.meter import MeterWidget
from ui.plain import plain_label

SELF_MUTE_KEY = "Ctrl+Shift+M"  # as in Teams; Ctrl+M drops a recording marker


class HostStrip(QWidget):
    muteToggled = Signal(bool)  # True: mute
    inputChosen = Signal(str)  # a device name ("" = the system default)
    endRoomWanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(plain_label("Microphone", self))
        self.devices = QComboBox(self)
        self.devices.setMinimumWidth(180)
        self.devices.setToolTip("The microphone you speak into")
        layout.addWidget(self.devices)
        self.mute = QPushButton("Unmute", self)
        self.mute.setCheckable(True)
        self.mute.setChecked(True)
        self.mute.setMinimumWidth(90)
        self.mute.setToolTip(f"Mute or unmute your microphone ({SELF_MUTE_KEY})")
        layout.addWidget(self.mute)
        self.meter = MeterWidget(self)
        self.meter.setMinimumWidth(160)
        layout.addWidget(self.meter, 1)
        self.muted_talk = plain_label("You are talking while muted", self)
        self.muted_talk.setObjectName("mutedTalk")
        self.muted_talk.setVisible(False)
        layout.addWidget(self.muted_talk)
        self.ptt = plain_label("", self)
        self.ptt.setEnabled(False)
        layout.addWidget(self.ptt)
        layout.addSpacing(16)
        self.end_room = QPushButton("End room", self)
        self.end_room.setObjectName("endRoom")
        self.end_room.setToolTip("End the room for everyone (asks first)")
        layout.addWidget(self.end_room)
        self.mute.toggled.connect(self._mute_toggled)
        self.devices.activated.connect(
            lambda i: self.inputChosen.emit(str(self.devices.itemData(i) or ""))
        )
        self.end_room.clicked.connect(self.endRoomWanted.emit)

    def toggle_mute(self) -> None:
        """The self-mute hotkey: the same as clicking the button (it shows the new state)."""
        if self.mute.isEnabled():
            self.mute.toggle()

    def set_devices(self, names: list[str], current: str | None) -> None:
        self.devices.blockSignals(True)
        self.devices.clear()
        self.devices.addItem("System default", "")
        for name in names:
            self.devices.addItem(name, name)
        index = self.devices.findData(current or "")
        self.devices.setCurrentIndex(max(0, index))
        self.devices.blockSignals(False)

    def set_push_to_talk(self, key: str) -> None:
        self.ptt.setText(f"Hold {key} to talk" if key else "")

    def show_muted(self, muted: bool) -> None:
        self.mute.blockSignals(True)
        self.mute.setChecked(muted)
        self.mute.setText("Unmute" if muted else "Mute")
        self.mute.blockSignals(False)

    def _mute_toggled(self, checked: bool) -> None:
        self.mute.setText("Unmute" if checked else "Mute")
        self.muteToggled.emit(checked)

    def tick(self, board: LevelBoard, elapsed_s: float, talking_while_muted: bool) -> bool:
        """Advance the meter and the "talking while muted" label; True when either changed."""
        sample = board.latest(LOCAL)
        moved = self.meter.step(sample.rms_db, sample.peak_db, elapsed_s)
        if self.muted_talk.isHidden() == talking_while_muted:
            self.muted_talk.setVisible(talking_while_muted)
            moved = True
        return moved

    def at_rest(self) -> bool:
        """The meter shows the floor and no "talking while muted" is up."""
        return self.meter.state.at_rest and self.muted_talk.isHidden()
