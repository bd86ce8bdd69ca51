"""Strike from the record (issue 14 item 5): anyone who has been on stage in the running take
strikes the recent span of their own voice without anyone's approval; the host and co-hosts may
do it on someone's behalf (a co-host never for the host); everyone else is refused in words."""

from __future__ import annotations

import pytest

from server.room import (
    STRIKE_SPANS,
    ApproveRequest,
    StrikeFromRecord,
    StruckFromRecord,
    apply,
    decide,
)
from tests.room.room_world import OK, check, rows, world

WHO_MAY = rows(
    ("speaker strikes their last minute", "speaker",
     StrikeFromRecord("speaker", "last_minute"), "recording", OK),
    ("muted speaker strikes since joining", "speaker2",
     StrikeFromRecord("speaker2", "since_joined"), "recording", OK),
    ("host strikes their own last 5 minutes", "host",
     StrikeFromRecord("host", "last_5_minutes"), "recording", OK),
    ("host strikes a speaker's last 15 minutes", "host",
     StrikeFromRecord("speaker", "last_15_minutes"), "recording", OK),
    ("co-host strikes a speaker", "cohost",
     StrikeFromRecord("speaker", "last_minute"), "recording", OK),
    ("host strikes a co-host", "host",
     StrikeFromRecord("cohost", "last_minute"), "recording", OK),
    ("ex-speaker strikes their own voice after stepping down", "speaker",
     StrikeFromRecord("speaker", "last_minute"), "recording, speaker stepped down", OK),
    ("host strikes an ex-speaker", "host",
     StrikeFromRecord("speaker", "last_minute"), "recording, speaker stepped down", OK),
    ("speaker strikes with nothing recording", "speaker",
     StrikeFromRecord("speaker", "last_minute"), "live", "not_recording"),
    ("host strikes with nothing recording", "host",
     StrikeFromRecord("speaker", "last_minute"), "live", "not_recording"),
    ("listener strikes their own voice", "listener",
     StrikeFromRecord("listener", "last_minute"), "recording", "not_on_stage"),
    ("host strikes a listener never on stage", "host",
     StrikeFromRecord("listener", "last_minute"), "recording", "not_on_stage"),
    ("listener strikes a speaker", "listener",
     StrikeFromRecord("speaker", "last_minute"), "recording", "not_allowed"),
    ("speaker strikes another speaker", "speaker",
     StrikeFromRecord("speaker2", "last_minute"), "recording", "not_allowed"),
    ("co-host strikes the host", "cohost",
     StrikeFromRecord("host", "last_minute"), "recording", "not_allowed"),
    ("co-host strikes the other co-host", "cohost",
     StrikeFromRecord("cohost2", "last_minute"), "recording", "not_allowed"),
    ("speaker strikes an unknown span", "speaker",
     StrikeFromRecord("speaker", "last_hour"), "recording", "invalid_field"),
    ("speaker strikes after the room ended", "speaker",
     StrikeFromRecord("speaker", "last_minute"), "ended", "room_ended"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), WHO_MAY)
def test_who_may_strike(actor, command, given, expect):
    check(actor, command, given, expect)


def test_the_span_never_reaches_before_the_take_or_the_person():
    """The recording started one step before `now`: every span starts at the take's start, and
    the event says who asked, for whom and what they chose."""
    start = world("recording")
    taken = start.room.recording
    assert taken is not None
    for span in STRIKE_SPANS:
        events = check("host", StrikeFromRecord("speaker", span), "recording", OK)
        assert events == [StruckFromRecord("host", start.now, "speaker", span, taken.started_at)]


def test_an_hour_into_the_take_each_span_reaches_back_as_far_as_it_says():
    start = world("recording").later(3600)
    recording = start.room.recording
    assert recording is not None
    expected = {
        "last_minute": start.now - 60,
        "last_5_minutes": start.now - 300,
        "last_15_minutes": start.now - 900,
        "since_joined": recording.started_at,
    }
    for span, since in expected.items():
        got = decide(start.room, "speaker", StrikeFromRecord("speaker", span), start.now)
        assert isinstance(got, list) and got[0].since == since, span


def test_someone_asked_late_strikes_no_further_back_than_their_first_question():
    start = world("recording").later(600).then(("host", ApproveRequest("asker")))
    recording = start.room.recording
    assert recording is not None
    asked = next(e.at for e in recording.ledger if e.user_id == "asker")
    assert asked > recording.started_at
    got = decide(start.room, "asker", StrikeFromRecord("asker", "last_15_minutes"), start.now)
    assert isinstance(got, list) and got[0].since == asked


def test_a_strike_changes_nothing_in_the_room():
    start = world("recording")
    events = check("speaker", StrikeFromRecord("speaker", "last_minute"), "recording", OK)
    assert apply(start.room, events[0]) == start.room
