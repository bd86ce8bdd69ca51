"""Tickets: the host sets price and quantity, records each sold code and may revoke one (a
refund); a code admits the first person who uses it (see membership_rules for the door).

A revoked code leaves the issued set, so the ticket is on sale again; it is remembered so it
never admits anyone nor is issued again. Revoking a used code takes the holder's place away,
as a refunded ticket does on X's ticketed Spaces: they leave the room and need a new code."""

from __future__ import annotations

from server.room import validation
from server.room.commands import ClearTicketing, IssueTicket, RevokeTicket, SetTicketing
from server.room.events import (
    Event,
    TicketingCleared,
    TicketingSet,
    TicketIssued,
    TicketRevoked,
)
from server.room.model import UserId
from server.room.permissions import require_host
from server.room.reasons import Reason, Rejected
from server.room.state import Room

_NOT_TICKETED = Rejected(Reason.NOT_TICKETED, "This room is free; set a price and quantity first.")


def set_ticketing(
    room: Room, actor: UserId, command: SetTicketing, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "change ticketing")
    if refused:
        return refused
    issued = len(room.tickets.issued) if room.tickets else 0
    checked = validation.ticketing(
        command.price_cents, command.currency, command.quantity, room.limits, issued
    )
    if isinstance(checked, Rejected):
        return checked
    price_cents, currency, quantity = checked
    current = room.tickets
    if current and (current.price_cents, current.currency, current.quantity) == checked:
        return Rejected(Reason.NO_CHANGE, "Ticketing is already set that way.")
    return [TicketingSet(actor, now, price_cents, currency, quantity)]


def clear_ticketing(
    room: Room, actor: UserId, command: ClearTicketing, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "change ticketing")
    if refused:
        return refused
    if room.tickets is None:
        return _NOT_TICKETED
    if room.tickets.issued:
        return Rejected(
            Reason.NOT_ALLOWED, "Tickets were already sold; the room cannot become free."
        )
    return [TicketingCleared(actor, now)]


def issue_ticket(
    room: Room, actor: UserId, command: IssueTicket, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "issue tickets")
    if refused:
        return refused
    tickets = room.tickets
    if tickets is None:
        return _NOT_TICKETED
    code = validation.ticket_code(command.code)
    if isinstance(code, Rejected):
        return code
    if code in tickets.issued or code in tickets.revoked:
        return Rejected(Reason.DUPLICATE, "That ticket code was already issued.")
    if len(tickets.issued) >= tickets.quantity:
        return Rejected(
            Reason.SOLD_OUT, f"All {tickets.quantity} tickets are issued; raise the quantity."
        )
    return [TicketIssued(actor, now, code)]


def revoke_ticket(
    room: Room, actor: UserId, command: RevokeTicket, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "revoke tickets")
    if refused:
        return refused
    tickets = room.tickets
    if tickets is None:
        return _NOT_TICKETED
    if command.code in tickets.revoked:
        return Rejected(Reason.NO_CHANGE, "That ticket code is already revoked.")
    if command.code not in tickets.issued:
        return Rejected(Reason.TARGET_NOT_FOUND, "No such ticket code was issued for this room.")
    return [TicketRevoked(actor, now, command.code, tickets.holders.get(command.code))]
