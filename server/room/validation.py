"""Field checks. Each returns the cleaned value, or Rejected(INVALID_FIELD) with a sentence
saying what to change. Fields may come straight off the wire, so nothing here trusts a type."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TypeGuard
from urllib.parse import urlsplit

from server.room import names
from server.room.model import SYSTEM, Limits, RoomCard
from server.room.reasons import Reason, Rejected

REACTIONS: tuple[str, ...] = ("💯", "😂", "👋", "✌️", "❤️", "✊", "👍", "🙌", "🔥", "🎉")
"""The fixed reaction set (X Spaces' own, minus the sad ones)."""

_VS16 = "\ufe0f"  # emoji presentation selector: "❤" and "❤️" are the same reaction
_REACTION_BY_BARE = {emoji.replace(_VS16, ""): emoji for emoji in REACTIONS}

MAX_URL_CHARS = 2048
MAX_USER_ID_CHARS = 128
MAX_TICKET_CODE_CHARS = 64
_TICKET_CODE = re.compile(r"[A-Za-z0-9_-]+")
# ISO 4217 currency codes in use (2026), for ticket prices; "ZZZ" and other made-up codes are
# refused. Funds and precious metals (XAU, XDR, …) are left out: nobody prices a ticket in them.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
    KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
    MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
    SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 (a table to read, not a list to scroll)
)
# Bidirectional overrides and isolates let a name display as something it is not.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def invalid(detail: str) -> Rejected:
    return Rejected(Reason.INVALID_FIELD, detail)


def _bad_char(ch: str, multiline: bool) -> bool:
    if multiline and ch == "\n":
        return False
    return unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS


def text(
    value: object, what: str, max_chars: int, *, required: bool = True, multiline: bool = False
) -> str | Rejected:
    """Stripped text of at most `max_chars` characters without control characters."""
    if not isinstance(value, str):
        return invalid(f"The {what} must be text.")
    cleaned = value.strip()
    if required and not cleaned:
        return invalid(f"The {what} cannot be empty.")
    if len(cleaned) > max_chars:
        return invalid(f"The {what} is {len(cleaned)} characters; the limit is {max_chars}.")
    if any(_bad_char(ch, multiline) for ch in cleaned):
        return invalid(f"The {what} contains control characters; remove them.")
    return cleaned


def display_name(value: object, limits: Limits) -> str | Rejected:
    """A name in its one normal form (server/room/names.py); direction overrides, which make a
    name read as something else, are refused rather than dropped, so the person knows."""
    if isinstance(value, str):
        if any(ch in _BIDI_CONTROLS for ch in value):
            return invalid("The display name contains direction controls; remove them.")
        value = names.normalize(value)
    return text(value, "display name", limits.max_display_name_chars)


def card(title: object, description: object, topics: object, limits: Limits) -> RoomCard | Rejected:
    clean_title = text(title, "title", limits.title_max_chars)
    if isinstance(clean_title, Rejected):
        return clean_title
    clean_description = text(
        description, "description", limits.max_description_chars, required=False, multiline=True
    )
    if isinstance(clean_description, Rejected):
        return clean_description
    if not isinstance(topics, tuple):
        return invalid("Topics must be a list of words.")
    if len(topics) > limits.max_topics:
        return invalid(f"A room has at most {limits.max_topics} topics; remove some.")
    clean_topics: list[str] = []
    for topic in topics:
        clean = text(topic, "topic", limits.max_topic_chars)
        if isinstance(clean, Rejected):
            return clean
        if clean.casefold() in (t.casefold() for t in clean_topics):
            return invalid(f"The topic {clean!r} is listed twice.")
        clean_topics.append(clean)
    return RoomCard(clean_title, clean_description, tuple(clean_topics))


def user_id(value: object) -> str | Rejected:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_USER_ID_CHARS
        or value == SYSTEM
        or any(ch.isspace() or _bad_char(ch, False) for ch in value)
    ):
        return invalid("That is not a valid user id.")
    return value


def schedule(starts_at: object, now: float, limits: Limits) -> float | Rejected:
    """A start time in the future, at most `max_schedule_ahead_s` ahead."""
    if isinstance(starts_at, bool) or not isinstance(starts_at, (int, float)):
        return invalid("The start time must be a number of seconds.")
    if not math.isfinite(starts_at) or starts_at <= now:
        return invalid("The start time must be in the future.")
    if starts_at > now + limits.max_schedule_ahead_s:
        days = limits.max_schedule_ahead_s / 86_400
        return invalid(f"A room can be scheduled at most {days:g} days ahead.")
    return float(starts_at)


def link_url(value: object) -> str | Rejected:
    """An http(s) link with a host and no user:password part (a classic phishing disguise)."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL_CHARS:
        return invalid(f"A link must be 1 to {MAX_URL_CHARS} characters.")
    if any(ch.isspace() or _bad_char(ch, False) for ch in value):
        return invalid("A link cannot contain spaces or control characters.")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return invalid("That link is malformed.")
    if parts.scheme.lower() not in ("http", "https"):
        return invalid("Only http:// and https:// links can be pinned.")
    if not parts.hostname:
        return invalid("The link has no host name.")
    if parts.username is not None or parts.password is not None:
        return invalid("Links with a user name or password in them cannot be pinned.")
    return value


def reaction(value: object) -> str | Rejected:
    if isinstance(value, str):
        found = _REACTION_BY_BARE.get(value.replace(_VS16, ""))
        if found is not None:
            return found
    return invalid(f"Reactions are one of {' '.join(REACTIONS)}.")


def ticket_code(value: object) -> str | Rejected:
    if (
        not isinstance(value, str)
        or len(value) > MAX_TICKET_CODE_CHARS
        or not _TICKET_CODE.fullmatch(value)
    ):
        return invalid("That ticket code is not valid; check it and try again.")
    return value


def ticketing(
    price_cents: object, currency: object, quantity: object, limits: Limits, issued: int
) -> tuple[int, str, int] | Rejected:
    if not _whole(price_cents) or not 0 <= price_cents <= limits.max_ticket_price_cents:
        top = limits.max_ticket_price_cents
        return invalid(f"The price must be 0 to {top} cents.")
    if not isinstance(currency, str) or currency not in ISO_4217:
        return invalid("The currency must be an ISO 4217 code in use, such as USD or EUR.")
    if not _whole(quantity) or not 1 <= quantity <= limits.max_ticket_quantity:
        return invalid(f"The quantity must be 1 to {limits.max_ticket_quantity}.")
    if quantity < issued:
        return invalid(f"{issued} tickets are already issued; the quantity cannot be lower.")
    return price_cents, currency, quantity


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def limits(value: Limits) -> Limits | Rejected:
    """Every limit non-negative and every duration finite."""
    for name in Limits.__dataclass_fields__:
        number = getattr(value, name)
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            return invalid(f"The limit {name} must be a number.")
        if not math.isfinite(number) or number < 0:
            return invalid(f"The limit {name} must be a finite number, 0 or more.")
    return value
