"""The level board (latest wins, stale means silent), talk time, and the log's words."""

from __future__ import annotations

from console.event_text import describe
from console.level_board import FLOOR_DB, LevelBoard
from console.talk_time import CountHistory, TalkTime
from server.room import (
    Muted,
    Participant,
    ParticipantRemoved,
    Reacted,
    RequestApproved,
    Role,
    RoleChanged,
    Room,
    RoomCard,
    RoomState,
)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_latest_value_wins_and_a_stalled_feed_reads_silence():
    clock = Clock()
    board = LevelBoard(now=clock)
    board.publish_relay({"a": {"peak_db": -10, "rms_db": -20, "speaking": True}})
    board.publish_relay({"a": {"peak_db": -6, "rms_db": -12, "speaking": False}, "bad": {"x": 1}})
    assert board.latest("a").rms_db == -12
    assert board.latest("bad").rms_db == FLOOR_DB
    clock.now += 0.6
    assert board.latest("a").rms_db == FLOOR_DB, "a stale level must not freeze a meter high"


def test_each_publish_tells_its_loudest_peak_and_whether_anyone_speaks():
    board = LevelBoard(now=Clock())
    told: list[tuple[float, bool]] = []
    board.on_publish.append(lambda loudest_db, speaking: told.append((loudest_db, speaking)))
    board.publish_relay({"a": {"peak_db": -120, "rms_db": -120, "speaking": False}})
    board.publish_relay(
        {
            "a": {"peak_db": -30, "rms_db": -40, "speaking": False},
            "b": {"peak_db": -9, "rms_db": -20, "speaking": True},
            "bad": {"peak_db": "loud"},
        }
    )
    board.publish_relay({})
    board.publish("local", -50.0, -60.0, False)
    assert told == [(FLOOR_DB, False), (-9.0, True), (FLOOR_DB, False), (-50.0, False)]


def test_talk_time_counts_open_stretches_and_history_keeps_the_peak():
    clock = Clock()
    talk = TalkTime(now=clock)
    talk.flip("a", True)
    clock.now += 5
    talk.flip("a", False)
    talk.flip("a", True)
    clock.now += 2
    assert talk.seconds("a") == 7
    assert talk.totals() == {"a": 7}
    history = CountHistory(keep=3, now=clock)
    for count in (5, 40, 12, 9):
        history.add(count)
    assert len(history.samples) == 3 and history.peak == 40


def test_the_log_names_people_who_have_left():
    room = Room(
        "r", "h", "Hana", RoomCard("Talk"), RoomState.LIVE, 0.0,
        participants={"h": Participant("h", "Hana", Role.HOST, 0.0, False, 0.0),
                      "s": Participant("s", "Sam", Role.SPEAKER, 0.0, False, 0.0)},
    )  # fmt: skip
    assert describe(Muted("h", 1.0, "s"), room) == "Hana muted Sam"
    assert describe(Muted("s", 1.0, "s"), room) == "Sam muted themself"
    assert describe(RequestApproved("h", 1.0, "s"), room) == "Hana brought Sam on stage"
    assert describe(RoleChanged("h", 1.0, "s", Role.SPEAKER, Role.LISTENER), room) is None
    assert describe(Reacted("s", 1.0, "🔥"), room) is None
    gone = describe(ParticipantRemoved("h", 2.0, "x", block=True), room, {"x": "Rex"})
    assert gone == "Hana blocked Rex"
