"""The request queue (first come, first served, with waiting times) and the audience
(searchable, with invite / remove / block / report)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSortFilterProxyModel, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.room_view import (
    AddContact,
    ApproveRequest,
    DeclineRequest,
    InviteToCohost,
    InviteToSpeak,
    RemoveContact,
    RemoveParticipant,
    Report,
    StrikeFromRecord,
)
from ui.dialogs import Question, open_again
from ui.keyed_model import KEY_ROLE, PeopleListView
from ui.people_lists import person_menu
from ui.plain import plain_label
from ui.room_controller import RoomController
from ui.room_models import AudienceModel, RequestModel
from ui.stage_view import confirm_remove
from ui.strike_dialog import ask_to_strike

APPROVE_NEXT_KEY = "Ctrl+Return"


def _title(text: str, parent: QWidget) -> QLabel:
    label = plain_label(text, parent)
    label.setObjectName("sectionTitle")
    return label


class RequestPanel(QWidget):
    def __init__(
        self, controller: RoomController, model: RequestModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = _title("Requests to speak", self)
        layout.addWidget(self.title)
        self.view = QListView(self)
        self.view.setObjectName("requestList")
        self.view.setModel(model)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.empty = plain_label(
            "Nobody is waiting. Requests appear here, first come first served.", self
        )
        self.empty.setWordWrap(True)
        self.empty.setEnabled(False)
        # hidden while people wait, but keeping its room: the buttons below never jump
        keep = self.empty.sizePolicy()
        keep.setRetainSizeWhenHidden(True)
        self.empty.setSizePolicy(keep)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        self.approve = QPushButton("Approve", self)
        self.approve.setToolTip("Bring the selected person on stage")
        self.approve.setObjectName("primary")
        self.decline = QPushButton("Decline", self)
        self.approve_next = QPushButton("Approve next", self)
        self.approve_next.setToolTip(
            f"Bring the person waiting longest on stage ({APPROVE_NEXT_KEY})"
        )
        for button in (self.approve, self.decline, self.approve_next):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.approve.clicked.connect(self._approve_selected)
        self.decline.clicked.connect(self._decline_selected)
        self.approve_next.clicked.connect(self.approve_first)
        self.view.doubleClicked.connect(lambda _index: self._approve_selected())
        self.shortcut = QShortcut(QKeySequence(APPROVE_NEXT_KEY), self)
        self.shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self.shortcut.activated.connect(self.approve_first)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.refresh())
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(lambda *_: self.refresh())
        self.refresh()

    def selected_user(self) -> str | None:
        indexes = self.view.selectionModel().selectedIndexes()
        if indexes:
            return str(indexes[0].data(KEY_ROLE))
        return None

    def refresh(self) -> None:
        count = self.model.rowCount()
        self.title.setText(f"Requests to speak ({count})" if count else "Requests to speak")
        self.empty.setVisible(count == 0)
        uid = self.selected_user()
        first = self.model.item(0).user_id if count else None
        self.approve.setEnabled(uid is not None and self.controller.allowed(ApproveRequest(uid)))
        self.decline.setEnabled(uid is not None and self.controller.allowed(DeclineRequest(uid)))
        self.approve_next.setEnabled(
            first is not None and self.controller.allowed(ApproveRequest(first))
        )

    def approve_first(self) -> None:
        if self.model.rowCount():
            self.controller.submit(
                ApproveRequest(self.model.item(0).user_id), "approve the request"
            )

    def _approve_selected(self) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.controller.submit(ApproveRequest(uid), "approve the request")

    def _decline_selected(self) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.controller.submit(DeclineRequest(uid), "decline the request")


class AudiencePanel(QWidget):
    def __init__(
        self, controller: RoomController, model: AudienceModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model = model
        self.pending_question: Question | None = None
        self.strike_question: Question | None = None
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = _title("Audience", self)
        layout.addWidget(self.title)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search the audience…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        layout.addWidget(self.search)
        self.view = PeopleListView(self)
        self.view.setObjectName("audienceList")
        self.view.setModel(self.proxy)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        layout.addWidget(self.view, 1)
        buttons = QHBoxLayout()
        self.invite = QPushButton("Invite to speak", self)
        self.cohost = QPushButton("Invite to co-host", self)
        self.remove = QPushButton("Remove", self)
        self.block = QPushButton("Block", self)
        self.block.setObjectName("destructive")
        self.report = QPushButton("Report…", self)
        self.invite.setToolTip("Invite them to the stage; they choose whether to come up")
        self.cohost.setToolTip("Invite them to co-host (moderate with you); they choose")
        self.remove.setToolTip("Remove them from this room (asks first)")
        self.block.setToolTip("Remove them and bar them from all your rooms (asks first)")
        self.report.setToolTip("Report them to the room's moderators, with a reason")
        self.follow = QPushButton("Follow", self)
        self.follow.setToolTip("Add them to the people you follow (see People on the right)")
        for button in (self.invite, self.cohost, self.follow, self.remove, self.block, self.report):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.invite.clicked.connect(self._invite)
        self.cohost.clicked.connect(self._invite_cohost)
        self.remove.clicked.connect(lambda: self._remove(block=False))
        self.block.clicked.connect(lambda: self._remove(block=True))
        self.report.clicked.connect(self._report)
        self.follow.clicked.connect(self._follow)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.refresh())
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged):
            signal.connect(lambda *_: self._count_changed())
        self.refresh()

    def _count_changed(self) -> None:
        self.title.setText(f"Audience ({self.model.rowCount()})")
        self.refresh()

    def selected_user(self) -> str | None:
        indexes = self.view.selectionModel().selectedIndexes()
        return str(indexes[0].data(KEY_ROLE)) if indexes else None

    def refresh(self) -> None:
        uid, c = self.selected_user(), self.controller
        self.invite.setEnabled(uid is not None and c.allowed(InviteToSpeak(uid)))
        self.cohost.setEnabled(uid is not None and c.allowed(InviteToCohost(uid)))
        self.remove.setEnabled(uid is not None and c.allowed(RemoveParticipant(uid)))
        self.block.setEnabled(uid is not None and c.allowed(RemoveParticipant(uid, block=True)))
        self.report.setEnabled(uid is not None)
        room = c.room
        following = room is not None and uid is not None and uid in room.contacts
        self.follow.setText("Unfollow" if following else "Follow")
        self.follow.setEnabled(
            uid is not None and c.allowed(RemoveContact(uid) if following else AddContact(uid))
        )

    def _follow(self) -> None:
        uid, room = self.selected_user(), self.controller.room
        if uid is None or room is None:
            return
        if uid in room.contacts:
            self.controller.submit(RemoveContact(uid), "unfollow them")
        else:
            self.controller.submit(AddContact(uid), "follow them")

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        uid = str(index.data(KEY_ROLE))
        buttons = (self.invite, self.cohost, self.remove, self.block, self.report)
        self.context_menu = person_menu(self, self.controller, uid, buttons)
        # Someone who spoke earlier in this take and is back in the audience.
        if self.controller.allowed(StrikeFromRecord(uid, "last_minute")):
            self.context_menu.addAction("Strike from the record…", lambda: self._strike(uid))
        self.context_menu.popup(self.view.viewport().mapToGlobal(pos))

    def _strike(self, user_id: str) -> None:
        self.strike_question = ask_to_strike(self, self.controller, user_id, self.strike_question)

    def _invite(self) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.controller.submit(InviteToSpeak(uid), "invite them to speak")

    def _invite_cohost(self) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.controller.submit(InviteToCohost(uid), "invite them to co-host")

    def _remove(self, block: bool) -> None:
        uid = self.selected_user()
        if uid is not None and open_again(self.pending_question) is None:
            self.pending_question = confirm_remove(self, self.controller, uid, block)

    def _report(self) -> None:
        uid = self.selected_user()
        if uid is None:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Report")
        dialog.setLabelText("What happened? (moderators and the log see this)")
        dialog.setModal(False)

        def done(reason: str) -> None:
            if reason.strip():
                self.controller.submit(Report(reason.strip(), uid), "report")

        dialog.textValueSelected.connect(done)
        dialog.show()
        self.pending_dialog = dialog
