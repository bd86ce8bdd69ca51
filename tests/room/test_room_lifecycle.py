"""Lifecycle, card, ask mode and contacts: scheduled (≤ 14 days ahead; edit, cancel) -> live ->
ended; only the host starts, ends, cancels, reschedules and edits the card; co-hosts may change
who may ask to speak. The host may run these from the console without being in the room."""

from __future__ import annotations

import math

import pytest

from server.directory import card_of
from server.room import (
    SYSTEM,
    AddContact,
    AskMode,
    CancelRoom,
    EditCard,
    EndAbandonedRoom,
    EndReason,
    EndRoom,
    Join,
    Limits,
    LockRoom,
    Reason,
    RecordingStopped,
    Rejected,
    RemoveContact,
    Reschedule,
    Room,
    RoomCard,
    RoomEnded,
    RoomState,
    SetAskMode,
    SetBroadcastMode,
    StartRoom,
    apply_all,
    decide,
    new_room,
)
from tests.room.room_world import OK, T0, check, rows, world

DAY_S = 86_400.0
SOON = T0 + DAY_S  # later than every world's clock, well inside 14 days

START_AND_END = rows(
    ("host starts a scheduled room", "host", StartRoom(), "scheduled", OK),
    ("absent host starts a scheduled room", "host", StartRoom(), "scheduled empty", OK),
    ("co-host starts a scheduled room", "cohost", StartRoom(), "scheduled", "not_allowed"),
    ("host starts a live room", "host", StartRoom(), "live", "not_scheduled"),
    ("host starts an ended room", "host", StartRoom(), "ended", "room_ended"),
    ("host starts a cancelled room", "host", StartRoom(), "cancelled", "room_cancelled"),
    ("someone not here starts it", "stranger", StartRoom(), "scheduled", "not_in_room"),
    ("the relay starts it by itself", SYSTEM, StartRoom(), "scheduled", "not_allowed"),
    ("host ends a live room", "host", EndRoom(), "live", OK),
    ("absent host ends a live room", "host", EndRoom(), "host away", OK),
    ("host ends a room while recording", "host", EndRoom(), "recording", OK),
    ("co-host ends the room", "cohost", EndRoom(), "live", "not_allowed"),
    ("speaker ends the room", "speaker", EndRoom(), "live", "not_allowed"),
    ("host ends a scheduled room", "host", EndRoom(), "scheduled", "not_started"),
    ("host ends an ended room", "host", EndRoom(), "ended", "room_ended"),
    ("host cancels a scheduled room", "host", CancelRoom(), "scheduled", OK),
    ("host cancels a live room", "host", CancelRoom(), "live", "not_scheduled"),
    ("co-host cancels", "cohost", CancelRoom(), "scheduled", "not_allowed"),
    ("host cancels twice", "host", CancelRoom(), "cancelled", "room_cancelled"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), START_AND_END)
def test_start_end_cancel(actor, command, given, expect):
    check(actor, command, given, expect)


RESCHEDULE = rows(
    ("host moves the start a day on", "host", Reschedule(SOON), "scheduled", OK),
    ("host moves it 15 days on", "host", Reschedule(T0 + 15 * DAY_S), "scheduled", "invalid_field"),
    ("host moves it into the past", "host", Reschedule(T0 - 1), "scheduled", "invalid_field"),
    ("host moves it to NaN", "host", Reschedule(math.nan), "scheduled", "invalid_field"),
    ("host keeps the same time", "host", Reschedule(T0 + 7200), "scheduled", "no_change"),
    ("co-host reschedules", "cohost", Reschedule(SOON), "scheduled", "not_allowed"),
    ("host reschedules a live room", "host", Reschedule(SOON), "live", "not_scheduled"),
)  # fmt: skip


ABANDONED = rows(
    ("the relay ends a room its hosts left", SYSTEM, EndAbandonedRoom(), "host away", OK),
    ("the relay ends a live room", SYSTEM, EndAbandonedRoom(), "live", OK),
    ("the relay ends it mid-recording", SYSTEM, EndAbandonedRoom(), "recording, host away", OK),
    ("the relay ends a scheduled room", SYSTEM, EndAbandonedRoom(), "scheduled", "not_started"),
    ("the relay ends an ended room", SYSTEM, EndAbandonedRoom(), "ended", "room_ended"),
    ("the relay ends a cancelled room", SYSTEM, EndAbandonedRoom(), "cancelled", "room_ended"),
    ("the host sends the relay's command", "host", EndAbandonedRoom(), "live", "not_allowed"),
    ("a listener sends it", "listener", EndAbandonedRoom(), "live", "not_allowed"),
    ("the relay sends another command", SYSTEM, EndRoom(), "live", "not_allowed"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), ABANDONED)
def test_the_relay_ends_abandoned_rooms(actor, command, given, expect):
    check(actor, command, given, expect)


def test_an_abandoned_room_says_why_it_ended_and_stops_its_recording():
    events = check(SYSTEM, EndAbandonedRoom(), "recording, host away", OK)
    assert [type(e) for e in events] == [RecordingStopped, RoomEnded]
    assert events[-1].reason is EndReason.ABANDONED
    ended = check("host", EndRoom(), "live", OK)
    assert ended[-1].reason is EndReason.HOST_ENDED


@pytest.mark.parametrize(("actor", "command", "given", "expect"), RESCHEDULE)
def test_reschedule(actor, command, given, expect):
    check(actor, command, given, expect)


EDIT_CARD = rows(
    ("host retitles a live room", "host", EditCard("New title"), "live", OK),
    ("host retitles a scheduled room", "host", EditCard("New title"), "scheduled", OK),
    ("host sets a 70-letter title", "host", EditCard("t" * 70), "live", OK),
    ("host sets a 71-letter title", "host", EditCard("t" * 71), "live", "invalid_field"),
    ("host sets a blank title", "host", EditCard("  "), "live", "invalid_field"),
    ("host sets 3 topics", "host", EditCard("T", "", ("a", "b", "c")), "live", OK),
    ("host sets 4 topics",
     "host", EditCard("T", "", ("a", "b", "c", "d")), "live", "invalid_field"),
    ("host repeats a topic", "host", EditCard("T", "", ("Go", "go")), "live", "invalid_field"),
    ("host writes a 2-line description", "host", EditCard("T", "one\ntwo"), "live", OK),
    ("host writes a 281-letter description",
     "host", EditCard("T", "d" * 281), "live", "invalid_field"),
    ("host saves the same card",
     "host", EditCard("Roomcast weekly", "Audio talk", ("audio",)), "live", "no_change"),
    ("co-host retitles", "cohost", EditCard("Mine now"), "live", "not_allowed"),
    ("listener retitles", "listener", EditCard("Mine now"), "live", "not_allowed"),
    ("host retitles an ended room", "host", EditCard("After"), "ended", "room_ended"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), EDIT_CARD)
def test_edit_card(actor, command, given, expect):
    check(actor, command, given, expect)


LOCK = rows(
    ("host closes the room to newcomers", "host", LockRoom(True), "live", OK),
    ("co-host closes it (a raid)", "cohost", LockRoom(True), "live", OK),
    ("speaker closes it", "speaker", LockRoom(True), "live", "not_allowed"),
    ("listener closes it", "listener", LockRoom(True), "live", "not_allowed"),
    ("host opens an open room", "host", LockRoom(False), "live", "no_change"),
    ("host sends a non-boolean", "host", LockRoom("yes"), "live", "invalid_field"),  # type: ignore[arg-type]
    ("host closes it before the start", "host", LockRoom(True), "scheduled", OK),
    ("host closes an ended room", "host", LockRoom(True), "ended", "room_ended"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), LOCK)
def test_lock_room(actor, command, given, expect):
    check(actor, command, given, expect)


def test_a_locked_room_lets_in_only_people_with_a_seat_or_a_ticket():
    locked = world("live").then(("host", LockRoom(True)))
    assert locked.room.locked
    refused = decide(locked.room, "newcomer", Join("Nia"), locked.now)
    assert isinstance(refused, Rejected) and refused.reason is Reason.ROOM_LOCKED
    assert decide(locked.room, "listener", Join("Lee"), locked.now) == []  # already in
    away = world("cohost away").then(("host", LockRoom(True)))
    assert isinstance(decide(away.room, "cohost", Join("Cora"), away.now), list)  # a seat
    reopened = locked.then(("host", LockRoom(False)))
    assert isinstance(decide(reopened.room, "newcomer", Join("Nia"), reopened.now), list)


BROADCAST = rows(
    ("host makes the room a broadcast", "host", SetBroadcastMode(True), "live", OK),
    ("co-host makes it a broadcast", "cohost", SetBroadcastMode(True), "live", OK),
    ("speaker turns it on", "speaker", SetBroadcastMode(True), "live", "not_allowed"),
    ("listener turns it on", "listener", SetBroadcastMode(True), "live", "not_allowed"),
    ("host turns off what is off", "host", SetBroadcastMode(False), "live", "no_change"),
    ("host sends a non-boolean", "host", SetBroadcastMode(1), "live", "invalid_field"),  # type: ignore[arg-type]
    ("host sets it before the start", "host", SetBroadcastMode(True), "scheduled", OK),
    ("host sets it on an ended room", "host", SetBroadcastMode(True), "ended", "room_ended"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), BROADCAST)
def test_set_broadcast_mode(actor, command, given, expect):
    check(actor, command, given, expect)


def test_broadcast_mode_is_part_of_the_room_and_its_card():
    on = world("live").then(("host", SetBroadcastMode(True)))
    assert on.room.broadcast and card_of(on.room)["broadcast"] is True
    assert isinstance(decide(on.room, "host", SetBroadcastMode(True), on.now), Rejected)
    off = on.then(("cohost", SetBroadcastMode(False)))
    assert not off.room.broadcast and card_of(off.room)["broadcast"] is False


ASK_MODE_AND_CONTACTS = rows(
    ("host lets only followed people ask", "host", SetAskMode(AskMode.FOLLOWED), "live", OK),
    ("co-host closes requests", "cohost", SetAskMode(AskMode.INVITED), "live", OK),
    ("host sets it before the start", "host", SetAskMode(AskMode.INVITED), "scheduled", OK),
    ("speaker closes requests", "speaker", SetAskMode(AskMode.INVITED), "live", "not_allowed"),
    ("listener opens requests",
     "listener", SetAskMode(AskMode.EVERYONE), "invited only", "not_allowed"),
    ("host picks the current mode", "host", SetAskMode(AskMode.EVERYONE), "live", "no_change"),
    ("host follows a listener", "host", AddContact("listener2"), "live", OK),
    ("absent host follows someone", "host", AddContact("listener2"), "host away", OK),
    ("host follows a contact again", "host", AddContact("listener"), "live", "no_change"),
    ("host follows themself", "host", AddContact("host"), "live", "invalid_field"),
    ("host follows the relay", "host", AddContact(SYSTEM), "live", "invalid_field"),
    ("co-host edits the host's contacts", "cohost", AddContact("listener2"), "live", "not_allowed"),
    ("host unfollows a contact", "host", RemoveContact("listener"), "live", OK),
    ("host unfollows a stranger", "host", RemoveContact("listener2"), "live", "no_change"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), ASK_MODE_AND_CONTACTS)
def test_ask_mode_and_contacts(actor, command, given, expect):
    check(actor, command, given, expect)


CARD = RoomCard("Roomcast weekly", "Audio talk", ("audio",))
NEW_ROOM = [
    ("no start time", {}, "live"),
    ("starts in an hour", {"starts_at": T0 + 3600}, "scheduled"),
    ("starts in 14 days", {"starts_at": T0 + 14 * DAY_S}, "scheduled"),
    ("starts in 14 days and 1 s", {"starts_at": T0 + 14 * DAY_S + 1}, "invalid_field"),
    ("starts now", {"starts_at": T0}, "invalid_field"),
    ("71-letter title", {"card": RoomCard("t" * 71)}, "invalid_field"),
    ("4 topics", {"card": RoomCard("T", "", ("a", "b", "c", "d"))}, "invalid_field"),
    ("nameless host", {"host_name": ""}, "invalid_field"),
    ("the relay as host", {"host_id": SYSTEM}, "invalid_field"),
    ("empty room id", {"room_id": ""}, "invalid_field"),
    ("a negative limit", {"limits": Limits(max_speakers=-1)}, "invalid_field"),
    ("endless invitations", {"limits": Limits(invite_ttl_s=math.inf)}, "invalid_field"),
]


@pytest.mark.parametrize(
    ("overrides", "expect"), [pytest.param(o, e, id=f"{s} -> {e}") for s, o, e in NEW_ROOM]
)
def test_new_room(overrides, expect):
    args = {"room_id": "r", "host_id": "host", "host_name": "Hana", "card": CARD, "now": T0}
    room = new_room(**{**args, **overrides})
    if isinstance(room, Rejected):
        assert room.reason.value == expect and room.detail
    else:
        assert room.state.value == expect
        assert room.participants == {}  # the host comes in with Join like anyone


def test_the_host_is_never_barred_from_their_own_room():
    room = new_room("r", "host", "Hana", CARD, T0, blocked=frozenset({"host", "troll"}))
    assert isinstance(room, Room) and room.blocked == frozenset({"troll"})


def test_ending_a_recorded_room_stops_the_recording_first():
    events = check("host", EndRoom(), "recording", OK)
    assert [type(e) for e in events] == [RecordingStopped, RoomEnded]
    room = apply_all(world("recording").room, events)
    assert room.recording is not None and not room.recording.active
    assert room.state is RoomState.ENDED and room.requests == ()


def test_a_started_room_records_when_it_went_live():
    start = world("scheduled")
    room = apply_all(start.room, check("host", StartRoom(), "scheduled", OK))
    assert room.state is RoomState.LIVE and room.started_at == start.now
