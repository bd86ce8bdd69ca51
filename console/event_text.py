"""The moderation log in words: one line per room event, naming who did what to whom."""

from __future__ import annotations

from collections.abc import Mapping

from console.room_view import name_of
from server.room import (
    AskModeChanged,
    BroadcastModeSet,
    CardEdited,
    CohostAppointed,
    CohostRemoved,
    ConsentAnswered,
    EndReason,
    InviteAccepted,
    InviteDeclined,
    InviteExpired,
    InviteSent,
    LinkPinned,
    LinkUnpinned,
    MarkerAdded,
    Muted,
    ParticipantJoined,
    ParticipantLeft,
    ParticipantRemoved,
    Reacted,
    RecordingStarted,
    RecordingStopped,
    ReportFiled,
    RequestApproved,
    RequestDeclined,
    RequestWithdrawn,
    Role,
    RoleChanged,
    Room,
    RoomCancelled,
    RoomEnded,
    RoomRescheduled,
    RoomStarted,
    SpeakRequested,
    StruckFromRecord,
    TicketRevoked,
    Unblocked,
    UnmuteAsked,
    Unmuted,
)

_ROLE_WORDS = {
    Role.HOST: "the host",
    Role.COHOST: "a co-host",
    Role.SPEAKER: "a speaker",
    Role.LISTENER: "a listener",
}

# Events that say nothing a moderator reviews later (they have their own panels).
QUIET = (Reacted, ParticipantJoined, ParticipantLeft)


def struck_what(span: str, whose: str | None = None) -> str:
    """What a strike removes, in words: "Your last minute" (whose None), "Sam’s last 5 minutes",
    "their voice since joining"."""
    owner = whose or "Your"
    match span:
        case "last_minute":
            return f"{owner} last minute"
        case "last_5_minutes":
            return f"{owner} last 5 minutes"
        case "last_15_minutes":
            return f"{owner} last 15 minutes"
    return f"{owner} voice since joining"


def struck_sentence(span: str, whose: str | None = None) -> str:
    """The plain confirmation once the relay has done it."""
    verb = "were" if span in ("last_5_minutes", "last_15_minutes") else "was"
    return f"{struck_what(span, whose)} {verb} removed from the recording."


def describe(event: object, room: Room, known: Mapping[str, str] | None = None) -> str | None:
    """One line for the moderation log, or None for events the log leaves out. `known`: names
    of people who have left (the room after a removal no longer holds theirs)."""
    actor = name_of(room, getattr(event, "actor", None), known)

    def who(user_id: str | None) -> str:
        return name_of(room, user_id, known)

    match event:
        case RoomStarted():
            return f"{actor} started the room"
        case RoomEnded(reason=EndReason.ABANDONED):
            return "The room ended: its host and co-hosts were away too long"
        case RoomEnded():
            return f"{actor} ended the room"
        case RoomCancelled():
            return f"{actor} cancelled the room"
        case RoomRescheduled():
            return f"{actor} rescheduled the room"
        case CardEdited(card=card):
            return f"{actor} renamed the room “{card.title}”"
        case AskModeChanged(mode=mode):
            return f"{actor} set who may ask to speak: {mode.value}"
        case BroadcastModeSet(on=True):
            return f"{actor} turned broadcast mode on: listeners hear the room over HLS"
        case BroadcastModeSet():
            return f"{actor} turned broadcast mode off"
        case SpeakRequested():
            return f"{actor} asked to speak"
        case RequestWithdrawn():
            return f"{actor} withdrew their request"
        case RequestApproved(user_id=uid):
            return f"{actor} brought {who(uid)} on stage"
        case RequestDeclined(user_id=uid):
            return f"{actor} declined {who(uid)}'s request"
        case InviteSent(user_id=uid, kind=kind):
            what = "speak" if kind.value == "speak" else "co-host"
            return f"{actor} invited {who(uid)} to {what}"
        case InviteAccepted(kind=kind):
            what = "co-host" if kind.value == "cohost" else "speaker"
            return f"{actor} accepted the {what} invitation"
        case InviteDeclined():
            return f"{actor} declined the invitation"
        case InviteExpired(user_id=uid):
            return f"The invitation to {who(uid)} expired"
        case RoleChanged(user_id=uid, role=role, previous=previous):
            if role is Role.LISTENER:
                return f"{who(uid)} left the stage" + ("" if actor == who(uid) else f" ({actor})")
            if previous is Role.LISTENER and role is Role.SPEAKER:
                return None  # the approval or the accepted invitation already says so
            if event.actor == uid:
                return None  # their accepted invitation already says so
            return f"{actor} made {who(uid)} {_ROLE_WORDS[role]}"
        case CohostAppointed(user_id=uid):
            return f"{actor} appointed a co-host seat ({uid})"
        case CohostRemoved(user_id=uid):
            return f"{actor} removed the co-host seat {uid}"
        case Muted(user_id=uid):
            return f"{actor} muted themself" if event.actor == uid else f"{actor} muted {who(uid)}"
        case Unmuted():
            return f"{actor} unmuted"
        case UnmuteAsked(user_id=uid):
            return f"{actor} asked {who(uid)} to unmute"
        case ParticipantRemoved(user_id=uid, block=block):
            return f"{actor} {'blocked' if block else 'removed'} {who(uid)}"
        case TicketRevoked(code=code, holder=holder):
            if holder is None:
                return f"{actor} revoked ticket {code}"
            return f"{actor} revoked ticket {code}; {who(holder)} lost their place"
        case Unblocked(user_id=uid):
            return f"{actor} unblocked {who(uid)}"
        case ReportFiled(user_id=uid, reason=reason):
            return f"{actor} reported {who(uid)}: “{reason}”"
        case LinkPinned(url=url):
            return f"{actor} pinned {url}"
        case LinkUnpinned(url=url):
            return f"{actor} unpinned {url}"
        case RecordingStarted():
            return f"{actor} started recording"
        case RecordingStopped():
            return f"{actor} stopped recording"
        case ConsentAnswered(granted=granted):
            return f"{actor} {'agreed to' if granted else 'declined'} being recorded"
        case MarkerAdded(label=label):
            return f"{actor} added a marker: {label}"
        case StruckFromRecord(user_id=uid, span=span):
            if uid == getattr(event, "actor", None):
                return f"{actor} struck {struck_what(span, 'their').lower()} from the recording"
            return f"{actor} struck {struck_what(span, who(uid) + '’s')} from the recording"
    return None
