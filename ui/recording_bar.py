"""Recording in the main window: Record / Stop (the host, after a confirmation), the running
"● REC 00:12" with who is left out of it (not answered yet, declined), markers (a button and
Ctrl+M, with an optional label), the console user's own consent, and the relay's word when
the recording fails (a full disk) while the room goes on.

Consent (DESIGN §6): whoever is on stage during a take and did not start it is asked; here
that is the console's own user on a co-host console or after coming back on stage. The
question is non-modal, "No" is the default, and the answer goes to the relay as SetConsent.

Runs on: the Qt main thread; it only submits commands and reads the room mirror.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.room_view import (
    AddMarker,
    Consent,
    Room,
    SetConsent,
    StartRecording,
    StopRecording,
    StrikeFromRecord,
    name_of,
)
from ui.dialogs import Question, open_again
from ui.plain import plain_label
from ui.room_controller import RoomController
from ui.room_models import clock_text
from ui.strike_dialog import ask_to_strike

MARKER_KEY = "Ctrl+M"


def left_out(room: Room, known: dict[str, str] | None = None) -> list[tuple[str, str, Consent]]:
    """Who is on stage during the recording without having said yes: (user id, name, answer),
    those who declined first."""
    recording = room.recording
    if recording is None or not recording.active:
        return []
    people = [
        (p.user_id, name_of(room, p.user_id, known), recording.consents.get(p.user_id))
        for p in room.stage()
    ]
    out = [(u, n, c or Consent.PENDING) for u, n, c in people if c is not Consent.GRANTED]
    return sorted(out, key=lambda row: row[2] is not Consent.DECLINED)


def left_out_text(rows: list[tuple[str, str, Consent]], all_party: bool = False) -> str:
    if not rows:
        return "Everyone on stage agreed to be recorded."
    parts = [
        f"{name} ({'declined' if answer is Consent.DECLINED else 'not answered yet'})"
        for _user, name, answer in rows
    ]
    if all_party:  # nobody is written until everyone on stage has said yes
        return "Nothing is recorded — waiting for consent: " + ", ".join(parts)
    return "Not recorded: " + ", ".join(parts)


class RecordingBar(QWidget):
    libraryWanted = Signal()
    exportWanted = Signal()  # export the latest recording
    notice = Signal(str)  # a line for the status bar

    def __init__(self, controller: RoomController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self._started_at: float | None = None
        # (take, when I came on stage) the consent question was shown for: asked once per
        # take and stage visit, not again while the answer travels to the relay
        self._asked: tuple[int, float | None] | None = None
        self.pending_question: Question | None = None  # Record's confirmation
        self.consent_question: Question | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 0, 4, 4)
        row = QHBoxLayout()
        outer.addLayout(row)
        self.record = QPushButton("● Record", self)
        self.record.setToolTip("Record the room; everyone on stage is asked for consent first")
        self.record.clicked.connect(self._record_clicked)
        self.clock = plain_label("", self)
        self.clock.setObjectName("recPill")
        self.left_out = plain_label("", self)
        self.left_out.setObjectName("mutedTalk")
        self.left_out.setWordWrap(True)
        self.my_consent = QPushButton("", self)
        self.my_consent.clicked.connect(self._change_my_answer)
        self.strike_mine = QPushButton("Strike my voice…", self)
        self.strike_mine.setToolTip(
            "Remove the last minute (or more) of your own voice from the recording"
        )
        self.strike_mine.clicked.connect(self.ask_to_strike_mine)
        self.strike_question: Question | None = None
        self.struck_note = plain_label("", self)  # "Your last minute was removed …"
        self.struck_note.setWordWrap(True)
        self.marker_label = QLineEdit(self)
        self.marker_label.setPlaceholderText("Marker label (optional)")
        self.marker_label.setMaxLength(80)
        self.marker_label.setClearButtonEnabled(True)
        self.marker_label.returnPressed.connect(self.add_marker)
        self.marker = QPushButton("Add marker", self)
        self.marker.setToolTip(f"A chapter mark at this moment ({MARKER_KEY})")
        self.marker.clicked.connect(self.add_marker)
        self.last_take = plain_label("", self)
        self.last_take.setEnabled(False)
        self.export = QPushButton("Export…", self)
        self.export.setToolTip("Export the latest recording as a podcast file")
        self.export.clicked.connect(self.exportWanted.emit)
        self.library = QPushButton("Recordings…", self)
        self.library.clicked.connect(self.libraryWanted.emit)
        row.addWidget(self.record)
        row.addWidget(self.clock)
        row.addWidget(self.left_out, 4)  # most of the room when shown ...
        row.addWidget(self.last_take, 4)
        row.addStretch(1)  # ... and the buttons stay packed at both ends when not
        row.addWidget(self.struck_note, 2)
        for widget in (
            self.my_consent,
            self.strike_mine,
            self.marker_label,
            self.marker,
            self.export,
            self.library,
        ):
            row.addWidget(widget)
        self.marker_label.setFixedWidth(190)

        failure_row = QHBoxLayout()
        self.failure = plain_label("", self)
        self.failure.setObjectName("banner")
        self.failure.setWordWrap(True)
        self.failure.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss = QPushButton("Dismiss", self)
        self.dismiss.clicked.connect(self.clear_failure)
        failure_row.addWidget(self.failure, 1)
        failure_row.addWidget(self.dismiss)
        outer.addLayout(failure_row)
        self.clear_failure()

        self.shortcut = QShortcut(QKeySequence(MARKER_KEY), self)
        self.shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.shortcut.activated.connect(self.add_marker)
        controller.recordingFailed.connect(self.show_failure)
        if controller.room is not None:
            self.sync_room(controller.room)

    # -- following the room -----------------------------------------------------------------------

    def sync_room(self, room: Room) -> None:
        controller, me = self.controller, self.controller.me
        recording = room.recording
        active = room.is_recording
        may_start = controller.allowed(StartRecording())
        may_stop = controller.allowed(StopRecording())
        self.record.setVisible(may_start or may_stop)
        self.record.setText("■ Stop recording" if active else "● Record")
        self.record.setObjectName("destructive" if active else "")
        self.record.style().unpolish(self.record)
        self.record.style().polish(self.record)
        self.record.setEnabled(may_stop if active else may_start)
        self._started_at = recording.started_at if active and recording else None
        self.clock.setVisible(active)
        rows = left_out(room, controller.names) if active else []
        self.left_out.setVisible(active)
        all_party = bool(active and recording and recording.all_party)
        self.left_out.setText(left_out_text(rows, all_party))
        self.left_out.setObjectName("mutedTalk" if rows else "")
        self.left_out.style().unpolish(self.left_out)
        self.left_out.style().polish(self.left_out)
        may_mark = controller.allowed(AddMarker("marker"))
        for widget in (self.marker_label, self.marker):
            widget.setVisible(may_mark)
        self.shortcut.setEnabled(may_mark)
        is_host = me is not None and room.host_id == me  # the recordings are on the host's disk
        stopped = recording is not None and not active and recording.stopped_at is not None
        self.last_take.setVisible(stopped)
        if stopped and recording is not None and recording.stopped_at is not None:
            length = clock_text(recording.stopped_at - recording.started_at)
            self.last_take.setText(f"Last recording: take {recording.take}, {length}")
        self.export.setVisible(stopped and is_host)
        self.library.setVisible(is_host)
        self.strike_mine.setVisible(
            active and me is not None and controller.allowed(StrikeFromRecord(me, "last_minute"))
        )
        if not active:
            self.struck_note.setText("")
        self.struck_note.setVisible(active and bool(self.struck_note.text()))
        mine = recording.consents.get(me) if active and recording and me else None
        started_by_me = recording is not None and recording.started_by == me
        self.my_consent.setVisible(mine is not None and not started_by_me)
        if mine is Consent.GRANTED:
            self.my_consent.setText("Your voice is recorded — leave me out")
        elif mine is Consent.DECLINED:
            self.my_consent.setText("Your voice is left out — record me")
        else:
            self.my_consent.setText("Answer the recording question…")
        person = room.participants.get(me or "")
        on_stage = person is not None and person.role.on_stage
        if active and mine is Consent.PENDING and on_stage and not started_by_me and recording:
            visit = (recording.take, person.on_stage_at if person else None)
            if self._asked != visit:
                self._asked = visit
                self._ask_consent(room)
        else:
            self._drop_consent_question()
        self.setVisible(active or stopped or is_host or not self.failure.isHidden())
        self.tick()

    def tick(self) -> None:
        if self._started_at is not None:
            self.clock.setText(f"● REC {clock_text(time.time() - self._started_at)}")

    # -- the host's controls ----------------------------------------------------------------------

    def _record_clicked(self) -> None:
        room = self.controller.room
        if room is not None and room.is_recording:
            self.controller.submit(StopRecording(), "stop the recording")
            return
        self.ask_to_record()

    def ask_to_record(self) -> Question:
        again = open_again(self.pending_question)
        if isinstance(again, Question):
            return again
        question = Question(
            self.window(),
            "Start recording?",
            "Everyone on stage will be asked for their consent. Until someone says yes, their "
            "voice is left out of the recording; you will see who. Everyone in the room, "
            "listeners included, sees that it is being recorded. The recording is saved on "
            "this computer.",
            "Start recording",
            "Not now",
            option="All-party consent: record nothing until everyone on stage says yes",
        )

        def answered(yes: bool) -> None:
            if yes:
                self.clear_failure()
                all_party = question.option is not None and question.option.isChecked()
                self.controller.submit(StartRecording(all_party), "start the recording")

        question.answered.connect(answered)
        question.show()
        self.pending_question = question
        return question

    def add_marker(self) -> None:
        room = self.controller.room
        if room is None or not self.controller.allowed(AddMarker("marker")):
            self.notice.emit("Markers can be added while the room is being recorded.")
            return
        label = self.marker_label.text().strip()
        count = len(room.recording.markers) if room.recording else 0
        label = label or f"Marker {count + 1}"
        self.controller.submit(AddMarker(label), "add a marker")
        self.marker_label.clear()
        at = clock_text(time.time() - self._started_at) if self._started_at else ""
        self.notice.emit(f"Marker “{label}” added at {at}." if at else f"Marker “{label}” added.")

    # -- strike from the record -------------------------------------------------------------------

    def ask_to_strike_mine(self) -> None:
        me = self.controller.me
        if me is not None:
            self.strike_question = ask_to_strike(
                self.window(), self.controller, me, self.strike_question
            )

    def show_struck(self, text: str) -> None:
        """The relay struck it: say so plainly, until the take stops."""
        self.struck_note.setText(text)
        self.struck_note.setVisible(True)
        self.notice.emit(text)

    # -- the console user's own consent -----------------------------------------------------------

    def _ask_consent(self, room: Room) -> None:
        self._drop_consent_question()
        recording = room.recording
        assert recording is not None
        who = name_of(room, recording.started_by, self.controller.names)
        question = Question(
            self.window(),
            "This room is being recorded",
            f"{who} started recording. Your voice goes into the recording only if you say "
            "yes; until then it is left out. You can change your answer at any time.",
            "Yes, record my voice",
            "No, leave me out",
        )
        question.answered.connect(self._consent_answered)
        question.show()
        question.no.setFocus()  # a stray Return or Space must not say yes
        self.consent_question = question

    def _consent_answered(self, yes: bool) -> None:
        self.consent_question = None  # it closes (and is deleted) after answering
        self.controller.submit(SetConsent(yes), "answer the recording question")

    def _drop_consent_question(self) -> None:
        """The question is moot (answered elsewhere, or the recording stopped): close it
        without answering."""
        question, self.consent_question = self.consent_question, None
        if question is not None:
            question.answered.disconnect()
            question.close()

    def _change_my_answer(self) -> None:
        room, me = self.controller.room, self.controller.me
        if room is None or room.recording is None or me is None:
            return
        mine = room.recording.consents.get(me)
        if mine is Consent.PENDING:
            self._ask_consent(room)
            return
        self.controller.submit(SetConsent(mine is not Consent.GRANTED), "change your answer")

    # -- failures ---------------------------------------------------------------------------------

    def show_failure(self, message: str) -> None:
        """The relay stopped the recording (a full disk, say); the room goes on. Stays until
        dismissed or the next recording starts."""
        self.failure.setText(message)
        self.failure.setVisible(True)
        self.dismiss.setVisible(True)
        self.setVisible(True)

    def clear_failure(self) -> None:
        self.failure.setText("")
        self.failure.setVisible(False)
        self.dismiss.setVisible(False)
