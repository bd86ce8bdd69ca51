"""The Room: the whole state of one audio room, and the read-only queries UI and relay ask of it.

A Room is only ever changed by `apply(room, event)`, which returns a new one; dicts inside it are
never mutated in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server.room.model import (
    AskMode,
    Consent,
    FiledReport,
    Invite,
    InviteKind,
    Limits,
    Participant,
    PinnedLink,
    Recording,
    Role,
    RoomCard,
    RoomState,
    SpeakRequest,
    Ticketing,
    UserId,
)

_STAGE_ORDER = {Role.HOST: 0, Role.COHOST: 1, Role.SPEAKER: 2}


@dataclass(frozen=True, slots=True)
class Room:
    room_id: str
    host_id: UserId
    host_name: str  # for the card while the host is away; follows the host's display name
    card: RoomCard
    state: RoomState
    created_at: float
    starts_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    ask_mode: AskMode = AskMode.EVERYONE
    locked: bool = False  # closed to newcomers (LockRoom)
    broadcast: bool = False  # listeners hear it over HLS (SetBroadcastMode)
    limits: Limits = field(default_factory=Limits)
    participants: dict[str, Participant] = field(default_factory=dict)
    # Appointed co-hosts, present or not: a co-host who drops out rejoins as co-host.
    cohost_ids: frozenset[str] = frozenset()
    requests: tuple[SpeakRequest, ...] = ()  # first come, first served
    invites: tuple[Invite, ...] = ()
    # user -> time from which they may ask to speak again (after a declined request)
    request_cooldowns: dict[str, float] = field(default_factory=dict)
    last_reaction_at: dict[str, float] = field(default_factory=dict)
    removed: frozenset[str] = frozenset()  # barred from this room
    # The host's own lists, loaded from and saved back to the relay's store.
    blocked: frozenset[str] = frozenset()  # barred from all of this host's rooms
    contacts: frozenset[str] = frozenset()  # "followed" for AskMode.FOLLOWED
    pinned_links: tuple[PinnedLink, ...] = ()
    tickets: Ticketing | None = None
    recording: Recording | None = None
    reports: tuple[FiledReport, ...] = ()
    # Reports past the rows kept (Limits.max_report_rows*), counted per target ("" = the
    # room): a moderator sees "N more reports about X", and the room stays small.
    folded_reports: dict[str, int] = field(default_factory=dict)

    # -- who is here ---------------------------------------------------------------------------

    def role_of(self, user_id: UserId) -> Role | None:
        participant = self.participants.get(user_id)
        return participant.role if participant else None

    def is_present(self, user_id: UserId) -> bool:
        return user_id in self.participants

    def stage(self) -> tuple[Participant, ...]:
        """Host, then co-hosts, then speakers, each group in the order they came on stage."""
        on_stage = [p for p in self.participants.values() if p.role.on_stage]
        on_stage.sort(key=lambda p: (_STAGE_ORDER[p.role], p.on_stage_at or 0.0))
        return tuple(on_stage)

    def listeners(self) -> tuple[Participant, ...]:
        return tuple(p for p in self.participants.values() if p.role is Role.LISTENER)

    def count(self, role: Role) -> int:
        return sum(1 for p in self.participants.values() if p.role is role)

    # -- queues --------------------------------------------------------------------------------

    def request_of(self, user_id: UserId) -> SpeakRequest | None:
        return next((r for r in self.requests if r.user_id == user_id), None)

    def invite_for(self, user_id: UserId, kind: InviteKind) -> Invite | None:
        return next((i for i in self.invites if i.user_id == user_id and i.kind is kind), None)

    # -- flags the card shows ------------------------------------------------------------------

    @property
    def is_recording(self) -> bool:
        return self.recording is not None and self.recording.active

    def recording_waits_for(self) -> tuple[str, ...]:
        """In an all-party take, who on stage has not said yes: nothing is written until
        nobody is left. () when recording per speaker, or not recording."""
        recording = self.recording
        if recording is None or not recording.active or not recording.all_party:
            return ()
        return tuple(
            p.user_id
            for p in self.stage()
            if recording.consents.get(p.user_id) is not Consent.GRANTED
        )

    @property
    def is_ticketed(self) -> bool:
        return self.tickets is not None
