"""Commands: what someone asks the room to do (imperative names).

The actor is not a field: the relay passes the authenticated user id to `decide` beside the
command. `wire_name` is the snake_case `type` of the WebSocket envelope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from server.room.model import AskMode, InviteKind, UserId

# -- joining and leaving ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    """Enter the room. The role follows the actor id: the host's id holds the host role, an
    appointed co-host's id the co-host role, anyone else listens."""

    wire_name: ClassVar[str] = "join"
    display_name: str
    ticket_code: str | None = None


@dataclass(frozen=True, slots=True)
class Leave:
    wire_name: ClassVar[str] = "leave"


# -- lifecycle and the card (host) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartRoom:
    wire_name: ClassVar[str] = "start_room"


@dataclass(frozen=True, slots=True)
class EndRoom:
    wire_name: ClassVar[str] = "end_room"


@dataclass(frozen=True, slots=True)
class CancelRoom:
    wire_name: ClassVar[str] = "cancel_room"


@dataclass(frozen=True, slots=True)
class EditCard:
    wire_name: ClassVar[str] = "edit_card"
    title: str
    description: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reschedule:
    wire_name: ClassVar[str] = "reschedule"
    starts_at: float


@dataclass(frozen=True, slots=True)
class SetAskMode:
    wire_name: ClassVar[str] = "set_ask_mode"
    mode: AskMode


@dataclass(frozen=True, slots=True)
class LockRoom:
    """Close the room to newcomers (or open it again): only people already in, ticket holders
    and host or co-host links get in while it is locked."""

    wire_name: ClassVar[str] = "lock_room"
    locked: bool


@dataclass(frozen=True, slots=True)
class SetBroadcastMode:
    """Broadcast the room (or stop): every listener who joins hears it over HLS, a few seconds
    late, whatever WebRTC seats are free. Only on a relay started with --hls."""

    wire_name: ClassVar[str] = "set_broadcast_mode"
    on: bool


@dataclass(frozen=True, slots=True)
class AddContact:
    wire_name: ClassVar[str] = "add_contact"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class RemoveContact:
    wire_name: ClassVar[str] = "remove_contact"
    user_id: UserId


# -- tickets (host) --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetTicketing:
    wire_name: ClassVar[str] = "set_ticketing"
    price_cents: int
    currency: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ClearTicketing:
    """Make the room free again; only before any ticket was issued."""

    wire_name: ClassVar[str] = "clear_ticketing"


@dataclass(frozen=True, slots=True)
class IssueTicket:
    """Record one sold ticket; the relay makes the random code."""

    wire_name: ClassVar[str] = "issue_ticket"
    code: str


@dataclass(frozen=True, slots=True)
class RevokeTicket:
    """Withdraw one code (a refund): unused, it admits nobody; used, its holder loses their
    place and needs a new ticket to come back."""

    wire_name: ClassVar[str] = "revoke_ticket"
    code: str


# -- the stage -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestToSpeak:
    wire_name: ClassVar[str] = "request_to_speak"


@dataclass(frozen=True, slots=True)
class WithdrawRequest:
    wire_name: ClassVar[str] = "withdraw_request"


@dataclass(frozen=True, slots=True)
class ApproveRequest:
    wire_name: ClassVar[str] = "approve_request"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class DeclineRequest:
    wire_name: ClassVar[str] = "decline_request"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class InviteToSpeak:
    wire_name: ClassVar[str] = "invite_to_speak"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class InviteToCohost:
    wire_name: ClassVar[str] = "invite_to_cohost"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class AcceptInvite:
    wire_name: ClassVar[str] = "accept_invite"
    kind: InviteKind


@dataclass(frozen=True, slots=True)
class DeclineInvite:
    wire_name: ClassVar[str] = "decline_invite"
    kind: InviteKind


@dataclass(frozen=True, slots=True)
class ExpireInvites:
    """Sent by SYSTEM on a timer: drops every invite past its `expires_at`."""

    wire_name: ClassVar[str] = "expire_invites"


@dataclass(frozen=True, slots=True)
class EndAbandonedRoom:
    """Sent by SYSTEM when the relay has seen no host or co-host connected for its abandon time:
    the room ends (and its recording stops) with the reason in the log."""

    wire_name: ClassVar[str] = "end_abandoned_room"


@dataclass(frozen=True, slots=True)
class FollowHostBlock:
    """Sent by SYSTEM when `by` blocked (or unblocked) `user_id` in another room of this host:
    the host's block list is one list, so every live and scheduled room of theirs follows."""

    wire_name: ClassVar[str] = "follow_host_block"
    user_id: UserId
    blocked: bool
    by: UserId


@dataclass(frozen=True, slots=True)
class StepDown:
    """Leave the stage for the audience (a co-host also gives up the co-host seat)."""

    wire_name: ClassVar[str] = "step_down"


@dataclass(frozen=True, slots=True)
class MoveToAudience:
    wire_name: ClassVar[str] = "move_to_audience"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class AppointCohost:
    """Host names a co-host who is not in the room yet (behind a co-host link); someone
    already in the room is asked with InviteToCohost instead."""

    wire_name: ClassVar[str] = "appoint_cohost"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class RemoveCohost:
    """Host takes the co-host seat away; a present co-host stays on stage as a speaker when a
    speaker seat is free, else returns to the audience."""

    wire_name: ClassVar[str] = "remove_cohost"
    user_id: UserId


# -- microphones -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mute:
    """Mute a speaker (moderators) or yourself (anyone on stage)."""

    wire_name: ClassVar[str] = "mute"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class MuteAll:
    """Mute every speaker (not co-hosts, not the host)."""

    wire_name: ClassVar[str] = "mute_all"


@dataclass(frozen=True, slots=True)
class Unmute:
    """Unmute yourself; nobody unmutes someone else."""

    wire_name: ClassVar[str] = "unmute"


@dataclass(frozen=True, slots=True)
class AskToUnmute:
    wire_name: ClassVar[str] = "ask_to_unmute"
    user_id: UserId


# -- moderation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RemoveParticipant:
    """Remove from this room (also someone who already left); `block` bars them from every
    room of this host until unblocked."""

    wire_name: ClassVar[str] = "remove_participant"
    user_id: UserId
    block: bool = False


@dataclass(frozen=True, slots=True)
class Unblock:
    """Lift a block and this room's removal."""

    wire_name: ClassVar[str] = "unblock"
    user_id: UserId


@dataclass(frozen=True, slots=True)
class Report:
    """Report a participant, or the room when `user_id` is None."""

    wire_name: ClassVar[str] = "report"
    reason: str
    user_id: UserId | None = None


# -- reactions and links ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class React:
    wire_name: ClassVar[str] = "react"
    emoji: str


@dataclass(frozen=True, slots=True)
class PinLink:
    wire_name: ClassVar[str] = "pin_link"
    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class UnpinLink:
    wire_name: ClassVar[str] = "unpin_link"
    url: str


# -- recording -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartRecording:
    """`all_party`: record nothing while anyone on stage has not said yes."""

    wire_name: ClassVar[str] = "start_recording"
    all_party: bool = False


@dataclass(frozen=True, slots=True)
class StopRecording:
    wire_name: ClassVar[str] = "stop_recording"


@dataclass(frozen=True, slots=True)
class SetConsent:
    """Answer (or change the answer to) the recording's consent question."""

    wire_name: ClassVar[str] = "set_consent"
    granted: bool


@dataclass(frozen=True, slots=True)
class AddMarker:
    wire_name: ClassVar[str] = "add_marker"
    label: str


STRIKE_SPANS: dict[str, float | None] = {
    "last_minute": 60.0,
    "last_5_minutes": 300.0,
    "last_15_minutes": 900.0,
    "since_joined": None,
}
"""What a strike may remove, by name: the last N seconds, or everything since the person first
came on stage in this take (None)."""


@dataclass(frozen=True, slots=True)
class StrikeFromRecord:
    """Remove the recent span of `user_id`'s voice from the running take (see STRIKE_SPANS)."""

    wire_name: ClassVar[str] = "strike_from_record"
    user_id: UserId
    span: str


Command: TypeAlias = (
    Join | Leave | StartRoom | EndRoom | CancelRoom | EditCard | Reschedule | SetAskMode | LockRoom
    | SetBroadcastMode
    | AddContact | RemoveContact | SetTicketing | ClearTicketing | IssueTicket
    | RevokeTicket
    | RequestToSpeak | WithdrawRequest | ApproveRequest | DeclineRequest
    | InviteToSpeak | InviteToCohost | AcceptInvite | DeclineInvite | ExpireInvites
    | EndAbandonedRoom | FollowHostBlock
    | StepDown | MoveToAudience | AppointCohost | RemoveCohost
    | Mute | MuteAll | Unmute | AskToUnmute
    | RemoveParticipant | Unblock | Report
    | React | PinLink | UnpinLink
    | StartRecording | StopRecording | SetConsent | AddMarker | StrikeFromRecord
)  # fmt: skip

_ALL: tuple[type[Command], ...] = (
    Join, Leave, StartRoom, EndRoom, CancelRoom, EditCard, Reschedule, SetAskMode, LockRoom,
    SetBroadcastMode,
    AddContact, RemoveContact, SetTicketing, ClearTicketing, IssueTicket, RevokeTicket,
    RequestToSpeak, WithdrawRequest, ApproveRequest, DeclineRequest,
    InviteToSpeak, InviteToCohost, AcceptInvite, DeclineInvite, ExpireInvites,
    EndAbandonedRoom, FollowHostBlock,
    StepDown, MoveToAudience, AppointCohost, RemoveCohost,
    Mute, MuteAll, Unmute, AskToUnmute,
    RemoveParticipant, Unblock, Report,
    React, PinLink, UnpinLink,
    StartRecording, StopRecording, SetConsent, AddMarker, StrikeFromRecord,
)  # fmt: skip

COMMAND_TYPES: dict[str, type[Command]] = {cls.wire_name: cls for cls in _ALL}
