"""The stage list's meters: a display tick's moves reach the view in one signal, and when only
meter bars are dirty the view paints them itself in one pass. What that pass leaves on the
screen is what the delegate's whole-row painting draws, pixel for pixel (light and dark, a
selected row, a muted row, a speaking row)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QImage

from console.level_board import LevelBoard
from tests.ui.consolekit import bar_pixels, on_screen
from tests.ui.test_ui_models import room_with
from ui import stage_view, theme
from ui.room_models import LEVEL_ROLE, StageModel
from ui.stage_view import StageDelegate, StageListView, meter_area


def relay_levels(**rms_db: float) -> dict[str, dict[str, object]]:
    """A relay `levels` body: each person's RMS, their peak 6 dB above."""
    return {
        uid: {"peak_db": level + 6.0, "rms_db": level, "speaking": level > -50.0}
        for uid, level in rms_db.items()
    }


@pytest.fixture
def stage(qtbot):
    """Five on stage (the host h, s1 speaking, s2 muted, s3, s4) in a shown stage list."""
    model = StageModel()
    model.sync_room(room_with(0, stage=5), {"s1": True})
    view = StageListView()
    view.setModel(model)
    view.setItemDelegate(StageDelegate(view))
    view.setUniformItemSizes(True)
    view.resize(520, 320)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    return model, view


def row_area(model: StageModel, view: StageListView, uid: str):
    return meter_area(view.visualRect(model.index(model.row_of(uid))))


def click_row(qtbot, model: StageModel, view: StageListView, uid: str) -> None:
    centre = view.visualRect(model.index(model.row_of(uid))).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(60, centre.y()))


LEVELS = {"h": -30.0, "s1": -12.0, "s2": -10.0, "s3": -20.0, "s4": -8.0}


def meters_pass(qtbot, model: StageModel, view: StageListView, board: LevelBoard) -> None:
    """Tick, every meter moving, until a paint is served by the meters-only pass (anything
    else dirty at the same moment, such as a late hover repaint, sends that tick's paint the
    usual way)."""
    passes = view.meter_passes
    step = [0.0]

    def tick_and_look() -> bool:
        if view.meter_passes > passes:
            return True
        step[0] = (step[0] + 1.0) % 6.0
        board.publish_relay(relay_levels(**{u: level - step[0] for u, level in LEVELS.items()}))
        assert model.tick(board, 0.05) == len(LEVELS)
        return False

    qtbot.waitUntil(tick_and_look, timeout=10_000)


def count_paints(view: StageListView) -> list[int]:
    """A running count of the viewport's paint events."""
    paints = [0]

    class Watch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                paints[0] += 1
            return False

    watch = Watch(view)
    view.viewport().installEventFilter(watch)
    return paints


def full_repaint(view: StageListView) -> QImage:
    """Repaint the whole list through the delegate and read the screen."""
    passes = view.meter_passes
    view.viewport().repaint()
    assert view.meter_passes == passes, "a whole repaint went through the meters-only pass"
    return on_screen(view.viewport())


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_meters_only_pass_leaves_what_the_whole_row_painting_draws(qtbot, stage, dark):
    model, view = stage
    view.setPalette(theme._palette(dark))
    board = LevelBoard()
    board.publish_relay(relay_levels(**LEVELS))
    for _ in range(10):
        model.tick(board, 0.05)
    view.viewport().repaint()  # every row whole, through the delegate: their still pixmaps
    click_row(qtbot, model, view, "s3")  # a real click selects s3
    qtbot.waitUntil(lambda: view.selectionModel().isSelected(model.index(model.row_of("s3"))))
    view.viewport().repaint()  # the selected row's look drawn (and kept) before the meters move

    stills_drawn: list[object] = []
    real_still = stage_view._paint_still
    stage_view._paint_still = lambda *args: (stills_drawn.append(args), real_still(*args))[1]
    try:
        before = on_screen(view.viewport())
        meters_pass(qtbot, model, view, board)
        fast = on_screen(view.viewport())
        assert stills_drawn == [], "the meters-only pass painted a row's still part again"
    finally:
        stage_view._paint_still = real_still
    assert fast != before, "the meters moved but the screen did not change"

    whole = full_repaint(view)
    for uid in ("h", "s1", "s2", "s3", "s4"):
        area = row_area(model, view, uid)
        assert fast.copy(area) == whole.copy(area), f"{uid}'s meter differs from a whole repaint"
    assert fast == whole  # and nothing else of the list was touched
    # what was compared is a picture of meters: bars where someone is loud, none when muted
    assert bar_pixels(fast, row_area(model, view, "s4")) > 100
    assert bar_pixels(fast, row_area(model, view, "s3")) > 100  # the selected row's
    assert bar_pixels(fast, row_area(model, view, "s2")) == 0  # muted: the track only


def test_the_meters_only_pass_finds_rows_that_are_not_evenly_spaced(qtbot, stage):
    """A hidden row breaks the even spacing the view assumes for the rows of a tick: each
    row's place comes from the layout, and the picture is still the whole one."""
    model, view = stage
    view.setRowHidden(model.row_of("s1"), True)
    board = LevelBoard()
    board.publish_relay(relay_levels(**LEVELS))
    model.tick(board, 0.3)
    view.viewport().repaint()
    meters_pass(qtbot, model, view, board)
    fast = on_screen(view.viewport())
    assert fast == full_repaint(view)
    assert bar_pixels(fast, row_area(model, view, "s4")) > 100
    assert bar_pixels(fast, row_area(model, view, "h")) > 20


@pytest.mark.parametrize("other", ["look", "row"])
def test_a_row_dirty_in_the_same_tick_as_the_meters_is_painted_whole(qtbot, stage, other):
    """s3 starts speaking (a new look: glow and label), or its row is repainted for another
    reason (as a hover or focus change asks), while the meters move: that paint goes the usual
    way and the screen shows the whole picture."""
    model, view = stage
    board = LevelBoard()
    view.viewport().repaint()
    passes, paints = view.meter_passes, count_paints(view)
    board.publish_relay(relay_levels(s3=-15.0, s4=-15.0))
    model.tick(board, 0.3)
    if other == "look":
        model.set_speaking("s3", True)
    else:
        view.update(model.index(model.row_of("s3")))
    qtbot.waitUntil(lambda: paints[0] > 0)
    assert view.meter_passes == passes, "more than meters were dirty, yet only meters painted"
    shown = on_screen(view.viewport())
    assert shown == full_repaint(view)
    assert bar_pixels(shown, row_area(model, view, "s3")) > 100


def test_a_display_tick_tells_the_view_once_however_many_meters_moved(qtbot, stage):
    model, _view = stage
    changes: list[tuple[int, int, list[int]]] = []
    model.dataChanged.connect(
        lambda top, bottom, roles: changes.append((top.row(), bottom.row(), roles))
    )
    board = LevelBoard()
    board.publish_relay(relay_levels(s1=-20.0, s2=-20.0, s4=-20.0))
    assert model.tick(board, 0.05) == 3
    rows = [model.row_of(uid) for uid in ("s1", "s2", "s4")]
    assert changes == [(min(rows), max(rows), [LEVEL_ROLE])]
    assert model.moved_rows == tuple(sorted(rows))
    assert model.index(model.row_of("s3")).data(LEVEL_ROLE)[0] == -120.0  # s3 did not move
    assert model.index(rows[0]).data(LEVEL_ROLE)[0] > -60.0  # the levels read as before


def test_meters_left_without_levels_fall_to_the_floor_and_rest_there(qtbot):
    """A relay that stops sending while the meters are high: the board's samples go stale after
    0.5 s, the meters fall, and each one's last repaint shows the floor (no sliver of bar left,
    whichever level its fall crosses the floor from)."""
    clock = [0.0]
    board = LevelBoard(now=lambda: clock[0])
    model = StageModel()
    model.sync_room(room_with(0, stage=13), {})  # twelve speakers, s1 .. s12
    people = [f"s{i}" for i in range(1, 13)]
    board.publish_relay(relay_levels(**{uid: -12.0 + 0.08 * i for i, uid in enumerate(people)}))
    shown: dict[str, tuple[float, float]] = {}

    def repainted(top, bottom, roles) -> None:
        for row in range(top.row(), bottom.row() + 1):
            index = model.index(row)
            shown[model.item(row).user_id] = index.data(LEVEL_ROLE)

    model.dataChanged.connect(repainted)
    for _ in range(10):
        clock[0] += 0.04
        model.tick(board, 0.04)
    assert not model.at_rest()
    for _ in range(150):  # 6 s with no levels at all
        clock[0] += 0.04
        model.tick(board, 0.04)
    assert model.at_rest()
    for uid in people:
        vu_db, peak_db = shown[uid]
        assert vu_db <= -60.0 and peak_db <= -60.0, f"{uid} was left above the floor: {shown[uid]}"
    clock[0] += 0.04
    assert model.tick(board, 0.04) == 0  # at rest, nothing more to repaint
