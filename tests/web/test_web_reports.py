"""A host running the room from a browser (issue 16, item 4): the reports inbox, its alert and
actions, and the moderation log with what happened before the page joined. Real relay, real
bots, Chromium."""

from __future__ import annotations

from playwright.sync_api import expect

from server.room import (
    AcceptInvite,
    InviteKind,
    InviteToCohost,
    InviteToSpeak,
    LockRoom,
    Mute,
    RemoveParticipant,
    Report,
    Unmute,
)
from tests.relay.relaykit import cohost_link
from tests.web.roomkit import join_bot, join_from_browser, open_room, wait_until


def test_a_browser_host_sees_a_report_arrive_and_acts_on_it_from_the_inbox(relay, browsers) -> None:
    """The report dialog promises the host; the host's page showed nothing."""
    room = open_room(relay, title="Inbox")
    troll = room.join_bot("Troll Tom")
    rita = room.join_bot("Rita Reporter")
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    expect(page.get_by_role("heading", name="Reports (0)")).to_be_visible()
    expect(page.locator(".reports")).to_contain_text("No reports.")

    rita.send(Report("Spam or scam: links in every message", troll.user_id))
    # Seen and heard: a count on the heading, and an alert for screen readers.
    heading = page.get_by_role("heading", name="Reports (1 new)")
    expect(heading).to_be_visible()
    expect(page.locator("#alert")).to_have_text("New report: Rita Reporter reported Troll Tom.")
    inbox = page.get_by_role("list", name="Reports (1 new)")
    expect(inbox.get_by_role("listitem")).to_have_count(1)
    expect(inbox).to_contain_text(
        "Rita Reporter reported Troll Tom: “Spam or scam: links in every message”"
    )

    rita.send(Report("Too loud"))  # the room itself: nobody to remove
    expect(page.get_by_role("heading", name="Reports (2 new)")).to_be_visible()
    inbox = page.get_by_role("list", name="Reports (2 new)")
    rows = inbox.get_by_role("listitem")
    expect(rows.first).to_contain_text("Rita Reporter reported the room: “Too loud”")  # newest
    expect(rows.first.get_by_role("button", name="Remove")).to_have_count(0)

    # Remove from the inbox: the same confirmation as the person's dialog, then gone.
    rows.nth(1).get_by_role("button", name="Remove Troll Tom").click()
    expect(page.get_by_role("heading", name="Reports (2)")).to_be_visible()  # looked at
    confirm = page.get_by_role("dialog", name="Remove from the room")
    expect(confirm).to_contain_text("Remove Troll Tom?")
    confirm.get_by_role("button", name="Remove from the room").click()
    wait_until(lambda: troll.user_id in room.live().removed, what="removed from the inbox")
    assert troll.user_id not in room.live().participants
    inbox = page.get_by_role("list", name="Reports (2)")
    expect(inbox.get_by_role("button", name="Remove Troll Tom")).to_have_count(0)
    expect(inbox).to_contain_text("reported Troll Tom")  # the report itself stays

    # Dismiss hides the row in this page only, and it stays hidden across a reload.
    inbox.get_by_role("button", name="Dismiss: Rita Reporter reported the room").click()
    inbox = page.get_by_role("list", name="Reports (1)")
    expect(inbox.get_by_role("listitem")).to_have_count(1)
    expect(inbox).not_to_contain_text("Too loud")
    assert len(room.live().reports) == 2  # nothing changed in the room
    page.reload()
    join_from_browser(page, "Hana Host")
    inbox = page.get_by_role("list", name="Reports (1)")
    expect(inbox).to_contain_text("reported Troll Tom")
    expect(inbox).not_to_contain_text("Too loud")


def test_a_listener_sees_no_reports_and_no_moderation_log(relay, browsers) -> None:
    room = open_room(relay, title="Not yours")
    troll = room.join_bot("Troll Tom")
    page = browsers.new_page(room.url)
    join_from_browser(page, "Lou Listener")
    reporter = room.join_bot("Rita Reporter")
    reporter.send(Report("Spam or scam", troll.user_id))
    room.join_bot("Zed Later")  # seen after the report: the page is past it
    assert len(room.live().reports) == 1
    expect(page.get_by_role("heading", name="Listeners (4)")).to_be_visible()
    expect(page.locator(".reports")).to_be_hidden()
    expect(page.locator(".mod-log")).to_be_hidden()
    expect(page.get_by_role("heading", name="Moderation log")).to_have_count(0)
    expect(page.get_by_role("heading", name="Reports", exact=False)).to_have_count(0)
    expect(page.locator("#view")).not_to_contain_text("Spam or scam")
    assert page.evaluate("window.roomcast.room.reports.length") == 0


def test_the_moderation_log_shows_what_happened_before_and_after_the_page_joined(
    relay, browsers
) -> None:
    room = open_room(relay, title="Logged")
    sam = room.join_bot("Sam Speaker")
    rex = room.join_bot("Rex Rowdy")
    room.host.send(InviteToSpeak(sam.user_id))
    sam.send(AcceptInvite(InviteKind.SPEAK))
    sam.send(Unmute())
    # Before the page joins: the host (a bot holding the host link) mutes, removes, locks.
    room.host.send(Mute(sam.user_id))
    room.host.send(RemoveParticipant(rex.user_id))
    room.host.send(LockRoom(True))

    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    log = page.get_by_role("list", name="Moderation log")
    expect(log).to_be_hidden()  # folded until opened
    page.get_by_role("heading", name="Moderation log").click()
    expect(log).to_contain_text("Hana Host muted Sam Speaker")
    expect(log).to_contain_text("Hana Host removed Rex Rowdy")  # named, though gone
    expect(log).to_contain_text("Hana Host closed the room to newcomers")

    # After: a co-host (from a link) does the same; the lines arrive live.
    link = relay.run(cohost_link(relay.config, room.made))
    cora = join_bot(relay, link["url"], "Cora Cohost", token=link["token"])
    cora.send(LockRoom(False))
    rob = room.join_bot("Rob Rowdy")  # the room is open again
    sam.send(Unmute())
    cora.send(Mute(sam.user_id))
    cora.send(RemoveParticipant(rob.user_id, block=True))
    expect(log).to_contain_text("Cora Cohost opened the room to newcomers")
    expect(log).to_contain_text("Cora Cohost muted Sam Speaker")
    expect(log).to_contain_text("Cora Cohost blocked Rob Rowdy")
    lines = log.get_by_role("listitem")
    expect(lines.first).to_contain_text("Cora Cohost blocked Rob Rowdy")  # newest first
    # Each line once, with its time.
    texts = lines.all_inner_texts()
    assert sum("Hana Host muted Sam Speaker" in t for t in texts) == 1
    assert all(t.split()[0][0].isdigit() for t in texts), texts


def test_every_reaction_is_on_screen_at_390_and_320_px(relay, browsers) -> None:
    """Issue 16, item 5: at 390 px two reactions sat off-screen behind a hidden scrollbar."""
    room = open_room(relay, title="Narrow")
    for width in (390, 320):
        page = browsers.new_page(room.url, viewport={"width": width, "height": 800})
        join_from_browser(page, f"Nia {width}")
        buttons = page.locator(".reaction-button")
        expect(buttons).to_have_count(10)
        for box in (buttons.nth(i).bounding_box() for i in range(10)):
            assert box is not None
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (width, box)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= width, overflow


def test_a_cohost_made_in_the_room_gets_the_inbox_and_live_log_and_is_told_why_no_history(
    relay, browsers
) -> None:
    """The relay's log needs a host or co-host link's token; someone made co-host inside the
    room has none, so the page says its log starts when the page joined."""
    room = open_room(relay, title="Made here")
    troll = room.join_bot("Troll Tom")
    room.host.send(LockRoom(True))  # before: not shown to this co-host
    room.host.send(LockRoom(False))
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Cleo Cohost")
    expect(page.get_by_role("heading", name="Moderation log")).to_have_count(0)
    room.host.send(InviteToCohost(me))
    page.get_by_role("button", name="Accept").click()
    page.get_by_role("heading", name="Moderation log").click()
    expect(page.locator(".mod-log .log-note")).to_contain_text(
        "shown only to those who came in with a host or co-host link"
    )
    room.join_bot("Rita Reporter").send(Report("Spam or scam", troll.user_id))
    expect(page.get_by_role("heading", name="Reports (1 new)")).to_be_visible()
    log = page.get_by_role("list", name="Moderation log")
    expect(log).to_contain_text("Rita Reporter reported Troll Tom: “Spam or scam”")
    expect(log).not_to_contain_text("closed the room")
