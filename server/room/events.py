"""Events: what happened (past-tense names). Every event starts with `actor` and `at`.

The list of events is the room's moderation log. `apply` derives the consequences of each fact
in one place (someone coming on stage is muted, loses their pending request and, during a
recording, is asked for consent), so an event carries only what decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from server.room.model import AskMode, EndReason, InviteKind, Role, RoomCard, UserId

# -- joining and leaving ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    wire_name: ClassVar[str] = "participant_joined"
    actor: UserId
    at: float
    display_name: str
    role: Role
    ticket_code: str | None = None


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    wire_name: ClassVar[str] = "participant_left"
    actor: UserId
    at: float


# -- lifecycle and the card ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RoomStarted:
    wire_name: ClassVar[str] = "room_started"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class RoomEnded:
    wire_name: ClassVar[str] = "room_ended"
    actor: UserId
    at: float
    reason: EndReason = EndReason.HOST_ENDED


@dataclass(frozen=True, slots=True)
class RoomCancelled:
    wire_name: ClassVar[str] = "room_cancelled"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class RoomRescheduled:
    wire_name: ClassVar[str] = "room_rescheduled"
    actor: UserId
    at: float
    starts_at: float


@dataclass(frozen=True, slots=True)
class CardEdited:
    wire_name: ClassVar[str] = "card_edited"
    actor: UserId
    at: float
    card: RoomCard


@dataclass(frozen=True, slots=True)
class RoomLocked:
    wire_name: ClassVar[str] = "room_locked"
    actor: UserId
    at: float
    locked: bool


@dataclass(frozen=True, slots=True)
class BroadcastModeSet:
    wire_name: ClassVar[str] = "broadcast_mode_set"
    actor: UserId
    at: float
    on: bool


@dataclass(frozen=True, slots=True)
class AskModeChanged:
    wire_name: ClassVar[str] = "ask_mode_changed"
    actor: UserId
    at: float
    mode: AskMode


@dataclass(frozen=True, slots=True)
class ContactAdded:
    wire_name: ClassVar[str] = "contact_added"
    actor: UserId
    at: float
    user_id: UserId


@dataclass(frozen=True, slots=True)
class ContactRemoved:
    wire_name: ClassVar[str] = "contact_removed"
    actor: UserId
    at: float
    user_id: UserId


# -- tickets ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketingSet:
    wire_name: ClassVar[str] = "ticketing_set"
    actor: UserId
    at: float
    price_cents: int
    currency: str
    quantity: int


@dataclass(frozen=True, slots=True)
class TicketingCleared:
    wire_name: ClassVar[str] = "ticketing_cleared"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class TicketIssued:
    wire_name: ClassVar[str] = "ticket_issued"
    actor: UserId
    at: float
    code: str


@dataclass(frozen=True, slots=True)
class TicketRevoked:
    """`holder` is who the code had admitted (None: unused); they leave the room with it."""

    wire_name: ClassVar[str] = "ticket_revoked"
    actor: UserId
    at: float
    code: str
    holder: UserId | None = None


@dataclass(frozen=True, slots=True)
class TicketMoved:
    """The ticket's code was used by `actor` (another browser or device of its buyer): it
    admits them now, and `from_user`, who held it, leaves the room."""

    wire_name: ClassVar[str] = "ticket_moved"
    actor: UserId
    at: float
    code: str
    from_user: UserId


# -- the stage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SpeakRequested:
    wire_name: ClassVar[str] = "speak_requested"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class RequestWithdrawn:
    wire_name: ClassVar[str] = "request_withdrawn"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class RequestApproved:
    """Followed by RoleChanged(user_id, SPEAKER)."""

    wire_name: ClassVar[str] = "request_approved"
    actor: UserId
    at: float
    user_id: UserId


@dataclass(frozen=True, slots=True)
class RequestDeclined:
    wire_name: ClassVar[str] = "request_declined"
    actor: UserId
    at: float
    user_id: UserId
    may_ask_again_at: float


@dataclass(frozen=True, slots=True)
class InviteSent:
    wire_name: ClassVar[str] = "invite_sent"
    actor: UserId
    at: float
    user_id: UserId
    kind: InviteKind
    expires_at: float


@dataclass(frozen=True, slots=True)
class InviteAccepted:
    """Followed by RoleChanged(actor, kind.role)."""

    wire_name: ClassVar[str] = "invite_accepted"
    actor: UserId
    at: float
    kind: InviteKind


@dataclass(frozen=True, slots=True)
class InviteDeclined:
    wire_name: ClassVar[str] = "invite_declined"
    actor: UserId
    at: float
    kind: InviteKind


@dataclass(frozen=True, slots=True)
class InviteExpired:
    wire_name: ClassVar[str] = "invite_expired"
    actor: UserId
    at: float
    user_id: UserId
    kind: InviteKind


@dataclass(frozen=True, slots=True)
class RoleChanged:
    """Every move on or off the stage and every change of role is one of these."""

    wire_name: ClassVar[str] = "role_changed"
    actor: UserId
    at: float
    user_id: UserId
    role: Role
    previous: Role


@dataclass(frozen=True, slots=True)
class CohostAppointed:
    wire_name: ClassVar[str] = "cohost_appointed"
    actor: UserId
    at: float
    user_id: UserId


@dataclass(frozen=True, slots=True)
class CohostRemoved:
    """The seat of a co-host who is not in the room is gone. A present co-host's seat goes with
    RoleChanged(previous=COHOST) instead, so every event leaves a consistent room."""

    wire_name: ClassVar[str] = "cohost_removed"
    actor: UserId
    at: float
    user_id: UserId


# -- microphones -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Muted:
    wire_name: ClassVar[str] = "muted"
    actor: UserId
    at: float
    user_id: UserId


@dataclass(frozen=True, slots=True)
class Unmuted:
    """Only ever the actor themself."""

    wire_name: ClassVar[str] = "unmuted"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class UnmuteAsked:
    wire_name: ClassVar[str] = "unmute_asked"
    actor: UserId
    at: float
    user_id: UserId


# -- moderation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParticipantRemoved:
    wire_name: ClassVar[str] = "participant_removed"
    actor: UserId
    at: float
    user_id: UserId
    block: bool = False


@dataclass(frozen=True, slots=True)
class Unblocked:
    wire_name: ClassVar[str] = "unblocked"
    actor: UserId
    at: float
    user_id: UserId


@dataclass(frozen=True, slots=True)
class ReportFiled:
    wire_name: ClassVar[str] = "report_filed"
    actor: UserId
    at: float
    reason: str
    user_id: UserId | None = None
    # False: the room already keeps enough rows (about this person, or in all); this report
    # only adds to the count of folded reports, and only moderators hear of it.
    kept: bool = True


# -- reactions and links ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reacted:
    wire_name: ClassVar[str] = "reacted"
    actor: UserId
    at: float
    emoji: str


@dataclass(frozen=True, slots=True)
class LinkPinned:
    wire_name: ClassVar[str] = "link_pinned"
    actor: UserId
    at: float
    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class LinkUnpinned:
    wire_name: ClassVar[str] = "link_unpinned"
    actor: UserId
    at: float
    url: str


# -- recording -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordingStarted:
    """Everyone on stage is asked for consent; the host who starts it has said yes by doing so."""

    wire_name: ClassVar[str] = "recording_started"
    actor: UserId
    at: float
    all_party: bool = False


@dataclass(frozen=True, slots=True)
class RecordingStopped:
    wire_name: ClassVar[str] = "recording_stopped"
    actor: UserId
    at: float


@dataclass(frozen=True, slots=True)
class ConsentAnswered:
    wire_name: ClassVar[str] = "consent_answered"
    actor: UserId
    at: float
    granted: bool


@dataclass(frozen=True, slots=True)
class MarkerAdded:
    wire_name: ClassVar[str] = "marker_added"
    actor: UserId
    at: float
    label: str


@dataclass(frozen=True, slots=True)
class StruckFromRecord:
    """`actor` had `user_id`'s voice from `since` (wall clock, never before the take started or
    the person was first asked in it) to `at` removed from the take; `span` is what they chose
    (a STRIKE_SPANS name). The room keeps nothing of it: the recorder writes it to the take's
    ledger and silences the span."""

    wire_name: ClassVar[str] = "struck_from_record"
    actor: UserId
    at: float
    user_id: UserId
    span: str
    since: float


Event: TypeAlias = (
    ParticipantJoined | ParticipantLeft
    | RoomStarted | RoomEnded | RoomCancelled | RoomRescheduled | CardEdited | AskModeChanged
    | RoomLocked | BroadcastModeSet
    | ContactAdded | ContactRemoved | TicketingSet | TicketingCleared | TicketIssued
    | TicketRevoked | TicketMoved
    | SpeakRequested | RequestWithdrawn | RequestApproved | RequestDeclined
    | InviteSent | InviteAccepted | InviteDeclined | InviteExpired
    | RoleChanged | CohostAppointed | CohostRemoved
    | Muted | Unmuted | UnmuteAsked
    | ParticipantRemoved | Unblocked | ReportFiled
    | Reacted | LinkPinned | LinkUnpinned
    | RecordingStarted | RecordingStopped | ConsentAnswered | MarkerAdded | StruckFromRecord
)  # fmt: skip

_ALL: tuple[type[Event], ...] = (
    ParticipantJoined, ParticipantLeft,
    RoomStarted, RoomEnded, RoomCancelled, RoomRescheduled, CardEdited, AskModeChanged, RoomLocked,
    BroadcastModeSet,
    ContactAdded, ContactRemoved, TicketingSet, TicketingCleared, TicketIssued, TicketRevoked,
    TicketMoved,
    SpeakRequested, RequestWithdrawn, RequestApproved, RequestDeclined,
    InviteSent, InviteAccepted, InviteDeclined, InviteExpired,
    RoleChanged, CohostAppointed, CohostRemoved,
    Muted, Unmuted, UnmuteAsked,
    ParticipantRemoved, Unblocked, ReportFiled,
    Reacted, LinkPinned, LinkUnpinned,
    RecordingStarted, RecordingStopped, ConsentAnswered, MarkerAdded, StruckFromRecord,
)  # fmt: skip

EVENT_TYPES: dict[str, type[Event]] = {cls.wire_name: cls for cls in _ALL}
