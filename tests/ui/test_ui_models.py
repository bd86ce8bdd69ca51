"""The console's models change row by row (never a reset) and pass Qt's model tester."""

from __future__ import annotations

import random

from PySide6.QtCore import QAbstractItemModel

from console.level_board import LevelBoard
from server.room import (
    FiledReport,
    Participant,
    PinnedLink,
    Role,
    Room,
    RoomCard,
    RoomState,
    SpeakRequest,
)
from ui.keyed_model import KeyedListModel
from ui.room_models import (
    LEVEL_ROLE,
    AudienceModel,
    LinkModel,
    LogLine,
    LogModel,
    ReportModel,
    RequestModel,
    StageModel,
    TalkTimeModel,
)
from ui.rooms_list import ScheduledModel, rows_from_cards


class Names(KeyedListModel[str]):
    def key_of(self, item: str) -> str:
        return item


def room_with(listeners: int, stage: int = 3) -> Room:
    people = {"h": Participant("h", "Hana", Role.HOST, 0.0, False, 0.0)}
    for i in range(1, stage):
        people[f"s{i}"] = Participant(f"s{i}", f"Speaker {i}", Role.SPEAKER, 0.0, i == 2, float(i))
    for i in range(listeners):
        people[f"l{i}"] = Participant(f"l{i}", f"Listener {i}", Role.LISTENER, 0.0)
    return Room(
        "r", "h", "Hana", RoomCard("Talk"), RoomState.LIVE, 0.0, participants=people,
        requests=(SpeakRequest("l3", 10.0), SpeakRequest("l1", 12.0)),
        reports=(FiledReport("l2", "l3", "spam", 20.0),),
        pinned_links=(PinnedLink("https://example.org", "Notes", "h", 1.0),),
    )  # fmt: skip


def test_sync_reaches_any_order_with_row_changes_only(qtmodeltester):
    model = Names()
    qtmodeltester.check(model)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    rng = random.Random(7)
    pool = [f"k{i}" for i in range(40)]
    for _ in range(200):
        wanted = rng.sample(pool, rng.randint(0, 25))
        model.sync(wanted)
        assert model.items() == wanted
    assert not resets


def test_room_models_fill_from_a_room_and_pass_the_tester(qtmodeltester):
    room = room_with(500)
    stage, requests, audience = StageModel(), RequestModel(now=lambda: 75.0), AudienceModel()
    reports, links, log, talk = ReportModel(), LinkModel(), LogModel(), TalkTimeModel()
    stage.sync_room(room, {"s1": True})
    requests.sync_room(room)
    audience.sync_room(room)
    reports.sync_room(room)
    links.sync_room(room)
    for i in range(5):
        log.append(LogLine(i, 0.0, f"line {i}"), keep=3)
    talk.sync_totals(room, {"s1": 65.0, "h": 3.0, "s2": 0.2})
    model: QAbstractItemModel
    for model in (stage, requests, audience, reports, links, log, talk):
        qtmodeltester.check(model)
    assert [r.user_id for r in requests.items()] == ["l3", "l1"]
    assert requests.index(0).data() == "Listener 3  ·  waiting 1:05"
    assert audience.rowCount() == 500 and audience.index(3).data() == "Listener 3  ✋"
    assert [line.text for line in log.items()] == ["line 2", "line 3", "line 4"]
    assert talk.index(0).data() == "Speaker 1  —  1:05" and talk.rowCount() == 2
    assert "spam" in reports.index(0).data()


def test_a_level_change_repaints_one_row_and_nothing_else(qtmodeltester):
    stage = StageModel()
    stage.sync_room(room_with(0, stage=5), {})
    changes = []
    stage.dataChanged.connect(
        lambda top, bottom, roles: changes.append((top.row(), bottom.row(), roles))
    )
    board = LevelBoard()
    board.publish_relay({"s3": {"peak_db": -6.0, "rms_db": -12.0, "speaking": True}})
    assert stage.tick(board, 1 / 30) == 1
    assert changes == [(3, 3, [LEVEL_ROLE])]
    for _ in range(30):
        stage.tick(board, 1 / 30)
    vu_db, _peak = stage.index(3).data(LEVEL_ROLE)
    assert -13.0 < vu_db < -11.0  # VU settles on the RMS within 300 ms
    qtmodeltester.check(stage)


def test_the_rooms_list_orders_live_first_then_by_start(qtmodeltester):
    cards = [
        {"room_id": "b", "title": "Later", "starts_at": 2e9, "reminders": 1, "state": "scheduled"},
        {"room_id": "a", "title": "Now", "starts_at": None, "reminders": 0, "state": "live"},
        {
            "room_id": "z",
            "title": "Not mine",
            "starts_at": 1.0,
            "reminders": 0,
            "state": "scheduled",
        },
    ]
    model = ScheduledModel()
    model.sync(rows_from_cards(cards, {"a", "b"}))
    qtmodeltester.check(model)
    assert [r.room_id for r in model.items()] == ["a", "b"]
    assert "1 reminder" in model.index(1).data() and "live now" in model.index(0).data()


def test_a_moving_meter_repaints_its_bar_and_nothing_else_of_the_stage(qtbot):
    from PySide6.QtCore import QEvent, QObject, QRect
    from PySide6.QtGui import QPaintEvent

    from ui import stage_view
    from ui.stage_view import StageDelegate, StageListView, meter_area

    stage = StageModel()
    stage.sync_room(room_with(0, stage=4), {})
    view = StageListView()
    view.setModel(stage)
    view.setItemDelegate(StageDelegate(view))
    view.setUniformItemSizes(True)
    view.resize(520, 280)
    qtbot.addWidget(view)
    painted: list[QRect] = []

    class PaintWatch(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if isinstance(event, QPaintEvent):
                painted.append(event.region().boundingRect())
            return False

    watch = PaintWatch()
    view.viewport().installEventFilter(watch)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: any(rect.height() > 200 for rect in painted))  # laid out, painted
    before = view.viewport().grab().toImage()
    stills = []
    real_still = stage_view._paint_still
    stage_view._paint_still = lambda *args: (stills.append(args), real_still(*args))[1]
    try:
        board = LevelBoard()
        board.publish_relay({"s1": {"peak_db": -6.0, "rms_db": -12.0, "speaking": False}})
        painted.clear()
        assert stage.tick(board, 0.3) == 1
        qtbot.waitUntil(lambda: bool(painted))
        area = meter_area(view.visualRect(stage.index(stage.row_of("s1"))))
        assert all(area.contains(rect) for rect in painted), (painted, area)
        assert stills == []  # the row's still part came from its pixmap
    finally:
        stage_view._paint_still = real_still
    after = view.viewport().grab().toImage()
    changed = [
        (x, y)
        for y in range(0, before.height(), 2)
        for x in range(0, before.width(), 2)
        if before.pixel(x, y) != after.pixel(x, y)
    ]
    assert changed, "the meter did not move on screen"
    assert all(area.contains(x, y) for x, y in changed)  # the rest of the stage is untouched
