"""The side of the main window: reactions as they arrive, pinned links, the moderation log,
the reports inbox, and "at a glance" (listeners over time, talk time per speaker)."""

from __future__ import annotations

import time
from collections import Counter

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListView,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console.event_text import describe
from console.room_view import (
    Muted,
    PinLink,
    RemoveParticipant,
    Room,
    Unmuted,
    UnpinLink,
    name_of,
)
from console.talk_time import CountHistory
from ui import theme
from ui.dialogs import Question, open_again
from ui.keyed_model import KEY_ROLE
from ui.people_lists import PeopleLists
from ui.plain import plain_label
from ui.room_controller import RoomController
from ui.room_models import (
    LinkModel,
    LogLine,
    LogModel,
    ReactionLine,
    ReactionModel,
    ReportModel,
    ReportRow,
    TalkTimeModel,
)
from ui.stage_view import confirm_remove

KEEP_LOG_LINES = 2000
MIC_RUN_S = 60.0  # someone's mute/unmute toggles within this read as one line, the latest
KEEP_REACTIONS = 300


def _list(model: object, parent: QWidget, name: str) -> QListView:
    view = QListView(parent)
    view.setObjectName(name)
    view.setModel(model)  # type: ignore[arg-type]
    view.setUniformItemSizes(True)
    view.setWordWrap(False)
    return view


def _mic_of(event: object) -> str:
    """Whose own microphone a self mute or unmute is about ("" for anything else)."""
    if isinstance(event, Unmuted):
        return event.actor
    if isinstance(event, Muted) and event.actor == event.user_id:
        return event.user_id
    return ""


def nice_top(peak: int) -> int:
    """The y axis' top: the peak rounded up to 1, 2 or 5 times a power of ten (at least 2)."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= max(peak, 2):
                return top * step
        top *= 10


def ago_text(seconds: float) -> str:
    """How long ago, for the x axis: "40 s ago", "12 min ago", "1 h 5 min ago"."""
    if seconds < 90:
        return f"{round(seconds)} s ago"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60} min ago" if minutes % 60 else f"{minutes // 60} h ago"


class ListenerPlot(QWidget):
    """Listener count over time: a filled line with the current and peak figures, a count axis
    (0, half, top) and a time axis (how long ago the first sample was, and now)."""

    def __init__(self, history: CountHistory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.setMinimumHeight(130)

    def sizeHint(self) -> QSize:
        return QSize(260, 150)

    def axes(self) -> tuple[list[str], list[str]]:
        """The axis labels as drawn: (count axis bottom to top, time axis left to right)."""
        samples = list(self.history.samples)
        top = nice_top(self.history.peak)
        counts = ["0", str(top // 2) if top % 2 == 0 else f"{top / 2:g}", str(top)]
        if len(samples) < 2:
            return counts, ["now"]
        return counts, [ago_text(samples[-1][0] - samples[0][0]), "now"]

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().text().color()
        samples = list(self.history.samples)
        now = samples[-1][1] if samples else 0
        counts, times = self.axes()
        metrics = self.fontMetrics()
        gutter = max(metrics.horizontalAdvance(c) for c in counts) + 6
        line_h = metrics.height()
        area = QRectF(self.rect()).adjusted(8 + gutter, 22 + line_h / 2, -10, -(line_h + 6))
        painter.setPen(text)
        painter.drawText(
            QRectF(8, 2, self.width() - 16, 18),
            Qt.AlignmentFlag.AlignLeft,
            f"Listeners now {now}   ·   peak {self.history.peak}",
        )
        grid = QColor(text)
        grid.setAlpha(40)
        faint = QColor(text)
        faint.setAlpha(160)
        for i, label in enumerate(counts):  # 0, half, top: label and grid line
            y = area.bottom() - area.height() * i / (len(counts) - 1)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(faint)
            painter.drawText(
                QRectF(4, y - line_h / 2, gutter + 2, line_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                label,
            )
        painter.setPen(QPen(grid, 1))
        painter.drawLine(area.topLeft(), area.bottomLeft())
        painter.setPen(faint)
        below = QRectF(area.left(), area.bottom() + 3, area.width(), line_h)
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, times[-1])
        if len(times) > 1:
            painter.drawText(below, Qt.AlignmentFlag.AlignLeft, times[0])
        if len(samples) >= 2:
            t0, t1 = samples[0][0], samples[-1][0]
            top = int(counts[-1])
            span = max(1e-6, t1 - t0)

            def point(t: float, c: int) -> QPointF:
                return QPointF(
                    area.left() + area.width() * (t - t0) / span,
                    area.bottom() - area.height() * c / top,
                )

            line = QPainterPath(point(*samples[0]))
            for t, c in samples[1:]:
                line.lineTo(point(t, c))
            fill = QPainterPath(line)
            fill.lineTo(area.bottomRight())
            fill.lineTo(area.bottomLeft())
            fill.closeSubpath()
            shade = QColor(theme.ACCENT)
            shade.setAlpha(60)
            painter.fillPath(fill, shade)
            painter.setPen(QPen(theme.ACCENT, 2))
            painter.drawPath(line)
        painter.end()
        said = (
            f"Listeners now {now}, peak {self.history.peak}; scale 0 to {counts[-1]}, "
            f"from {times[0]} to now."
        )
        if said != self.accessibleDescription():
            self.setAccessibleDescription(said)


class SidePanels(QTabWidget):
    reportArrived = Signal(str)  # a new report, in words (the window shows it in its banner)

    def __init__(self, controller: RoomController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.reactions = ReactionModel(self)
        self.links = LinkModel(self)
        self.log = LogModel(self)
        self.reports = ReportModel(self)
        self.talk = TalkTimeModel(self)
        self.history = CountHistory()
        self._reaction_count = 0
        self._totals: Counter[str] = Counter()

        reactions = QWidget(self)
        layout = QVBoxLayout(reactions)
        self.reaction_summary = plain_label("No reactions yet.", reactions)
        self.reaction_summary.setWordWrap(True)
        layout.addWidget(self.reaction_summary)
        self.reaction_view = _list(self.reactions, reactions, "reactionList")
        layout.addWidget(self.reaction_view)
        self.addTab(reactions, "Reactions")

        links = QWidget(self)
        layout = QVBoxLayout(links)
        self.link_view = _list(self.links, links, "linkList")
        layout.addWidget(self.link_view)
        row = QHBoxLayout()
        self.link_url = QLineEdit(links)
        self.link_url.setPlaceholderText("https://…")
        self.link_title = QLineEdit(links)
        self.link_title.setPlaceholderText("Title (optional)")
        self.pin = QPushButton("Pin", links)
        self.unpin = QPushButton("Unpin", links)
        for widget in (self.link_url, self.link_title, self.pin, self.unpin):
            row.addWidget(widget)
        layout.addLayout(row)
        self.pin.clicked.connect(self._pin)
        self.unpin.clicked.connect(self._unpin)
        self.addTab(links, "Links")

        self.log_view = _list(self.log, self, "logList")
        self.addTab(self.log_view, "Log")

        inbox = QWidget(self)
        layout = QVBoxLayout(inbox)
        self.report_view = _list(self.reports, inbox, "reportList")
        self.report_view.setWordWrap(True)
        self.report_view.setUniformItemSizes(False)
        layout.addWidget(self.report_view)
        row = QHBoxLayout()
        self.dismiss_report = QPushButton("Dismiss", inbox)
        self.dismiss_report.setToolTip("Take the report off this list (nothing happens to anyone)")
        self.remove_reported = QPushButton("Remove", inbox)
        self.remove_reported.setToolTip("Remove the reported person from this room (asks first)")
        self.block_reported = QPushButton("Block", inbox)
        self.block_reported.setObjectName("destructive")
        self.block_reported.setToolTip("Remove them and bar them from all your rooms (asks first)")
        for button in (self.dismiss_report, self.remove_reported, self.block_reported):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.dismiss_report.clicked.connect(self._dismiss_report)
        self.remove_reported.clicked.connect(lambda: self._act_on_reported(block=False))
        self.block_reported.clicked.connect(lambda: self._act_on_reported(block=True))
        self.report_view.selectionModel().selectionChanged.connect(
            lambda *_: self._report_buttons()
        )
        self.dismissed: set[tuple[str, str, float]] = set()  # this console's own inbox
        self._reports_synced = False
        self.pending_question: Question | None = None
        self.reports_tab = self.addTab(inbox, "Reports")
        self._report_buttons()

        glance = QWidget(self)
        layout = QVBoxLayout(glance)
        self.plot = ListenerPlot(self.history, glance)
        layout.addWidget(self.plot)
        title = plain_label("Talk time", glance)
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.talk_view = _list(self.talk, glance, "talkList")
        layout.addWidget(self.talk_view, 1)
        self.addTab(glance, "At a glance")

        self.people = PeopleLists(controller, self)
        self.people_tab = self.addTab(self.people, "People")

        controller.eventArrived.connect(self.on_event)
        controller.hlsReactions.connect(self.on_hls_reactions)

    # -- feeding -----------------------------------------------------------------------------------

    def on_event(self, seq: int, event: object, room: Room) -> None:
        if type(event).__name__ == "Reacted":
            name = name_of(room, str(getattr(event, "actor", "")), self.controller.names)
            at = float(getattr(event, "at", time.time()))
            self._add_reaction(name, str(getattr(event, "emoji", "")), 1, at)
            return
        text = describe(event, room, self.controller.names)
        if text is None:
            return
        at = float(getattr(event, "at", time.time()))
        line = LogLine(seq, at, text, _mic_of(event))
        bar = self.log_view.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 2  # reading older lines: leave them be
        lines = self.log.items()
        last = lines[-1] if lines else None
        if line.mic_of and last and last.mic_of == line.mic_of and at - last.at < MIC_RUN_S:
            self.log.sync([*lines[:-1], line])  # "Dana unmuted" replaces "Dana muted themself"
        else:
            self.log.append(line, keep=KEEP_LOG_LINES)
        if following:
            self.log_view.scrollToBottom()

    def sync_room(self, room: Room) -> None:
        self.links.sync_room(room)
        before = {r.key for r in self.reports.items()}
        self.reports.sync_room(room, self.dismissed)
        self.people.sync_room(room)
        count = self.reports.rowCount()
        self.setTabText(self.reports_tab, f"Reports ({count})" if count else "Reports")
        fresh = [r for r in self.reports.items() if r.key not in before]
        if fresh and self._reports_synced:  # not the reports already there on opening
            self.reportArrived.emit(f"{fresh[0].text.split('  ', 1)[-1]} — see Reports.")
        self._reports_synced = True
        self._report_buttons()

    def selected_report(self) -> ReportRow | None:
        indexes = self.report_view.selectionModel().selectedIndexes()
        return self.reports.item(indexes[0].row()) if indexes else None

    def _report_buttons(self) -> None:
        row, c = self.selected_report(), self.controller
        uid = row.user_id if row else None
        present = uid is not None and c.room is not None and c.room.is_present(uid)
        self.dismiss_report.setEnabled(row is not None)
        self.remove_reported.setEnabled(
            uid is not None and present and c.allowed(RemoveParticipant(uid))
        )
        self.block_reported.setEnabled(
            uid is not None and c.allowed(RemoveParticipant(uid, block=True))
        )

    def _dismiss_report(self) -> None:
        row = self.selected_report()
        if row is not None and self.controller.room is not None:
            self.dismissed.add(row.key)
            self.sync_room(self.controller.room)

    def _act_on_reported(self, block: bool) -> None:
        row = self.selected_report()
        if row is None or row.user_id is None or open_again(self.pending_question) is not None:
            return
        self.pending_question = confirm_remove(self, self.controller, row.user_id, block)

    def tick_seconds(self, room: Room, totals: dict[str, float]) -> None:
        self.talk.sync_totals(room, totals)

    def on_hls_reactions(self, counts: dict[str, int]) -> None:
        """One second of reactions from listeners on HLS (no WebSocket, no names): one line
        per emoji with its count, and into the totals like any other."""
        now = time.time()
        for emoji, count in counts.items():
            self._add_reaction(f"{count} on HLS", emoji, count, now)

    def _add_reaction(self, name: str, emoji: str, count: int, at: float) -> None:
        self._reaction_count += 1
        self._totals[emoji] += count
        self.reactions.append(
            ReactionLine(self._reaction_count, name, emoji, at), keep=KEEP_REACTIONS
        )
        self.reaction_view.scrollToBottom()
        self.reaction_summary.setText(
            "   ".join(f"{e} {n}" for e, n in self._totals.most_common(8))
        )

    def sample_listeners(self, room: Room) -> None:
        extra = self.controller.hls_listeners[0]
        self.history.add(0 if room.state.is_over else len(room.listeners()) + extra)
        self.plot.update()

    def _pin(self) -> None:
        url = self.link_url.text().strip()
        if url:
            self.controller.submit(PinLink(url, self.link_title.text().strip()), "pin the link")
            self.link_url.clear()
            self.link_title.clear()

    def _unpin(self) -> None:
        indexes = self.link_view.selectionModel().selectedIndexes()
        if indexes:
            self.controller.submit(UnpinLink(str(indexes[0].data(KEY_ROLE))), "unpin the link")
