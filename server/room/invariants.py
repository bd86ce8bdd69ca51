"""What must hold for every Room that `apply` builds from events `decide` produced.

`violations(room)` lists each broken promise in words (empty when all hold). Tests call it after
every event; the relay can call it after restoring a room from its store.
"""

from __future__ import annotations

from server.room.model import InviteKind, Role, RoomState
from server.room.state import Room

_NOT_MODERATORS = (Role.LISTENER, Role.SPEAKER)


def violations(room: Room) -> list[str]:
    found: list[str] = []
    found += _roles(room)
    found += _barred(room)
    found += _queues(room)
    found += _recording(room)
    found += _links_and_tickets(room)
    return found


def _roles(room: Room) -> list[str]:
    found = []
    hosts = [p.user_id for p in room.participants.values() if p.role is Role.HOST]
    expected = [room.host_id] if room.is_present(room.host_id) else []
    if hosts != expected:
        found.append(f"host role held by {hosts}, expected {expected}")
    limits = room.limits
    if room.host_id in room.cohost_ids:
        found.append("the host is listed as a co-host")
    if len(room.cohost_ids) > limits.max_cohosts:
        found.append(f"{len(room.cohost_ids)} co-hosts > {limits.max_cohosts}")
    if room.count(Role.SPEAKER) > limits.max_speakers:
        found.append(f"{room.count(Role.SPEAKER)} speakers > {limits.max_speakers}")
    for user_id, person in room.participants.items():
        if person.user_id != user_id:
            found.append(f"participant {user_id} is keyed under another id")
        if (person.role is Role.COHOST) != (user_id in room.cohost_ids):
            found.append(f"{user_id} is {person.role.value} but co-host list says otherwise")
        if not person.role.on_stage and not person.muted:
            found.append(f"listener {user_id} has an open microphone")
        if person.role.on_stage != (person.on_stage_at is not None):
            found.append(f"{user_id}: on_stage_at does not match the role")
    return found


def _barred(room: Room) -> list[str]:
    present = set(room.participants)
    found = [f"{u} is present but removed" for u in sorted(present & room.removed)]
    found += [f"{u} is present but blocked" for u in sorted(present & room.blocked)]
    if room.host_id in room.blocked or room.host_id in room.removed:
        found.append("the host is barred from their own room")
    return found


def _queues(room: Room) -> list[str]:
    found = []
    askers = [r.user_id for r in room.requests]
    if len(set(askers)) != len(askers):
        found.append(f"duplicate speak requests: {askers}")
    times = [r.asked_at for r in room.requests]
    if times != sorted(times):
        found.append("speak requests are not in the order they were asked")
    for user_id in askers:
        if room.role_of(user_id) is not Role.LISTENER:
            found.append(f"{user_id} has a request but is not a listener in the room")
    keys = [(i.user_id, i.kind) for i in room.invites]
    if len(set(keys)) != len(keys):
        found.append("duplicate invitations")
    for invite in room.invites:
        role = room.role_of(invite.user_id)
        allowed = (Role.LISTENER,) if invite.kind is InviteKind.SPEAK else _NOT_MODERATORS
        if role not in allowed:
            found.append(f"{invite.kind.value} invitation for {invite.user_id} who is {role}")
    if room.state is not RoomState.LIVE and (room.requests or room.invites):
        found.append(f"requests or invitations while {room.state.value}")
    return found


def _recording(room: Room) -> list[str]:
    recording = room.recording
    if recording is None:
        return []
    found = []
    if recording.active and room.state is not RoomState.LIVE:
        found.append(f"recording while {room.state.value}")
    if set(recording.consents) != {e.user_id for e in recording.ledger}:
        found.append("consents and the consent ledger disagree")
    latest = {e.user_id: e.consent for e in recording.ledger}
    if latest != recording.consents:
        found.append("a consent is not the latest ledger answer")
    if recording.active:
        for person in room.stage():
            if person.user_id not in recording.consents:
                found.append(f"{person.user_id} is on stage during a recording without being asked")
    return found


def _links_and_tickets(room: Room) -> list[str]:
    found = []
    urls = [link.url for link in room.pinned_links]
    if len(urls) > room.limits.max_pinned_links or len(set(urls)) != len(urls):
        found.append(f"pinned links over the limit or repeated: {urls}")
    tickets = room.tickets
    if tickets is not None:
        if len(tickets.issued) > tickets.quantity:
            found.append("more tickets issued than for sale")
        if not set(tickets.holders) <= tickets.issued:
            found.append("a ticket holder holds a code that was never issued")
        if len(set(tickets.holders.values())) != len(tickets.holders):
            found.append("one person holds two tickets")
        if tickets.issued & tickets.revoked:
            found.append("a revoked ticket code is still issued")
    return found
