"""Random sequences of commands from random actors (hypothesis), half of them what people in the
room would plausibly do next and half anything at all: `decide` never raises,
every accepted event names its actor and time, and after every `apply` the room keeps its
invariants (server/room/invariants.py) plus one only a history can check: consent entries belong
to people who were on stage during that take."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.room import (
    COMMAND_TYPES,
    SYSTEM,
    AskMode,
    InviteKind,
    Limits,
    RecordingStarted,
    Rejected,
    Room,
    RoomCard,
    apply,
    apply_all,
    can,
    decide,
    is_moderator,
    new_room,
    violations,
)
from server.room import commands as c
from server.room.codec import from_plain, to_plain

T0 = 1_700_000_000.0
# Small limits so that seats, queues and rate limits run out within a few steps.
LIMITS = Limits(
    max_cohosts=1,
    max_speakers=2,
    listener_capacity=4,
    decline_cooldown_s=3.0,
    invite_ttl_s=4.0,
    max_pinned_links=2,
)
PEOPLE = ["host", "u1", "u2", "u3", "u4", "u5", "u6"]
OTHERS = ["stranger", SYSTEM, "", "a b"]  # never joins / the relay / malformed ids
TEXT = st.sampled_from(["Hi", "  ", "x" * 80, "tab\there", "new\nline", "Ünïcødé 🎉"])
URLS = st.sampled_from(["https://a.example/1", "http://b.example", "javascript:x", "https://"])
TIMES = st.sampled_from([-1.0, 0.0, 60.0, 86_400.0 * 15, math.nan])
CODES = st.sampled_from(["T1", "T2", "T3", "bad code", None])
CROWD_CODES = [None, "T1", "T2", None, None, None, None]
ONE_IN_FOUR = st.sampled_from([False, False, False, True])
STEP_S = st.sampled_from([0.0, 0.5, 1.0, 2.0, 5.0])

Draw = Callable[[st.SearchStrategy[Any]], Any]
NO_FIELDS = (
    c.Leave, c.StartRoom, c.EndRoom, c.CancelRoom, c.ClearTicketing, c.RequestToSpeak,
    c.WithdrawRequest, c.ExpireInvites, c.StepDown, c.MuteAll, c.Unmute, c.StartRecording,
    c.StopRecording, c.EndAbandonedRoom,
)  # fmt: skip
ONE_TARGET = (
    c.AddContact, c.RemoveContact, c.ApproveRequest, c.DeclineRequest, c.InviteToSpeak,
    c.InviteToCohost, c.MoveToAudience, c.AppointCohost, c.RemoveCohost, c.Mute,
    c.AskToUnmute, c.Unblock,
)  # fmt: skip
# How to draw each command's fields, given a strategy for user ids worth naming.
BUILDERS: dict[type, Callable[[Draw, st.SearchStrategy[str]], c.Command]] = {
    **{cls: lambda draw, who, cls=cls: cls() for cls in NO_FIELDS},
    **{cls: lambda draw, who, cls=cls: cls(draw(who)) for cls in ONE_TARGET},
    c.Join: lambda draw, who: c.Join(draw(st.one_of(st.just("Name"), TEXT)), draw(CODES)),
    c.EditCard: lambda draw, who: c.EditCard(
        draw(TEXT), draw(TEXT), tuple(draw(st.lists(TEXT, max_size=4)))
    ),
    c.Reschedule: lambda draw, who: c.Reschedule(T0 + draw(TIMES)),
    c.SetAskMode: lambda draw, who: c.SetAskMode(draw(st.sampled_from(AskMode))),
    c.SetTicketing: lambda draw, who: c.SetTicketing(
        draw(st.sampled_from([0, 500, -5])),
        draw(st.sampled_from(["USD", "x"])),
        draw(st.sampled_from([0, 2, 3])),
    ),
    c.IssueTicket: lambda draw, who: c.IssueTicket(draw(st.sampled_from(["T1", "T3", "bad"]))),
    c.RevokeTicket: lambda draw, who: c.RevokeTicket(draw(st.sampled_from(["T1", "T2", "T9"]))),
    c.AcceptInvite: lambda draw, who: c.AcceptInvite(draw(st.sampled_from(InviteKind))),
    c.DeclineInvite: lambda draw, who: c.DeclineInvite(draw(st.sampled_from(InviteKind))),
    c.RemoveParticipant: lambda draw, who: c.RemoveParticipant(draw(who), draw(st.booleans())),
    c.Report: lambda draw, who: c.Report(draw(TEXT), draw(st.one_of(st.none(), who))),
    c.React: lambda draw, who: c.React(draw(st.sampled_from(["🔥", "❤", "🍕", ""]))),
    c.PinLink: lambda draw, who: c.PinLink(draw(URLS), draw(TEXT)),
    c.UnpinLink: lambda draw, who: c.UnpinLink(draw(URLS)),
    c.SetConsent: lambda draw, who: c.SetConsent(draw(st.booleans())),
    c.AddMarker: lambda draw, who: c.AddMarker(draw(TEXT)),
    c.StrikeFromRecord: lambda draw, who: c.StrikeFromRecord(
        draw(who), draw(st.sampled_from([*c.STRIKE_SPANS, "last_hour"]))
    ),
    c.LockRoom: lambda draw, who: c.LockRoom(draw(st.booleans())),
    c.SetBroadcastMode: lambda draw, who: c.SetBroadcastMode(draw(st.booleans())),
    c.FollowHostBlock: lambda draw, who: c.FollowHostBlock(draw(who), draw(st.booleans()), "host"),
}
# Weights: ending the room stops everything else and leaving empties it, so those are drawn
# less often and joining more. (Hypothesis's one_of merges equal branches: weight by repeating.)
_RARE = (c.EndRoom, c.CancelRoom, c.Leave)
_COMMON = [kind for kind in BUILDERS if kind not in _RARE] + [c.Join, c.Join]
KINDS = st.sampled_from(_COMMON * 20 + [c.Leave] * 10 + [c.EndRoom, c.CancelRoom])


def test_the_generator_covers_every_command():
    assert set(BUILDERS) == set(COMMAND_TYPES.values())


def _start(scheduled: bool, ticketed: bool) -> Room:
    room = new_room(
        "room-p",
        "host",
        "Hana",
        RoomCard("Property room"),
        T0,
        starts_at=T0 + 30 if scheduled else None,
        limits=LIMITS,
        blocked=frozenset({"u6"}),
        contacts=frozenset({"u1"}),
    )
    assert isinstance(room, Room)
    if ticketed:
        setup = [c.SetTicketing(500, "USD", 3), c.IssueTicket("T1"), c.IssueTicket("T2")]
        for command in setup:
            verdict = decide(room, "host", command, T0)
            assert isinstance(verdict, list)
            room = apply_all(room, verdict)
    return room


def _actor(room: Room) -> st.SearchStrategy[str]:
    """Mostly people in the room, moderators more than their share, sometimes anyone."""
    present = list(room.participants)
    moderators = [user_id for user_id in present if is_moderator(room, user_id)]
    return st.sampled_from(moderators * 4 + present * 4 + PEOPLE + OTHERS)


def _target(room: Room) -> st.SearchStrategy[str]:
    """Mostly someone a rule can act on: askers, people on stage or invited, anyone present."""
    askers = [r.user_id for r in room.requests] + [i.user_id for i in room.invites]
    on_stage = [p.user_id for p in room.stage()]
    return st.sampled_from(
        askers * 4 + on_stage * 2 + list(room.participants) * 2 + PEOPLE + OTHERS
    )


def _likely(room: Room) -> list[tuple[str, c.Command]]:
    """What people in this room would plausibly do next; the rules may still refuse it (a full
    stage, an expired invitation), which is the point."""
    present = set(room.participants)
    stage = [p.user_id for p in room.stage()]
    listeners = [p.user_id for p in room.listeners()]
    askers = [r.user_id for r in room.requests]
    moves: list[tuple[str, c.Command]] = [
        ("host", c.StartRoom()),
        ("host", c.StartRecording()),
        ("host", c.StopRecording()),
        (SYSTEM, c.ExpireInvites()),
    ]
    for moderator in (u for u in present if is_moderator(room, u)):
        moves += [(moderator, c.ApproveRequest(u)) for u in askers] * 2
        moves += [(moderator, c.DeclineRequest(u)) for u in askers]
        moves += [(moderator, c.InviteToSpeak(u)) for u in listeners]
        moves += [(moderator, c.Mute(u)) for u in stage]
        moves += [(moderator, c.MoveToAudience(u)) for u in stage]
        moves += [(moderator, c.RemoveParticipant(u, block=True)) for u in listeners[:1]]
    moves += [("host", c.InviteToCohost(u)) for u in stage + listeners]
    moves += [("host", c.RemoveCohost(u)) for u in room.cohost_ids]
    moves += [(i.user_id, c.AcceptInvite(i.kind)) for i in room.invites] * 3
    moves += [(i.user_id, c.DeclineInvite(i.kind)) for i in room.invites]
    moves += [(u, c.RequestToSpeak()) for u in listeners] * 2
    for user_id in stage:
        moves += [(user_id, c.Unmute()), (user_id, c.StepDown()), (user_id, c.SetConsent(True))]
    moves += [(u, c.Join(u)) for u in PEOPLE if u not in present]
    moves += [(u, c.Leave()) for u in present]
    return moves


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), scheduled=ONE_IN_FOUR, ticketed=ONE_IN_FOUR)
def test_random_commands_never_break_the_room(data, scheduled, ticketed):
    room = _start(scheduled, ticketed)
    now = T0
    asked: set[str] = set()  # everyone on stage at some point during the current take
    # Every run starts with a crowd at the door (two of them with tickets); random joins follow.
    crowd = [
        (who, c.Join(who.title(), code)) for who, code in zip(PEOPLE, CROWD_CODES, strict=True)
    ]
    steps = data.draw(st.integers(0, 200), label="steps")
    for step in range(-len(crowd), steps):
        now += data.draw(STEP_S)
        if step < 0:
            actor, command = crowd[step]
        elif data.draw(st.sampled_from(["likely", "likely", "random"])) == "likely":
            actor, command = data.draw(st.sampled_from(_likely(room)))
        else:
            actor = data.draw(_actor(room))
            command = BUILDERS[data.draw(KINDS)](data.draw, _target(room))
        verdict = decide(room, actor, command, now)
        assert verdict == decide(room, actor, command, now)  # pure
        assert can(room, actor, command, now) is isinstance(verdict, list)
        if isinstance(verdict, Rejected):
            assert verdict.detail
            continue
        # The relay carrying a host's block names who blocked (as room_world.check does).
        who = command.by if isinstance(command, c.FollowHostBlock) else actor
        for event in verdict:
            assert (event.actor, event.at) == (who, now)
            if isinstance(event, RecordingStarted):
                asked = set()
            room = apply(room, event)
            assert violations(room) == [], (actor, command, event)
            if room.is_recording:
                asked |= {p.user_id for p in room.stage()}
        if room.recording is not None:
            assert set(room.recording.consents) <= asked
    assert from_plain(Room, to_plain(room)) == room
