"""Questions that never block: a non-modal dialog that answers through a signal.

    question = Question(parent, "End the room?", "Everyone will be disconnected.", "End room")
    question.answered.connect(on_answer)   # True: the person said yes
    question.show()

`exec()` would nest an event loop inside the async code that asked (qutebrowser's lesson);
this shape never does. Yes, No, Escape and the window's close button each answer once and
close the dialog; `open_again(previous)` lets a place that asks keep one question on screen
instead of piling up a new one per click.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from ui.plain import plain_label


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
        option: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        heading = plain_label(title, self)  # titles and prompts quote people's names
        bold = heading.font()
        bold.setBold(True)
        heading.setFont(bold)
        self.body = plain_label(text, self)
        self.body.setWordWrap(True)
        layout.addWidget(heading)
        layout.addWidget(self.body)
        # A choice that goes with the answer (read `option.isChecked()` when it comes).
        self.option: QCheckBox | None = None
        if option is not None:
            self.option = QCheckBox(option, self)
            layout.addWidget(self.option)
        self.buttons = QDialogButtonBox(self)
        self.yes = self.buttons.addButton(yes_text, QDialogButtonBox.ButtonRole.AcceptRole)
        self.no = self.buttons.addButton(no_text, QDialogButtonBox.ButtonRole.RejectRole)
        if destructive:
            self.yes.setObjectName("destructive")
        self.no.setDefault(True)
        layout.addWidget(self.buttons)
        self._answered = False
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

    def _answer(self, yes: bool) -> None:
        if not self._answered:
            self._answered = True
            self.answered.emit(yes)
        # done() hides the dialog (and, with WA_DeleteOnClose, deletes it). Calling close()
        # here instead went close() -> closeEvent -> reject() -> close(): Qt refuses the nested
        # close, closeEvent saw the dialog still visible and cancelled it, and it stayed up.
        super().done(QDialog.DialogCode.Accepted if yes else QDialog.DialogCode.Rejected)

    def accept(self) -> None:  # Yes (or Return on it)
        self._answer(True)

    def reject(self) -> None:  # No, Escape, or the window's close button
        self._answer(False)


def open_again(question: QDialog | None) -> QDialog | None:
    """The question still on screen (raised to the front), or None if it was answered.

    A place that asks calls this first, so a second click on End room brings the open
    question forward instead of stacking another one on it.
    """
    if question is None or not shiboken6.isValid(question) or not question.isVisible():
        return None
    question.raise_()
    question.activateWindow()
    return question
