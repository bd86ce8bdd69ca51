"""Remove (barred from this room), block (barred from all of this host's rooms), unblock, report a
participant or the room with a reason. Co-hosts never act on the host or on each other."""

from __future__ import annotations

import pytest

from server.room import (
    SYSTEM,
    FiledReport,
    FollowHostBlock,
    Join,
    ParticipantRemoved,
    RemoveParticipant,
    Report,
    Role,
    Unblock,
    apply_all,
)
from tests.room.room_world import OK, check, rows, world

REMOVE = rows(
    ("host removes listener", "host", RemoveParticipant("listener"), "live", OK),
    ("co-host removes listener", "cohost", RemoveParticipant("listener"), "live", OK),
    ("co-host removes speaker", "cohost", RemoveParticipant("speaker"), "live", OK),
    ("co-host blocks speaker", "cohost", RemoveParticipant("speaker", block=True), "live", OK),
    ("host removes co-host", "host", RemoveParticipant("cohost"), "live", OK),
    ("host blocks an absent co-host",
     "host", RemoveParticipant("cohost", block=True), "cohost away", OK),
    ("co-host removes co-host", "cohost", RemoveParticipant("cohost2"), "live", "not_allowed"),
    ("co-host removes an absent co-host",
     "cohost2", RemoveParticipant("cohost"), "cohost away", "not_allowed"),
    ("co-host removes host", "cohost", RemoveParticipant("host"), "live", "not_allowed"),
    ("co-host blocks host", "cohost", RemoveParticipant("host", block=True), "live", "not_allowed"),
    ("host removes themself", "host", RemoveParticipant("host"), "live", "not_allowed"),
    ("speaker removes listener", "speaker", RemoveParticipant("listener"), "live", "not_allowed"),
    ("listener removes listener",
     "listener", RemoveParticipant("listener2"), "live", "not_allowed"),
    ("host bars someone who never came", "host", RemoveParticipant("stranger"), "live", OK),
    ("host bars someone before the start", "host", RemoveParticipant("stranger"), "scheduled", OK),
    ("host removes a removed person",
     "host", RemoveParticipant("removed_user"), "live", "no_change"),
    ("host blocks a removed person",
     "host", RemoveParticipant("removed_user", block=True), "live", OK),
    ("host blocks a blocked person",
     "host", RemoveParticipant("blocked_user", block=True), "live", "no_change"),
    ("host removes the relay", "host", RemoveParticipant(SYSTEM), "live", "invalid_field"),
    ("host removes after the end", "host", RemoveParticipant("listener"), "ended", "room_ended"),
    ("host unblocks a blocked person", "host", Unblock("blocked_user"), "live", OK),
    ("host lifts a removal", "host", Unblock("removed_user"), "live", OK),
    ("absent host unblocks", "host", Unblock("blocked_user"), "host away", OK),
    ("host unblocks someone not blocked", "host", Unblock("listener"), "live", "not_blocked"),
    ("co-host unblocks", "cohost", Unblock("blocked_user"), "live", "not_allowed"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), REMOVE)
def test_removing_and_blocking(actor, command, given, expect):
    check(actor, command, given, expect)


# The host's block list is one list: a block or unblock in one room reaches their others.
FOLLOW = rows(
    ("the relay carries a block in", SYSTEM, FollowHostBlock("listener", True, "cohost"), "live", OK),
    ("… into a scheduled room", SYSTEM, FollowHostBlock("stranger", True, "host"), "scheduled", OK),
    ("… of someone already blocked",
     SYSTEM, FollowHostBlock("blocked_user", True, "host"), "live", "no_change"),
    ("… of the host", SYSTEM, FollowHostBlock("host", True, "cohost"), "live", "not_allowed"),
    ("… of the relay", SYSTEM, FollowHostBlock(SYSTEM, True, "host"), "live", "invalid_field"),
    ("the relay carries an unblock in",
     SYSTEM, FollowHostBlock("blocked_user", False, "host"), "live", OK),
    ("… of someone not blocked here",
     SYSTEM, FollowHostBlock("removed_user", False, "host"), "live", "not_blocked"),
    ("… into an ended room", SYSTEM, FollowHostBlock("listener", True, "host"), "ended", "room_ended"),
    ("the host sends the relay's command",
     "host", FollowHostBlock("listener", True, "host"), "live", "not_allowed"),
    ("a co-host sends it", "cohost", FollowHostBlock("listener", True, "cohost"), "live", "not_allowed"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), FOLLOW)
def test_the_host_block_list_followed_between_rooms(actor, command, given, expect):
    events = check(actor, command, given, expect)
    if expect == OK and command.blocked:
        assert [(type(e), e.user_id, e.block) for e in events] == [
            (ParticipantRemoved, command.user_id, True)
        ]


REPORT = rows(
    ("listener reports a speaker", "listener", Report("Slurs", "speaker"), "live", OK),
    ("listener reports the room", "listener", Report("Scam"), "live", OK),
    ("speaker reports the host", "speaker", Report("Doxxing", "host"), "live", OK),
    ("host reports a listener", "host", Report("Spam", "listener"), "live", OK),
    ("listener reports someone removed", "listener", Report("Raid", "removed_user"), "live", OK),
    ("listener reports the room after the end", "listener", Report("Scam"), "ended", OK),
    ("listener reports themself", "listener", Report("Me", "listener"), "live", "not_allowed"),
    ("listener reports someone never here",
     "listener", Report("?", "stranger"), "live", "target_not_found"),
    ("listener reports with no reason",
     "listener", Report("  ", "speaker"), "live", "invalid_field"),
    ("listener reports with 501 letters", "listener", Report("r" * 501), "live", "invalid_field"),
    ("listener reports a speaker twice",
     "listener", Report("Again", "speaker"), "reported", "duplicate"),
    ("listener reports the room twice", "listener", Report("Again"), "reported", "duplicate"),
    ("another listener reports the same speaker",
     "listener2", Report("Slurs", "speaker"), "reported", OK),
    ("someone not here reports", "stranger", Report("Scam"), "live", "not_in_room"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), REPORT)
def test_reporting(actor, command, given, expect):
    check(actor, command, given, expect)


def after(given, actor, command):
    return apply_all(world(given).room, check(actor, command, given, OK))


def test_removal_takes_the_person_out_and_keeps_them_out():
    room = after("live", "cohost", RemoveParticipant("speaker"))
    assert not room.is_present("speaker")
    assert "speaker" in room.removed and "speaker" not in room.blocked


def test_a_block_bars_the_person_from_the_hosts_rooms_and_goes_to_the_store():
    events = check("host", RemoveParticipant("listener", block=True), "live", OK)
    assert events[0].block is True  # the relay persists this event into the host's list
    room = apply_all(world("live").room, events)
    assert "listener" in room.blocked and "listener" in room.removed


def test_removing_a_co_host_frees_the_seat():
    room = after("live", "host", RemoveParticipant("cohost2"))
    assert "cohost2" not in room.cohost_ids
    assert room.count(Role.COHOST) == 1


def test_an_unblocked_person_can_come_back():
    start = world("live").then(("host", Unblock("blocked_user")), ("blocked_user", Join("Bo")))
    assert start.room.role_of("blocked_user") is Role.LISTENER


def test_reports_are_kept_with_reporter_target_reason_and_time():
    start = world("reported")
    assert start.room.reports == (
        FiledReport("listener", "speaker", "Shouting slurs", start.now - 2),
        FiledReport("listener", None, "Spam room", start.now - 1),
    )
