"""Strike from the record, from the console: how far back (the last minute, 5 or 15 minutes, or
everything since the person came on stage in this take), and what will happen, in one question.

The host strikes their own voice from the recording bar, or a speaker's from the stage (the
Strike… button or the person's right-click menu); the relay does it without asking anyone, and
the console says so in plain words once it has (`RecordingBar.show_struck`).

Runs on: the Qt main thread; it only submits a command.
"""

from __future__ import annotations

from PySide6.QtWidgets import QButtonGroup, QRadioButton, QVBoxLayout, QWidget

from console.event_text import struck_what
from console.room_view import STRIKE_SPANS, StrikeFromRecord, name_of
from ui.dialogs import Question, open_again
from ui.room_controller import RoomController

_LABELS = {
    "last_minute": "Last minute",
    "last_5_minutes": "Last 5 minutes",
    "last_15_minutes": "Last 15 minutes",
}


class StrikeQuestion(Question):
    """Which span, and a sentence naming what striking it does; Strike it / Cancel."""

    def __init__(self, parent: QWidget | None, whose: str | None) -> None:
        self.whose = whose  # None: the console user's own voice
        super().__init__(
            parent,
            "Strike from the record",
            "",
            "Strike it",
            "Cancel",
            destructive=True,
        )
        self.group = QButtonGroup(self)
        self.choices: dict[str, QRadioButton] = {}
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        for index, span in enumerate(STRIKE_SPANS):
            label = _LABELS.get(span) or (
                "Since I joined" if whose is None else "Since they joined"
            )
            button = QRadioButton(label, self)
            button.setObjectName(f"strike_{span}")
            self.group.addButton(button)
            self.choices[span] = button
            layout.insertWidget(2 + index, button)  # after the title and the text
            button.toggled.connect(self._explain)
        self.choices["last_minute"].setChecked(True)

    @property
    def span(self) -> str:
        return next(span for span, button in self.choices.items() if button.isChecked())

    def _explain(self) -> None:
        what = struck_what(self.span, None if self.whose is None else f"{self.whose}’s")
        their = "your" if self.whose is None else "their"
        nobody = " Nobody has to approve it." if self.whose is None else ""
        self.body.setText(
            f"{what} will be removed from the recording: {their} track and the mix become "
            "silence for that span, and exports made before are marked out of date. People in "
            f"the room already heard it live. This cannot be undone.{nobody}"
        )


def ask_to_strike(
    parent: QWidget, controller: RoomController, user_id: str, previous: Question | None
) -> Question | None:
    """Open the question for `user_id`'s voice (the console user's own, or someone else's);
    None when the rules would refuse it."""
    again = open_again(previous)
    if isinstance(again, Question):
        return again
    room = controller.room
    if room is None or not controller.allowed(StrikeFromRecord(user_id, "last_minute")):
        return None
    mine = user_id == controller.me
    question = StrikeQuestion(parent, None if mine else name_of(room, user_id, controller.names))

    def answered(yes: bool) -> None:
        if yes:
            controller.submit(StrikeFromRecord(user_id, question.span), "strike it")

    question.answered.connect(answered)
    question.show()
    return question
