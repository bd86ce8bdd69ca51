"""`decide(room, actor, command, now)`: the one entry point that turns a request into events or
a refusal. Pure: no clock, no I/O, never raises for a well-typed command (the codec guarantees
types before anything reaches here).

Gate order: unknown command -> the SYSTEM actor -> Join -> presence -> room over -> the rule.
"""

from __future__ import annotations

from server.room import (
    engagement_rules,
    lifecycle_rules,
    membership_rules,
    moderation_rules,
    recording_rules,
    stage_rules,
    ticket_rules,
)
from server.room.commands import (
    COMMAND_TYPES,
    AcceptInvite,
    AddContact,
    AddMarker,
    AppointCohost,
    ApproveRequest,
    AskToUnmute,
    CancelRoom,
    ClearTicketing,
    Command,
    DeclineInvite,
    DeclineRequest,
    EditCard,
    EndAbandonedRoom,
    EndRoom,
    ExpireInvites,
    FollowHostBlock,
    InviteToCohost,
    InviteToSpeak,
    IssueTicket,
    Join,
    Leave,
    LockRoom,
    MoveToAudience,
    Mute,
    MuteAll,
    PinLink,
    React,
    RemoveCohost,
    RemoveContact,
    RemoveParticipant,
    Report,
    RequestToSpeak,
    Reschedule,
    RevokeTicket,
    SetAskMode,
    SetBroadcastMode,
    SetConsent,
    SetTicketing,
    StartRecording,
    StartRoom,
    StepDown,
    StopRecording,
    StrikeFromRecord,
    Unblock,
    Unmute,
    UnpinLink,
    WithdrawRequest,
)
from server.room.events import Event
from server.room.model import SYSTEM, RoomState, UserId
from server.room.reasons import Reason, Rejected
from server.room.state import Room

_COMMAND_CLASSES = tuple(COMMAND_TYPES.values())

OWNER_COMMANDS: tuple[type[Command], ...] = (
    StartRoom, EndRoom, CancelRoom, EditCard, Reschedule, SetAskMode, SetBroadcastMode,
    AddContact, RemoveContact, SetTicketing, ClearTicketing, IssueTicket, RevokeTicket,
    AppointCohost, RemoveCohost, Unblock, StopRecording,
)  # fmt: skip
"""What the host may do from the console or the API without being in the room: run the schedule
(a scheduled room going live is the host's StartRoom), sell tickets, keep their lists."""

_SYSTEM_COMMANDS = (ExpireInvites, EndAbandonedRoom, FollowHostBlock)
"""What only the relay itself (SYSTEM) asks for."""

_AFTER_THE_END: tuple[type[Command], ...] = (Leave, Report)


def decide(room: Room, actor: UserId, command: Command, now: float) -> list[Event] | Rejected:
    if not isinstance(command, _COMMAND_CLASSES):
        return Rejected(Reason.UNKNOWN_COMMAND, "That is not something a room can do.")
    if actor == SYSTEM or isinstance(command, _SYSTEM_COMMANDS):
        if actor != SYSTEM or not isinstance(command, _SYSTEM_COMMANDS):
            return Rejected(
                Reason.NOT_ALLOWED,
                "Only the relay expires invitations, ends abandoned rooms and carries the "
                "host's blocks between rooms, and only that.",
            )
        if isinstance(command, ExpireInvites):
            return stage_rules.expire_invites(room, now)
        if room.state.is_over:
            return Rejected(Reason.ROOM_ENDED, "This room has ended.")
        if isinstance(command, FollowHostBlock):
            return moderation_rules.follow_host_block(room, command, now)
        return lifecycle_rules.end_abandoned(room, actor, command, now)
    if isinstance(command, Join):
        return membership_rules.join(room, actor, command, now)
    if not room.is_present(actor) and not (
        actor == room.host_id and isinstance(command, OWNER_COMMANDS)
    ):
        return Rejected(Reason.NOT_IN_ROOM, "Join the room first.")
    if room.state.is_over and not isinstance(command, _AFTER_THE_END):
        if room.state is RoomState.CANCELLED:
            return Rejected(Reason.ROOM_CANCELLED, "This room was cancelled.")
        return Rejected(Reason.ROOM_ENDED, "This room has ended.")
    return _rule(room, actor, command, now)


def can(room: Room, actor: UserId, command: Command, now: float) -> bool:
    """Would `decide` accept this? The console greys out buttons with it."""
    return not isinstance(decide(room, actor, command, now), Rejected)


def _rule(room: Room, actor: UserId, command: Command, now: float) -> list[Event] | Rejected:
    match command:
        case Leave():
            return membership_rules.leave(room, actor, command, now)
        case StartRoom():
            return lifecycle_rules.start(room, actor, command, now)
        case EndRoom():
            return lifecycle_rules.end(room, actor, command, now)
        case CancelRoom():
            return lifecycle_rules.cancel(room, actor, command, now)
        case Reschedule():
            return lifecycle_rules.reschedule(room, actor, command, now)
        case EditCard():
            return lifecycle_rules.edit_card(room, actor, command, now)
        case SetAskMode():
            return lifecycle_rules.set_ask_mode(room, actor, command, now)
        case LockRoom():
            return lifecycle_rules.lock_room(room, actor, command, now)
        case SetBroadcastMode():
            return lifecycle_rules.set_broadcast_mode(room, actor, command, now)
        case AddContact():
            return lifecycle_rules.add_contact(room, actor, command, now)
        case RemoveContact():
            return lifecycle_rules.remove_contact(room, actor, command, now)
        case SetTicketing():
            return ticket_rules.set_ticketing(room, actor, command, now)
        case ClearTicketing():
            return ticket_rules.clear_ticketing(room, actor, command, now)
        case IssueTicket():
            return ticket_rules.issue_ticket(room, actor, command, now)
        case RevokeTicket():
            return ticket_rules.revoke_ticket(room, actor, command, now)
        case RequestToSpeak():
            return stage_rules.request_to_speak(room, actor, command, now)
        case WithdrawRequest():
            return stage_rules.withdraw_request(room, actor, command, now)
        case ApproveRequest():
            return stage_rules.approve_request(room, actor, command, now)
        case DeclineRequest():
            return stage_rules.decline_request(room, actor, command, now)
        case InviteToSpeak():
            return stage_rules.invite_to_speak(room, actor, command, now)
        case InviteToCohost():
            return stage_rules.invite_to_cohost(room, actor, command, now)
        case AcceptInvite():
            return stage_rules.accept_invite(room, actor, command, now)
        case DeclineInvite():
            return stage_rules.decline_invite(room, actor, command, now)
        case StepDown():
            return stage_rules.step_down(room, actor, command, now)
        case MoveToAudience():
            return stage_rules.move_to_audience(room, actor, command, now)
        case AppointCohost():
            return stage_rules.appoint_cohost(room, actor, command, now)
        case RemoveCohost():
            return stage_rules.remove_cohost(room, actor, command, now)
        case Mute():
            return moderation_rules.mute(room, actor, command, now)
        case MuteAll():
            return moderation_rules.mute_all(room, actor, command, now)
        case Unmute():
            return moderation_rules.unmute(room, actor, command, now)
        case AskToUnmute():
            return moderation_rules.ask_to_unmute(room, actor, command, now)
        case RemoveParticipant():
            return moderation_rules.remove_participant(room, actor, command, now)
        case Unblock():
            return moderation_rules.unblock(room, actor, command, now)
        case Report():
            return moderation_rules.report(room, actor, command, now)
        case React():
            return engagement_rules.react(room, actor, command, now)
        case PinLink():
            return engagement_rules.pin_link(room, actor, command, now)
        case UnpinLink():
            return engagement_rules.unpin_link(room, actor, command, now)
        case StartRecording():
            return recording_rules.start_recording(room, actor, command, now)
        case StopRecording():
            return recording_rules.stop_recording(room, actor, command, now)
        case SetConsent():
            return recording_rules.set_consent(room, actor, command, now)
        case AddMarker():
            return recording_rules.add_marker(room, actor, command, now)
        case StrikeFromRecord():
            return recording_rules.strike_from_record(room, actor, command, now)
        case Join() | ExpireInvites() | EndAbandonedRoom() | FollowHostBlock():  # the gate
            return Rejected(Reason.UNKNOWN_COMMAND, "That is not something a room can do.")
