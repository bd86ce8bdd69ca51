"""Who gets in (Join) and going out (Leave): DESIGN §3 roles, removal, blocks, lifecycle, tickets.

The role follows the authenticated id: the host's id holds the host role, an appointed co-host's
id the co-host role (so a co-host whose connection dropped comes back as co-host), everyone else
listens. A speaker who leaves comes back as a listener.
"""

from __future__ import annotations

import pytest

from server.room import SYSTEM, InviteKind, Join, Leave, Reason, Rejected, Role, apply_all, decide
from tests.room.room_world import OK, check, rows, world

JOIN = rows(
    ("newcomer joins", "newcomer", Join("Nia"), "live", OK),
    ("someone already here joins again", "listener", Join("Lee"), "live", OK),
    ("host comes back", "host", Join("Hana"), "host away", OK),
    ("co-host comes back", "cohost", Join("Cora"), "cohost away", OK),
    ("removed person rejoins", "removed_user", Join("Rex"), "live", "removed"),
    ("blocked person joins", "blocked_user", Join("Bo"), "live", "blocked"),
    ("newcomer joins a full room", "newcomer", Join("Nia"), "room full", "room_full"),
    ("co-host joins a full room", "cohost", Join("Cora"), "room full, cohost away", OK),
    ("newcomer joins before the start", "newcomer", Join("Nia"), "scheduled", "not_started"),
    ("host joins before the start", "host", Join("Hana"), "scheduled empty", OK),
    ("co-host joins before the start", "cohost", Join("Cora"), "scheduled, cohost away", OK),
    ("newcomer joins an ended room", "newcomer", Join("Nia"), "ended", "room_ended"),
    ("host joins an ended room", "host", Join("Hana"), "ended", "room_ended"),
    ("newcomer joins a cancelled room", "newcomer", Join("N"), "cancelled", "room_cancelled"),
    ("the relay itself joins", SYSTEM, Join("Relay"), "live", "not_allowed"),
    ("an id with a space joins", "new comer", Join("Nia"), "live", "invalid_field"),
    ("newcomer with a blank name", "newcomer", Join("   "), "live", "invalid_field"),
    ("newcomer with a 51-letter name", "newcomer", Join("n" * 51), "live", "invalid_field"),
    ("newcomer with a 50-letter name", "newcomer", Join("n" * 50), "live", OK),
    ("newcomer with a bell in the name", "newcomer", Join("Ni\x07a"), "live", "invalid_field"),
    ("newcomer with no ticket", "newcomer", Join("Nia"), "ticketed", "ticket_required"),
    ("newcomer with an unused ticket", "newcomer", Join("Nia", "T2"), "ticketed", OK),
    # The code is the ticket: brought from another device, it moves there (see below).
    ("the ticket's code from another device", "newcomer", Join("N", "T1"), "ticketed", OK),
    ("newcomer with a made-up code", "newcomer", Join("N", "T9"), "ticketed", "ticket_invalid"),
    ("newcomer with a malformed code", "newcomer", Join("N", "!"), "ticketed", "ticket_invalid"),
    ("ticket holder rejoins with it",
     "ticket_holder", Join("T", "T1"), "ticketed, holder away", OK),
    ("ticket holder rejoins without it", "ticket_holder", Join("T"), "ticketed, holder away", OK),
    ("co-host joins without a ticket", "cohost", Join("Cora"), "ticketed, cohost away", OK),
    # Nobody passes for the host (Hana) or a co-host (Cohost2), nor labels themselves with a role.
    ("newcomer takes the host's name", "newcomer", Join("Hana"), "live", "name_taken"),
    ("… in fullwidth letters", "newcomer", Join("Ｈａｎａ"), "live", "name_taken"),
    ("… with Greek Eta and Cyrillic a", "newcomer", Join("Ηаna"), "live", "name_taken"),
    ("… with a zero-width space", "newcomer", Join("Ha\u200bna"), "live", "name_taken"),
    ("… with an accent and a dot", "newcomer", Join("Hàna."), "live", "name_taken"),
    ("… while the host is away", "newcomer", Join("hana"), "host away", "name_taken"),
    ("newcomer labelled (Host)", "newcomer", Join("Nia (Host)"), "live", "name_taken"),
    ("newcomer labelled [mod]", "newcomer", Join("[mod] Nia"), "live", "name_taken"),
    ("newcomer called Moderator", "newcomer", Join("Moderator"), "live", "name_taken"),
    ("newcomer takes a co-host's name", "newcomer", Join("C0host 2"), "live", "name_taken"),
    ("a name that only contains the host's",
     "newcomer", Join("Hana Lee"), "live", OK),
    ("a name with the word host in it", "newcomer", Join("Hostetler"), "live", OK),
    ("the host's own name for the host", "host", Join("Hana (Host)"), "host away", OK),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), JOIN)
def test_join(actor, command, given, expect):
    check(actor, command, given, expect)


LEAVE = rows(
    ("listener leaves", "listener", Leave(), "live", OK),
    ("speaker leaves", "speaker", Leave(), "live", OK),
    ("host leaves", "host", Leave(), "live", OK),
    ("someone not here leaves", "stranger", Leave(), "live", "not_in_room"),
    ("listener leaves an ended room", "listener", Leave(), "ended", OK),
    ("the relay itself leaves", SYSTEM, Leave(), "live", "not_allowed"),
)


@pytest.mark.parametrize(("actor", "command", "given", "expect"), LEAVE)
def test_leave(actor, command, given, expect):
    check(actor, command, given, expect)


def test_a_reconnect_of_someone_present_changes_nothing():
    assert check("speaker", Join("Sam again"), "live", OK) == []


@pytest.mark.parametrize(
    ("given", "who", "role"),
    [
        ("host away", "host", Role.HOST),
        ("cohost away", "cohost", Role.COHOST),
        ("live", "newcomer", Role.LISTENER),
    ],
)
def test_the_role_follows_the_id(given, who, role):
    start = world(given)
    room = apply_all(start.room, check(who, Join("Name"), given, OK))
    assert room.role_of(who) is role
    assert room.participants[who].muted  # nobody arrives with an open microphone


def test_a_speaker_who_leaves_comes_back_as_a_listener():
    start = world("live").then(("speaker", Leave()), ("speaker", Join("Sam")))
    assert start.room.role_of("speaker") is Role.LISTENER


def test_leaving_drops_the_request_and_invitations():
    start = world("invited").then(("listener", Leave()), ("asker", Leave()))
    assert start.room.invite_for("listener", InviteKind.SPEAK) is None
    assert start.room.request_of("asker") is None


def test_the_host_name_on_the_card_follows_the_hosts_display_name():
    start = world("host away").then(("host", Join("Hana B.")))
    assert start.room.host_name == "Hana B."


def test_a_ticket_admits_one_person_at_a_time():
    start = world("ticketed").then(("newcomer", Join("Nia", "T2")))
    assert start.room.tickets is not None
    assert start.room.tickets.holders == {"T1": "ticket_holder", "T2": "newcomer"}
    moved = start.then(("other", Join("Oz", "T2"))).room
    assert moved.tickets is not None
    assert moved.tickets.holders == {"T1": "ticket_holder", "T2": "other"}
    assert not moved.is_present("newcomer")


def test_a_ticket_moves_to_the_device_that_brings_its_code_and_the_old_one_leaves():
    """Issue 16, item 7: a ticket was tied to the first browser that used it, so a buyer could
    not move from phone to laptop. The code moves; one person at a time holds it."""
    start = world("ticketed")
    assert start.room.is_present("ticket_holder")
    events = check("newcomer", Join("Tia on her laptop", "T1"), "ticketed", OK)
    assert [type(e).__name__ for e in events] == ["TicketMoved", "ParticipantJoined"]
    after = apply_all(start.room, events)
    assert after.tickets is not None and after.tickets.holders["T1"] == "newcomer"
    assert not after.is_present("ticket_holder") and after.is_present("newcomer")
    back = decide(after, "ticket_holder", Join("Tia on her phone"), start.now)
    assert isinstance(back, Rejected) and back.reason is Reason.TICKET_REQUIRED
