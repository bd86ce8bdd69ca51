"""Invitations to speak and to co-host (accept, decline, expire), stepping down, moving people to
the audience, and co-host seats: only the host appoints or removes co-hosts; co-hosts never act
on the host or on each other; ≤ 2 co-hosts, ≤ 10 speakers."""

from __future__ import annotations

import pytest

from server.room import (
    SYSTEM,
    AcceptInvite,
    AppointCohost,
    CohostRemoved,
    DeclineInvite,
    ExpireInvites,
    InviteExpired,
    InviteKind,
    InviteToCohost,
    InviteToSpeak,
    Join,
    MoveToAudience,
    Mute,
    RemoveCohost,
    Role,
    RoleChanged,
    StepDown,
    apply_all,
)
from tests.room.room_world import OK, check, rows, world

SPEAK, COHOST = InviteKind.SPEAK, InviteKind.COHOST

INVITE = rows(
    ("host invites listener to speak", "host", InviteToSpeak("listener"), "live", OK),
    ("co-host invites listener to speak", "cohost", InviteToSpeak("listener"), "live", OK),
    ("host invites when only invited may speak",
     "host", InviteToSpeak("listener2"), "invited only", OK),
    ("host invites again after expiry", "host", InviteToSpeak("listener"), "invites expired", OK),
    ("host invites listener twice",
     "host", InviteToSpeak("listener"), "invited", "already_invited"),
    ("host invites, stage full", "host", InviteToSpeak("listener"), "stage full", "stage_full"),
    ("host invites a speaker to speak",
     "host", InviteToSpeak("speaker"), "live", "already_on_stage"),
    ("host invites someone not here",
     "host", InviteToSpeak("stranger"), "live", "target_not_found"),
    ("host invites themself", "host", InviteToSpeak("host"), "live", "not_allowed"),
    ("co-host invites the host", "cohost", InviteToSpeak("host"), "live", "not_allowed"),
    ("speaker invites listener", "speaker", InviteToSpeak("listener"), "live", "not_allowed"),
    ("listener invites listener", "listener", InviteToSpeak("listener2"), "live", "not_allowed"),
    ("host invites speaker to co-host", "host", InviteToCohost("speaker"), "one cohost", OK),
    ("host invites listener to co-host", "host", InviteToCohost("listener"), "one cohost", OK),
    ("host invites a third co-host", "host", InviteToCohost("speaker"), "live", "cohosts_full"),
    ("host invites a co-host to co-host",
     "host", InviteToCohost("cohost"), "one cohost", "no_change"),
    ("host invites speaker to co-host twice",
     "host", InviteToCohost("speaker"), "invited", "already_invited"),
    ("co-host invites speaker to co-host",
     "cohost", InviteToCohost("speaker"), "one cohost", "not_allowed"),
    ("host invites someone not here to co-host",
     "host", InviteToCohost("stranger"), "one cohost", "target_not_found"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), INVITE)
def test_inviting(actor, command, given, expect):
    check(actor, command, given, expect)


ANSWER = rows(
    ("invited listener accepts", "listener", AcceptInvite(SPEAK), "invited", OK),
    ("invited listener declines", "listener", DeclineInvite(SPEAK), "invited", OK),
    ("invited speaker accepts co-hosting", "speaker", AcceptInvite(COHOST), "invited", OK),
    ("invited speaker declines co-hosting", "speaker", DeclineInvite(COHOST), "invited", OK),
    ("listener accepts the wrong kind", "listener", AcceptInvite(COHOST), "invited", "no_invite"),
    ("uninvited listener accepts", "listener2", AcceptInvite(SPEAK), "invited", "no_invite"),
    ("invited listener accepts too late",
     "listener", AcceptInvite(SPEAK), "invites expired", "no_invite"),
    ("invited listener declines too late",
     "listener", DeclineInvite(SPEAK), "invites expired", "no_invite"),
    ("invited listener accepts, stage since full",
     "listener", AcceptInvite(SPEAK), "invited, stage since filled", "stage_full"),
    ("the relay expires invitations", SYSTEM, ExpireInvites(), "invites expired", OK),
    ("the relay finds none expired", SYSTEM, ExpireInvites(), "invited", OK),
    ("host expires invitations", "host", ExpireInvites(), "invites expired", "not_allowed"),
    ("the relay mutes someone", SYSTEM, Mute("speaker"), "live", "not_allowed"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), ANSWER)
def test_answering_invitations(actor, command, given, expect):
    check(actor, command, given, expect)


LEAVE_STAGE = rows(
    ("speaker steps down", "speaker", StepDown(), "live", OK),
    ("co-host steps down", "cohost", StepDown(), "live", OK),
    ("host steps down", "host", StepDown(), "live", "not_allowed"),
    ("listener steps down", "listener", StepDown(), "live", "not_on_stage"),
    ("speaker steps down after the end", "speaker", StepDown(), "ended", "room_ended"),
    ("host moves speaker to the audience", "host", MoveToAudience("speaker"), "live", OK),
    ("host moves co-host to the audience", "host", MoveToAudience("cohost"), "live", OK),
    ("co-host moves speaker to the audience", "cohost", MoveToAudience("speaker"), "live", OK),
    ("co-host moves co-host to the audience",
     "cohost", MoveToAudience("cohost2"), "live", "not_allowed"),
    ("co-host moves host to the audience", "cohost", MoveToAudience("host"), "live", "not_allowed"),
    ("speaker moves speaker to the audience",
     "speaker", MoveToAudience("speaker2"), "live", "not_allowed"),
    ("host moves themself to the audience", "host", MoveToAudience("host"), "live", "not_allowed"),
    ("host moves a listener to the audience",
     "host", MoveToAudience("listener"), "live", "not_on_stage"),
    ("host moves someone not here", "host", MoveToAudience("stranger"), "live", "target_not_found"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), LEAVE_STAGE)
def test_leaving_the_stage(actor, command, given, expect):
    check(actor, command, given, expect)


COHOST_SEATS = rows(
    ("host appoints an absent co-host", "host", AppointCohost("stranger"), "one cohost", OK),
    ("host appoints before the start", "host", AppointCohost("stranger"), "scheduled", OK),
    ("absent host appoints", "host", AppointCohost("stranger"), "scheduled empty", OK),
    ("host appoints a third co-host", "host", AppointCohost("stranger"), "live", "cohosts_full"),
    ("host appoints someone in the room",
     "host", AppointCohost("listener"), "one cohost", "not_allowed"),
    ("host appoints a co-host again", "host", AppointCohost("cohost"), "one cohost", "no_change"),
    ("host appoints a blocked person",
     "host", AppointCohost("blocked_user"), "one cohost", "blocked"),
    ("host appoints a removed person",
     "host", AppointCohost("removed_user"), "one cohost", "removed"),
    ("host appoints themself", "host", AppointCohost("host"), "one cohost", "not_allowed"),
    ("host appoints the relay", "host", AppointCohost(SYSTEM), "one cohost", "invalid_field"),
    ("co-host appoints a co-host",
     "cohost", AppointCohost("stranger"), "one cohost", "not_allowed"),
    ("host removes a co-host", "host", RemoveCohost("cohost2"), "live", OK),
    ("host removes a co-host, stage full", "host", RemoveCohost("cohost2"), "stage full", OK),
    ("host removes an absent co-host", "host", RemoveCohost("cohost"), "cohost away", OK),
    ("host removes a speaker as co-host", "host", RemoveCohost("speaker"), "live", "not_cohost"),
    ("co-host removes a co-host", "cohost", RemoveCohost("cohost2"), "live", "not_allowed"),
    ("co-host removes themself as co-host",
     "cohost", RemoveCohost("cohost"), "live", "not_allowed"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), COHOST_SEATS)
def test_cohost_seats(actor, command, given, expect):
    check(actor, command, given, expect)


def after(given, actor, command):
    return apply_all(world(given).room, check(actor, command, given, OK))


def test_accepting_to_speak_puts_the_listener_on_stage_muted():
    room = after("invited", "listener", AcceptInvite(SPEAK))
    assert (room.role_of("listener"), room.participants["listener"].muted) == (Role.SPEAKER, True)
    assert room.invite_for("listener", SPEAK) is None


def test_a_speaker_who_becomes_co_host_keeps_their_microphone_state():
    room = after("invited", "speaker", AcceptInvite(COHOST))
    assert room.role_of("speaker") is Role.COHOST and "speaker" in room.cohost_ids
    assert room.participants["speaker"].muted is False


def test_expiry_drops_every_invitation_past_its_time():
    events = check(SYSTEM, ExpireInvites(), "invites expired", OK)
    assert {(e.user_id, e.kind) for e in events if isinstance(e, InviteExpired)} == {
        ("listener", SPEAK),
        ("speaker", COHOST),
    }
    assert check(SYSTEM, ExpireInvites(), "invited", OK) == []


def test_a_removed_co_host_stays_on_stage_as_a_speaker_when_a_seat_is_free():
    events = check("host", RemoveCohost("cohost2"), "live", OK)
    assert events == [RoleChanged("host", world("live").now, "cohost2", Role.SPEAKER, Role.COHOST)]
    room = after("stage full", "host", RemoveCohost("cohost2"))
    assert room.role_of("cohost2") is Role.LISTENER and "cohost2" not in room.cohost_ids


def test_removing_an_absent_co_host_frees_the_seat():
    events = check("host", RemoveCohost("cohost"), "cohost away", OK)
    assert events == [CohostRemoved("host", world("cohost away").now, "cohost")]
    room = apply_all(world("cohost away").room, events)
    assert room.cohost_ids == frozenset({"cohost2"})


def test_a_co_host_who_steps_down_gives_up_the_seat():
    room = after("live", "cohost", StepDown())
    assert room.role_of("cohost") is Role.LISTENER and "cohost" not in room.cohost_ids
    assert room.participants["cohost"].muted


def test_an_appointed_co_host_joins_as_co_host():
    start = world("one cohost").then(("host", AppointCohost("guest")), ("guest", Join("Gus")))
    assert start.room.role_of("guest") is Role.COHOST
