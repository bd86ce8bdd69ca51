"""`apply(room, event) -> room`: folds one fact into a new Room. Never raises and never mutates.

The consequences of coming on stage live here and nowhere else: the mic starts muted, a pending
speak request and matching invitations are dropped, and during a recording the person is asked
for consent (PENDING) unless they already answered in this take.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from server.room.events import (
    AskModeChanged,
    BroadcastModeSet,
    CardEdited,
    CohostAppointed,
    CohostRemoved,
    ConsentAnswered,
    ContactAdded,
    ContactRemoved,
    Event,
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
    RoleChanged,
    RoomCancelled,
    RoomEnded,
    RoomLocked,
    RoomRescheduled,
    RoomStarted,
    SpeakRequested,
    TicketingCleared,
    TicketingSet,
    TicketIssued,
    TicketMoved,
    TicketRevoked,
    Unblocked,
    UnmuteAsked,
    Unmuted,
)
from server.room.model import (
    Consent,
    ConsentEntry,
    FiledReport,
    Invite,
    InviteKind,
    Marker,
    Participant,
    PinnedLink,
    Recording,
    Role,
    RoomState,
    SpeakRequest,
    Ticketing,
    UserId,
)
from server.room.state import Room


def apply_all(room: Room, events: Iterable[Event]) -> Room:
    for event in events:
        room = apply(room, event)
    return room


def apply(room: Room, event: Event) -> Room:
    match event:
        case ParticipantJoined():
            return _joined(room, event)
        case ParticipantLeft():
            return _drop(room, event.actor)
        case ParticipantRemoved():
            room = _drop(room, event.user_id)
            return replace(
                room,
                removed=room.removed | {event.user_id},
                blocked=(room.blocked | {event.user_id}) if event.block else room.blocked,
                cohost_ids=room.cohost_ids - {event.user_id},
            )
        case Unblocked():
            return replace(
                room,
                removed=room.removed - {event.user_id},
                blocked=room.blocked - {event.user_id},
            )
        case RoomStarted():
            return replace(room, state=RoomState.LIVE, started_at=event.at)
        case RoomEnded():
            room = replace(room, recording=_stopped(room.recording, event.at))
            return replace(room, state=RoomState.ENDED, ended_at=event.at, requests=(), invites=())
        case RoomCancelled():
            return replace(
                room, state=RoomState.CANCELLED, ended_at=event.at, requests=(), invites=()
            )
        case RoomRescheduled():
            return replace(room, starts_at=event.starts_at)
        case CardEdited():
            return replace(room, card=event.card)
        case AskModeChanged():
            return replace(room, ask_mode=event.mode)
        case RoomLocked():
            return replace(room, locked=event.locked)
        case BroadcastModeSet():
            return replace(room, broadcast=event.on)
        case ContactAdded():
            return replace(room, contacts=room.contacts | {event.user_id})
        case ContactRemoved():
            return replace(room, contacts=room.contacts - {event.user_id})
        case TicketingSet():
            return replace(room, tickets=_priced(room.tickets, event))
        case TicketingCleared():
            return replace(room, tickets=None)
        case TicketIssued():
            if room.tickets is None:
                return room
            issued = room.tickets.issued | {event.code}
            return replace(room, tickets=replace(room.tickets, issued=issued))
        case TicketRevoked():
            return _revoked(room, event)
        case TicketMoved():
            return _moved(room, event)
        case SpeakRequested():
            if not room.is_present(event.actor) or room.request_of(event.actor):
                return room
            return replace(room, requests=(*room.requests, SpeakRequest(event.actor, event.at)))
        case RequestWithdrawn():
            return _drop_request(room, event.actor)
        case RequestApproved():
            return _drop_request(room, event.user_id)
        case RequestDeclined():
            room = _drop_request(room, event.user_id)
            cooldowns = {u: t for u, t in room.request_cooldowns.items() if t > event.at}
            cooldowns[event.user_id] = event.may_ask_again_at
            return replace(room, request_cooldowns=cooldowns)
        case InviteSent():
            if not room.is_present(event.user_id):
                return room
            invite = Invite(event.user_id, event.kind, event.actor, event.at, event.expires_at)
            room = _drop_invite(room, event.user_id, event.kind)
            return replace(room, invites=(*room.invites, invite))
        case InviteAccepted() | InviteDeclined():
            return _drop_invite(room, event.actor, event.kind)
        case InviteExpired():
            return _drop_invite(room, event.user_id, event.kind)
        case RoleChanged():
            return _set_role(room, event.user_id, event.role, event.at)
        case CohostAppointed():
            return replace(room, cohost_ids=room.cohost_ids | {event.user_id})
        case CohostRemoved():
            return replace(room, cohost_ids=room.cohost_ids - {event.user_id})
        case Muted():
            return _set_muted(room, event.user_id, True)
        case Unmuted():
            return _set_muted(room, event.actor, False)
        case UnmuteAsked():
            return room  # a prompt on the speaker's screen, nothing to keep
        case ReportFiled():
            if not event.kept:
                key = event.user_id or ""
                folded = {**room.folded_reports, key: room.folded_reports.get(key, 0) + 1}
                return replace(room, folded_reports=folded)
            report = FiledReport(event.actor, event.user_id, event.reason, event.at)
            return replace(room, reports=(*room.reports, report))
        case Reacted():
            return replace(room, last_reaction_at={**room.last_reaction_at, event.actor: event.at})
        case LinkPinned():
            link = PinnedLink(event.url, event.title, event.actor, event.at)
            kept = tuple(p for p in room.pinned_links if p.url != event.url)
            return replace(room, pinned_links=(*kept, link))
        case LinkUnpinned():
            kept = tuple(p for p in room.pinned_links if p.url != event.url)
            return replace(room, pinned_links=kept)
        case RecordingStarted():
            return replace(room, recording=_started(room, event))
        case RecordingStopped():
            return replace(room, recording=_stopped(room.recording, event.at))
        case ConsentAnswered():
            return replace(room, recording=_answered(room.recording, event))
        case MarkerAdded():
            recording = room.recording
            if recording is None or not recording.active:
                return room
            markers = (*recording.markers, Marker(event.at, event.label, event.actor))
            return replace(room, recording=replace(recording, markers=markers))
    return room


# -- people ----------------------------------------------------------------------------------


def _joined(room: Room, event: ParticipantJoined) -> Room:
    user_id = event.actor
    if room.is_present(user_id):
        return room
    on_stage_at = event.at if event.role.on_stage else None
    person = Participant(user_id, event.display_name, event.role, event.at, True, on_stage_at)
    room = replace(
        room,
        participants={**room.participants, user_id: person},
        host_name=event.display_name if user_id == room.host_id else room.host_name,
        tickets=_bound(room.tickets, event.ticket_code, user_id),
    )
    if event.role.on_stage:
        room = replace(room, recording=_asked(room.recording, user_id, event.at))
    return room


def _drop(room: Room, user_id: UserId) -> Room:
    """Someone leaves (or is removed): their request, invitations and reaction clock go too.
    An appointed co-host keeps the seat so a dropped connection can rejoin as co-host."""
    if not room.is_present(user_id):
        return room
    return replace(
        room,
        participants={u: p for u, p in room.participants.items() if u != user_id},
        requests=tuple(r for r in room.requests if r.user_id != user_id),
        invites=tuple(i for i in room.invites if i.user_id != user_id),
        last_reaction_at={u: t for u, t in room.last_reaction_at.items() if u != user_id},
    )


def _set_role(room: Room, user_id: UserId, role: Role, at: float) -> Room:
    person = room.participants.get(user_id)
    if person is None or person.role is role or Role.HOST in (role, person.role):
        return room  # the host role is never given or taken by an event
    entering = role.on_stage and not person.role.on_stage
    leaving = person.role.on_stage and not role.on_stage
    person = replace(
        person,
        role=role,
        muted=True if entering or leaving else person.muted,
        on_stage_at=at if entering else None if leaving else person.on_stage_at,
    )
    joins = role is Role.COHOST
    cohost_ids = (room.cohost_ids | {user_id}) if joins else (room.cohost_ids - {user_id})
    room = replace(room, participants={**room.participants, user_id: person}, cohost_ids=cohost_ids)
    if role.on_stage:
        room = _drop_request(_drop_invite(room, user_id, InviteKind.SPEAK), user_id)
        room = replace(room, recording=_asked(room.recording, user_id, at))
    if role is Role.COHOST:
        room = _drop_invite(room, user_id, InviteKind.COHOST)
    return room


def _set_muted(room: Room, user_id: UserId, muted: bool) -> Room:
    person = room.participants.get(user_id)
    if person is None or not person.role.on_stage or person.muted is muted:
        return room
    return replace(room, participants={**room.participants, user_id: replace(person, muted=muted)})


def _drop_request(room: Room, user_id: UserId) -> Room:
    if room.request_of(user_id) is None:
        return room
    return replace(room, requests=tuple(r for r in room.requests if r.user_id != user_id))


def _drop_invite(room: Room, user_id: UserId, kind: InviteKind) -> Room:
    if room.invite_for(user_id, kind) is None:
        return room
    kept = tuple(i for i in room.invites if not (i.user_id == user_id and i.kind is kind))
    return replace(room, invites=kept)


# -- tickets ---------------------------------------------------------------------------------


def _priced(tickets: Ticketing | None, event: TicketingSet) -> Ticketing:
    if tickets is None:
        return Ticketing(event.price_cents, event.currency, event.quantity)
    return replace(
        tickets, price_cents=event.price_cents, currency=event.currency, quantity=event.quantity
    )


def _bound(tickets: Ticketing | None, code: str | None, user_id: UserId) -> Ticketing | None:
    """Binds `code` to `user_id` on first use."""
    if tickets is None or code is None or code not in tickets.issued or code in tickets.holders:
        return tickets
    if tickets.code_of(user_id) is not None:
        return tickets  # one ticket per person
    return replace(tickets, holders={**tickets.holders, code: user_id})


def _moved(room: Room, event: TicketMoved) -> Room:
    """The code admits `actor` now; who held it leaves (one person at a time per ticket)."""
    tickets = room.tickets
    if tickets is None or event.code not in tickets.issued:
        return room
    holders = {c: u for c, u in tickets.holders.items() if c != event.code}
    room = replace(room, tickets=replace(tickets, holders=holders))
    if event.from_user == room.host_id or event.from_user in room.cohost_ids:
        return room
    return _drop(room, event.from_user)  # the ParticipantJoined after this binds the code


def _revoked(room: Room, event: TicketRevoked) -> Room:
    """The code stops admitting; whoever it admitted leaves (a refund ends their access)."""
    tickets = room.tickets
    if tickets is None:
        return room
    holders = {c: u for c, u in tickets.holders.items() if c != event.code}
    tickets = replace(
        tickets,
        issued=tickets.issued - {event.code},
        holders=holders,
        revoked=tickets.revoked | {event.code},
    )
    room = replace(room, tickets=tickets)
    holder = event.holder
    if holder is None or holder == room.host_id or holder in room.cohost_ids:
        return room
    return _drop(room, holder)


# -- recording -------------------------------------------------------------------------------


def _started(room: Room, event: RecordingStarted) -> Recording:
    take = room.recording.take + 1 if room.recording else 1
    # Starting the recording is the host's own "yes"; everyone else on stage is asked.
    consents = {
        p.user_id: Consent.GRANTED if p.user_id == event.actor else Consent.PENDING
        for p in room.stage()
    }
    ledger = tuple(ConsentEntry(user_id, event.at, c) for user_id, c in consents.items())
    return Recording(
        take, True, event.at, event.actor, None, consents, ledger, all_party=event.all_party
    )


def _stopped(recording: Recording | None, at: float) -> Recording | None:
    if recording is None or not recording.active:
        return recording
    return replace(recording, active=False, stopped_at=at)


def _asked(recording: Recording | None, user_id: UserId, at: float) -> Recording | None:
    """Someone comes on stage: ask them, unless they already answered in this take."""
    if recording is None or not recording.active or user_id in recording.consents:
        return recording
    return _with_answer(recording, user_id, at, Consent.PENDING)


def _answered(recording: Recording | None, event: ConsentAnswered) -> Recording | None:
    if recording is None or not recording.active or event.actor not in recording.consents:
        return recording
    consent = Consent.GRANTED if event.granted else Consent.DECLINED
    return _with_answer(recording, event.actor, event.at, consent)


def _with_answer(recording: Recording, user_id: UserId, at: float, consent: Consent) -> Recording:
    return replace(
        recording,
        consents={**recording.consents, user_id: consent},
        ledger=(*recording.ledger, ConsentEntry(user_id, at, consent)),
    )
