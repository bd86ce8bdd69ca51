"""Questions that never block: a non-modal dialog that answers through a signal.

    question = Question(parent, "End the room?", "Everyone will be disconnected.", "End room")
    question.answered.connect(on_answer)   # True: the person said yes
    question.show()

`exec()` would nest an event loop inside the async code that asked (qutebrowser's lesson);
this shape never does.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget


class Question(QDialog):
    answered = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        text: str,
        yes_text: str = "OK",
        no_text: str = "Cancel",
        *,
        destructive: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{title}</b>", self)
        body = QLabel(text, self)
        body.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(body)
        buttons = QDialogButtonBox(self)
        self.yes = buttons.addButton(yes_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.no = buttons.addButton(no_text, QDialogButtonBox.ButtonRole.RejectRole)
        if destructive:
            self.yes.setObjectName("destructive")
        self.no.setDefault(True)
        layout.addWidget(buttons)
        self._answered = False
        buttons.accepted.connect(lambda: self._answer(True))
        buttons.rejected.connect(lambda: self._answer(False))

    def _answer(self, yes: bool) -> None:
        if not self._answered:
            self._answered = True
            self.answered.emit(yes)
        self.close()

    def reject(self) -> None:  # Escape, or the window's close button
        self._answer(False)
