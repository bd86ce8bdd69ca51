"""Reactions from a fixed emoji set, rate-limited per person; pinned links (http/https only, a few
at a time) from anyone on stage."""

from __future__ import annotations

import pytest

from server.room import REACTIONS, Limits, PinLink, React, Reacted, UnpinLink, can
from tests.room.room_world import OK, check, rows, world

LINK = "https://example.org/a"  # pinned by speaker in "links pinned"; b by cohost, c by host

REACT = rows(
    ("listener reacts", "listener", React("🔥"), "live", OK),
    ("host reacts", "host", React("👍"), "live", OK),
    ("listener reacts with a heart without its selector", "listener", React("❤"), "live", OK),
    ("listener reacts with an emoji outside the set",
     "listener", React("🍕"), "live", "invalid_field"),
    ("listener reacts with text", "listener", React("lol"), "live", "invalid_field"),
    ("listener reacts again within a second",
     "listener", React("🎉"), "listener just reacted", "rate_limited"),
    ("another listener reacts meanwhile", "listener2", React("🎉"), "listener just reacted", OK),
    ("listener reacts after the end", "listener", React("🔥"), "ended", "room_ended"),
    ("host reacts before the start", "host", React("🔥"), "scheduled", "not_started"),
    ("someone not here reacts", "stranger", React("🔥"), "live", "not_in_room"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), REACT)
def test_reacting(actor, command, given, expect):
    check(actor, command, given, expect)


PIN = rows(
    ("host pins a link", "host", PinLink("https://example.org/x", "Show notes"), "live", OK),
    ("co-host pins a link", "cohost", PinLink("https://example.org/x"), "live", OK),
    ("speaker pins a link", "speaker", PinLink("http://example.org/x"), "live", OK),
    ("host pins before the start", "host", PinLink("https://example.org/x"), "scheduled", OK),
    ("listener pins a link", "listener", PinLink("https://example.org/x"), "live", "not_allowed"),
    ("host pins a fourth link",
     "host", PinLink("https://example.org/d"), "links pinned", "limit_reached"),
    ("host pins a pinned link again", "host", PinLink(LINK), "links pinned", "duplicate"),
    ("host pins javascript:", "host", PinLink("javascript:alert(1)"), "live", "invalid_field"),
    ("host pins ftp:", "host", PinLink("ftp://example.org/f"), "live", "invalid_field"),
    ("host pins a link with no host", "host", PinLink("https:///path"), "live", "invalid_field"),
    ("host pins a link with a password",
     "host", PinLink("https://bank.com@evil.example/"), "live", "invalid_field"),
    ("host pins a link with a space",
     "host", PinLink("https://exa mple.org/"), "live", "invalid_field"),
    ("host pins a link with a bad port",
     "host", PinLink("https://example.org:99999/"), "live", "invalid_field"),
    ("host pins a 2049-character link",
     "host", PinLink("https://e.org/" + "a" * 2035), "live", "invalid_field"),
    ("host pins a 2048-character link", "host", PinLink("https://e.org/" + "a" * 2034), "live", OK),
    ("host pins with a 101-letter title",
     "host", PinLink("https://e.org/", "t" * 101), "live", "invalid_field"),
    ("host unpins speaker's link", "host", UnpinLink(LINK), "links pinned", OK),
    ("co-host unpins speaker's link", "cohost", UnpinLink(LINK), "links pinned", OK),
    ("speaker unpins their own link", "speaker", UnpinLink(LINK), "links pinned", OK),
    ("speaker unpins co-host's link",
     "speaker", UnpinLink("https://example.org/b"), "links pinned", "not_allowed"),
    ("co-host unpins host's link",
     "cohost", UnpinLink("https://example.org/c"), "links pinned", "not_allowed"),
    ("co-host unpins co-host's link",
     "cohost2", UnpinLink("https://example.org/b"), "links pinned", "not_allowed"),
    ("listener unpins a link", "listener", UnpinLink(LINK), "links pinned", "not_allowed"),
    ("host unpins a link never pinned",
     "host", UnpinLink("https://example.org/z"), "links pinned", "target_not_found"),
)  # fmt: skip


@pytest.mark.parametrize(("actor", "command", "given", "expect"), PIN)
def test_pinning(actor, command, given, expect):
    check(actor, command, given, expect)


def test_the_reaction_set_is_fixed_and_small():
    assert 8 <= len(REACTIONS) <= 12 and len(set(REACTIONS)) == len(REACTIONS)


def test_a_reaction_goes_out_in_its_canonical_form():
    events = check("listener", React("❤"), "live", OK)
    assert events == [Reacted("listener", world("live").now, "❤️")]


def test_the_rate_limit_lifts_after_the_interval():
    start = world("listener just reacted")
    interval_s = Limits().reaction_min_interval_s
    assert not can(start.room, "listener", React("🎉"), start.now)
    assert can(start.room, "listener", React("🎉"), start.now + interval_s)
