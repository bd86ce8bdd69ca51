"""The broadcaster works out each event per class of viewer, not per connection: for every
person (and a stranger), that must be exactly what `event_for` gives them."""

from __future__ import annotations

import pytest

from server.room import (
    AddContact,
    IssueTicket,
    React,
    RemoveParticipant,
    Report,
    RevokeTicket,
    Unblock,
    apply_all,
    decide,
)
from server.visibility import audience, event_for
from tests.room.room_world import world

STEPS = [
    ("live", "listener", React("🔥")),
    ("live", "listener", Report("spam", "speaker")),
    ("live", "cohost", Report("rude", "listener2")),
    ("live", "cohost", RemoveParticipant("listener2", block=True)),
    ("live", "host", RemoveParticipant("listener2", block=False)),
    ("live", "host", Unblock("blocked_user")),
    ("live", "host", AddContact("listener2")),
    ("ticketed", "host", IssueTicket("T9")),
    ("ticketed", "host", RevokeTicket("T1")),
    ("ticketed", "host", RevokeTicket("T2")),
]


@pytest.mark.parametrize(("given", "actor", "command"), STEPS, ids=[repr(s[2]) for s in STEPS])
def test_every_viewer_gets_what_event_for_gives_them(given, actor, command):
    start = world(given)
    events = decide(start.room, actor, command, start.now)  # type: ignore[arg-type]
    assert isinstance(events, list), events
    room = apply_all(start.room, events)
    viewers = set(start.room.participants) | {"stranger", room.host_id}
    for event in events:
        seen = audience(event, room)
        for viewer in viewers:
            expected = event_for(event, room, viewer)
            got = seen.special.get(viewer, seen.everyone_else)
            assert got == expected, (viewer, event)
