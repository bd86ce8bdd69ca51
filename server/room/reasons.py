"""Why a command was refused: a machine code the UI maps to words, plus a sentence for people."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Reason(enum.Enum):
    """Refusal codes; values are the snake_case codes sent on the wire."""

    UNKNOWN_COMMAND = "unknown_command"
    INVALID_FIELD = "invalid_field"
    NOT_IN_ROOM = "not_in_room"
    NOT_ALLOWED = "not_allowed"
    TARGET_NOT_FOUND = "target_not_found"
    NO_CHANGE = "no_change"
    # lifecycle
    NOT_STARTED = "not_started"
    NOT_SCHEDULED = "not_scheduled"
    ROOM_ENDED = "room_ended"
    ROOM_CANCELLED = "room_cancelled"
    # admission
    ROOM_FULL = "room_full"
    REMOVED = "removed"
    BLOCKED = "blocked"
    NAME_TAKEN = "name_taken"
    ROOM_LOCKED = "room_locked"
    NOT_BLOCKED = "not_blocked"
    TICKET_REQUIRED = "ticket_required"
    TICKET_INVALID = "ticket_invalid"
    TICKET_TAKEN = "ticket_taken"
    TICKET_REVOKED = "ticket_revoked"
    NOT_TICKETED = "not_ticketed"
    SOLD_OUT = "sold_out"
    # stage
    NOT_ON_STAGE = "not_on_stage"
    ALREADY_ON_STAGE = "already_on_stage"
    STAGE_FULL = "stage_full"
    COHOSTS_FULL = "cohosts_full"
    NOT_COHOST = "not_cohost"
    ASKING_CLOSED = "asking_closed"
    NOT_FOLLOWED = "not_followed"
    ALREADY_REQUESTED = "already_requested"
    NO_REQUEST = "no_request"
    COOLING_DOWN = "cooling_down"
    ALREADY_INVITED = "already_invited"
    NO_INVITE = "no_invite"
    # engagement and reports
    RATE_LIMITED = "rate_limited"
    DUPLICATE = "duplicate"
    LIMIT_REACHED = "limit_reached"
    # recording
    NOT_RECORDING = "not_recording"
    ALREADY_RECORDING = "already_recording"


@dataclass(frozen=True, slots=True)
class Rejected:
    """A refusal: `reason` for machines, `detail` for the person who asked."""

    reason: Reason
    detail: str = ""
