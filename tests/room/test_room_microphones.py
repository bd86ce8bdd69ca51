"""Microphones: a moderator mutes one speaker or all speakers; anyone on stage mutes or unmutes
themself; nobody unmutes someone else, a moderator may only ask (Jitsi, Nextcloud Talk)."""

from __future__ import annotations

import dataclasses

import pytest

from server.room import (
    AskToUnmute,
    Mute,
    MuteAll,
    Muted,
    Unmute,
    UnmuteAsked,
    apply_all,
)
from tests.room.room_world import OK, check, rows, world

# In "live": host, cohost and speaker are unmuted; cohost2 and speaker2 are muted.
MUTE = rows(
    ("host mutes speaker", "host", Mute("speaker"), "live", OK),
    ("co-host mutes speaker", "cohost", Mute("speaker"), "live", OK),
    ("host mutes co-host", "host", Mute("cohost"), "live", OK),
    ("co-host mutes co-host", "cohost2", Mute("cohost"), "live", "not_allowed"),
    ("co-host mutes host", "cohost", Mute("host"), "live", "not_allowed"),
    ("speaker mutes speaker", "speaker2", Mute("speaker"), "live", "not_allowed"),
    ("listener mutes speaker", "listener", Mute("speaker"), "live", "not_allowed"),
    ("speaker mutes themself", "speaker", Mute("speaker"), "live", OK),
    ("host mutes themself", "host", Mute("host"), "live", OK),
    ("host mutes a muted speaker", "host", Mute("speaker2"), "live", "no_change"),
    ("host mutes a listener", "host", Mute("listener"), "live", "not_on_stage"),
    ("listener mutes themself", "listener", Mute("listener"), "live", "not_on_stage"),
    ("host mutes someone not here", "host", Mute("stranger"), "live", "target_not_found"),
    ("host mutes co-host before the start", "host", Mute("cohost"), "scheduled", "not_started"),
    ("host mutes speaker after the end", "host", Mute("speaker"), "ended", "room_ended"),
    ("host mutes all speakers", "host", MuteAll(), "live", OK),
    ("co-host mutes all speakers", "cohost", MuteAll(), "live", OK),
    ("speaker mutes all speakers", "speaker", MuteAll(), "live", "not_allowed"),
    ("listener mutes all speakers", "listener", MuteAll(), "live", "not_allowed"),
    ("host mutes all, all already muted", "host", MuteAll(), "speakers muted", "no_change"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), MUTE)
def test_muting(actor, command, given, expect):
    check(actor, command, given, expect)


UNMUTE = rows(
    ("muted speaker unmutes", "speaker2", Unmute(), "live", OK),
    ("muted co-host unmutes", "cohost2", Unmute(), "live", OK),
    ("speaker unmutes after a mute-all", "speaker", Unmute(), "speakers muted", OK),
    ("unmuted speaker unmutes", "speaker", Unmute(), "live", "no_change"),
    ("listener unmutes", "listener", Unmute(), "live", "not_on_stage"),
    ("host unmutes before the start", "host", Unmute(), "scheduled", "not_started"),
    ("host asks a muted speaker to unmute", "host", AskToUnmute("speaker2"), "live", OK),
    ("co-host asks a muted speaker to unmute", "cohost", AskToUnmute("speaker2"), "live", OK),
    ("co-host asks a muted co-host to unmute",
     "cohost", AskToUnmute("cohost2"), "live", "not_allowed"),
    ("speaker asks a speaker to unmute", "speaker", AskToUnmute("speaker2"), "live", "not_allowed"),
    ("host asks an unmuted speaker", "host", AskToUnmute("speaker"), "live", "no_change"),
    ("host asks a listener to unmute", "host", AskToUnmute("listener"), "live", "not_on_stage"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), UNMUTE)
def test_unmuting(actor, command, given, expect):
    check(actor, command, given, expect)


def test_nobody_can_name_someone_else_to_unmute():
    # Unmute has no target: the only unmute there is, is your own.
    assert [f.name for f in dataclasses.fields(Unmute)] == []


def test_asking_to_unmute_leaves_the_microphone_muted():
    events = check("host", AskToUnmute("speaker2"), "live", OK)
    assert events == [UnmuteAsked("host", world("live").now, "speaker2")]
    assert apply_all(world("live").room, events).participants["speaker2"].muted


def test_mute_all_mutes_speakers_only():
    events = check("cohost", MuteAll(), "live", OK)
    assert [e.user_id for e in events if isinstance(e, Muted)] == ["speaker"]
    room = apply_all(world("live").room, events)
    assert not room.participants["host"].muted and not room.participants["cohost"].muted
