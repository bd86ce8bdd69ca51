"""Who may do what to whom: the checks every rule family shares.

The host outranks everyone; co-hosts moderate speakers and listeners but never act on the host
or on each other (X Spaces); speakers and listeners moderate nobody.
"""

from __future__ import annotations

from server.room.model import Role, RoomState, UserId
from server.room.reasons import Reason, Rejected
from server.room.state import Room


def is_moderator(room: Room, user_id: UserId) -> bool:
    """Host or co-host, present in the room."""
    role = room.role_of(user_id)
    return role is not None and role.moderates


def require_host(room: Room, actor: UserId, what: str) -> Rejected | None:
    if actor != room.host_id:
        return Rejected(Reason.NOT_ALLOWED, f"Only the host can {what}.")
    return None


def require_moderator(room: Room, actor: UserId, what: str) -> Rejected | None:
    if not is_moderator(room, actor):
        return Rejected(Reason.NOT_ALLOWED, f"Only the host and co-hosts can {what}.")
    return None


def require_reach(room: Room, actor: UserId, target: UserId) -> Rejected | None:
    """May `actor` (already known to moderate) act on `target`? Works for absent targets too."""
    if target == actor:
        return Rejected(Reason.NOT_ALLOWED, "You cannot do that to yourself.")
    if target == room.host_id:
        return Rejected(Reason.NOT_ALLOWED, "Nobody can do that to the host.")
    if actor != room.host_id and target in room.cohost_ids:
        return Rejected(Reason.NOT_ALLOWED, "Co-hosts cannot act on each other; ask the host.")
    return None


def moderate(room: Room, actor: UserId, target: UserId, what: str) -> Rejected | None:
    """A moderator acting on someone present in the room whom they outrank."""
    refused = require_moderator(room, actor, what) or require_reach(room, actor, target)
    if refused:
        return refused
    if not room.is_present(target):
        return Rejected(Reason.TARGET_NOT_FOUND, "That person is not in the room any more.")
    return None


def stage_has_seat(room: Room, role: Role) -> Rejected | None:
    """A free seat for one more `role` (speaker or co-host)?"""
    if role is Role.COHOST:
        if len(room.cohost_ids) >= room.limits.max_cohosts:
            top = room.limits.max_cohosts
            return Rejected(Reason.COHOSTS_FULL, f"A room has at most {top} co-hosts.")
    elif role is Role.SPEAKER and room.count(Role.SPEAKER) >= room.limits.max_speakers:
        top = room.limits.max_speakers
        return Rejected(
            Reason.STAGE_FULL, f"All {top} speaker seats are taken; move someone to the audience."
        )
    return None


def require_live(room: Room, what: str) -> Rejected | None:
    """Stage, microphones, reactions and recording exist only while the room is live."""
    if room.state is not RoomState.LIVE:
        return Rejected(Reason.NOT_STARTED, f"The room is not live yet; {what} once it starts.")
    return None
