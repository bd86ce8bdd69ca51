"""Field checks: names, card text, links, reactions, ids. Each row is (what is typed, accepted?);
a refusal is always INVALID_FIELD with a sentence saying what to change."""

from __future__ import annotations

import pytest

from server.room import Limits, Reason, Rejected, RoomCard
from server.room import validation as v

LIMITS = Limits()


def verdict(result: object) -> str:
    if isinstance(result, Rejected):
        assert result.reason is Reason.INVALID_FIELD and result.detail
        return "refused"
    return "accepted"


NAMES = [
    ("Ada", "accepted"),
    ("  Ada  ", "accepted"),  # trimmed
    ("Zoë Ōkubo", "accepted"),
    ("👨‍👩‍👧 family", "accepted"),  # zero-width joiners inside emoji are fine
    ("", "refused"),
    ("   ", "refused"),
    ("a" * 50, "accepted"),
    ("a" * 51, "refused"),
    ("Ada\nLovelace", "refused"),
    ("Ada\x00", "refused"),
    ("evil\u202egnp.exe", "refused"),  # right-to-left override disguises the name
    ("lone \ud800 surrogate", "refused"),
    (42, "refused"),
    ("\u200b\u2060\ufeff", "refused"),  # nothing but invisible characters
]


@pytest.mark.parametrize(("typed", "expect"), NAMES, ids=[repr(t)[:30] for t, _ in NAMES])
def test_display_names(typed, expect):
    assert verdict(v.display_name(typed, LIMITS)) == expect


def test_names_are_stored_trimmed():
    assert v.display_name("  Ada  ", LIMITS) == "Ada"


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Ｈａｎａ", "Hana"),  # fullwidth letters
        ("Ha\u200bna", "Hana"),  # a zero-width space
        ("Ha\u200dna\u200e", "Hana"),  # a joiner outside emoji, a direction mark
        ("Hana\u3000\u2003 Lee", "Hana Lee"),  # wide spaces fold into one
        ("👩\u200d💻 Kim", "👩\u200d💻 Kim"),  # the joiner that makes one emoji stays
        ("Ⅸ ﬁsh", "IX fish"),  # compatibility forms
    ],
)
def test_names_are_stored_in_one_normal_form(typed, stored):
    assert v.display_name(typed, LIMITS) == stored


CARDS = [
    ("a plain card", RoomCard("Weekly", "About audio", ("audio", "dsp")), "accepted"),
    ("70-letter title", RoomCard("t" * 70), "accepted"),
    ("71-letter title", RoomCard("t" * 71), "refused"),
    ("title with a newline", RoomCard("two\nlines"), "refused"),
    ("description with newlines", RoomCard("T", "line one\nline two"), "accepted"),
    ("description with a bell", RoomCard("T", "ding\x07"), "refused"),
    ("281-letter description", RoomCard("T", "d" * 281), "refused"),
    ("3 topics", RoomCard("T", "", ("a", "b", "c")), "accepted"),
    ("4 topics", RoomCard("T", "", ("a", "b", "c", "d")), "refused"),
    ("blank topic", RoomCard("T", "", (" ",)), "refused"),
    ("31-letter topic", RoomCard("T", "", ("t" * 31,)), "refused"),
    ("same topic twice in other case", RoomCard("T", "", ("Audio", "audio")), "refused"),
]


@pytest.mark.parametrize(
    ("card", "expect"), [pytest.param(c, e, id=f"{s} -> {e}") for s, c, e in CARDS]
)
def test_room_cards(card, expect):
    assert verdict(v.card(card.title, card.description, card.topics, LIMITS)) == expect


URLS = [
    ("https://example.org/show-notes?ep=3#t=10", "accepted"),
    ("http://example.org", "accepted"),
    ("HTTPS://EXAMPLE.ORG/", "accepted"),
    ("https://[2001:db8::1]:8443/x", "accepted"),
    ("https://例え.jp/", "accepted"),
    ("javascript:alert(1)", "refused"),
    ("data:text/html,hi", "refused"),
    ("ftp://example.org/file", "refused"),
    ("//example.org/path", "refused"),
    ("example.org", "refused"),
    ("https://", "refused"),
    ("https://user:pass@example.org/", "refused"),
    ("https://example.org@evil.example/", "refused"),
    ("https://example.org:99999/", "refused"),
    ("https://[::1/", "refused"),
    ("https://exa mple.org/", "refused"),
    ("https://example.org/\ttab", "refused"),
    ("https://e.org/" + "a" * 2034, "accepted"),
    ("https://e.org/" + "a" * 2035, "refused"),
    ("", "refused"),
]


@pytest.mark.parametrize(("url", "expect"), URLS, ids=[u[:40] for u, _ in URLS])
def test_pinned_link_urls(url, expect):
    assert verdict(v.link_url(url)) == expect


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("🔥", "🔥"), ("❤️", "❤️"), ("❤", "❤️"), ("✌", "✌️"), ("🍕", None), ("🔥🔥", None), ("", None)],
)
def test_reactions_are_matched_with_or_without_the_emoji_selector(typed, stored):
    result = v.reaction(typed)
    assert (None if isinstance(result, Rejected) else result) == stored


USER_IDS = [
    ("u-123", "accepted"),
    ("a" * 128, "accepted"),
    ("a" * 129, "refused"),
    ("", "refused"),
    ("system", "refused"),
    ("has space", "refused"),
    ("tab\there", "refused"),
]


@pytest.mark.parametrize(("typed", "expect"), USER_IDS, ids=[t[:20] for t, _ in USER_IDS])
def test_user_ids_named_in_commands(typed, expect):
    assert verdict(v.user_id(typed)) == expect
