"""Creating a room and moving it along scheduled -> live -> ended (or cancelled); the card, the
ask mode and the host's contact list."""

from __future__ import annotations

from dataclasses import replace

from server.room import validation
from server.room.commands import (
    AddContact,
    CancelRoom,
    EditCard,
    EndAbandonedRoom,
    EndRoom,
    LockRoom,
    RemoveContact,
    Reschedule,
    SetAskMode,
    SetBroadcastMode,
    StartRoom,
)
from server.room.events import (
    AskModeChanged,
    BroadcastModeSet,
    CardEdited,
    ContactAdded,
    ContactRemoved,
    Event,
    RecordingStopped,
    RoomCancelled,
    RoomEnded,
    RoomLocked,
    RoomRescheduled,
    RoomStarted,
)
from server.room.model import (
    SYSTEM,
    AskMode,
    EndReason,
    Limits,
    RoomCard,
    RoomState,
    Ticketing,
    UserId,
)
from server.room.permissions import is_moderator, require_host
from server.room.reasons import Reason, Rejected
from server.room.state import Room

MAX_ROOM_ID_CHARS = 128


def new_room(
    room_id: str,
    host_id: UserId,
    host_name: str,
    card: RoomCard,
    now: float,
    starts_at: float | None = None,
    ask_mode: AskMode = AskMode.EVERYONE,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen
    blocked: frozenset[str] = frozenset(),
    contacts: frozenset[str] = frozenset(),
    tickets: Ticketing | None = None,
    scheduled_by_host: int = 0,
    broadcast: bool = False,
) -> Room | Rejected:
    """A live room (or a scheduled one when `starts_at` is given). Nobody is in it yet: the host
    comes in with Join like anyone else and holds the host role because of their id.
    `scheduled_by_host`: how many rooms this host has scheduled and not started yet."""
    if not isinstance(room_id, str) or not 0 < len(room_id) <= MAX_ROOM_ID_CHARS:
        return validation.invalid("The room id must be 1 to 128 characters.")
    checked_limits = validation.limits(limits)
    if isinstance(checked_limits, Rejected):
        return checked_limits
    host = validation.user_id(host_id)
    if isinstance(host, Rejected):
        return host
    name = validation.display_name(host_name, limits)
    if isinstance(name, Rejected):
        return name
    clean_card = validation.card(card.title, card.description, card.topics, limits)
    if isinstance(clean_card, Rejected):
        return clean_card
    if tickets is not None:
        refused = _check_restored_tickets(tickets, limits)
        if refused:
            return refused
    room = Room(
        room_id=room_id,
        host_id=host,
        host_name=name,
        card=clean_card,
        state=RoomState.LIVE,
        created_at=now,
        started_at=now,
        ask_mode=ask_mode,
        broadcast=broadcast is True,
        limits=limits,
        blocked=blocked - {host},  # the host is never barred from their own room
        contacts=contacts,
        tickets=tickets,
    )
    if starts_at is None:
        return room
    when = validation.schedule(starts_at, now, limits)
    if isinstance(when, Rejected):
        return when
    if scheduled_by_host >= limits.max_scheduled_rooms_per_host:
        top = limits.max_scheduled_rooms_per_host
        return Rejected(
            Reason.LIMIT_REACHED,
            f"You have {top} rooms scheduled already; start or cancel one first.",
        )
    return replace(room, state=RoomState.SCHEDULED, starts_at=when, started_at=None)


def _check_restored_tickets(tickets: Ticketing, limits: Limits) -> Rejected | None:
    checked = validation.ticketing(
        tickets.price_cents, tickets.currency, tickets.quantity, limits, len(tickets.issued)
    )
    if isinstance(checked, Rejected):
        return checked
    if not set(tickets.holders) <= tickets.issued:
        return validation.invalid("Every ticket holder must hold an issued code.")
    if len(set(tickets.holders.values())) != len(tickets.holders):
        return validation.invalid("Each person holds at most one ticket.")
    return None


def start(room: Room, actor: UserId, command: StartRoom, now: float) -> list[Event] | Rejected:
    refused = require_host(room, actor, "start the room")
    if refused:
        return refused
    if room.state is not RoomState.SCHEDULED:
        return Rejected(Reason.NOT_SCHEDULED, "The room is already live.")
    return [RoomStarted(actor, now)]


def end(room: Room, actor: UserId, command: EndRoom, now: float) -> list[Event] | Rejected:
    refused = require_host(room, actor, "end the room")
    if refused:
        return refused
    if room.state is RoomState.SCHEDULED:
        return Rejected(Reason.NOT_STARTED, "The room has not started; cancel it instead.")
    events: list[Event] = []
    if room.is_recording:
        events.append(RecordingStopped(actor, now))
    events.append(RoomEnded(actor, now))
    return events


def end_abandoned(
    room: Room, actor: UserId, command: EndAbandonedRoom, now: float
) -> list[Event] | Rejected:
    """The relay ends a live room its host and co-hosts left; whether they are connected is the
    relay's knowledge, not the room's, so the rule only checks who asks and the room's state."""
    if actor != SYSTEM:
        return Rejected(Reason.NOT_ALLOWED, "Only the relay ends an abandoned room.")
    if room.state is RoomState.SCHEDULED:
        return Rejected(Reason.NOT_STARTED, "A scheduled room cannot be abandoned.")
    events: list[Event] = []
    if room.is_recording:
        events.append(RecordingStopped(actor, now))
    events.append(RoomEnded(actor, now, EndReason.ABANDONED))
    return events


def cancel(room: Room, actor: UserId, command: CancelRoom, now: float) -> list[Event] | Rejected:
    refused = require_host(room, actor, "cancel the room")
    if refused:
        return refused
    if room.state is not RoomState.SCHEDULED:
        return Rejected(Reason.NOT_SCHEDULED, "The room is live; end it instead.")
    return [RoomCancelled(actor, now)]


def reschedule(
    room: Room, actor: UserId, command: Reschedule, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "reschedule the room")
    if refused:
        return refused
    if room.state is not RoomState.SCHEDULED:
        return Rejected(Reason.NOT_SCHEDULED, "Only a scheduled room can be rescheduled.")
    when = validation.schedule(command.starts_at, now, room.limits)
    if isinstance(when, Rejected):
        return when
    if when == room.starts_at:
        return Rejected(Reason.NO_CHANGE, "The room already starts at that time.")
    return [RoomRescheduled(actor, now, when)]


def edit_card(room: Room, actor: UserId, command: EditCard, now: float) -> list[Event] | Rejected:
    refused = require_host(room, actor, "edit the room's card")
    if refused:
        return refused
    card = validation.card(command.title, command.description, command.topics, room.limits)
    if isinstance(card, Rejected):
        return card
    if card == room.card:
        return Rejected(Reason.NO_CHANGE, "The card already says that.")
    return [CardEdited(actor, now, card)]


def set_ask_mode(
    room: Room, actor: UserId, command: SetAskMode, now: float
) -> list[Event] | Rejected:
    # Co-hosts may close requests too: it is the quick answer to a raid of requests.
    if actor != room.host_id and not is_moderator(room, actor):
        return Rejected(Reason.NOT_ALLOWED, "Only the host and co-hosts can change who may ask.")
    if not isinstance(command.mode, AskMode):
        return validation.invalid("Pick everyone, followed or invited.")
    if command.mode is room.ask_mode:
        return Rejected(Reason.NO_CHANGE, "That is already who may ask to speak.")
    return [AskModeChanged(actor, now, command.mode)]


def lock_room(room: Room, actor: UserId, command: LockRoom, now: float) -> list[Event] | Rejected:
    # Co-hosts too, like the ask mode: closing the door is the quick answer to a raid.
    if actor != room.host_id and not is_moderator(room, actor):
        return Rejected(Reason.NOT_ALLOWED, "Only the host and co-hosts can close the room.")
    if not isinstance(command.locked, bool):
        return validation.invalid("locked must be true or false.")
    if command.locked is room.locked:
        return Rejected(
            Reason.NO_CHANGE,
            "The room is already closed to newcomers." if room.locked else "The room is open.",
        )
    return [RoomLocked(actor, now, command.locked)]


def set_broadcast_mode(
    room: Room, actor: UserId, command: SetBroadcastMode, now: float
) -> list[Event] | Rejected:
    # The host (also before the start, from the console) and co-hosts, like the ask mode.
    if actor != room.host_id and not is_moderator(room, actor):
        return Rejected(
            Reason.NOT_ALLOWED, "Only the host and co-hosts can turn broadcast mode on or off."
        )
    if not isinstance(command.on, bool):
        return validation.invalid("on must be true or false.")
    if command.on is room.broadcast:
        return Rejected(
            Reason.NO_CHANGE,
            "The room is already a broadcast." if room.broadcast else "Broadcast mode is off.",
        )
    return [BroadcastModeSet(actor, now, command.on)]


def add_contact(
    room: Room, actor: UserId, command: AddContact, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "change the contact list")
    if refused:
        return refused
    target = validation.user_id(command.user_id)
    if isinstance(target, Rejected):
        return target
    if target == room.host_id:
        return validation.invalid("You are always on your own list.")
    if target in room.contacts:
        return Rejected(Reason.NO_CHANGE, "That person is already on your contact list.")
    return [ContactAdded(actor, now, target)]


def remove_contact(
    room: Room, actor: UserId, command: RemoveContact, now: float
) -> list[Event] | Rejected:
    refused = require_host(room, actor, "change the contact list")
    if refused:
        return refused
    if command.user_id not in room.contacts:
        return Rejected(Reason.NO_CHANGE, "That person is not on your contact list.")
    return [ContactRemoved(actor, now, command.user_id)]
