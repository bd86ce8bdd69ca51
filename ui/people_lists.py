"""The host's own lists of people, kept by the relay across all their rooms: the people they
follow (who may ask to speak when "Only people I follow" is chosen) and the people they
blocked, each with the way back (Unfollow, Unblock).

Follow from the audience or the stage (the Follow button, or right-click a person).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.room_view import AddContact, RemoveContact, Room, Unblock, name_of
from ui.keyed_model import KEY_ROLE, KeyedListModel
from ui.plain import plain_label
from ui.room_controller import RoomController


@dataclass(frozen=True, slots=True)
class PersonRow:
    user_id: str
    name: str


class PersonModel(KeyedListModel[PersonRow]):
    def key_of(self, item: PersonRow) -> str:
        return item.user_id

    def display(self, item: PersonRow) -> str:
        return item.name


def follow_action(menu: QMenu, controller: RoomController, user_id: str) -> None:
    """Add Follow or Unfollow for `user_id` to a person's menu (host only)."""
    room = controller.room
    if room is None or user_id == room.host_id:
        return
    if user_id in room.contacts:
        action = menu.addAction(
            "Unfollow", lambda: controller.submit(RemoveContact(user_id), "unfollow them")
        )
        action.setEnabled(controller.allowed(RemoveContact(user_id)))
    else:
        action = menu.addAction(
            "Follow", lambda: controller.submit(AddContact(user_id), "follow them")
        )
        action.setEnabled(controller.allowed(AddContact(user_id)))


def person_menu(
    parent: QWidget, controller: RoomController, user_id: str, buttons: tuple[QPushButton, ...]
) -> QMenu:
    """A right-click menu on a person: the panel's own buttons, then Follow or Unfollow."""
    menu = QMenu(parent)
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    for button in buttons:
        action = menu.addAction(button.text().replace("&", ""), button.click)
        action.setEnabled(button.isEnabled())
    menu.addSeparator()
    follow_action(menu, controller, user_id)
    return menu


def _list(model: PersonModel, parent: QWidget, name: str) -> QListView:
    view = QListView(parent)
    view.setObjectName(name)
    view.setModel(model)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    return view


class PeopleLists(QWidget):
    def __init__(self, controller: RoomController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.followed = PersonModel(self)
        self.blocked = PersonModel(self)
        layout = QVBoxLayout(self)
        title = plain_label("You follow", self)
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.followed_view = _list(self.followed, self, "followedList")
        layout.addWidget(self.followed_view, 1)
        self.followed_empty = plain_label(
            "Nobody yet. Follow people from the audience or the stage (Follow, or "
            "right-click them); with “Only people I follow”, only they may ask to speak.",
            self,
        )
        self.followed_empty.setWordWrap(True)
        self.followed_empty.setEnabled(False)
        layout.addWidget(self.followed_empty)
        row = QHBoxLayout()
        self.unfollow = QPushButton("Unfollow", self)
        row.addWidget(self.unfollow)
        row.addStretch(1)
        layout.addLayout(row)

        title = plain_label("Blocked", self)
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        self.blocked_view = _list(self.blocked, self, "blockedList")
        layout.addWidget(self.blocked_view, 1)
        self.blocked_empty = plain_label("Nobody is blocked from your rooms.", self)
        self.blocked_empty.setEnabled(False)
        layout.addWidget(self.blocked_empty)
        row = QHBoxLayout()
        self.unblock = QPushButton("Unblock", self)
        self.unblock.setToolTip("They may join your rooms again, this one included")
        row.addWidget(self.unblock)
        row.addStretch(1)
        layout.addLayout(row)

        self.unfollow.clicked.connect(self._unfollow)
        self.unblock.clicked.connect(self._unblock)
        for view in (self.followed_view, self.blocked_view):
            view.selectionModel().selectionChanged.connect(lambda *_: self._buttons())
        self._buttons()

    @staticmethod
    def _selected(view: QListView) -> str | None:
        indexes = view.selectionModel().selectedIndexes()
        return str(indexes[0].data(KEY_ROLE)) if indexes else None

    def sync_room(self, room: Room) -> None:
        names = self.controller.names

        def rows(ids: frozenset[str]) -> list[PersonRow]:
            people = [PersonRow(uid, name_of(room, uid, names)) for uid in ids]
            return sorted(people, key=lambda p: p.name.casefold())

        self.followed.sync(rows(room.contacts))
        self.blocked.sync(rows(room.blocked))
        self._buttons()

    def _buttons(self) -> None:
        c = self.controller
        followed, blocked = self._selected(self.followed_view), self._selected(self.blocked_view)
        self.unfollow.setEnabled(followed is not None and c.allowed(RemoveContact(followed)))
        self.unblock.setEnabled(blocked is not None and c.allowed(Unblock(blocked)))
        self.followed_empty.setVisible(self.followed.rowCount() == 0)
        self.blocked_empty.setVisible(self.blocked.rowCount() == 0)

    def _unfollow(self) -> None:
        uid = self._selected(self.followed_view)
        if uid is not None:
            self.controller.submit(RemoveContact(uid), "unfollow them")

    def _unblock(self) -> None:
        uid = self._selected(self.blocked_view)
        if uid is not None:
            self.controller.submit(Unblock(uid), "unblock them")
