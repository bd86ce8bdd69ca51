"""The stage: speak requests (first come, first served), invitations to speak and to co-host,
stepping down, moving people to the audience, appointing and removing co-hosts.

Checks run in the order who -> when -> whom -> what, so the refusal names the first thing to fix.
"""

from __future__ import annotations

from server.room import validation
from server.room.commands import (
    AcceptInvite,
    AppointCohost,
    ApproveRequest,
    DeclineInvite,
    DeclineRequest,
    InviteToCohost,
    InviteToSpeak,
    MoveToAudience,
    RemoveCohost,
    RequestToSpeak,
    StepDown,
    WithdrawRequest,
)
from server.room.events import (
    CohostAppointed,
    CohostRemoved,
    Event,
    InviteAccepted,
    InviteDeclined,
    InviteExpired,
    InviteSent,
    RequestApproved,
    RequestDeclined,
    RequestWithdrawn,
    RoleChanged,
    SpeakRequested,
)
from server.room.model import SYSTEM, AskMode, Invite, InviteKind, Role, UserId
from server.room.permissions import (
    moderate,
    require_host,
    require_live,
    require_moderator,
    stage_has_seat,
)
from server.room.reasons import Reason, Rejected
from server.room.state import Room

_NO_REQUEST = Rejected(Reason.NO_REQUEST, "That person has no speak request waiting.")


def _role(room: Room, user_id: UserId) -> Role:
    return room.participants[user_id].role


# -- requests --------------------------------------------------------------------------------


def request_to_speak(
    room: Room, actor: UserId, command: RequestToSpeak, now: float
) -> list[Event] | Rejected:
    refused = require_live(room, "ask to speak")
    if refused:
        return refused
    if _role(room, actor).on_stage:
        return Rejected(Reason.ALREADY_ON_STAGE, "You are already on stage.")
    if room.ask_mode is AskMode.INVITED:
        return Rejected(Reason.ASKING_CLOSED, "Only people the hosts invite can speak right now.")
    if room.ask_mode is AskMode.FOLLOWED and actor not in room.contacts:
        return Rejected(Reason.NOT_FOLLOWED, "Only people the host follows can ask to speak.")
    if room.request_of(actor) is not None:
        return Rejected(Reason.ALREADY_REQUESTED, "Your request is already in the queue.")
    may_ask_at = room.request_cooldowns.get(actor, now)
    if may_ask_at > now:
        wait_s = may_ask_at - now
        return Rejected(
            Reason.COOLING_DOWN, f"Your last request was declined; ask again in {wait_s:.0f} s."
        )
    return [SpeakRequested(actor, now)]


def withdraw_request(
    room: Room, actor: UserId, command: WithdrawRequest, now: float
) -> list[Event] | Rejected:
    if room.request_of(actor) is None:
        return Rejected(Reason.NO_REQUEST, "You have no speak request to withdraw.")
    return [RequestWithdrawn(actor, now)]


def approve_request(
    room: Room, actor: UserId, command: ApproveRequest, now: float
) -> list[Event] | Rejected:
    refused = require_moderator(room, actor, "approve requests") or require_live(room, "approve")
    if refused:
        return refused
    target = command.user_id
    if room.request_of(target) is None:
        return _NO_REQUEST
    refused = stage_has_seat(room, Role.SPEAKER)
    if refused:
        return refused
    return [
        RequestApproved(actor, now, target),
        RoleChanged(actor, now, target, Role.SPEAKER, _role(room, target)),
    ]


def decline_request(
    room: Room, actor: UserId, command: DeclineRequest, now: float
) -> list[Event] | Rejected:
    refused = require_moderator(room, actor, "decline requests") or require_live(room, "decline")
    if refused:
        return refused
    if room.request_of(command.user_id) is None:
        return _NO_REQUEST
    may_ask_again_at = now + room.limits.decline_cooldown_s
    return [RequestDeclined(actor, now, command.user_id, may_ask_again_at)]


# -- invitations -----------------------------------------------------------------------------


def _pending_invite(room: Room, user_id: UserId, kind: InviteKind, now: float) -> Invite | None:
    invite = room.invite_for(user_id, kind)
    return invite if invite is not None and invite.expires_at > now else None


def invite_to_speak(
    room: Room, actor: UserId, command: InviteToSpeak, now: float
) -> list[Event] | Rejected:
    target = command.user_id
    refused = (
        require_moderator(room, actor, "invite people to speak")
        or require_live(room, "invite speakers")
        or moderate(room, actor, target, "invite people to speak")
    )
    if refused:
        return refused
    if _role(room, target).on_stage:
        return Rejected(Reason.ALREADY_ON_STAGE, "That person is already on stage.")
    if _pending_invite(room, target, InviteKind.SPEAK, now):
        return Rejected(Reason.ALREADY_INVITED, "That person already has an invitation to speak.")
    refused = stage_has_seat(room, Role.SPEAKER)
    if refused:
        return refused
    expires_at = now + room.limits.invite_ttl_s
    return [InviteSent(actor, now, target, InviteKind.SPEAK, expires_at)]


def invite_to_cohost(
    room: Room, actor: UserId, command: InviteToCohost, now: float
) -> list[Event] | Rejected:
    target = command.user_id
    refused = (
        require_host(room, actor, "appoint co-hosts")
        or require_live(room, "invite co-hosts")
        or moderate(room, actor, target, "appoint co-hosts")
    )
    if refused:
        return refused
    if _role(room, target) is Role.COHOST:
        return Rejected(Reason.NO_CHANGE, "That person is already a co-host.")
    if _pending_invite(room, target, InviteKind.COHOST, now):
        return Rejected(Reason.ALREADY_INVITED, "That person already has an invitation to co-host.")
    refused = stage_has_seat(room, Role.COHOST)
    if refused:
        return refused
    expires_at = now + room.limits.invite_ttl_s
    return [InviteSent(actor, now, target, InviteKind.COHOST, expires_at)]


def accept_invite(
    room: Room, actor: UserId, command: AcceptInvite, now: float
) -> list[Event] | Rejected:
    kind = command.kind
    if not isinstance(kind, InviteKind):
        return validation.invalid("The invitation kind is speak or cohost.")
    refused = require_live(room, "accept invitations")
    if refused:
        return refused
    if _pending_invite(room, actor, kind, now) is None:
        return Rejected(Reason.NO_INVITE, "You have no open invitation of that kind.")
    refused = stage_has_seat(room, kind.role)
    if refused:
        return refused
    return [
        InviteAccepted(actor, now, kind),
        RoleChanged(actor, now, actor, kind.role, _role(room, actor)),
    ]


def decline_invite(
    room: Room, actor: UserId, command: DeclineInvite, now: float
) -> list[Event] | Rejected:
    kind = command.kind
    if not isinstance(kind, InviteKind) or _pending_invite(room, actor, kind, now) is None:
        return Rejected(Reason.NO_INVITE, "You have no open invitation of that kind.")
    return [InviteDeclined(actor, now, kind)]


def expire_invites(room: Room, now: float) -> list[Event]:
    return [
        InviteExpired(SYSTEM, now, invite.user_id, invite.kind)
        for invite in room.invites
        if invite.expires_at <= now
    ]


# -- leaving the stage, co-host seats --------------------------------------------------------


def step_down(room: Room, actor: UserId, command: StepDown, now: float) -> list[Event] | Rejected:
    refused = require_live(room, "step down")
    if refused:
        return refused
    role = _role(room, actor)
    if role is Role.HOST:
        return Rejected(Reason.NOT_ALLOWED, "The host stays on stage; end the room instead.")
    if not role.on_stage:
        return Rejected(Reason.NOT_ON_STAGE, "You are not on stage.")
    return [RoleChanged(actor, now, actor, Role.LISTENER, role)]


def move_to_audience(
    room: Room, actor: UserId, command: MoveToAudience, now: float
) -> list[Event] | Rejected:
    target = command.user_id
    refused = (
        require_moderator(room, actor, "move people to the audience")
        or require_live(room, "move people")
        or moderate(room, actor, target, "move people to the audience")
    )
    if refused:
        return refused
    role = _role(room, target)
    if not role.on_stage:
        return Rejected(Reason.NOT_ON_STAGE, "That person is already in the audience.")
    return [RoleChanged(actor, now, target, Role.LISTENER, role)]


def appoint_cohost(
    room: Room, actor: UserId, command: AppointCohost, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "appoint co-hosts")
    if refused:
        return refused
    target = validation.user_id(command.user_id)
    if isinstance(target, Rejected):
        return target
    if target == room.host_id:
        return Rejected(Reason.NOT_ALLOWED, "You are the host already.")
    if target in room.cohost_ids:
        return Rejected(Reason.NO_CHANGE, "That person is already a co-host.")
    if room.is_present(target):
        return Rejected(Reason.NOT_ALLOWED, "That person is here; invite them to co-host instead.")
    if target in room.blocked:
        return Rejected(Reason.BLOCKED, "That person is blocked; unblock them first.")
    if target in room.removed:
        return Rejected(Reason.REMOVED, "That person was removed; unblock them first.")
    refused = stage_has_seat(room, Role.COHOST)
    if refused:
        return refused
    return [CohostAppointed(actor, now, target)]


def remove_cohost(
    room: Room, actor: UserId, command: RemoveCohost, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "remove co-hosts")
    if refused:
        return refused
    target = command.user_id
    if target not in room.cohost_ids:
        return Rejected(Reason.NOT_COHOST, "That person is not a co-host.")
    if not room.is_present(target):
        return [CohostRemoved(actor, now, target)]
    # Keep them on stage when a speaker seat is free: losing the seat is not a penalty.
    role = Role.SPEAKER if stage_has_seat(room, Role.SPEAKER) is None else Role.LISTENER
    return [RoleChanged(actor, now, target, role, Role.COHOST)]
