"""Rooms to test the rules in, built by playing real commands through `decide` and `apply`.

Every user id is the role that person holds in the standard live room, so a table row reads as
the spec: ("cohost mutes speaker", "cohost", Mute("speaker"), "live", OK).

The standard live room ("live"):
- host (unmuted), cohost (unmuted), cohost2 (muted): both co-host seats taken;
- speaker (came up by request, unmuted), speaker2 (came up by invitation, muted);
- listener (on the host's contact list), listener2, asker (has a speak request waiting);
- removed_user (removed, gone), blocked_user (blocked, never came); stranger never came.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import pytest

from server.room import (
    AcceptInvite,
    AppointCohost,
    ApproveRequest,
    AskMode,
    CancelRoom,
    Command,
    DeclineRequest,
    EndRoom,
    Event,
    FollowHostBlock,
    InviteKind,
    InviteToCohost,
    InviteToSpeak,
    IssueTicket,
    Join,
    Leave,
    Limits,
    MuteAll,
    PinLink,
    React,
    Reason,
    Rejected,
    RemoveParticipant,
    Report,
    RequestToSpeak,
    RevokeTicket,
    Room,
    RoomCard,
    SetAskMode,
    SetConsent,
    SetTicketing,
    StartRecording,
    StepDown,
    Unmute,
    apply,
    apply_all,
    decide,
    new_room,
    violations,
)

__all__ = ["OK", "T0", "WORLDS", "World", "check", "play", "rows", "world"]

T0 = 1_700_000_000.0
OK = "ok"
HOUR_S = 3600.0

Step = tuple[str, Command]


@dataclass(frozen=True)
class World:
    room: Room
    now: float  # the next free second after the last step

    def then(self, *steps: Step) -> World:
        return play(self.room, steps, self.now)

    def later(self, seconds: float) -> World:
        return replace(self, now=self.now + seconds)


def play(room: Room, steps: Sequence[Step], now: float) -> World:
    """Runs each step through decide + apply, one second apart; a refusal fails the test."""
    for actor, command in steps:
        verdict = decide(room, actor, command, now)
        assert not isinstance(verdict, Rejected), f"setup step {actor} {command}: {verdict}"
        room = apply_all(room, verdict)
        broken = violations(room)
        assert not broken, f"after {actor} {command}: {broken}"
        now += 1.0
    return World(room, now)


def _fresh(limits: Limits = Limits(), starts_at: float | None = None, **kwargs: object) -> Room:  # noqa: B008
    room = new_room(
        "room-1",
        "host",
        "Hana",
        RoomCard("Roomcast weekly", "Audio talk", ("audio",)),
        T0,
        starts_at=starts_at,
        limits=limits,
        contacts=frozenset({"listener"}),
        **kwargs,  # type: ignore[arg-type]
    )
    assert isinstance(room, Room), room
    return room


def _host_and_cohosts(cohosts: int, live: bool = True) -> list[Step]:
    steps: list[Step] = [("host", Join("Hana"))]
    for name in ("cohost", "cohost2")[:cohosts]:
        steps += [("host", AppointCohost(name)), (name, Join(name.title()))]
    if live:  # microphones open only in a live room
        steps += [("host", Unmute()), ("cohost", Unmute())]
    return steps


def _audience() -> list[Step]:
    return [
        ("speaker", Join("Sam")),
        ("speaker", RequestToSpeak()),
        ("host", ApproveRequest("speaker")),
        ("speaker", Unmute()),
        ("speaker2", Join("Sia")),
        ("cohost", InviteToSpeak("speaker2")),
        ("speaker2", AcceptInvite(InviteKind.SPEAK)),
        ("listener", Join("Lee")),
        ("listener2", Join("Liv")),
        ("removed_user", Join("Rex")),
        ("host", RemoveParticipant("removed_user")),
        ("host", RemoveParticipant("blocked_user", block=True)),
        ("asker", Join("Ada")),
        ("asker", RequestToSpeak()),
    ]


def _live(cohosts: int = 2, limits: Limits = Limits()) -> World:  # noqa: B008
    return play(_fresh(limits), _host_and_cohosts(cohosts) + _audience(), T0 + 1)


def _scheduled() -> World:
    return play(_fresh(starts_at=T0 + 2 * HOUR_S), _host_and_cohosts(1, live=False), T0 + 1)


def _ticketed() -> World:
    base = _live()
    return base.then(
        ("host", SetTicketing(500, "USD", 3)),
        ("host", IssueTicket("T1")),
        ("host", IssueTicket("T2")),
        ("ticket_holder", Join("Tia", ticket_code="T1")),
    )


def _invited() -> World:
    """One co-host seat free; listener has an invitation to speak, speaker one to co-host."""
    return _live(cohosts=1).then(
        ("host", InviteToSpeak("listener")),
        ("host", InviteToCohost("speaker")),
    )


WORLDS: dict[str, Callable[[], World]] = {
    "live": _live,
    "one cohost": lambda: _live(cohosts=1),
    "stage full": lambda: _live(limits=Limits(max_speakers=2)),
    "room full": lambda: _live(limits=Limits(listener_capacity=3)),
    "scheduled": _scheduled,
    "ended": lambda: _live().then(("host", EndRoom())),
    "cancelled": lambda: _scheduled().then(("host", CancelRoom())),
    "recording": lambda: _live().then(("host", StartRecording())),
    "ticketed": _ticketed,
    "invited": _invited,
    "invites expired": lambda: _invited().later(Limits().invite_ttl_s + 1),
    "followed only": lambda: _live().then(("host", SetAskMode(AskMode.FOLLOWED))),
    "invited only": lambda: _live().then(("host", SetAskMode(AskMode.INVITED))),
    "asker declined": lambda: _live().then(("host", DeclineRequest("asker"))),
    "cooldown over": lambda: (
        _live().then(("host", DeclineRequest("asker"))).later(Limits().decline_cooldown_s)
    ),
    "host away": lambda: _live().then(("host", Leave())),
    "cohost away": lambda: _live().then(("cohost", Leave())),
    "scheduled empty": lambda: World(_fresh(starts_at=T0 + 2 * HOUR_S), T0 + 1),
    "scheduled, cohost away": lambda: _scheduled().then(("cohost", Leave())),
    "room full, cohost away": lambda: world("room full").then(("cohost", Leave())),
    "ticketed, holder away": lambda: _ticketed().then(("ticket_holder", Leave())),
    "ticketed, cohost away": lambda: _ticketed().then(("cohost", Leave())),
    "ticketed, host away": lambda: _ticketed().then(("host", Leave())),
    "ticketed, ended": lambda: _ticketed().then(("host", EndRoom())),
    "T2 revoked": lambda: _ticketed().then(("host", RevokeTicket("T2"))),
    "priced, none issued": lambda: _live().then(("host", SetTicketing(500, "USD", 3))),
    "sold out": lambda: _ticketed().then(("host", IssueTicket("T3"))),
    "recording, host away": lambda: world("recording").then(("host", Leave())),
    "recording, speaker stepped down": lambda: world("recording").then(
        ("speaker", SetConsent(True)), ("speaker", StepDown())
    ),
    "invited, stage since filled": lambda: _live(limits=Limits(max_speakers=3)).then(
        ("host", InviteToSpeak("listener")), ("host", ApproveRequest("asker"))
    ),
    "speakers muted": lambda: _live().then(("host", MuteAll())),
    "listener just reacted": lambda: _live().then(("listener", React("🔥"))).later(-0.5),
    "reported": lambda: _live().then(
        ("listener", Report("Shouting slurs", "speaker")), ("listener", Report("Spam room"))
    ),
    "links pinned": lambda: _live().then(
        ("speaker", PinLink("https://example.org/a", "A")),
        ("cohost", PinLink("https://example.org/b")),
        ("host", PinLink("https://example.org/c")),
    ),
}


@functools.cache
def world(name: str) -> World:
    return WORLDS[name]()


def _code(expect: Reason | str) -> str:
    """The wire code a row expects; a code that is not a Reason fails at collection."""
    code = expect.value if isinstance(expect, Reason) else expect
    if code != OK:
        Reason(code)
    return code


def rows(*table: tuple[str, str, Command, str, Reason | str]) -> list[object]:
    """A rule table: (what it says, actor, command, world, "ok" or the Reason's code) per row."""
    return [
        pytest.param(actor, command, given, expect, id=f"{said} [{given}] -> {_code(expect)}")
        for said, actor, command, given, expect in table
    ]


def check(actor: str, command: Command, given: str, expect: Reason | str) -> list[Event]:
    """Asserts the verdict; for accepted commands also that every event names its actor and
    time and that the room keeps every invariant after each event. Returns the events."""
    start = world(given)
    verdict = decide(start.room, actor, command, start.now)
    got = verdict.reason.value if isinstance(verdict, Rejected) else OK
    assert got == _code(expect), verdict
    if isinstance(verdict, Rejected):
        assert verdict.detail, "a refusal says what to do in words"
        return []
    room = start.room
    for event in verdict:
        # The relay carrying a host's block names who blocked, in whichever room.
        who = command.by if isinstance(command, FollowHostBlock) else actor
        assert (event.actor, event.at) == (who, start.now), "every event names who and when"
        room = apply(room, event)
        assert violations(room) == [], event
    return verdict
