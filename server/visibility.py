"""What each person in a room may see of it.

The room state holds things only some people may know: ticket codes and the
host's contact list (host only), reports and the block list (moderators),
other people's cool-downs and reaction times (nobody needs them). Snapshots
are trimmed with `room_for` and events filtered with `event_visible_to`
before they leave the relay.
"""

from __future__ import annotations

import dataclasses

from server.room import (
    ContactAdded,
    ContactRemoved,
    ReportFiled,
    Room,
    TicketIssued,
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
        tickets = dataclasses.replace(tickets, issued=frozenset(mine), holders=mine)
    return dataclasses.replace(
        room,
        tickets=tickets,
        contacts=room.contacts if is_host else frozenset(),
        blocked=room.blocked if moderates else frozenset(),
        reports=room.reports
        if moderates
        else tuple(r for r in room.reports if r.reporter_id == viewer),
        request_cooldowns={k: v for k, v in room.request_cooldowns.items() if k == viewer},
        last_reaction_at={},
    )


def event_visible_to(event: object, room: Room, viewer: str) -> bool:
    """Whether `viewer` receives `event` (judged against the room after the event)."""
    if isinstance(event, (TicketIssued, ContactAdded, ContactRemoved)):
        return viewer == room.host_id
    if isinstance(event, ReportFiled):
        return event.actor == viewer or is_moderator(room, viewer)
    if isinstance(event, Unblocked):
        return is_moderator(room, viewer)
    return True
