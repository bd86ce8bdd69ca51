"""Joining and leaving. The relay has authenticated the actor id (and any host or co-host token)
before it asks; the role follows from that id: the host's id is the host, an appointed co-host's
id is a co-host, everyone else is a listener."""

from __future__ import annotations

from server.room import names, validation
from server.room.commands import Join, Leave
from server.room.events import Event, ParticipantJoined, ParticipantLeft, TicketMoved
from server.room.model import Role, RoomState, UserId
from server.room.reasons import Reason, Rejected
from server.room.state import Room


def role_for(room: Room, user_id: UserId) -> Role:
    if user_id == room.host_id:
        return Role.HOST
    if user_id in room.cohost_ids:
        return Role.COHOST
    return Role.LISTENER


def join(room: Room, actor: UserId, command: Join, now: float) -> list[Event] | Rejected:
    if room.state is RoomState.ENDED:
        return Rejected(Reason.ROOM_ENDED, "This room has ended.")
    if room.state is RoomState.CANCELLED:
        return Rejected(Reason.ROOM_CANCELLED, "This room was cancelled by its host.")
    if isinstance(validation.user_id(actor), Rejected):
        return validation.invalid("That is not a valid user id.")
    name = validation.display_name(command.display_name, room.limits)
    if isinstance(name, Rejected):
        return name
    if room.is_present(actor):
        return []  # a reconnect of someone already here changes nothing
    role = role_for(room, actor)
    if role is not Role.HOST:
        refused = _barred(room, actor)
        if refused:
            return refused
    if role not in (Role.HOST, Role.COHOST):
        refused = _impersonates(room, name)
        if refused:
            return refused
    if role is Role.LISTENER:
        refused = _admit_listener(room)
        if refused:
            return refused
        if room.locked and (room.tickets is None or room.tickets.code_of(actor) is None):
            return Rejected(
                Reason.ROOM_LOCKED,
                "The hosts have closed this room to newcomers; only people invited by a host "
                "link can join now.",
            )
        ticket = _ticket_for(room, actor, command.ticket_code)
        if isinstance(ticket, Rejected):
            return ticket
    else:
        ticket = None  # the host and co-hosts need no ticket
    joined = ParticipantJoined(actor, now, name, role, ticket)
    holder = room.tickets.holders.get(ticket) if room.tickets and ticket else None
    if holder is not None and holder != actor:
        return [TicketMoved(actor, now, ticket, holder), joined]  # type: ignore[arg-type]
    return [joined]


def _barred(room: Room, actor: UserId) -> Rejected | None:
    if actor in room.blocked:
        return Rejected(Reason.BLOCKED, "The host has blocked you from their rooms.")
    if actor in room.removed:
        return Rejected(Reason.REMOVED, "You were removed from this room and cannot rejoin it.")
    return None


def _impersonates(room: Room, name: str) -> Rejected | None:
    """Someone who is neither host nor co-host may not take a name that passes for one of
    theirs, nor label themselves with a role."""
    if names.claims_role(name):
        return Rejected(
            Reason.NAME_TAKEN, "A name cannot carry a role like (Host); the room shows who hosts."
        )
    trusted = [(room.host_name, "host")]
    # The host and co-hosts only, looked up by id: a join costs the same in a room of 1,000.
    for uid in (room.host_id, *sorted(room.cohost_ids)):
        person = room.participants.get(uid)
        if person is not None:
            trusted.append((person.display_name, "host" if uid == room.host_id else "co-host"))
    likeness = names.likeness(name)
    for other, who in trusted:
        if likeness and names.likeness(other) == likeness:
            return Rejected(
                Reason.NAME_TAKEN, f"That name looks like the {who}'s ({other}); choose another."
            )
    return None


def _admit_listener(room: Room) -> Rejected | None:
    if room.state is RoomState.SCHEDULED:
        return Rejected(
            Reason.NOT_STARTED, "This room has not started yet; come back at its start time."
        )
    capacity = room.limits.listener_capacity
    # Listeners are some of the people present: only a room holding as many people as its
    # capacity needs them counted (a pass over everyone, which every join would pay).
    if len(room.participants) >= capacity and room.count(Role.LISTENER) >= capacity:
        return Rejected(Reason.ROOM_FULL, "The room is full; try again when someone leaves.")
    return None


def _ticket_for(room: Room, actor: UserId, code: str | None) -> str | Rejected | None:
    """The ticket admitting `actor` (None in a free room), binding a fresh code on first use."""
    tickets = room.tickets
    if tickets is None:
        return None
    held = tickets.code_of(actor)
    if held is not None:
        return held  # a ticket holder rejoining needs no code
    if code is None:
        return Rejected(Reason.TICKET_REQUIRED, "This room needs a ticket; enter your ticket code.")
    checked = validation.ticket_code(code)
    if not isinstance(checked, Rejected) and checked in tickets.revoked:
        return Rejected(
            Reason.TICKET_REVOKED, "That ticket was revoked by the host; it admits nobody now."
        )
    if isinstance(checked, Rejected) or checked not in tickets.issued:
        return Rejected(Reason.TICKET_INVALID, "That ticket code is not valid for this room.")
    # A code held by someone else moves to whoever brings it (the buyer on another device):
    # the code is the ticket, and one person at a time uses it (see `join`).
    return checked


def leave(room: Room, actor: UserId, command: Leave, now: float) -> list[Event] | Rejected:
    return [ParticipantLeft(actor, now)]
