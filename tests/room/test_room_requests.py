"""Speak requests: who may ask (everyone / followed / invited), a first-come queue with the time
asked, withdraw, approve (joins the stage muted), decline (a cool-down before asking again)."""

from __future__ import annotations

import pytest

from server.room import (
    ApproveRequest,
    AskMode,
    DeclineRequest,
    Join,
    Leave,
    Limits,
    Reason,
    Rejected,
    RequestApproved,
    RequestToSpeak,
    Role,
    RoleChanged,
    SetAskMode,
    WithdrawRequest,
    apply_all,
    decide,
)
from tests.room.room_world import OK, check, rows, world

ASK = rows(
    ("listener asks, everyone may", "listener", RequestToSpeak(), "live", OK),
    ("listener asks while the stage is full", "listener", RequestToSpeak(), "stage full", OK),
    ("contact asks, followed only", "listener", RequestToSpeak(), "followed only", OK),
    ("non-contact asks, followed only",
     "listener2", RequestToSpeak(), "followed only", "not_followed"),
    ("contact asks, invited only", "listener", RequestToSpeak(), "invited only", "asking_closed"),
    ("asker asks twice", "asker", RequestToSpeak(), "live", "already_requested"),
    ("declined asker asks at once", "asker", RequestToSpeak(), "asker declined", "cooling_down"),
    ("declined asker asks after the cool-down", "asker", RequestToSpeak(), "cooldown over", OK),
    ("another listener asks after a decline", "listener", RequestToSpeak(), "asker declined", OK),
    ("speaker asks", "speaker", RequestToSpeak(), "live", "already_on_stage"),
    ("co-host asks", "cohost", RequestToSpeak(), "live", "already_on_stage"),
    ("host asks", "host", RequestToSpeak(), "live", "already_on_stage"),
    ("co-host asks before the start", "cohost", RequestToSpeak(), "scheduled", "not_started"),
    ("listener asks after the end", "listener", RequestToSpeak(), "ended", "room_ended"),
    ("someone not here asks", "stranger", RequestToSpeak(), "live", "not_in_room"),
    ("asker withdraws", "asker", WithdrawRequest(), "live", OK),
    ("listener without a request withdraws", "listener", WithdrawRequest(), "live", "no_request"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), ASK)
def test_asking_to_speak(actor, command, given, expect):
    check(actor, command, given, expect)


ANSWER = rows(
    ("host approves asker", "host", ApproveRequest("asker"), "live", OK),
    ("co-host approves asker", "cohost", ApproveRequest("asker"), "live", OK),
    ("host approves asker, stage full",
     "host", ApproveRequest("asker"), "stage full", "stage_full"),
    ("host approves a listener who never asked",
     "host", ApproveRequest("listener"), "live", "no_request"),
    ("host approves a withdrawn request",
     "host", ApproveRequest("asker"), "asker declined", "no_request"),
    ("speaker approves asker", "speaker", ApproveRequest("asker"), "live", "not_allowed"),
    ("listener approves asker", "listener", ApproveRequest("asker"), "live", "not_allowed"),
    ("asker approves themself", "asker", ApproveRequest("asker"), "live", "not_allowed"),
    ("host approves after the end", "host", ApproveRequest("asker"), "ended", "room_ended"),
    ("host declines asker", "host", DeclineRequest("asker"), "live", OK),
    ("co-host declines asker", "cohost", DeclineRequest("asker"), "live", OK),
    ("speaker declines asker", "speaker", DeclineRequest("asker"), "live", "not_allowed"),
    ("host declines a listener who never asked",
     "host", DeclineRequest("listener"), "live", "no_request"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), ANSWER)
def test_answering_requests(actor, command, given, expect):
    check(actor, command, given, expect)


def test_an_approved_listener_joins_the_stage_muted():
    events = check("cohost", ApproveRequest("asker"), "live", OK)
    assert events[0] == RequestApproved("cohost", world("live").now, "asker")
    assert isinstance(events[1], RoleChanged) and events[1].previous is Role.LISTENER
    room = apply_all(world("live").room, events)
    asker = room.participants["asker"]
    assert (asker.role, asker.muted) == (Role.SPEAKER, True)
    assert room.requests == ()
    assert room.stage()[-1].user_id == "asker"  # newest speaker last


def test_the_queue_is_first_come_first_served_with_the_time_asked():
    start = world("live").then(
        ("listener2", RequestToSpeak()),
        ("listener", RequestToSpeak()),
        ("asker", WithdrawRequest()),
        ("asker", RequestToSpeak()),  # back of the queue
    )
    assert [r.user_id for r in start.room.requests] == ["listener2", "listener", "asker"]
    times = [r.asked_at for r in start.room.requests]
    assert times == sorted(times) and times[0] == start.now - 4


def test_a_decline_holds_off_the_next_request_for_the_cool_down():
    cooldown_s = Limits().decline_cooldown_s
    start = world("live").then(("host", DeclineRequest("asker")))
    assert start.room.request_cooldowns["asker"] == start.now - 1 + cooldown_s
    # leaving and coming back does not reset it
    again = start.then(("asker", Leave()), ("asker", Join("Ada")))
    verdict = decide(again.room, "asker", RequestToSpeak(), again.now)
    assert isinstance(verdict, Rejected) and verdict.reason is Reason.COOLING_DOWN


def test_closing_requests_keeps_those_already_waiting():
    room = world("invited only").room
    assert room.ask_mode is AskMode.INVITED
    assert [r.user_id for r in room.requests] == ["asker"]
    check("host", ApproveRequest("asker"), "invited only", OK)


def test_changing_the_mode_back_reopens_requests():
    start = world("invited only").then(("cohost", SetAskMode(AskMode.EVERYONE)))
    start.then(("listener2", RequestToSpeak()))
