"""Tickets: only the host sets price and quantity and issues codes (the relay makes them); each
ticket admits one person. The door itself (Join with a code) is in test_room_admission."""

from __future__ import annotations

import pytest

from server.room import (
    ClearTicketing,
    IssueTicket,
    Join,
    RevokeTicket,
    SetTicketing,
    Ticketing,
    TicketRevoked,
    apply_all,
    decide,
)
from tests.room.room_world import OK, check, rows, world

# "ticketed": USD 5.00, 3 for sale, T1 (used by ticket_holder) and T2 issued.
TICKETS = rows(
    ("host prices a free room", "host", SetTicketing(500, "USD", 100), "live", OK),
    ("host sets free tickets", "host", SetTicketing(0, "EUR", 50), "live", OK),
    ("host prices a scheduled room", "host", SetTicketing(500, "USD", 100), "scheduled", OK),
    ("absent host changes the price", "host", SetTicketing(700, "USD", 3), "host away", OK),
    ("host raises the quantity", "host", SetTicketing(500, "USD", 10), "ticketed", OK),
    ("host cuts the quantity below those issued",
     "host", SetTicketing(500, "USD", 1), "ticketed", "invalid_field"),
    ("host sets the same terms", "host", SetTicketing(500, "USD", 3), "ticketed", "no_change"),
    ("host sets a negative price", "host", SetTicketing(-1, "USD", 10), "live", "invalid_field"),
    ("host sets a price over 999.00",
     "host", SetTicketing(99_901, "USD", 10), "live", "invalid_field"),
    ("host sets a lower-case currency",
     "host", SetTicketing(500, "usd", 10), "live", "invalid_field"),
    ("host sets a two-letter currency",
     "host", SetTicketing(500, "US", 10), "live", "invalid_field"),
    ("host sets no tickets", "host", SetTicketing(500, "USD", 0), "live", "invalid_field"),
    ("host sets a made-up currency", "host", SetTicketing(500, "ZZZ", 10), "live", "invalid_field"),
    ("host prices in yen", "host", SetTicketing(500, "JPY", 10), "live", OK),
    ("co-host prices the room", "cohost", SetTicketing(500, "USD", 10), "live", "not_allowed"),
    ("listener prices the room", "listener", SetTicketing(500, "USD", 10), "live", "not_allowed"),
    ("host prices an ended room", "host", SetTicketing(500, "USD", 10), "ended", "room_ended"),
    ("host makes an unsold room free", "host", ClearTicketing(), "priced, none issued", OK),
    ("host makes a sold room free", "host", ClearTicketing(), "ticketed", "not_allowed"),
    ("host makes a free room free", "host", ClearTicketing(), "live", "not_ticketed"),
    ("host issues a ticket", "host", IssueTicket("T3"), "ticketed", OK),
    ("host issues a code twice", "host", IssueTicket("T1"), "ticketed", "duplicate"),
    ("host issues past the quantity", "host", IssueTicket("T4"), "sold out", "sold_out"),
    ("host issues a malformed code",
     "host", IssueTicket("not a code"), "ticketed", "invalid_field"),
    ("host issues in a free room", "host", IssueTicket("T3"), "live", "not_ticketed"),
    ("co-host issues a ticket", "cohost", IssueTicket("T3"), "ticketed", "not_allowed"),
    ("host revokes an unused code", "host", RevokeTicket("T2"), "ticketed", OK),
    ("host revokes a used code", "host", RevokeTicket("T1"), "ticketed", OK),
    ("host revokes a used code while its holder is away",
     "host", RevokeTicket("T1"), "ticketed, holder away", OK),
    ("absent host revokes a code", "host", RevokeTicket("T2"), "ticketed, host away", OK),
    ("host revokes a code twice", "host", RevokeTicket("T2"), "T2 revoked", "no_change"),
    ("host revokes a code never issued",
     "host", RevokeTicket("T9"), "ticketed", "target_not_found"),
    ("host revokes in a free room", "host", RevokeTicket("T1"), "live", "not_ticketed"),
    ("co-host revokes a code", "cohost", RevokeTicket("T2"), "ticketed", "not_allowed"),
    ("holder revokes their own code",
     "ticket_holder", RevokeTicket("T1"), "ticketed", "not_allowed"),
    ("host revokes a code in an ended room",
     "host", RevokeTicket("T2"), "ticketed, ended", "room_ended"),
    ("host issues a revoked code again", "host", IssueTicket("T2"), "T2 revoked", "duplicate"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), TICKETS)
def test_ticketing(actor, command, given, expect):
    check(actor, command, given, expect)


def test_repricing_keeps_the_issued_codes_and_their_holders():
    room = apply_all(
        world("ticketed").room, check("host", SetTicketing(900, "EUR", 10), "ticketed", OK)
    )
    assert room.tickets == Ticketing(
        900, "EUR", 10, frozenset({"T1", "T2"}), {"T1": "ticket_holder"}
    )


def test_people_already_in_stay_when_the_room_becomes_ticketed():
    room = apply_all(world("live").room, check("host", SetTicketing(500, "USD", 5), "live", OK))
    assert room.is_present("listener") and room.is_ticketed


def test_a_revoked_unused_code_admits_nobody_and_frees_its_ticket_for_sale():
    room = apply_all(world("ticketed").room, check("host", RevokeTicket("T2"), "ticketed", OK))
    assert room.tickets is not None
    assert room.tickets.issued == {"T1"} and room.tickets.revoked == {"T2"}
    refused = decide(room, "newcomer", Join("Nia", ticket_code="T2"), world("ticketed").now)
    assert not isinstance(refused, list) and refused.reason.value == "ticket_revoked"


def test_revoking_a_used_code_is_a_refund_the_holder_leaves_and_needs_a_new_ticket():
    """As on X's ticketed Spaces, a refunded ticket ends access: the holder is dropped from
    the room (the relay closes their connection) and rejoining without a code is refused."""
    events = check("host", RevokeTicket("T1"), "ticketed", OK)
    assert events == [TicketRevoked("host", world("ticketed").now, "T1", "ticket_holder")]
    room = apply_all(world("ticketed").room, events)
    assert not room.is_present("ticket_holder")
    assert room.tickets is not None and room.tickets.holders == {}
    again = decide(room, "ticket_holder", Join("Tia"), world("ticketed").now)
    assert not isinstance(again, list) and again.reason.value == "ticket_required"
    with_new = decide(room, "ticket_holder", Join("Tia", ticket_code="T2"), world("ticketed").now)
    assert isinstance(with_new, list), with_new
