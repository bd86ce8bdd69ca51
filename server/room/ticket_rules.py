"""Tickets: the host sets price and quantity and records each sold code; a code admits the first
person who uses it (see membership_rules for the door)."""

from __future__ import annotations

from server.room import validation
from server.room.commands import ClearTicketing, IssueTicket, SetTicketing
from server.room.events import Event, TicketingCleared, TicketingSet, TicketIssued
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
    if code in tickets.issued:
        return Rejected(Reason.DUPLICATE, "That ticket code was already issued.")
    if len(tickets.issued) >= tickets.quantity:
        return Rejected(
            Reason.SOLD_OUT, f"All {tickets.quantity} tickets are issued; raise the quantity."
        )
    return [TicketIssued(actor, now, code)]
