"""The browser's identity across reloads, one tab at a time, and resuming after a network
drop without losing a single event."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from console.tracks import ToneTrack
from server.app import HUB
from server.room import InviteToSpeak, PinLink, Role
from tests.web.netcut import CuttableProxy
from tests.web.roomkit import join_from_browser, open_room, page_until, wait_until

INBOUND = "((await window.roomcast.stats()).inbound?.packetsReceived || 0)"


def test_the_identity_and_name_are_kept_and_leaving_is_clean(relay, browsers) -> None:
    room = open_room(relay, title="Identity test")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Ivy Identity")
    saved = json.loads(page.evaluate("localStorage.getItem('roomcast.identity.v1')"))
    assert saved["client_id"] == me and len(saved["client_secret"]) >= 16

    page.get_by_role("button", name="Leave").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You left the room")
    wait_until(lambda: me not in room.live().participants, what="left the relay's room")

    page.get_by_role("button", name="Join again").click()
    page.wait_for_selector("body[data-phase=card]")
    expect(page.get_by_label("Your name")).to_have_value("Ivy Identity")
    page.get_by_role("button", name="Join and listen").click()
    page.wait_for_selector("body[data-phase=room]")
    assert page.evaluate("window.roomcast.you") == me


def test_a_second_tab_takes_over_and_the_first_says_so(relay, browsers) -> None:
    room = open_room(relay, title="Two tabs")
    first = browsers.new_page(room.url)
    me = join_from_browser(first, "Tom Tabs")
    second = first.context.new_page()
    second.goto(room.url)
    assert join_from_browser(second, "Tom Tabs") == me
    expect(first.get_by_role("heading", level=1)).to_have_text(
        "You opened this room somewhere else"
    )
    expect(first.get_by_role("button", name="Use this tab instead")).to_be_visible()
    assert second.evaluate("document.body.dataset.phase") == "room"


def test_a_network_drop_shows_reconnecting_then_resumes_every_missed_event(relay, browsers) -> None:
    browsers.allow("WebSocket connection to")
    browsers.allow("ERR_CONNECTION")
    room = open_room(relay, title="Flaky network")
    room.host_speaks(ToneTrack(440))
    proxy = CuttableProxy(relay.config.port)
    port = relay.run(proxy.start())
    page = browsers.new_page(f"http://127.0.0.1:{port}/r/{room.room_id}")
    frames: list[dict] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda f: frames.append(json.loads(f))))
    received: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on("framereceived", lambda f: received.append(json.loads(f)["type"])),
    )
    me = join_from_browser(page, "Nina Network")
    page_until(page, f"async () => {INBOUND} > 20", what="audio before the drop")
    seq_before = page.evaluate("window.roomcast.seq")

    relay.run(proxy.cut())
    banner = page.locator("#view").get_by_text("Connection lost. Reconnecting…")
    expect(banner).to_be_visible()
    assert page.evaluate("document.querySelector('.room').dataset.connection") == "reconnecting"
    # The room moves on while the browser is away.
    room.host.send(PinLink("https://example.org/agenda", "Agenda"))
    latecomer = room.join_bot("Late Larry")
    page.wait_for_timeout(1200)
    relay.run(proxy.heal())

    expect(banner).to_be_hidden(timeout=15_000)
    view = page.locator("#view")
    expect(view.get_by_role("link", name="Agenda")).to_be_visible()
    expect(view.locator(f'li[data-user-id="{latecomer.user_id}"]')).to_contain_text("Late Larry")
    hellos = [f["body"] for f in frames if f["type"] == "hello"]
    assert len(hellos) >= 2 and hellos[0]["resume_after_seq"] is None
    assert hellos[-1]["resume_after_seq"] >= seq_before
    assert received.count("snapshot") == 1, "a resume replays events; it needs no new snapshot"
    assert page.evaluate("window.roomcast.you") == me
    assert page.evaluate("window.roomcast.seq") == room.host.client.seq

    # Audio comes back on a fresh peer connection.
    start = page_until(page, f"async () => {INBOUND}", what="audio after the drop")
    page_until(page, f"async () => {INBOUND} > {start + 25}", what="audio flowing again")
    relay.run(proxy.close())


def test_a_speaker_away_past_the_grace_is_told_her_seat_was_given_up(relay, browsers) -> None:
    """Issue 16, item 2: a speaker cut off for longer than the grace came back as a listener
    with "Request to speak" and no word why, after a banner promising her place "for a little
    while". The banner now says for how long, and coming back says what happened."""
    browsers.allow("WebSocket connection to")
    browsers.allow("ERR_CONNECTION")
    hub = relay.app[HUB]
    grace = hub.stage_grace_s
    hub.stage_grace_s = 2.0  # the relay's setting for speakers (90 s by default), short here
    proxy = CuttableProxy(relay.config.port)
    port = relay.run(proxy.start())
    try:
        room = open_room(relay, title="Stage seats")
        page = browsers.new_page(f"http://127.0.0.1:{port}/r/{room.room_id}")
        me = join_from_browser(page, "Sia Speaker")
        room.host.send(InviteToSpeak(me))
        page.get_by_role("button", name="Accept").click()
        wait_until(lambda: room.live().role_of(me) is Role.SPEAKER, what="on stage")

        relay.run(proxy.cut())
        banner = page.locator("#view").get_by_text("Connection lost. Reconnecting…")
        expect(banner).to_contain_text("You keep your place on stage for 2 s.")
        wait_until(lambda: me not in room.live().participants, what="the grace to run out")
        relay.run(proxy.heal())
        expect(banner).to_be_hidden(timeout=15_000)
        expect(page.locator("#toast")).to_have_text(
            "You were away for more than 2 s, so your place on stage was given up. "
            "You can ask to speak again."
        )
        expect(page.get_by_role("button", name="Request to speak")).to_be_visible()
    finally:
        hub.stage_grace_s = grace
        relay.run(proxy.close())
