"""Reactions (a fixed emoji set, rate-limited per person) and pinned links (http/https only,
a few at a time)."""

from __future__ import annotations

from server.room import validation
from server.room.commands import PinLink, React, UnpinLink
from server.room.events import Event, LinkPinned, LinkUnpinned, Reacted
from server.room.model import UserId
from server.room.permissions import is_moderator, require_live, require_reach
from server.room.reasons import Reason, Rejected
from server.room.state import Room


def react(room: Room, actor: UserId, command: React, now: float) -> list[Event] | Rejected:
    refused = require_live(room, "react")
    if refused:
        return refused
    emoji = validation.reaction(command.emoji)
    if isinstance(emoji, Rejected):
        return emoji
    last = room.last_reaction_at.get(actor)
    if last is not None and now - last < room.limits.reaction_min_interval_s:
        return Rejected(Reason.RATE_LIMITED, "Slow down: one reaction at a time.")
    return [Reacted(actor, now, emoji)]


def pin_link(room: Room, actor: UserId, command: PinLink, now: float) -> list[Event] | Rejected:
    # As in X Spaces: everyone on stage may pin, listeners may not.
    if not room.participants[actor].role.on_stage:
        return Rejected(Reason.NOT_ALLOWED, "Only people on stage can pin links.")
    url = validation.link_url(command.url)
    if isinstance(url, Rejected):
        return url
    title = validation.text(
        command.title, "link title", room.limits.max_link_title_chars, required=False
    )
    if isinstance(title, Rejected):
        return title
    if any(link.url == url for link in room.pinned_links):
        return Rejected(Reason.DUPLICATE, "That link is already pinned.")
    if len(room.pinned_links) >= room.limits.max_pinned_links:
        top = room.limits.max_pinned_links
        return Rejected(Reason.LIMIT_REACHED, f"At most {top} links can be pinned; unpin one.")
    return [LinkPinned(actor, now, url, title)]


def unpin_link(room: Room, actor: UserId, command: UnpinLink, now: float) -> list[Event] | Rejected:
    link = next((p for p in room.pinned_links if p.url == command.url), None)
    if link is None:
        return Rejected(Reason.TARGET_NOT_FOUND, "That link is not pinned.")
    # Moderators unpin what others pinned, within their reach: a co-host does not unpin the
    # host's or another co-host's link.
    mine = link.pinned_by == actor
    if not mine and not (
        is_moderator(room, actor) and require_reach(room, actor, link.pinned_by) is None
    ):
        return Rejected(
            Reason.NOT_ALLOWED, "You can unpin your own links; ask a host for the others."
        )
    return [LinkUnpinned(actor, now, link.url)]
