"""Reports stay small: a room keeps a bounded number of report rows (in all and about any one
person); later reports are only counted per target, and those counts are the moderators' alone
(issue 13: 1,600 reports had made every command slow and a moderator's snapshot 995 KB)."""

from __future__ import annotations

import dataclasses

from server.room import Join, Limits, Report, ReportFiled, apply_all, decide
from server.visibility import event_for, room_for
from tests.room.room_world import world

SMALL = Limits(max_report_rows=4, max_report_rows_per_target=2)


def flood(room, reporters, target, now):
    for n, reporter in enumerate(reporters):
        room = apply_all(room, decide(room, reporter, Join(f"R{n}"), now))
        events = decide(room, reporter, Report("spam", target), now)
        assert isinstance(events, list), events
        room = apply_all(room, events)
    return room


def test_rows_about_one_person_stop_at_the_cap_and_the_rest_are_counted():
    start = world("live")
    room = dataclasses.replace(start.room, limits=SMALL)
    room = flood(room, [f"r{n}" for n in range(5)], "speaker", start.now)
    assert [r.reporter_id for r in room.reports] == ["r0", "r1"]
    assert room.folded_reports == {"speaker": 3}


def test_rows_in_all_stop_at_the_room_cap():
    start = world("live")
    room = dataclasses.replace(start.room, limits=SMALL)
    room = flood(room, ["a", "b"], "speaker", start.now)
    room = flood(room, ["c", "d", "e"], None, start.now)  # the room itself
    assert len(room.reports) == 4
    assert room.folded_reports == {"": 1}


def test_a_counted_report_reaches_only_moderators_and_mirrors_stay_equal():
    start = world("live")
    room = dataclasses.replace(start.room, limits=SMALL)
    room = flood(room, ["a", "b"], "speaker", start.now)
    room = apply_all(room, decide(room, "c", Join("C"), start.now))
    events = decide(room, "c", Report("spam", "speaker"), start.now)
    assert isinstance(events, list)
    (filed,) = events
    assert isinstance(filed, ReportFiled) and filed.kept is False
    before_c = room_for(room, "c")
    after = apply_all(room, events)
    assert event_for(filed, after, "c") is None  # the reporter is not told of a mere count
    assert event_for(filed, after, "listener") is None
    assert event_for(filed, after, after.host_id) == filed
    assert room_for(after, "c") == before_c  # so the reporter's mirror needs nothing
    assert room_for(after, "listener").folded_reports == {}
    assert room_for(after, after.host_id).folded_reports == {"speaker": 1}


def test_one_reporter_keeps_only_a_few_rows():
    start = world("live")
    room = dataclasses.replace(
        start.room, limits=dataclasses.replace(SMALL, max_report_rows_per_reporter=1)
    )
    room = apply_all(room, decide(room, "r", Join("R"), start.now))
    for target in ("speaker", "listener", None):
        events = decide(room, "r", Report("spam", target), start.now)
        assert isinstance(events, list), events
        room = apply_all(room, events)
    assert [(r.reporter_id, r.user_id) for r in room.reports] == [("r", "speaker")]
    assert room.folded_reports == {"listener": 1, "": 1}
