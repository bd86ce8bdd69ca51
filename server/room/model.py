"""The room's value objects: roles, modes, limits, and the records a Room is built from.

Every type here stays inside the codec's subset (str, int, float, bool, `X | None`, str-valued
enums, tuples, frozenset[str], dict[str, X], nested frozen dataclasses), so commands, events and
whole rooms serialise the same way on the wire and in the store.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

UserId = str

SYSTEM: UserId = "system"
"""The actor for what the relay does by itself (expiring invites, ending abandoned rooms)."""

DAY_S = 86_400.0


class Role(enum.Enum):
    HOST = "host"
    COHOST = "cohost"
    SPEAKER = "speaker"
    LISTENER = "listener"

    @property
    def on_stage(self) -> bool:
        return self is not Role.LISTENER

    @property
    def moderates(self) -> bool:
        return self in (Role.HOST, Role.COHOST)


class EndReason(enum.Enum):
    """Why a live room ended: the moderation log and the card say it in words."""

    HOST_ENDED = "host_ended"
    # The host and every co-host were disconnected for the relay's abandon time (X Spaces
    # ends a Space its host left).
    ABANDONED = "abandoned"


class AskMode(enum.Enum):
    """Who may ask to speak (X Spaces' "who can speak")."""

    EVERYONE = "everyone"
    FOLLOWED = "followed"  # people on the host's contact list
    INVITED = "invited"  # nobody asks; moderators invite


class RoomState(enum.Enum):
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"

    @property
    def is_over(self) -> bool:
        return self in (RoomState.ENDED, RoomState.CANCELLED)


class Consent(enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    DECLINED = "declined"


class InviteKind(enum.Enum):
    SPEAK = "speak"
    COHOST = "cohost"

    @property
    def role(self) -> Role:
        return Role.SPEAKER if self is InviteKind.SPEAK else Role.COHOST


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-room numbers; the defaults follow X Spaces (DESIGN §3). Durations in seconds."""

    max_cohosts: int = 2
    max_speakers: int = 10
    listener_capacity: int = 1000
    decline_cooldown_s: float = 120.0
    invite_ttl_s: float = 300.0
    reaction_min_interval_s: float = 1.0
    max_pinned_links: int = 3
    max_schedule_ahead_s: float = 14 * DAY_S
    title_max_chars: int = 70
    max_description_chars: int = 280
    max_topics: int = 3
    max_topic_chars: int = 30
    max_display_name_chars: int = 50
    max_report_reason_chars: int = 500
    # Report rows kept in the room: in all, about one person, and from one reporter (so one
    # person cannot fill the moderators' list); later ones are only counted.
    max_report_rows: int = 50
    max_report_rows_per_target: int = 3
    max_report_rows_per_reporter: int = 5
    max_link_title_chars: int = 100
    max_marker_label_chars: int = 80
    max_ticket_price_cents: int = 99_900
    max_ticket_quantity: int = 10_000
    # Rooms one host may have scheduled and not yet started (each is a directory entry and a
    # database row until it starts or is cancelled).
    max_scheduled_rooms_per_host: int = 20


@dataclass(frozen=True, slots=True)
class RoomCard:
    """What the room link shows before joining."""

    title: str
    description: str = ""
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Participant:
    user_id: UserId
    display_name: str
    role: Role
    joined_at: float
    # True whenever the person is not on stage: a listener has no open mic.
    muted: bool = True
    on_stage_at: float | None = None


@dataclass(frozen=True, slots=True)
class SpeakRequest:
    user_id: UserId
    asked_at: float


@dataclass(frozen=True, slots=True)
class Invite:
    user_id: UserId
    kind: InviteKind
    invited_by: UserId
    invited_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class PinnedLink:
    url: str
    title: str
    pinned_by: UserId
    pinned_at: float


@dataclass(frozen=True, slots=True)
class Ticketing:
    """Ticket sales for the room: codes issued by the host, each bound to its first user."""

    price_cents: int
    currency: str
    quantity: int
    issued: frozenset[str] = frozenset()
    holders: dict[str, UserId] = field(default_factory=dict)  # code -> the user it admits
    revoked: frozenset[str] = frozenset()  # refunded codes: no longer issued, never again

    def code_of(self, user_id: UserId) -> str | None:
        for code, holder in self.holders.items():
            if holder == user_id:
                return code
        return None


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    """One line of the consent ledger: who, when, what they answered (PENDING = asked)."""

    user_id: UserId
    at: float
    consent: Consent


@dataclass(frozen=True, slots=True)
class Marker:
    at: float
    label: str
    added_by: UserId


@dataclass(frozen=True, slots=True)
class Recording:
    """The current (or last) recording take. `consents` is the latest answer per person;
    `ledger` keeps every answer in order for the recording's manifest."""

    take: int
    active: bool
    started_at: float
    started_by: UserId
    stopped_at: float | None = None
    consents: dict[str, Consent] = field(default_factory=dict)
    ledger: tuple[ConsentEntry, ...] = ()
    markers: tuple[Marker, ...] = ()
    # All-party consent: nothing is written while anyone on stage has not said yes (for places
    # whose law needs everyone's consent); otherwise only those who said no are left out.
    all_party: bool = False


@dataclass(frozen=True, slots=True)
class FiledReport:
    """A report kept in the room (the command that files it is `Report`)."""

    reporter_id: UserId
    user_id: UserId | None  # None: the room itself is reported
    reason: str
    at: float
