"""The room as the console's windows see it: the shared rules' types and commands, re-exported.

The UI reaches the room rules only through this module (DESIGN §2: ui → console → server),
and asks `allowed(...)` to grey out what the relay would refuse.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from server.room import (
    REACTIONS,
    STRIKE_SPANS,
    AddContact,
    AddMarker,
    ApproveRequest,
    AskMode,
    CancelRoom,
    Consent,
    DeclineRequest,
    EditCard,
    EndRoom,
    FiledReport,
    InviteToCohost,
    InviteToSpeak,
    IssueTicket,
    MoveToAudience,
    Mute,
    MuteAll,
    Muted,
    Participant,
    PinLink,
    PinnedLink,
    Recording,
    RemoveCohost,
    RemoveContact,
    RemoveParticipant,
    Report,
    Reschedule,
    RevokeTicket,
    Role,
    Room,
    RoomState,
    SetAskMode,
    SetBroadcastMode,
    SetConsent,
    SetTicketing,
    SpeakRequest,
    StartRecording,
    StartRoom,
    StopRecording,
    StrikeFromRecord,
    StruckFromRecord,
    Unblock,
    Unmute,
    Unmuted,
    UnpinLink,
    can,
)

__all__ = [
    "REACTIONS",
    "STRIKE_SPANS",
    "AddContact",
    "AddMarker",
    "ApproveRequest",
    "AskMode",
    "CancelRoom",
    "Consent",
    "DeclineRequest",
    "EditCard",
    "EndRoom",
    "FiledReport",
    "InviteToCohost",
    "InviteToSpeak",
    "IssueTicket",
    "MoveToAudience",
    "Mute",
    "MuteAll",
    "Muted",
    "Participant",
    "PinLink",
    "PinnedLink",
    "Recording",
    "RemoveCohost",
    "RemoveContact",
    "RemoveParticipant",
    "Report",
    "Reschedule",
    "RevokeTicket",
    "Role",
    "Room",
    "RoomState",
    "SetAskMode",
    "SetBroadcastMode",
    "SetConsent",
    "SetTicketing",
    "SpeakRequest",
    "StartRecording",
    "StartRoom",
    "StopRecording",
    "StrikeFromRecord",
    "StruckFromRecord",
    "Unblock",
    "Unmute",
    "Unmuted",
    "UnpinLink",
    "allowed",
    "name_of",
]


def allowed(room: Room | None, actor: str | None, command: object) -> bool:
    """Would the relay accept `command` from `actor` now? (False without a room.)"""
    if room is None or actor is None:
        return False
    return can(room, actor, command, time.time())  # type: ignore[arg-type]


def name_of(room: Room, user_id: str | None, known: Mapping[str, str] | None = None) -> str:
    """A person's display name (from `known` names for someone who left); "the room" for None."""
    if user_id is None:
        return "the room"
    person = room.participants.get(user_id)
    if person is not None:
        return person.display_name
    if known is not None and user_id in known:
        return known[user_id]
    if user_id == room.host_id:
        return room.host_name
    if user_id == "system":
        return "Roomcast"
    return f"someone ({user_id[:10]})"
