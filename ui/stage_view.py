"""The stage: everyone on it, with a live meter, a speaking glow and their mute state, and the
moderator's actions for the person selected (mute, move to audience, co-host, remove, block).

The list paints through a delegate; a row's still part (card, avatar, name, labels) is painted
once per look and then blitted. Meters moving repaint their bars and nothing else: the stage
model tells of all of a display tick's moves at once, and when only those bars need painting
the view paints them itself in one pass (each bar's patch of its row's still pixmap, then the
bar), without a round through Qt's item painting per row.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QRegion,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from console.room_view import (
    InviteToCohost,
    MoveToAudience,
    Mute,
    MuteAll,
    RemoveCohost,
    RemoveParticipant,
    Role,
    StrikeFromRecord,
)
from ui import theme
from ui.dialogs import Question, open_again
from ui.keyed_model import KEY_ROLE, PeopleListView
from ui.meter import paint_meter, paint_track
from ui.people_lists import person_menu
from ui.plain import plain_label
from ui.room_controller import RoomController
from ui.room_models import (
    LEVEL_ROLE,
    MUTED_ROLE,
    ROLE_ROLE,
    SELF_ROLE,
    SPEAKING_ROLE,
    RowLook,
    StageModel,
)
from ui.strike_dialog import ask_to_strike

ROW_HEIGHT = 56
AVATAR = 38
METER_WIDTH = 170


def initials(name: str) -> str:
    """The first letters of the first two words, as the page shows them (`dom.js` initials)."""
    return "".join(word[0] for word in name.split()[:2]).upper() or "?"


def hue_of(user_id: str) -> int:
    """A person's hue, the same as on the page (`dom.js` hueOf): 31-hash of the code points."""
    value = 0
    for char in user_id:
        value = (value * 31 + ord(char)) & 0xFFFFFFFF
    return value % 360


def avatar_colours(user_id: str, dark: bool) -> tuple[QColor, QColor]:
    """(disc, letters) as the page draws them (app.css `.avatar`), for the light or dark theme."""
    hue = hue_of(user_id)
    if dark:
        return _hsl(hue, 30, 32), _hsl(hue, 60, 90)
    return _hsl(hue, 45, 82), _hsl(hue, 45, 22)


def _hsl(hue: int, saturation_pc: float, lightness_pc: float) -> QColor:
    return QColor.fromHslF(hue / 360.0, saturation_pc / 100.0, lightness_pc / 100.0)


GLOW_MARGIN = 7  # px around the avatar the speaking glow reaches
_SPRITES: dict[tuple[object, ...], QPixmap] = {}


def _sprite(
    key: tuple[object, ...], dpr: float, draw: Callable[[QPainter, QRectF], None]
) -> QPixmap:
    """A painted avatar or glow, kept: stroking wide antialiased circles cost ~0.4 ms each
    (bench ui, 13 speakers: 37 % of the console's main thread), a pixmap blit a few µs."""
    found = _SPRITES.get((*key, dpr))
    if found is not None:
        return found
    if len(_SPRITES) > 512:  # names come and go; the cache never grows past a few rooms' worth
        _SPRITES.clear()
    side = AVATAR + 2 * GLOW_MARGIN
    pixmap = QPixmap(math.ceil(side * dpr), math.ceil(side * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    draw(painter, QRectF(GLOW_MARGIN, GLOW_MARGIN, AVATAR, AVATAR))
    painter.end()
    _SPRITES[(*key, dpr)] = pixmap
    return pixmap


def _draw_glow(painter: QPainter, avatar: QRectF) -> None:
    glow = QColor(theme.SPEAKING)
    for width, alpha in ((9, 50), (5, 110), (3, 255)):
        glow.setAlpha(alpha)
        painter.setPen(QPen(glow, width))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(avatar.adjusted(-2, -2, 2, 2))


def _avatar_drawer(
    colour: QColor, ink: QColor, text: str, font: QFont
) -> Callable[[QPainter, QRectF], None]:
    def draw(painter: QPainter, avatar: QRectF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(avatar)
        painter.setPen(ink)
        painter.setFont(font)
        painter.drawText(avatar, Qt.AlignmentFlag.AlignCenter, text)

    return draw


def meter_area(row: QRect) -> QRect:
    """The part of a stage row a moving meter repaints (the bar and its peak tick)."""
    rect = QRectF(row).adjusted(4, 3, -4, -3)
    meter_left = rect.right() - METER_WIDTH - 14
    return QRectF(meter_left - 2, rect.center().y() + 1, METER_WIDTH + 4, 12).toAlignedRect()


def _still_key(
    look: RowLook, selected: bool, size: QSize, dpr: float, context: tuple[int, str]
) -> tuple[object, ...]:
    """What a row's still part depends on: its look, selection, size and scale, and the
    view's palette and font (`context`)."""
    return (
        look.name, look.key, look.speaking, look.muted, look.role_label, selected,
        size.width(), size.height(), dpr, *context,
    )  # fmt: skip


def _meter_rect(row: QRect) -> QRectF:
    """Where a stage row's meter (its track) lies, inside `meter_area(row)`."""
    rect = QRectF(row).adjusted(4, 3, -4, -3)
    return QRectF(rect.right() - METER_WIDTH - 14, rect.center().y() + 3, METER_WIDTH, 8)


def _track_colour(palette: QPalette) -> QColor:
    track = QColor(palette.mid().color())
    track.setAlpha(90)
    return track


def paint_row_meter(painter: QPainter, row: QRect, look: RowLook, track: QColor) -> None:
    """A stage row's bar and peak tick over the track its still pixmap holds, inside
    `meter_area(row)` (the delegate and the view's meters-only pass both draw it with this)."""
    paint_meter(
        painter, _meter_rect(row), look.vu_db, look.peak_db,
        muted=look.muted, track=track, track_drawn=True,
    )  # fmt: skip


class StageDelegate(QStyledItemDelegate):
    """Paints a stage row: its still part (card, avatar, glow, name, role, mute or speaking
    label, the meter's track) from a pixmap kept per look, then the meter's bar and peak tick,
    which is all a level change repaints.

    `context` and `track` are the view's palette and font key and the meter's track colour as
    of the latest row painted: a palette, font or style change repaints the whole view through
    here, so they are current whenever only meters are dirty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: dict[tuple[object, ...], QPixmap] = {}
        self.context: tuple[int, str] | None = None
        self.track = QColor()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(320, ROW_HEIGHT)

    def kept_still(self, look: RowLook, selected: bool, size: QSize, dpr: float) -> QPixmap | None:
        """The still pixmap `paint` drew for a row of this look, selection, size and scale in
        the current palette and font, if it is kept; None otherwise (paint the row whole)."""
        if self.context is None:
            return None
        return self._rows.get(_still_key(look, selected, size, dpr, self.context))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        model = index.model()
        look = model.look(index.row()) if isinstance(model, StageModel) else None
        if look is None:
            look = _look_from_roles(index)
        dpr = painter.device().devicePixelRatioF()
        size = option.rect.size()
        self.context = (palette.cacheKey(), option.font.key())
        still_key = _still_key(look, selected, size, dpr, self.context)
        still = self._rows.get(still_key)
        if still is None:
            if len(self._rows) > 256:  # people and looks come and go; a few rooms' worth
                self._rows.clear()
            still = QPixmap(math.ceil(size.width() * dpr), math.ceil(size.height() * dpr))
            still.setDevicePixelRatio(dpr)
            still.fill(Qt.GlobalColor.transparent)
            row_painter = QPainter(still)
            _paint_still(
                row_painter, QRect(QPoint(0, 0), size), option, dpr,
                (look.name, look.key, look.speaking, look.muted, look.role_label, selected),
            )  # fmt: skip
            row_painter.end()
            self._rows[still_key] = still
        painter.drawPixmap(option.rect.topLeft(), still)
        self.track = _track_colour(palette)
        paint_row_meter(painter, option.rect, look, self.track)


def _look_from_roles(index: QModelIndex | QPersistentModelIndex) -> RowLook:
    """A row's look through the item roles (for a model other than `StageModel`)."""
    name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
    vu_db, peak_db = index.data(LEVEL_ROLE) or (-120.0, -120.0)
    return RowLook(
        name,
        str(index.data(KEY_ROLE) or name),
        bool(index.data(SPEAKING_ROLE)),
        bool(index.data(MUTED_ROLE)),
        str(index.data(ROLE_ROLE) or "") + (" · you" if index.data(SELF_ROLE) else ""),
        vu_db,
        peak_db,
    )


def _paint_still(
    painter: QPainter,
    row: QRect,
    option: QStyleOptionViewItem,
    dpr: float,
    state: tuple[str, str, bool, bool, str, bool],
) -> None:
    """A row's still part, into `row` (a pixmap of the row's size)."""
    name, key, speaking, muted, role_label, selected = state
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    rect = QRectF(row).adjusted(4, 3, -4, -3)
    palette = option.palette
    card = QColor(palette.highlight().color()) if selected else QColor(palette.base().color())
    if selected:
        card.setAlpha(60)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(card)
    painter.drawRoundedRect(rect, 8, 8)

    avatar = QRectF(rect.left() + 10, rect.center().y() - AVATAR / 2, AVATAR, AVATAR)
    corner = avatar.topLeft() - QPointF(GLOW_MARGIN, GLOW_MARGIN)
    if speaking:
        painter.drawPixmap(corner, _sprite(("glow",), dpr, _draw_glow))
    font = QFont(option.font)
    font.setBold(True)
    dark = palette.window().color().lightness() < 128
    (colour, ink), letters = avatar_colours(key, dark), initials(name)
    painter.drawPixmap(
        corner,
        _sprite(
            ("avatar", colour.rgb(), ink.rgb(), letters, font.key()),
            dpr,
            _avatar_drawer(colour, ink, letters, font),
        ),
    )

    text_left = avatar.right() + 12
    meter_left = rect.right() - METER_WIDTH - 14
    text_rect = QRectF(text_left, rect.top() + 7, meter_left - text_left - 8, 20)
    painter.setFont(option.font)
    painter.setPen(palette.text().color())
    painter.drawText(
        text_rect,
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, int(text_rect.width())),
    )
    font.setBold(False)
    font.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
    painter.setFont(font)
    faded = QColor(palette.text().color())
    faded.setAlpha(150)
    painter.setPen(faded)
    painter.drawText(
        QRectF(text_left, rect.top() + 27, text_rect.width(), 18),
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        role_label,
    )
    paint_track(painter, _meter_rect(row), _track_colour(palette))
    label_rect = QRectF(meter_left, rect.top() + 6, METER_WIDTH, 18)
    if muted:
        painter.setPen(theme.WARNING)
        painter.drawText(
            label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "🔇 muted"
        )
    elif speaking:
        painter.setPen(theme.SPEAKING)
        painter.drawText(
            label_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "speaking"
        )


class StageListView(PeopleListView):
    """The stage list. Meters that moved repaint their bars, not their rows; when nothing else
    is dirty, `paintEvent` paints those bars itself in one pass with one painter."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # row -> (its rectangle, its meter's) asked to repaint and not yet painted
        self._meters: dict[int, tuple[QRect, QRect]] = {}
        self._meters_region = QRegion()
        self.meter_passes = 0  # paint events served by the meters-only pass

    def dataChanged(
        self,
        top: QModelIndex | QPersistentModelIndex,
        bottom: QModelIndex | QPersistentModelIndex,
        roles: Sequence[int] = (),
    ) -> None:
        if list(roles) != [LEVEL_ROLE]:
            super().dataChanged(top, bottom, roles)
            return
        model = self.model()
        first, last = top.row(), bottom.row()
        moved = model.moved_rows if isinstance(model, StageModel) else ()
        rows = (
            moved if moved and moved[0] == first and moved[-1] == last else range(first, last + 1)
        )
        region = QRegion()
        for row, rect, area in self._row_rects(model, rows):
            self._meters[row] = (rect, area)
            region += area
        self._meters_region += region
        self.viewport().update(region)

    def _row_rects(
        self, model: QAbstractItemModel, rows: Sequence[int]
    ) -> Iterator[tuple[int, QRect, QRect]]:
        """Each row's rectangle and its meter's: for rows of one height one under the other
        (the stage's uniform rows) from the first and the last, else asked of the layout."""
        if not rows:
            return
        first = self.visualRect(model.index(rows[0], 0))
        first_area = meter_area(first)
        span = rows[-1] - rows[0]
        last = self.visualRect(model.index(rows[-1], 0)) if span else first
        pitch = (last.top() - first.top()) // span if span else 0
        if not span or (last == first.translated(0, pitch * span) and pitch >= first.height()):
            for row in rows:
                dy = pitch * (row - rows[0])
                yield row, first.translated(0, dy), first_area.translated(0, dy)
            return
        for row in rows:
            rect = self.visualRect(model.index(row, 0))
            yield row, rect, meter_area(rect)

    def paintEvent(self, event: QPaintEvent) -> None:
        meters, self._meters = self._meters, {}
        asked, self._meters_region = self._meters_region, QRegion()
        if meters and self._paint_meters(event.region(), asked, meters):
            self.meter_passes += 1
            return
        super().paintEvent(event)

    def _paint_meters(
        self, region: QRegion, asked: QRegion, meters: dict[int, tuple[QRect, QRect]]
    ) -> bool:
        """Paint the meters asked for, if that is all `region` holds and every row's still
        pixmap is kept; False to paint the usual way. Rows that moved (a scroll, rows coming
        or going, a resize) repaint more than meters, so the rectangles recorded when they
        were asked for still hold; the first is checked against the layout all the same."""
        model, delegate = self.model(), self.itemDelegate()
        if (
            not isinstance(model, StageModel)
            or not isinstance(delegate, StageDelegate)
            or self.state() is not QAbstractItemView.State.NoState
            or not region.subtracted(asked).isEmpty()
        ):
            return False
        selection = self.selectionModel()
        dpr = self.viewport().devicePixelRatioF()
        bars: list[tuple[QRect, QRect, QPixmap, RowLook]] = []
        for row, (rect, area) in meters.items():
            if not region.intersects(area):
                continue
            index = model.index(row, 0)
            if not bars and self.visualRect(index) != rect:
                return False
            look = model.look(row)
            if look is None:
                return False
            selected = selection is not None and selection.isSelected(index)
            still = delegate.kept_still(look, selected, rect.size(), dpr)
            if still is None:
                return False
            bars.append((rect, area, still, look))
        painter = QPainter(self.viewport())
        for rect, area, still, look in bars:
            # The card under the bar: that patch of the row's still pixmap.
            patch = area.translated(-rect.topLeft())
            painter.drawPixmap(
                area, still, QRectF(patch.topLeft() * dpr, patch.size() * dpr).toRect()
            )
            paint_row_meter(painter, rect, look, delegate.track)
        painter.end()
        return True


class StagePanel(QWidget):
    """The stage list and the actions on the person selected in it."""

    def __init__(
        self, controller: RoomController, model: StageModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self.model = model
        self.pending_question: Question | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        self.title = plain_label("Stage", self)
        self.title.setObjectName("sectionTitle")
        header.addWidget(self.title)
        header.addStretch(1)
        self.mute_all = QPushButton("Mute all speakers", self)
        header.addWidget(self.mute_all)
        layout.addLayout(header)

        self.view = StageListView(self)
        self.view.setObjectName("stageList")
        self.view.setModel(model)
        self.view.setItemDelegate(StageDelegate(self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setFrameShape(QListView.Shape.NoFrame)
        layout.addWidget(self.view, 1)

        actions = QHBoxLayout()
        self.mute = QPushButton("Mute", self)
        self.to_audience = QPushButton("Move to audience", self)
        self.cohost = QPushButton("Make co-host", self)
        self.remove = QPushButton("Remove", self)
        self.block = QPushButton("Block", self)
        self.strike = QPushButton("Strike from the record…", self)
        self.strike.setToolTip("Remove the recent span of their voice from the recording")
        self.strike_question: Question | None = None
        self.mute_all.setToolTip("Mute everyone on stage; each can unmute themself")
        self.mute.setToolTip("Mute this speaker; they can unmute themself")
        self.to_audience.setToolTip("Move them off the stage to listen")
        self.cohost.setToolTip("Invite them to co-host, or take their co-host role back")
        self.remove.setToolTip("Remove them from this room (asks first)")
        self.block.setToolTip("Remove them and bar them from all your rooms (asks first)")
        self.block.setObjectName("destructive")
        for button in self._person_buttons():
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.mute.clicked.connect(lambda: self._act(lambda uid: Mute(uid), "mute"))
        self.to_audience.clicked.connect(
            lambda: self._act(lambda uid: MoveToAudience(uid), "move them to the audience")
        )
        self.cohost.clicked.connect(self._toggle_cohost)
        self.remove.clicked.connect(lambda: self._confirm_remove(block=False))
        self.block.clicked.connect(lambda: self._confirm_remove(block=True))
        self.strike.clicked.connect(self._strike)
        self.mute_all.clicked.connect(lambda: controller.submit(MuteAll(), "mute everyone"))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.refresh_actions())
        model.dataChanged.connect(self._on_data_changed)
        model.rowsInserted.connect(lambda *_: self.refresh_actions())
        model.rowsRemoved.connect(lambda *_: self.refresh_actions())
        self.refresh_actions()

    def _person_buttons(self) -> tuple[QPushButton, ...]:
        return (self.mute, self.to_audience, self.cohost, self.strike, self.remove, self.block)

    def selected_user(self) -> str | None:
        indexes = self.view.selectionModel().selectedIndexes()
        return str(indexes[0].data(KEY_ROLE)) if indexes else None

    def select(self, user_id: str) -> None:
        row = self.model.row_of(user_id)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row))

    def _on_data_changed(self, top: QModelIndex, bottom: QModelIndex, roles: list[int]) -> None:
        if roles == [LEVEL_ROLE]:
            return  # meters move 30 times a second; actions do not depend on them
        self.refresh_actions()

    def refresh_actions(self) -> None:
        room, uid, c = self.controller.room, self.selected_user(), self.controller
        self.title.setText(f"Stage  ({self.model.rowCount()}/13)")
        self.mute_all.setEnabled(c.allowed(MuteAll()))
        if room is None or uid is None:
            for button in self._person_buttons():
                button.setEnabled(False)
            self.strike.setVisible(room is not None and room.is_recording)
            return
        # Strike from the record: only while recording, for whoever the host may act on
        # (their own voice is struck from the recording bar).
        self.strike.setVisible(room.is_recording)
        self.strike.setEnabled(uid != c.me and c.allowed(StrikeFromRecord(uid, "last_minute")))
        self.mute.setEnabled(c.allowed(Mute(uid)))
        self.to_audience.setEnabled(c.allowed(MoveToAudience(uid)))
        is_cohost = room.role_of(uid) is Role.COHOST
        self.cohost.setText("Remove co-host" if is_cohost else "Make co-host")
        self.cohost.setEnabled(
            c.allowed(RemoveCohost(uid)) if is_cohost else c.allowed(InviteToCohost(uid))
        )
        self.remove.setEnabled(c.allowed(RemoveParticipant(uid)))
        self.block.setEnabled(c.allowed(RemoveParticipant(uid, block=True)))

    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        self.view.setCurrentIndex(index)
        uid = str(index.data(KEY_ROLE))
        buttons = tuple(b for b in self._person_buttons() if not b.isHidden())
        self.context_menu = person_menu(self, self.controller, uid, buttons)
        self.context_menu.popup(self.view.viewport().mapToGlobal(pos))

    def _act(self, make: object, what: str) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.controller.submit(make(uid), what)  # type: ignore[operator]

    def _toggle_cohost(self) -> None:
        uid, room = self.selected_user(), self.controller.room
        if uid is None or room is None:
            return
        if room.role_of(uid) is Role.COHOST:
            self.controller.submit(RemoveCohost(uid), "remove the co-host")
        else:
            self.controller.submit(InviteToCohost(uid), "invite them to co-host")

    def _strike(self) -> None:
        uid = self.selected_user()
        if uid is not None:
            self.strike_question = ask_to_strike(self, self.controller, uid, self.strike_question)

    def _confirm_remove(self, block: bool) -> None:
        uid, room = self.selected_user(), self.controller.room
        if uid is None or room is None or open_again(self.pending_question) is not None:
            return
        self.pending_question = confirm_remove(self, self.controller, uid, block)


def confirm_remove(
    parent: QWidget, controller: RoomController, user_id: str, block: bool
) -> Question:
    """Ask before removing or blocking someone (shared by the stage and the audience)."""
    room = controller.room
    name = (
        room.participants[user_id].display_name if room and user_id in room.participants else "them"
    )
    if block:
        question = Question(
            parent,
            f"Block {name}?",
            f"{name} leaves now and cannot join any of your rooms until you unblock them.",
            "Block",
            destructive=True,
        )
    else:
        question = Question(
            parent,
            f"Remove {name}?",
            f"{name} leaves now and cannot rejoin this room.",
            "Remove",
            destructive=True,
        )

    def answered(yes: bool) -> None:
        if yes:
            controller.submit(
                RemoveParticipant(user_id, block=block), "block" if block else "remove"
            )

    question.answered.connect(answered)
    question.show()
    return question
