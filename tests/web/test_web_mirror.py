"""The browser keeps its own mirror of the room by applying events (mirror.js, a port of
server/room/reducer.py). After a busy stretch of room life it must equal the relay's room as
this browser may see it (server/visibility.room_for)."""

from __future__ import annotations

from playwright.sync_api import expect

from server.room import (
    AddMarker,
    ApproveRequest,
    DeclineRequest,
    InviteToCohost,
    InviteToSpeak,
    Mute,
    PinLink,
    React,
    RemoveParticipant,
    RequestToSpeak,
    StartRecording,
    Unmute,
    UnpinLink,
)
from server.room.codec import to_plain
from server.visibility import room_for
from tests.web.roomkit import join_from_browser, open_room, wait_until

COMPARED = (
    "room_id", "host_id", "host_name", "card", "state", "starts_at", "started_at", "ended_at",
    "ask_mode", "participants", "cohost_ids", "requests", "invites",
    "removed", "contacts", "pinned_links", "tickets", "recording", "reports", "limits",
    "blocked", "request_cooldowns", "last_reaction_at", "locked", "broadcast",
)  # fmt: skip


def test_the_browsers_mirror_equals_the_relays_room(relay, browsers) -> None:
    room = open_room(relay, title="Mirror", description="Busy room", topics=["a", "b"])
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Mira Mirror")
    ann, ben, cat = (room.join_bot(name) for name in ("Ann", "Ben", "Cat"))

    ann.send(RequestToSpeak())
    room.host.send(ApproveRequest(ann.user_id))
    ann.send(Unmute())
    ben.send(RequestToSpeak())
    room.host.send(DeclineRequest(ben.user_id))
    cat.send(RequestToSpeak())
    room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").click()
    wait_until(lambda: room.live().role_of(me) is not None and room.live().role_of(me).on_stage)
    room.host.send(StartRecording())
    page.get_by_role("dialog").get_by_role("button", name="Yes, record my voice").click()
    room.host.send(AddMarker("Intro done"))
    ann.send(React("🎉"))
    room.host.send(PinLink("https://example.org/one", "One"))
    room.host.send(PinLink("https://example.org/two"))
    room.host.send(UnpinLink("https://example.org/one"))
    room.host.send(InviteToCohost(cat.user_id))
    room.host.send(Mute(ann.user_id))
    room.host.send(RemoveParticipant(ben.user_id, block=True))
    page.get_by_role("button", name="Report room").click()
    page.get_by_role("dialog").get_by_role("button", name="Send report").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    late = room.join_bot("Dan")
    late.close()

    seq = relay.call(lambda: relay.hub.seq(room.room_id))
    wait_until(lambda: page.evaluate("window.roomcast.seq") == seq, what="the browser caught up")
    mirror = page.evaluate("window.roomcast.room")
    truth = to_plain(relay.call(lambda: room_for(relay.hub.room(room.room_id), me)))
    assert isinstance(truth, dict)
    differ = [key for key in COMPARED if mirror[key] != truth[key]]
    assert not differ, {key: (mirror[key], truth[key]) for key in differ}
    # a block is the host's business: everyone saw Ben go, nobody outside the moderators
    # learnt that he was blocked
    assert mirror["blocked"] == [] and ben.user_id in mirror["removed"]
    assert ben.user_id in mirror["request_cooldowns"]
