"""What the room link shows before joining: the card, a scheduled room's countdown and
reminder, and a ticketed room's door."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import expect

from server.room import AcceptInvite, InviteKind, InviteToSpeak, IssueTicket, StartRecording
from tests.web.roomkit import join_from_browser, open_room, wait_until


def test_the_card_shows_the_room_before_joining(relay, browsers) -> None:
    room = open_room(
        relay,
        title="Open source audio",
        description="Tools, codecs and\nwhat we build next.",
        topics=["audio", "webrtc", "python"],
    )
    speaker = room.join_bot("Sia Speaker")
    room.host.send(InviteToSpeak(speaker.user_id))
    speaker.send(AcceptInvite(InviteKind.SPEAK))
    room.join_bot("Lars Listener")
    room.join_bot("Liv Listener")
    room.host.send(StartRecording())

    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    card = page.locator("#view")
    expect(card.get_by_role("heading", level=1)).to_have_text("Open source audio")
    expect(card.locator(".description")).to_have_text("Tools, codecs and\nwhat we build next.")
    expect(card.get_by_role("list", name="Topics").get_by_role("listitem")).to_have_text(
        ["audio", "webrtc", "python"]
    )
    badges = card.locator(".badges .badge")
    expect(badges).to_have_text(["Live", "2 listeners", "Recording"])
    expect(card.locator(".people")).to_contain_text("HostHana Host")
    expect(card.locator(".people")).to_contain_text("SpeakersSia Speaker")
    expect(card.get_by_label("Your name")).to_be_visible()
    assert page.title() == "Open source audio · Roomcast"


def test_a_scheduled_room_counts_down_and_remind_me_saves_a_calendar_file(relay, browsers) -> None:
    starts_at = time.time() + 2 * 3600 + 90
    room = open_room(relay, title="Friday, late; a show", starts_at=starts_at)
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    view = page.locator("#view")
    expect(view.locator(".badges .badge")).to_have_text(["Scheduled"])
    expect(view.get_by_role("heading", name="Not started yet")).to_be_visible()
    expect(view.locator(".countdown")).to_have_text("Starts in 2 h 01 min")
    expect(view.get_by_role("button", name="Join and listen")).to_have_count(0)

    with page.expect_download() as download_info:
        view.get_by_role("button", name="Remind me").click()
    download = download_info.value
    assert download.suggested_filename == f"roomcast-{room.room_id}.ics"
    ics = Path(download.path()).read_bytes().decode("utf-8")
    assert "\r\n" in ics
    unfolded = ics.replace("\r\n ", "")
    assert "SUMMARY:Friday\\, late\\; a show\r\n" in unfolded
    start = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(int(starts_at)))
    assert f"DTSTART:{start}\r\n" in unfolded
    assert f"URL:{room.url}\r\n" in unfolded
    assert "TRIGGER:-PT10M" in unfolded

    expect(view.locator(".reminder-status")).to_have_text(
        "Reminder saved. 1 person has asked to be reminded."
    )
    count = lambda: relay.call(lambda: relay.hub.directory.reminders(room.room_id))  # noqa: E731
    assert count() == 1
    # Asking again from the same browser does not count twice.
    with page.expect_download():
        view.get_by_role("button", name="Download the calendar file again").click()
    assert count() == 1


def test_a_ticketed_room_asks_for_the_ticket_code(relay, browsers) -> None:
    room = open_room(
        relay,
        title="Paid masterclass",
        tickets={"price_cents": 500, "currency": "EUR", "quantity": 10},
    )
    room.host.send(IssueTicket("GOLD-1234"))
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    view = page.locator("#view")
    expect(view.locator(".badges")).to_contain_text("Ticketed · €5.00")
    view.get_by_label("Your name").fill("Tina Ticket")
    view.get_by_role("button", name="Join and listen").click()
    expect(view.get_by_text("Enter your ticket code.")).to_be_visible()

    view.get_by_label("Ticket code").fill("WRONG-9")
    view.get_by_role("button", name="Join and listen").click()
    expect(view.get_by_text("That ticket code is not valid for this room.")).to_be_visible()
    expect(view.get_by_label("Ticket code")).to_be_focused()
    expect(view.get_by_label("Ticket code")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("document.body.dataset.phase") == "card"

    me = join_from_browser(page, "Tina Ticket", ticket="GOLD-1234")
    wait_until(lambda: room.live().tickets.holders.get("GOLD-1234") == me, what="ticket bound")


def test_a_host_link_comes_in_early_and_starts_a_scheduled_room(relay, browsers) -> None:
    room = open_room(relay, title="Early bird", starts_at=time.time() + 3600)
    page = browsers.new_page(room.made["host_url"])
    page.wait_for_selector("body[data-phase=card]")
    view = page.locator("#view")
    expect(view.locator(".countdown")).to_be_visible()
    expect(view.get_by_text("You opened a host or co-host link")).to_be_visible()
    me = join_from_browser(page, "Hana Host")
    assert me == room.made["host_id"]
    expect(view.get_by_text("The room has not started.")).to_be_visible()
    view.get_by_role("button", name="Start the room now").click()
    expect(view.locator(".badges .badge").first).to_have_text("Live")
    wait_until(lambda: room.live().state.value == "live", what="started by the browser")
    expect(view.get_by_role("button", name="End the room")).to_be_visible()


def test_a_ticket_moves_to_the_laptop_and_the_phone_says_where_it_went(relay, browsers) -> None:
    """Issue 16, item 7: a ticket was tied to the first browser that used it."""
    room = open_room(
        relay,
        title="Paid session",
        tickets={"price_cents": 1200, "currency": "GBP", "quantity": 5},
    )
    room.host.send(IssueTicket("SEAT-0042"))
    phone = browsers.new_page(room.url)
    first = join_from_browser(phone, "Tia Ticket", ticket="SEAT-0042")
    laptop = browsers.new_page(room.url)
    second = join_from_browser(laptop, "Tia Ticket", ticket="SEAT-0042")
    assert first != second  # two browsers, two identities, one ticket
    expect(phone.get_by_role("heading", level=1)).to_have_text("Your ticket is in use elsewhere")
    wait_until(lambda: room.live().tickets.holders.get("SEAT-0042") == second, what="ticket moved")
    assert first not in room.live().participants
