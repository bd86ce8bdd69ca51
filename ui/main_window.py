"""The console's main window for one room: header, stage, request queue, audience, the side
panels and the host's own strip.

One display timer (25 Hz) moves every meter while any shows something; once all rest at the
floor it sleeps until a level that shows is published. A 1 Hz timer moves the clocks; room
changes arrive coalesced from the controller and update the models row by row. Errors show in
one banner (a burst of the same refusal shows once). Closing while live asks first.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from console.event_text import struck_sentence
from console.room_view import (
    EndRoom,
    Room,
    RoomState,
    SetBroadcastMode,
    StruckFromRecord,
    name_of,
)
from ui.dialogs import Question, open_again
from ui.header import RoomHeader, ShareLinks
from ui.host_strip import HostStrip
from ui.meter import audible
from ui.people_views import AudiencePanel, RequestPanel
from ui.placement import place_on_screen
from ui.recording_bar import RecordingBar
from ui.room_controller import RoomController
from ui.room_models import AudienceModel, RequestModel, StageModel
from ui.side_panels import SidePanels
from ui.stage_view import StagePanel
from ui.tickets_window import TicketsWindow

DISPLAY_HZ = 25  # the relay sends levels at 25 Hz; more frames would show nothing new
LISTENER_SAMPLE_S = 5
PTT_RELEASE_GRACE_MS = 120
BANNER_QUIET_S = 4.0  # the same message again within this is part of the same burst


class ErrorBanner(QLabel):
    """One message at a time; repeats within a burst are not shown again."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)  # messages quote names and relay errors
        self.setObjectName("banner")
        self.setWordWrap(True)
        self.setVisible(False)
        self._last_text = ""
        self._last_at = 0.0
        self.shown = 0
        self._hide = QTimer(self)
        self._hide.setSingleShot(True)
        self._hide.timeout.connect(lambda: self.setVisible(False))

    def show_message(self, text: str, hold_s: float = 8.0) -> None:
        now = time.monotonic()
        if text == self._last_text and now - self._last_at < BANNER_QUIET_S and self.isVisible():
            self._last_at = now
            return
        self._last_text, self._last_at = text, now
        self.shown += 1
        self.setText(text)
        self.setVisible(True)
        self._hide.start(int(hold_s * 1000))


class MainWindow(QMainWindow):
    closedForGood = Signal()

    def __init__(
        self,
        controller: RoomController,
        share: ShareLinks,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.session = controller.session
        self.setWindowTitle("Roomcast")
        self.resize(1280, 800)
        place_on_screen(self)  # whole, on the host's screen
        self._allow_close = False
        self._closed_for_good = False
        self.pending_question: Question | None = None  # the confirmation on screen, if any
        self.push_to_talk: QKeySequence | None = None
        self._ptt_down = False
        # A held key repeats as release+press pairs; Qt flags them isAutoRepeat() only when it
        # finds the press already queued behind the release. A release counts once no press
        # of the same key follows within this grace (X repeats every 25-50 ms).
        self._ptt_release = QTimer(self)
        self._ptt_release.setSingleShot(True)
        self._ptt_release.setInterval(PTT_RELEASE_GRACE_MS)
        self._ptt_release.timeout.connect(self._ptt_released)

        self.stage_model = StageModel(self)
        self.stage_model.me = controller.me
        self.request_model = RequestModel(self)
        self.audience_model = AudienceModel(self)

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(10, 8, 10, 6)
        self.header = RoomHeader(share, central)
        outer.addWidget(self.header)
        self.banner = ErrorBanner(central)
        outer.addWidget(self.banner)
        self.recording_bar = RecordingBar(controller, central)
        outer.addWidget(self.recording_bar)

        splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.stage = StagePanel(controller, self.stage_model, splitter)
        middle = QWidget(splitter)
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(6, 0, 6, 0)
        self.requests = RequestPanel(controller, self.request_model, middle)
        self.audience = AudiencePanel(controller, self.audience_model, middle)
        middle_layout.addWidget(self.requests, 2)
        middle_layout.addWidget(self.audience, 3)
        self.side = SidePanels(controller, splitter)
        splitter.addWidget(self.stage)
        splitter.addWidget(middle)
        splitter.addWidget(self.side)
        splitter.setSizes([470, 390, 380])
        splitter.setChildrenCollapsible(False)
        outer.addWidget(splitter, 1)

        self.strip = HostStrip(central)
        outer.addWidget(self.strip)
        strip_row = QHBoxLayout()
        strip_row.addStretch(1)
        outer.addLayout(strip_row)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Connected to the relay.")

        controller.roomChanged.connect(self.sync_room)
        controller.eventArrived.connect(self._after_event)
        controller.speakingChanged.connect(self.stage_model.set_speaking)
        controller.error.connect(self.banner.show_message)
        self.side.reportArrived.connect(lambda text: self.banner.show_message(text, hold_s=30))
        controller.closed.connect(self._on_closed)
        controller.connectionChanged.connect(self._on_connection)
        self.header.notice.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.recording_bar.notice.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.strip.muteToggled.connect(controller.set_muted)
        self.strip.endRoomWanted.connect(self.ask_end_room)
        self.header.ticketsWanted.connect(self.show_tickets)
        self.header.broadcastWanted.connect(self.set_broadcast)
        controller.hlsListenersChanged.connect(self.header.set_hls_listeners)
        self.header.set_hls_listeners(*controller.hls_listeners)
        self.tickets_window: TicketsWindow | None = None

        self._elapsed = QElapsedTimer()
        self._elapsed.start()
        self.display_timer = QTimer(self)
        self.display_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.display_timer.setInterval(1000 // DISPLAY_HZ)
        self.display_timer.timeout.connect(self.display_tick)
        self.display_timer.start()
        self.session.board.on_publish.append(self._level_published)
        self.second_timer = QTimer(self)
        self.second_timer.setInterval(1000)
        self.second_timer.timeout.connect(self.second_tick)
        self.second_timer.start()
        self._seconds = 0
        QApplication.instance().installEventFilter(self)  # type: ignore[union-attr]
        if controller.room is not None:
            self.sync_room(controller.room)
            self.side.sample_listeners(controller.room)

    # -- the room ---------------------------------------------------------------------------------

    def sync_room(self, room: Room) -> None:
        self.stage_model.me = self.controller.me
        self.stage_model.sync_room(room, self.controller.speaking)
        self.request_model.sync_room(room)
        self.audience_model.sync_room(room)
        self.side.sync_room(room)
        self.header.update_room(room)
        self.header.broadcast.setVisible(
            (self.controller.hls_on or room.broadcast)
            and self.controller.allowed(SetBroadcastMode(not room.broadcast))
        )
        self.recording_bar.sync_room(room)
        self.strip.show_muted(self.session.muted)
        self.strip.end_room.setEnabled(self.controller.allowed(EndRoom()))
        self.stage.refresh_actions()
        self.requests.refresh()
        self.audience.refresh()
        self.setWindowTitle(f"{room.card.title} — Roomcast")

    def _after_event(self, _seq: int, event: object, room: Room) -> None:
        """A strike from the record: the person struck and the host (and whoever asked) are
        told in plain words."""
        if not isinstance(event, StruckFromRecord):
            return
        me = self.controller.me
        if event.user_id == me:
            self.recording_bar.show_struck(struck_sentence(event.span))
        elif me in (room.host_id, event.actor):
            whose = name_of(room, event.user_id, self.controller.names) + "’s"
            self.recording_bar.show_struck(struck_sentence(event.span, whose))

    def display_tick(self) -> None:
        elapsed_s = self._elapsed.restart() / 1000.0
        board = self.session.board
        stage_moved = self.stage_model.tick(board, elapsed_s)
        mic = self.session.mic
        talking_while_muted = bool(mic is not None and mic.talking_while_muted)
        own_moved = self.strip.tick(board, elapsed_s, talking_while_muted)
        if (
            not stage_moved
            and not own_moved
            and not talking_while_muted
            and self.strip.at_rest()
            and self.stage_model.at_rest()
        ):
            # Every meter shows the floor and stayed there for a tick: nothing to show until
            # a level that shows is published (`_level_published` starts the timer again).
            self.display_timer.stop()

    def _level_published(self, loudest_db: float, speaking: bool) -> None:
        """The relay's levels or the host's microphone: wake the sleeping display timer when
        the meters would show it. (A silent feed that stops needs no wake: the timer only
        sleeps once every meter has fallen to the floor.)"""
        if self.display_timer.isActive() or not (audible(loudest_db) or speaking):
            return
        if self._closed_for_good:
            return
        self._elapsed.restart()  # the meters step from now, not from when they fell asleep
        self.display_timer.start()

    def second_tick(self) -> None:
        self._seconds += 1
        self.header.tick()
        self.recording_bar.tick()
        self.request_model.tick_seconds()
        room = self.controller.room
        if room is None:
            return
        self.side.tick_seconds(room, self.session.talk_time.totals())
        if self._seconds % LISTENER_SAMPLE_S == 0:
            self.side.sample_listeners(room)

    # -- the host's desks ------------------------------------------------------------------------

    def set_broadcast(self, on: bool) -> None:
        """The toggle shows the room's setting: it moves when the relay's event arrives."""
        room = self.controller.room
        if room is None:
            return
        self.header.broadcast.setChecked(room.broadcast)
        if on != room.broadcast:
            self.controller.submit(SetBroadcastMode(on), "change broadcast mode")

    def toggle_broadcast(self) -> None:
        room = self.controller.room
        if room is not None and self.header.broadcast.isVisible():
            self.set_broadcast(not room.broadcast)

    def show_tickets(self) -> TicketsWindow:
        if self.tickets_window is None:
            self.tickets_window = TicketsWindow(self.controller, self)
        self.tickets_window.show()
        self.tickets_window.raise_()
        return self.tickets_window

    def show_people(self) -> None:
        """The People tab: who the host follows and who they blocked."""
        self.side.setCurrentIndex(self.side.people_tab)

    # -- ending and closing -----------------------------------------------------------------------

    def ask_end_room(self) -> Question:
        again = open_again(self.pending_question)
        if isinstance(again, Question):
            return again
        question = Question(
            self,
            "End the room?",
            "Everyone is disconnected and the room's link stops working. This cannot be undone.",
            "End room",
            "Keep going",
            destructive=True,
        )

        def answered(yes: bool) -> None:
            if yes:
                self.controller.submit(EndRoom(), "end the room")

        question.answered.connect(answered)
        question.show()
        self.pending_question = question
        return question

    def is_live(self) -> bool:
        room = self.controller.room
        return (
            room is not None
            and room.state is RoomState.LIVE
            and (self.controller.session.client.closed_reason is None)
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._allow_close or not self.is_live() or not self.controller.allowed(EndRoom()):
            self._shutdown()
            event.accept()
            return
        event.ignore()
        if open_again(self.pending_question) is not None:
            return
        question = Question(
            self,
            "The room is live",
            "Closing Roomcast ends the room for everyone in it. End the room and close?",
            "End room and close",
            "Keep the room going",
            destructive=True,
        )

        def answered(yes: bool) -> None:
            if yes:
                self.controller.submit(EndRoom(), "end the room")
                self._allow_close = True
                QTimer.singleShot(300, self.close)

        question.answered.connect(answered)
        question.show()
        self.pending_question = question

    def close_now(self) -> None:
        self._allow_close = True
        self.close()

    def _shutdown(self) -> None:
        self._closed_for_good = True
        if self._level_published in self.session.board.on_publish:
            self.session.board.on_publish.remove(self._level_published)
        self.display_timer.stop()
        self.second_timer.stop()
        self.controller.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.closedForGood.emit()

    def _on_closed(self, text: str) -> None:
        self.banner.show_message(text, hold_s=3600)
        self.strip.setEnabled(False)
        self.statusBar().showMessage(text)

    def _on_connection(self, connected: bool) -> None:
        if connected:
            self.statusBar().showMessage("Connected to the relay.", 5000)
            self.banner.setVisible(False)
        else:
            self.statusBar().showMessage("Reconnecting to the relay…")
            self.banner.show_message("Lost the relay — reconnecting; the room is kept meanwhile.")

    # -- push to talk -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.push_to_talk is None or event.type() not in (
            QEvent.Type.KeyPress,
            QEvent.Type.KeyRelease,
        ):
            return False
        key_event: QKeyEvent = event  # type: ignore[assignment]
        if key_event.isAutoRepeat() or not self.isActiveWindow():
            return False
        if isinstance(QApplication.focusWidget(), (QLineEdit, QTextEdit, QPlainTextEdit)):
            return False
        if QKeySequence(key_event.keyCombination()) != self.push_to_talk:
            return False
        if event.type() == QEvent.Type.KeyPress:
            self._ptt_release.stop()  # a release just before was the key repeating
            if not self._ptt_down:
                self._ptt_down = True
                self.controller.set_muted(False)
        elif self._ptt_down:
            self._ptt_release.start()
        return True

    def _ptt_released(self) -> None:
        if self._ptt_down:
            self._ptt_down = False
            self.controller.set_muted(True)

    def set_push_to_talk(self, key: str) -> None:
        self.push_to_talk = QKeySequence(key) if key else None
        self.strip.set_push_to_talk(key)
