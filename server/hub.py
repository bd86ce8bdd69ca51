"""Live rooms on the relay: the one place where room state changes, wiring three parts.

- the room log (server/room_log.py) decides, appends and applies each command;
- the broadcaster (server/broadcaster.py) sends each connected person what they may see;
- the media coordinator (server/media_coordinator.py) passes the stage and the recording on.

`Hub.submit` runs one command through all three and then enforces what the
events mean (a removed person's connection and media close, an ended room
closes everyone). The hub also keeps each room's one-shot timers: a dropped
person's grace period, the end of a room whose host and co-hosts are gone
(`abandon_after_s`, counted from the last of them disconnecting, or from a
restart), and the next invitation to expire. No timer ticks, so a room
nobody is in costs nothing.

Runs on: the relay's event loop thread.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from server.broadcaster import Broadcaster, Connection
from server.directory import Directory
from server.hls_audience import HlsAudience
from server.media_coordinator import (
    MediaCoordinator,
    MediaFactory,
    MediaUnavailable,
    RoomMediaPort,
)
from server.protocol import RecordingFailed, Speaking, encode_event, encode_snapshot, event_body
from server.rate_limits import RateLimits, network_of
from server.recorder import RoomRecorders
from server.room import (
    SYSTEM,
    AppointCohost,
    AskMode,
    CohostRemoved,
    EndAbandonedRoom,
    Event,
    ExpireInvites,
    FollowHostBlock,
    Leave,
    Limits,
    ParticipantLeft,
    ParticipantRemoved,
    Reason,
    Rejected,
    RemoveParticipant,
    Role,
    RoleChanged,
    Room,
    RoomCard,
    RoomState,
    SetBroadcastMode,
    SetTicketing,
    StopRecording,
    TicketMoved,
    TicketRevoked,
    Unblocked,
)
from server.room_log import Change, RoomLog, RoomLogError
from server.room_timers import RoomTimers
from server.snapshot_writer import SnapshotWriter
from server.store import Store
from server.visibility import event_for, room_for

__all__ = ["Connection", "CreatedRoom", "Hub", "HubError", "MediaFactory", "RoomMediaPort"]

logger = logging.getLogger(__name__)

NO_HLS = Rejected(
    Reason.NOT_ALLOWED,
    "Broadcast mode needs a relay that streams HLS (roomcast relay --hls).",
)

# WebSocket close codes the relay uses (4000–4999 are for applications).
CLOSE_ROOM_OVER = 4000
CLOSE_REPLACED = 4001
CLOSE_REMOVED = 4003
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_HELLO = 4009

# What a connection replaced by a newer one for the same person is told (the close reason).
REPLACED_HOST = "Your host link was opened somewhere else."
REPLACED = "You joined this room from somewhere else."
HOST_LINK_ROTATED = "The host link was changed; this one no longer works."

HubError = RoomLogError
_ABANDON = "abandon"
_INVITES = "invites"


@dataclass(frozen=True, slots=True)
class CreatedRoom:
    room: Room
    host_token: str


def _left_with_ticket(room: Room, event: TicketRevoked) -> bool:
    """The revoked code's holder lost their place (a co-host keeps their seat)."""
    return event.holder is not None and not room.is_present(event.holder)


def _loopback(address: str) -> bool:
    """This machine (the host's own browser, a local bot): never barred."""
    try:
        return ipaddress.ip_network(address, strict=False).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Hub:
    def __init__(
        self,
        store: Store,
        *,
        resume_grace_s: float = 30.0,
        stage_grace_s: float = 90.0,
        abandon_after_s: float = 600.0,
        snapshots: SnapshotWriter | None = None,
        write_through: bool = False,
        media_factory: MediaFactory | None = None,
        recorders: RoomRecorders | None = None,
        clock: Callable[[], float] = time.time,
        rate_limits: RateLimits | None = None,
    ) -> None:
        # None: no per-person or per-address limits (in-process tests and benchmarks).
        self.rate_limits = rate_limits
        self.resume_grace_s = resume_grace_s
        self.stage_grace_s = max(stage_grace_s, resume_grace_s)
        self.abandon_after_s = abandon_after_s
        self.clock = clock
        self._store = store
        self.log = RoomLog(store, snapshots, clock, write_through=write_through)
        self.broadcaster = Broadcaster()
        self.media = MediaCoordinator(media_factory, recorders)
        self.directory = Directory(
            self.log.rooms, store.reminder_counts(), clock, stale_after_s=abandon_after_s
        )
        self._timers = RoomTimers()
        self._invite_deadlines: dict[str, float] = {}  # room id -> when its invites timer fires
        self._speaking: dict[str, set[str]] = {}  # room id -> who is talking now (media says)
        # Address bars (issue: removal one fresh browser profile away from undone): where each
        # person connected from, and per room the networks of people removed from it.
        self.bar_removed_addresses = True
        self.bar_loopback = False  # this machine is never barred (tests say otherwise)
        # With --hls: broadcast mode can take effect, and the listener count adds listeners
        # who hear the room over HLS without a WebSocket (`hls_audience`, see hls_origin.py).
        self.hls_enabled = False
        self.hls_audience: Callable[[str], HlsAudience] | None = None
        self._addresses: dict[tuple[str, str], str] = {}  # (room, user) -> network
        self._barred: dict[str, dict[str, str]] = {}  # room -> network -> user it came from

    # The media side sets these after construction (server/app.py).
    @property
    def media_factory(self) -> MediaFactory | None:
        return self.media.media_factory

    @media_factory.setter
    def media_factory(self, factory: MediaFactory | None) -> None:
        self.media.media_factory = factory

    @property
    def recorders(self) -> RoomRecorders | None:
        return self.media.recorders

    @recorders.setter
    def recorders(self, recorders: RoomRecorders | None) -> None:
        self.media.recorders = recorders

    # -- start and stop ------------------------------------------------------------------------

    def restore(self) -> int:
        """Bring back live and scheduled rooms after a restart. Everyone who was present keeps
        their place for the grace period; a live room's abandon time starts now."""
        rooms = self.log.restore()
        self.reconcile_host_lists()
        for room in rooms:
            for user_id in room.participants:
                self._start_grace(room.room_id, user_id)
            self._watch(room)
        return len(rooms)

    def store_report(self) -> dict[str, Any]:
        """What the relay's start found wrong with its data, for /healthz (no room ids: a room's
        id is its link)."""
        return {
            "notices": list(self._store.notices),
            "damaged_rooms": len(self._store.damaged_rooms()),
        }

    async def close(self) -> None:
        self._timers.close()
        self.broadcaster.close_all(1001, "relay shutting down")
        await self.media.close()
        self.log.close()

    # -- reading -------------------------------------------------------------------------------

    def room(self, room_id: str) -> Room | None:
        """A live or scheduled room on this relay."""
        return self.log.room(room_id)

    def seq(self, room_id: str) -> int | None:
        return self.log.seq(room_id)

    def find(self, room_id: str) -> Room | None:
        """A room in any state (ended ones come from the store)."""
        return self.log.find(room_id)

    def store_problem(self, within_s: float) -> str | None:
        """Why the store could not save a change in the last `within_s`, or None."""
        failure = self._store.last_write_failure
        if failure is None or time.monotonic() - failure[0] > within_s:
            return None
        return failure[1]

    @property
    def live_room_count(self) -> int:
        return len(self.log)

    def card(self, room_id: str) -> dict[str, Any] | None:
        room = self.find(room_id)
        return self._with_hls(self.directory.card(room)) if room is not None else None

    def directory_page(
        self, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int | None, int]:
        cards, after, total = self.directory.page(limit, offset)
        return [self._with_hls(card) for card in cards], after, total

    def hls_listeners_body(self, room_id: str) -> dict[str, Any]:
        """The `hls_listeners` frame's body as it stands, for a connection joining now."""
        if self.hls_audience is None:
            return {"extra": 0, "estimated": False}
        audience = self.hls_audience(room_id)
        return {"extra": audience.extra, "estimated": audience.estimated}

    def _with_hls(self, card: dict[str, Any]) -> dict[str, Any]:
        """The card's listener count with the room's HLS-only listeners added (an estimate
        once they are sampled); the cached card itself is left as it is."""
        if self.hls_audience is None or card["state"] != "live":
            return card
        audience = self.hls_audience(card["room_id"])
        return {
            **card,
            "listener_count": card["listener_count"] + audience.extra,
            "hls_listeners": audience.extra,
            "listener_count_estimated": audience.estimated,
        }

    def snapshot(self, room_id: str, viewer: str) -> str:
        room, seq = self._live(room_id), self.log.seq(room_id)
        assert seq is not None
        extra = {"speaking": self.speaking_now(room_id)}
        return encode_snapshot(seq, room_for(room, viewer), viewer, extra)

    def speaking_now(self, room_id: str) -> list[str]:
        """Who is talking at this moment, so someone joining mid-sentence sees it at once."""
        return sorted(self._speaking.get(room_id, ()))

    def note_speaking(self, room_id: str, user_id: str, speaking: bool) -> None:
        """The media saw someone start or stop talking: remember it, and tell everyone."""
        talking = self._speaking.setdefault(room_id, set())
        if speaking:
            talking.add(user_id)
        else:
            talking.discard(user_id)
        self.broadcaster.broadcast(room_id, Speaking(user_id, speaking))

    def forget_speaking(self, room_id: str) -> None:
        """The room's mixer restarted: whoever was talking is silent until it hears them."""
        for user_id in self.speaking_now(room_id):
            self.note_speaking(room_id, user_id, False)

    def missed(self, room_id: str, viewer: str, after_seq: int) -> list[str]:
        """Every event after `after_seq` that `viewer` may see, as frames, in order."""
        room = self._live(room_id)
        frames = []
        for seq, event in self.log.events_after(room_id, after_seq):
            seen = event_for(event, room, viewer)
            if seen is not None:
                frames.append(encode_event(seq, seen))
        return frames

    def moderation_log(
        self, room_id: str, viewer: str, after_seq: int, limit: int
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One page of the room's events after `after_seq` as `viewer` may see them, and the
        seq to ask after for the next page (None: nothing more yet). Events `viewer` may not
        see are left out but still move the cursor, so a page may hold fewer than `limit`."""
        room = self._live(room_id)
        page = self.log.events_after(room_id, after_seq, limit)
        seen = [(seq, event_for(event, room, viewer)) for seq, event in page]
        events = [event_body(seq, event) for seq, event in seen if event is not None]
        return events, (page[-1][0] if len(page) == limit else None)

    # -- identities, tokens, reminders ---------------------------------------------------------

    def check_identity(self, client_id: str, secret: str, *, bind: bool = True) -> bool:
        return self._store.check_identity(client_id, secret, self.clock(), bind=bind)

    def bind_identity(self, client_id: str, secret: str) -> None:
        self._store.bind_identity(client_id, secret, self.clock())

    def token_holder(self, token: str) -> tuple[str, str, str] | None:
        """(room_id, user_id, role) the host or co-host token was made for, or None."""
        return self._store.token_holder(token)

    def add_reminder(self, room_id: str, client_id: str, address: str = "") -> int | None:
        """The room's reminder count after this client's, or None: this address has asked for
        too many different clients already (the count stays as it is)."""
        limits = self.rate_limits
        if limits is not None and address and not limits.reminder(room_id, address, client_id):
            return None
        count = self._store.add_reminder(room_id, client_id, self.clock())
        self.directory.reminded(room_id, count)
        return count

    # -- rooms ---------------------------------------------------------------------------------

    def create_room(
        self,
        *,
        host_id: str,
        host_name: str,
        card: RoomCard,
        starts_at: float | None = None,
        ask_mode: AskMode = AskMode.EVERYONE,
        ticketing: SetTicketing | None = None,
        limits: Limits | None = None,
        broadcast: bool = False,
    ) -> CreatedRoom:
        if broadcast and not self.hls_enabled:
            raise HubError(NO_HLS.reason.value, NO_HLS.detail)
        made = self.log.create(
            host_id=host_id,
            host_name=host_name,
            card=card,
            starts_at=starts_at,
            ask_mode=ask_mode,
            limits=limits,
            broadcast=broadcast,
        )
        self.directory.changed(made.room_id)
        if ticketing is not None:
            verdict = self.submit(made.room_id, host_id, ticketing)
            if isinstance(verdict, Rejected):
                raise HubError(verdict.reason.value, verdict.detail)
        token = new_token()
        self._store.add_token(token, made.room_id, host_id, Role.HOST.value, self.clock())
        self._watch(self._live(made.room_id))
        return CreatedRoom(self._live(made.room_id), token)

    def add_cohost_link(self, room_id: str) -> tuple[str, str]:
        """Appoint a co-host seat behind a new link; returns (user id, token)."""
        room = self._live(room_id)
        user_id = f"cohost-{secrets.token_hex(4)}"
        verdict = self.submit(room_id, room.host_id, AppointCohost(user_id))
        if isinstance(verdict, Rejected):
            raise HubError(verdict.reason.value, verdict.detail)
        token = new_token()
        self._store.add_token(token, room_id, user_id, Role.COHOST.value, self.clock())
        return user_id, token

    def rotate_host_link(self, room_id: str, keep: Connection | None = None) -> str:
        """A new host link for the room; the old one stops working at once, and a host
        connection other than `keep` (the one asking) is closed."""
        room = self._live(room_id)
        token = new_token()
        self._store.replace_token(token, room_id, room.host_id, Role.HOST.value, self.clock())
        seated = self.broadcaster.connection_of(room_id, room.host_id)
        if seated is not None and seated is not keep:
            self.broadcaster.close_user(room_id, room.host_id, CLOSE_REPLACED, HOST_LINK_ROTATED)
            self._start_grace(room_id, room.host_id)
        return token

    def _live(self, room_id: str) -> Room:
        room = self.log.room(room_id)
        if room is None:
            if self.log.find(room_id) is None:
                raise HubError("room_not_found", "There is no room with that link.")
            raise HubError("room_ended", "This room has ended.")
        return room

    # -- changes -------------------------------------------------------------------------------

    def submit(self, room_id: str, actor: str, command: object) -> list[Event] | Rejected:
        """Decide, append, apply, broadcast and enforce one command.

        A block or an unblock is the host's, not the room's: it then reaches every other live
        and scheduled room of the same host (see `_spread_host_list`).
        """
        if isinstance(command, SetBroadcastMode) and command.on is True and not self.hls_enabled:
            return NO_HLS
        if isinstance(command, RemoveParticipant) and command.block is True:
            refused = self._block_reach(room_id, actor, command.user_id)
            if refused is not None:
                return refused
        events = self._submit(room_id, actor, command)
        if not isinstance(events, Rejected):
            self._spread_host_list(room_id, events)
        return events

    def _submit(self, room_id: str, actor: str, command: object) -> list[Event] | Rejected:
        verdict = self.log.submit(room_id, actor, command)
        if isinstance(verdict, Rejected):
            return verdict
        if not verdict.events:
            return []
        self.broadcaster.publish(verdict.room, verdict.first_seq, verdict.events)
        self.broadcaster.catch_up(room_id, actor)  # the actor's reply follows its events
        self.directory.changed(room_id)
        self._enforce(verdict)
        return list(verdict.events)

    # -- the host's block list across rooms ----------------------------------------------------

    def _host_rooms(self, host_id: str, but: str | None = None) -> list[Room]:
        return [r for r in self.log.rooms() if r.host_id == host_id and r.room_id != but]

    def _block_reach(self, room_id: str, actor: str, target: str) -> Rejected | None:
        """A co-host's block bars someone from all the host's rooms, so it may not reach a
        co-host of another of them: only the host can block their own co-hosts."""
        room = self.log.room(room_id)
        if room is None or actor == room.host_id:
            return None
        for other in self._host_rooms(room.host_id, but=room_id):
            if target in other.cohost_ids:
                return Rejected(
                    Reason.NOT_ALLOWED,
                    "That person co-hosts another of the host's rooms; only the host can "
                    "block them.",
                )
        return None

    def _spread_host_list(self, room_id: str, events: list[Event]) -> None:
        """Carry this room's blocks and unblocks to the host's other live and scheduled rooms:
        the blocked person is dropped wherever they are; an unblock lifts the block
        everywhere (a separate removal from another room stays)."""
        changes = [e for e in events if isinstance(e, (ParticipantRemoved, Unblocked))]
        if not changes:
            return
        room = self.log.room(room_id) or self.find(room_id)
        if room is None:
            return
        for other in self._host_rooms(room.host_id, but=room_id):
            for event in changes:
                self._follow_host_list(other, event)

    def _follow_host_list(self, room: Room, event: ParticipantRemoved | Unblocked) -> None:
        current = self.log.room(room.room_id)
        if current is None:
            return
        blocked = isinstance(event, ParticipantRemoved)
        if isinstance(event, ParticipantRemoved) and not event.block:
            return
        if (event.user_id in current.blocked) == blocked:
            return
        self._submit(room.room_id, SYSTEM, FollowHostBlock(event.user_id, blocked, event.actor))

    def reconcile_host_lists(self) -> int:
        """After a restart, bring every room's block list in line with its host's (a crash
        between one room's block and the next room's copy of it leaves them apart)."""
        fixed = 0
        for room in list(self.log.rooms()):
            wanted = self._store.blocked_by(room.host_id) - {room.host_id}
            changes = [(u, True) for u in sorted(wanted - room.blocked)]
            changes += [(u, False) for u in sorted(room.blocked - wanted)]
            for user_id, blocked in changes:
                command = FollowHostBlock(user_id, blocked, room.host_id)
                fixed += not isinstance(self._submit(room.room_id, SYSTEM, command), Rejected)
        return fixed

    # -- address bars -------------------------------------------------------------------------

    def note_address(self, room_id: str, user_id: str, address: str) -> None:
        """Where this person is connected from (their network: an IPv4 address or IPv6 /64)."""
        if address:
            self._addresses[(room_id, user_id)] = network_of(address)

    def address_barred(self, room_id: str, address: str) -> bool:
        """Was someone removed from this room from this network (and is it not this machine)?"""
        if not address or (_loopback(address) and not self.bar_loopback):
            return False
        return network_of(address) in self._barred.get(room_id, {})

    def _bar_address(self, room_id: str, user_id: str) -> None:
        network = self._addresses.get((room_id, user_id))
        here = network is not None and _loopback(network) and not self.bar_loopback
        if self.bar_removed_addresses and network is not None and not here:
            self._barred.setdefault(room_id, {})[network] = user_id

    def _lift_bar(self, room_id: str, user_id: str) -> None:
        barred = self._barred.get(room_id, {})
        for network in [n for n, who in barred.items() if who == user_id]:
            del barred[network]

    def _enforce(self, change: Change) -> None:
        room = change.room
        room_id = room.room_id
        for event in change.events:
            revoked = _cohost_link_lost(event)
            if revoked is not None:
                # The seat went with the link: it admits nobody any more.
                self._store.revoke_tokens(room_id, revoked)
            if isinstance(event, ParticipantRemoved):
                self._bar_address(room_id, event.user_id)
                self._drop(room_id, event.user_id, CLOSE_REMOVED, "removed")
            elif isinstance(event, Unblocked):
                self._lift_bar(room_id, event.user_id)
            elif isinstance(event, ParticipantLeft):
                self._drop(room_id, event.actor, None, "")
            elif isinstance(event, TicketMoved) and not room.is_present(event.from_user):
                # The buyer went on with their ticket elsewhere: this connection is the old one.
                self._drop(room_id, event.from_user, CLOSE_REPLACED, "ticket_moved")
            elif isinstance(event, TicketRevoked) and _left_with_ticket(room, event):
                assert event.holder is not None
                self._drop(room_id, event.holder, CLOSE_REMOVED, "ticket_revoked")
        if change.ends_room:
            self._speaking.pop(room_id, None)
            self._barred.pop(room_id, None)
            for key in [k for k in self._addresses if k[0] == room_id]:
                del self._addresses[key]
            self.media.on_change(room, change.events, ended=True)
            self.broadcaster.close_room(room_id, CLOSE_ROOM_OVER, "room_ended")
            self._timers.cancel_room(room_id)
            self._invite_deadlines.pop(room_id, None)
            return
        self.media.on_change(room, change.events, ended=False)
        self._watch(room)

    def _drop(self, room_id: str, user_id: str, code: int | None, reason: str) -> None:
        self._timers.cancel(room_id, "grace:" + user_id)
        self.broadcaster.close_user(room_id, user_id, code, reason)
        self.media.disconnect(room_id, user_id)

    # -- connections ---------------------------------------------------------------------------

    def attach(self, room_id: str, user_id: str, connection: Connection) -> None:
        room = self._live(room_id)
        self._timers.cancel(room_id, "grace:" + user_id)
        older = self.broadcaster.attach(room, user_id, connection)
        if older is not None:
            # The newest connection wins (as X Spaces does when you open your Space on a
            # second device); the older one is told why it stopped.
            older.close(CLOSE_REPLACED, REPLACED_HOST if user_id == room.host_id else REPLACED)
        self._watch(room)

    def detach(self, room_id: str, user_id: str, connection: Connection) -> None:
        """A connection closed without leaving: keep the place for the grace period."""
        if not self.broadcaster.detach(room_id, user_id, connection):
            return
        room = self.log.room(room_id)
        if room is None:
            return
        if user_id in room.participants:
            self._start_grace(room_id, user_id)
        self._watch(room)

    def catch_up(self, room_id: str, user_id: str) -> None:
        """Hand this person's connection its pending events now (before a reply to them)."""
        self.broadcaster.catch_up(room_id, user_id)

    def grace_s(self, room_id: str, user_id: str) -> float:
        """How long this person keeps their place after a drop: longer on stage."""
        room = self.log.room(room_id)
        role = room.role_of(user_id) if room is not None else None
        on_stage = role is not None and role.on_stage
        return self.stage_grace_s if on_stage else self.resume_grace_s

    def _start_grace(self, room_id: str, user_id: str) -> None:
        def expire() -> None:
            room = self.log.room(room_id)
            gone = room is not None and not self.broadcaster.is_connected(room_id, user_id)
            if gone and room is not None and user_id in room.participants:
                self.submit(room_id, user_id, Leave())

        self._timers.set(room_id, "grace:" + user_id, self.grace_s(room_id, user_id), expire)

    # -- the room's own deadlines --------------------------------------------------------------

    def _watch(self, room: Room) -> None:
        """Arm or cancel the room's abandon and invitation timers (a few lookups)."""
        room_id = room.room_id
        moderators = (room.host_id, *room.cohost_ids)
        hosted = self.broadcaster.any_connected(room_id, moderators)
        if room.state is not RoomState.LIVE or hosted:
            self._timers.cancel(room_id, _ABANDON)
        elif not self._timers.is_set(room_id, _ABANDON):
            self._timers.set(
                room_id, _ABANDON, self.abandon_after_s, lambda: self._abandon(room_id)
            )
        first = min((i.expires_at for i in room.invites), default=None)
        if first != self._invite_deadlines.get(room_id):
            if first is None:
                self._invite_deadlines.pop(room_id, None)
                self._timers.cancel(room_id, _INVITES)
            else:
                self._invite_deadlines[room_id] = first
                delay_s = first - self.clock() + 0.05  # never a moment early
                self._timers.set(room_id, _INVITES, delay_s, lambda: self._expire(room_id))

    def _abandon(self, room_id: str) -> None:
        room = self.log.room(room_id)
        if room is None or room.state is not RoomState.LIVE:
            return
        if self.broadcaster.any_connected(room_id, (room.host_id, *room.cohost_ids)):
            return
        logger.info(
            "room %s ended: no host or co-host connected for %.0f s", room_id, self.abandon_after_s
        )
        self.submit(room_id, SYSTEM, EndAbandonedRoom())

    def _expire(self, room_id: str) -> None:
        self._invite_deadlines.pop(room_id, None)
        if self.log.room(room_id) is not None:
            self.submit(room_id, SYSTEM, ExpireInvites())
        room = self.log.room(room_id)
        if room is not None:
            self._watch(room)  # the next invitation's deadline, if any

    # -- the media side's calls ----------------------------------------------------------------

    def media_for(self, room_id: str) -> RoomMediaPort:
        try:
            return self.media.media_for(self._live(room_id))
        except MediaUnavailable as exc:
            raise HubError("media_unavailable", str(exc)) from None

    def broadcast_ephemeral(
        self, room_id: str, kind: str, body: dict[str, Any], *, moderators_only: bool = False
    ) -> None:
        """A frame outside the event log (levels, speaking): not sequenced, skippable."""
        self.broadcaster.broadcast_ephemeral(room_id, kind, body, moderators_only=moderators_only)

    def send_ephemeral_to(
        self, room_id: str, user_ids: Iterable[str], kind: str, body: dict[str, Any]
    ) -> None:
        """An unsequenced, skippable frame to these people's connections only."""
        self.broadcaster.send_ephemeral_to(room_id, user_ids, kind, body)

    def recording_failed(self, room_id: str, message: str) -> None:
        """The writer stopped (a full disk, say): the room goes on, unrecorded, and says so."""
        room = self.log.room(room_id)
        if room is None:
            return
        logger.error("room %s: recording stopped: %s", room_id, message)
        self.broadcaster.send_to_everyone(room_id, RecordingFailed(message))
        if room.is_recording:
            # Acting for the host: the recording runs on the host's relay, and what it
            # records must match what everyone is told.
            self.submit(room_id, room.host_id, StopRecording())


def _cohost_link_lost(event: Event) -> str | None:
    """Whose co-host link this event revokes: someone else took their co-host seat away (or
    removed them from the room). A co-host who steps down keeps their link, which then admits
    them as a listener; a person with no link loses nothing."""
    if isinstance(event, CohostRemoved | ParticipantRemoved):
        return event.user_id if event.actor != event.user_id else None
    if (
        isinstance(event, RoleChanged)
        and event.previous is Role.COHOST
        and event.role is not Role.COHOST
        and event.actor != event.user_id
    ):
        return event.user_id
    return None
