"""What each person in a room may see of it.

The room state holds things only some people may know: ticket codes and the
host's contact list (host only; a ticket code also to its holder), reports
and the host's block list, which spans all their rooms (moderators).
Snapshots are trimmed with `room_for`; events go through `event_for`, which
drops or redacts them the same way, so that a client's mirror (snapshot +
events) equals `room_for` of the relay's room. What events tell everyone
anyway (a decline's cool-down, reaction times) is not hidden from snapshots
either.
"""

from __future__ import annotations

import dataclasses

from server.room import (
    ContactAdded,
    ContactRemoved,
    Event,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRemoved,
    ReportFiled,
    Room,
    TicketIssued,
    TicketMoved,
    TicketRevoked,
    Unblocked,
    is_moderator,
)


def room_for(room: Room, viewer: str) -> Room:
    """The room as `viewer` may see it."""
    is_host = viewer == room.host_id
    moderates = is_moderator(room, viewer)
    tickets = room.tickets
    if tickets is not None and not is_host:
        mine = {code: holder for code, holder in tickets.holders.items() if holder == viewer}
        tickets = dataclasses.replace(
            tickets, issued=frozenset(mine), holders=mine, revoked=frozenset()
        )
    return dataclasses.replace(
        room,
        tickets=tickets,
        contacts=room.contacts if is_host else frozenset(),
        blocked=room.blocked if moderates else frozenset(),
        reports=room.reports
        if moderates
        else tuple(r for r in room.reports if r.reporter_id == viewer),
        folded_reports=room.folded_reports if moderates else {},
    )


def event_for(event: Event, room: Room, viewer: str) -> Event | None:
    """The event as `viewer` receives it, or None (judged against the room after the event)."""
    if isinstance(event, (TicketIssued, ContactAdded, ContactRemoved)):
        return event if viewer == room.host_id else None
    if isinstance(event, ParticipantJoined) and event.ticket_code is not None:
        # A ticket code is a key to the room: only its holder and the host see it.
        if viewer in (event.actor, room.host_id):
            return event
        return dataclasses.replace(event, ticket_code=None)
    if isinstance(event, TicketMoved):
        # The code is the ticket: its new and old holder and the host see it; others see the
        # old holder go (if they were here), never the code.
        if viewer in (room.host_id, event.actor, event.from_user):
            return event
        return (
            None if room.is_present(event.from_user) else ParticipantLeft(event.from_user, event.at)
        )
    if isinstance(event, TicketRevoked):
        if viewer == room.host_id:
            return event
        # Others learn only that the holder left (codes are the host's); whether they left is
        # judged on the room, never on who is looking, so one version serves every other viewer.
        holder = event.holder
        if holder is None or room.is_present(holder):
            return None
        return ParticipantLeft(holder, event.at)
    if isinstance(event, ReportFiled):
        if is_moderator(room, viewer):
            return event
        # A report folded into a count (not kept as a row) is the moderators' business only.
        return event if event.actor == viewer and event.kept else None
    if isinstance(event, Unblocked):
        return event if is_moderator(room, viewer) else None
    if isinstance(event, ParticipantRemoved) and event.block and not is_moderator(room, viewer):
        return dataclasses.replace(event, block=False)  # everyone sees them go, not the block
    return event


@dataclasses.dataclass(frozen=True, slots=True)
class Audience:
    """An event as each class of viewer receives it: the few people who may see a different
    version (the host, present moderators, the actor) by id, and everyone else's version."""

    special: dict[str, Event | None]
    everyone_else: Event | None


# Nobody's user id: the relay's ids are never empty (validation.user_id refuses "").
_ANYONE = ""


def audience(event: Event, room: Room) -> Audience:
    """`event_for` per class of viewer, not per connection: what `event_for` looks at is only
    whether the viewer is the host, a present moderator or the event's actor, so every other
    viewer receives the same version. A test holds this equal to `event_for` for everyone."""
    # Moderators are the host and co-hosts; `cohost_ids` also holds absent ones (harmless).
    special_ids = {room.host_id, getattr(event, "actor", _ANYONE), *room.cohost_ids}
    special_ids.discard(_ANYONE)
    special = {user_id: event_for(event, room, user_id) for user_id in special_ids}
    return Audience(special, event_for(event, room, _ANYONE))
