"""Microphones and moderation: mute, mute all, unmute yourself, ask to unmute; remove, block,
unblock; report.

Nobody unmutes someone else (privacy, as in Jitsi and Nextcloud Talk): a moderator may only ask.
"""

from __future__ import annotations

from server.room import validation
from server.room.commands import (
    AskToUnmute,
    FollowHostBlock,
    Mute,
    MuteAll,
    RemoveParticipant,
    Report,
    Unblock,
    Unmute,
)
from server.room.events import (
    Event,
    Muted,
    ParticipantRemoved,
    ReportFiled,
    Unblocked,
    UnmuteAsked,
    Unmuted,
)
from server.room.model import Role, UserId
from server.room.permissions import (
    moderate,
    require_host,
    require_live,
    require_moderator,
    require_reach,
)
from server.room.reasons import Reason, Rejected
from server.room.state import Room

# -- microphones -----------------------------------------------------------------------------


def mute(room: Room, actor: UserId, command: Mute, now: float) -> list[Event] | Rejected:
    target = command.user_id
    if target != actor:
        refused = moderate(room, actor, target, "mute others")
        if refused:
            return refused
    refused = require_live(room, "mute")
    if refused:
        return refused
    person = room.participants[target]
    if not person.role.on_stage:
        return Rejected(Reason.NOT_ON_STAGE, "Only people on stage have a microphone.")
    if person.muted:
        return Rejected(Reason.NO_CHANGE, "That microphone is already muted.")
    return [Muted(actor, now, target)]


def mute_all(room: Room, actor: UserId, command: MuteAll, now: float) -> list[Event] | Rejected:
    refused = require_moderator(room, actor, "mute all speakers") or require_live(room, "mute")
    if refused:
        return refused
    # Speakers only: co-hosts and the host are not "all speakers" (and a co-host may not
    # act on the host or another co-host anyway).
    open_mics = [p.user_id for p in room.stage() if p.role is Role.SPEAKER and not p.muted]
    if not open_mics:
        return Rejected(Reason.NO_CHANGE, "Every speaker is already muted.")
    return [Muted(actor, now, user_id) for user_id in open_mics]


def unmute(room: Room, actor: UserId, command: Unmute, now: float) -> list[Event] | Rejected:
    refused = require_live(room, "unmute")
    if refused:
        return refused
    person = room.participants[actor]
    if not person.role.on_stage:
        return Rejected(Reason.NOT_ON_STAGE, "Only people on stage can unmute; ask to speak.")
    if not person.muted:
        return Rejected(Reason.NO_CHANGE, "Your microphone is already on.")
    return [Unmuted(actor, now)]


def ask_to_unmute(
    room: Room, actor: UserId, command: AskToUnmute, now: float
) -> list[Event] | Rejected:
    target = command.user_id
    refused = moderate(room, actor, target, "ask people to unmute") or require_live(room, "ask")
    if refused:
        return refused
    person = room.participants[target]
    if not person.role.on_stage:
        return Rejected(Reason.NOT_ON_STAGE, "Only people on stage have a microphone.")
    if not person.muted:
        return Rejected(Reason.NO_CHANGE, "That microphone is already on.")
    return [UnmuteAsked(actor, now, target)]


# -- removal and blocks ----------------------------------------------------------------------


def remove_participant(
    room: Room, actor: UserId, command: RemoveParticipant, now: float
) -> list[Event] | Rejected:
    refused = require_moderator(room, actor, "remove people")
    if refused:
        return refused
    target = validation.user_id(command.user_id)
    if isinstance(target, Rejected):
        return target
    refused = require_reach(room, actor, target)
    if refused:
        return refused
    block = command.block is True
    # Someone who already left can still be removed or blocked (a raid's accounts come back).
    gone = not room.is_present(target)
    if gone and target in room.removed and (not block or target in room.blocked):
        return Rejected(Reason.NO_CHANGE, "That person is already barred from this room.")
    return [ParticipantRemoved(actor, now, target, block)]


def unblock(room: Room, actor: UserId, command: Unblock, now: float) -> list[Event] | Rejected:
    # Host only: the block list is the host's own and outlives any co-host appointment.
    refused = require_host(room, actor, "unblock people")
    if refused:
        return refused
    target = command.user_id
    if target not in room.blocked and target not in room.removed:
        return Rejected(Reason.NOT_BLOCKED, "That person is neither blocked nor removed.")
    return [Unblocked(actor, now, target)]


def follow_host_block(room: Room, command: FollowHostBlock, now: float) -> list[Event] | Rejected:
    """The host's block list changed in another room (SYSTEM only; the gate checks that):
    this room follows, dropping the person if present; an unblock lifts the block (and the
    removal it brought) here too."""
    target = validation.user_id(command.user_id)
    if isinstance(target, Rejected):
        return target
    if target == room.host_id:
        return Rejected(Reason.NOT_ALLOWED, "Nobody can do that to the host.")
    if command.blocked:
        if target in room.blocked:
            return Rejected(Reason.NO_CHANGE, "That person is already blocked here.")
        return [ParticipantRemoved(command.by, now, target, True)]
    if target not in room.blocked:
        return Rejected(Reason.NOT_BLOCKED, "That person is not blocked here.")
    return [Unblocked(command.by, now, target)]


# -- reports ---------------------------------------------------------------------------------


def report(room: Room, actor: UserId, command: Report, now: float) -> list[Event] | Rejected:
    reason = validation.text(
        command.reason, "reason", room.limits.max_report_reason_chars, multiline=True
    )
    if isinstance(reason, Rejected):
        return reason
    target = command.user_id
    if target is not None:
        if target == actor:
            return Rejected(Reason.NOT_ALLOWED, "You cannot report yourself.")
        known = (
            room.is_present(target)
            or target in room.removed
            or target == room.host_id
            or target in room.cohost_ids
        )
        if not known:
            return Rejected(Reason.TARGET_NOT_FOUND, "That person is not in this room.")
    if any(r.reporter_id == actor and r.user_id == target for r in room.reports):
        what = "this person" if target else "this room"
        return Rejected(Reason.DUPLICATE, f"You already reported {what}; the moderators have it.")
    limits = room.limits
    about = sum(1 for r in room.reports if r.user_id == target)
    mine = sum(1 for r in room.reports if r.reporter_id == actor)
    kept = (
        len(room.reports) < limits.max_report_rows
        and about < limits.max_report_rows_per_target
        and mine < limits.max_report_rows_per_reporter
    )
    return [ReportFiled(actor, now, reason, target, kept)]
