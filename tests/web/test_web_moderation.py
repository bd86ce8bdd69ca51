"""Moderation as a browser sees it: removed, the room ending, a co-host moderating from a
browser, and reports."""

from __future__ import annotations

import re
import shutil
import subprocess

import aiohttp
from playwright.sync_api import expect

from server.app import HUB
from server.room import EndRoom, RemoveParticipant, RequestToSpeak, Role, RoomCard, Unmute
from tests.web.roomkit import join_from_browser, open_room, wait_until


def test_a_removed_browser_shows_it_and_cannot_rejoin(relay, browsers) -> None:
    room = open_room(relay, title="Removal test")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Rex Removed")
    room.host.send(RemoveParticipant(me))

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("You were removed from this room")
    expect(page.locator("#view").get_by_text("You cannot rejoin this room.")).to_be_visible()
    assert page.evaluate("document.body.dataset.final") == "removed"
    expect(page.get_by_role("button", name="Leave")).to_have_count(0)

    # Same browser, same identity: the relay refuses it at the door.
    page.reload()
    page.wait_for_selector("body[data-phase=card]")
    page.get_by_role("button", name="Join and listen").click()
    expect(heading).to_have_text("You were removed from this room")
    assert me in room.live().removed and me not in room.live().participants


def test_someone_blocked_is_told_so_in_the_hosts_other_room_not_that_they_were_removed(
    relay, browsers
) -> None:
    """Issue 16, item 5: a blocked person opening another of the host's rooms read "You were
    removed from this room"."""
    room = open_room(relay, title="First room")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Bo Blocked")
    room.host.send(RemoveParticipant(me, block=True))
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("You were removed from this room")  # here, that is so
    other = relay.run(_another_room(relay, room))
    page.goto(other)  # the same browser, so the same identity
    page.wait_for_selector("body[data-phase=card]")
    page.get_by_label("Your name").fill("Bo Again")
    page.get_by_role("button", name="Join and listen").click()
    expect(heading).to_have_text("The host has blocked you")
    expect(page.locator("#view")).not_to_contain_text("removed from this room")
    assert me not in relay.run(_participants(relay, other))


async def _participants(relay, url: str) -> set[str]:
    return set(relay.app[HUB].room(url.rsplit("/", 1)[1]).participants)


async def _another_room(relay, room) -> str:
    """A second room of the same host (same identity), as the console would make it."""
    hub = relay.app[HUB]
    made = hub.create_room(
        host_id=room.made["host_id"], host_name="Hana Host", card=RoomCard("Second room")
    )
    return relay.config.join_url(made.room.room_id)


def test_the_room_ending_shows_the_ended_state_and_the_card_says_so(relay, browsers) -> None:
    room = open_room(relay, title="Ending test")
    page = browsers.new_page(room.url)
    join_from_browser(page, "Eve Ending")
    room.host.send(EndRoom())
    expect(page.get_by_role("heading", level=1)).to_have_text("The room has ended")
    assert page.evaluate("document.body.dataset.final") == "ended"

    page.reload()
    page.wait_for_selector("body[data-phase=card]")
    expect(page.get_by_role("heading", name="This room has ended")).to_be_visible()
    expect(page.locator("#view").get_by_text("Nobody can join it any more.")).to_be_visible()
    expect(page.get_by_role("button", name="Join and listen")).to_have_count(0)


async def _cohost_link(base_url: str, room_id: str, host_token: str) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base_url}/api/rooms/{room_id}/cohost-links",
            headers={"Authorization": f"Bearer {host_token}"},
        ) as response,
    ):
        assert response.status == 201
        return await response.json()


def test_a_cohost_moderates_from_a_browser(relay, browsers) -> None:
    room = open_room(relay, title="Co-host test")
    link = relay.run(_cohost_link(relay.base_url, room.room_id, room.made["host_token"]))
    guest = room.join_bot("Gus Guest")
    rowdy = room.join_bot("Rowdy Ray")
    guest.send(RequestToSpeak())

    page = browsers.new_page(link["url"])
    expect(page.locator("#view").get_by_text("You opened a host or co-host link")).to_be_visible()
    me = join_from_browser(page, "Cora Cohost")
    assert me == link["user_id"] and room.live().role_of(me) is Role.COHOST

    queue = page.get_by_role("list", name="Requests to speak (1)")
    expect(queue).to_contain_text("Gus Guest")
    queue.get_by_role("button", name="Bring Gus Guest on stage").click()
    wait_until(lambda: room.live().role_of(guest.user_id) is Role.SPEAKER, what="approved")
    expect(page.get_by_role("list", name="On stage (3)")).to_contain_text("Gus Guest")

    guest.send(Unmute())
    expect(page.locator(f'li[data-user-id="{guest.user_id}"] .mic-state')).to_have_text("Mic on")
    page.get_by_role("button", name="Options for Gus Guest").click()
    dialog = page.get_by_role("dialog", name="Gus Guest")
    # A co-host cannot appoint co-hosts (host only), so that action is not offered.
    expect(dialog.get_by_role("button", name="Invite to be a co-host")).to_have_count(0)
    dialog.get_by_role("button", name="Mute their microphone").click()
    wait_until(lambda: room.live().participants[guest.user_id].muted, what="muted by the co-host")
    expect(page.get_by_role("button", name="Options for Gus Guest")).to_be_focused()

    page.get_by_role("button", name="Options for Rowdy Ray").click()
    page.get_by_role("dialog", name="Rowdy Ray").get_by_role(
        "button", name="Remove from the room"
    ).click()
    confirm = page.get_by_role("dialog", name="Remove from the room")
    expect(confirm).to_contain_text("cannot rejoin this room")
    confirm.get_by_role("button", name="Remove from the room").click()
    wait_until(lambda: rowdy.user_id in room.live().removed, what="removed by the co-host")
    expect(page.get_by_role("button", name="Options for Rowdy Ray")).to_have_count(0)

    # Nobody acts on the host: the host's options hold only "Report".
    page.get_by_role("button", name="Options for Hana Host").click()
    host_dialog = page.get_by_role("dialog", name="Hana Host")
    expect(host_dialog.get_by_role("button")).to_have_text(["Report Hana Host", "Close"])
    host_dialog.get_by_role("button", name="Close").click()


def test_reporting_a_person_and_the_room_by_keyboard(relay, browsers) -> None:
    room = open_room(relay, title="Report test")
    troll = room.join_bot("Troll Tom")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Rosa Reporter")

    options = page.get_by_role("button", name="Options for Troll Tom")
    options.focus()
    page.keyboard.press("Enter")
    page.get_by_role("dialog", name="Troll Tom").get_by_role(
        "button", name="Report Troll Tom"
    ).press("Enter")
    report = page.get_by_role("dialog", name="Report Troll Tom")
    expect(report).to_be_visible()
    # Arrow keys move through the reasons; the details box is next in the tab order.
    report.get_by_role("radio", name="Spam or scam").focus()
    page.keyboard.press("ArrowDown")
    expect(report.get_by_role("radio", name="Harassment or hate")).to_be_checked()
    report.get_by_label("Anything the moderators should know").fill("Insults in every reaction.")
    report.get_by_role("button", name="Send report").press("Enter")
    expect(report).to_be_hidden()

    page.get_by_role("button", name="Report room").click()
    page.get_by_role("dialog", name="Report this room").get_by_role(
        "button", name="Send report"
    ).click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    reports = wait_until(lambda: len(room.live().reports) == 2 and room.live().reports)
    assert (reports[0].reporter_id, reports[0].user_id) == (me, troll.user_id)
    assert reports[0].reason == "Harassment or hate: Insults in every reaction."
    assert (reports[1].user_id, reports[1].reason) == (None, "Spam or scam")


def test_a_browser_host_shares_the_room_link_a_qr_code_and_a_cohost_link(
    relay, browsers, tmp_path
) -> None:
    """Issue 16, item 3: the page had no copy-link, QR or co-host-link control."""
    room = open_room(relay, title="Share me")
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog", name="Share this room")
    expect(dialog).to_be_visible()
    link = dialog.get_by_label("Room link")
    expect(link).to_have_value(room.url)  # the plain link, never the host's key
    assert "#token" not in link.input_value()
    qr = dialog.get_by_role("img", name="QR code of the room link")
    expect(qr).to_be_visible()
    wait_until(lambda: qr.evaluate("img => img.complete && img.naturalWidth > 100"), what="QR")
    # The code as shown on the screen reads back as the room's link (zbarimg, Debian's zbar).
    shot = tmp_path / "qr.png"
    qr.screenshot(path=str(shot))
    zbarimg = shutil.which("zbarimg")
    assert zbarimg, "zbarimg is missing: apt-get install zbar-tools (make test installs it)"
    read = subprocess.run(
        [zbarimg, "--raw", "-q", str(shot)], capture_output=True, text=True, timeout=30
    )
    assert read.stdout.strip() == room.url, (read.returncode, read.stdout, read.stderr)
    dialog.get_by_role("button", name="Copy link").click()
    expect(page.locator("#toast")).to_have_text("Room link copied.")

    dialog.get_by_role("button", name="Make a co-host link").click()
    cohost_field = dialog.get_by_label("Co-host link")
    expect(cohost_field).to_have_value(re.compile(r"/r/.+#token="))
    cohost_url = cohost_field.input_value()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()

    cohost_page = browsers.new_page(cohost_url)
    me = join_from_browser(cohost_page, "Cora Cohost")
    wait_until(lambda: room.live().role_of(me) is Role.COHOST, what="joined as co-host")


def test_a_listener_shares_the_link_but_makes_no_cohost_link(relay, browsers) -> None:
    room = open_room(relay, title="Share me too")
    page = browsers.new_page(room.url)
    join_from_browser(page, "Lou Listener")
    page.get_by_role("button", name="Share").click()
    dialog = page.get_by_role("dialog", name="Share this room")
    expect(dialog.get_by_label("Room link")).to_have_value(room.url)
    expect(dialog.get_by_role("button", name="Make a co-host link")).to_have_count(0)


def test_a_queued_request_says_how_long_ago_even_in_a_quiet_room(relay, browsers) -> None:
    """Issue 16, item 5: "asked just now" stayed after 100 s when nothing else redrew."""
    room = open_room(relay, title="Quiet room")
    asker = room.join_bot("Ada Asker")
    page = browsers.new_page()
    page.clock.install()
    page.goto(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    asker.send(RequestToSpeak())
    queue = page.get_by_role("list", name="Requests to speak (1)")
    expect(queue).to_contain_text("asked just now")
    page.clock.run_for(125_000)  # two minutes of nobody doing anything
    expect(queue).to_contain_text("asked 2 min ago")


def test_a_host_closes_the_room_to_newcomers_and_opens_it_again(relay, browsers) -> None:
    """Issue 16, item 6: "lock the room" — only people already in, and host or co-host links,
    may join while it is closed."""
    room = open_room(relay, title="Raid shield")
    host_page = browsers.new_page(room.made["host_url"])
    join_from_browser(host_page, "Hana Host")
    inside = room.join_bot("Ines Inside")
    host_page.get_by_role("button", name="Close to newcomers").click()
    wait_until(lambda: room.live().locked, what="the room closed")
    expect(host_page.get_by_role("button", name="Open to newcomers")).to_be_visible()

    newcomer = browsers.new_page(room.url)
    newcomer.wait_for_selector("body[data-phase=card]")
    expect(newcomer.locator("#view .badges")).to_contain_text("Closed to newcomers")
    newcomer.get_by_label("Your name").fill("Nate Newcomer")
    newcomer.get_by_role("button", name="Join and listen").click()
    expect(newcomer.locator("#view")).to_contain_text("closed this room to newcomers")
    assert newcomer.evaluate("document.body.dataset.phase") == "card"
    assert inside.user_id in room.live().participants  # those already in stay

    host_page.get_by_role("button", name="Open to newcomers").click()
    wait_until(lambda: not room.live().locked, what="the room open again")
    join_from_browser(newcomer, "Nate Newcomer")


def test_a_browser_host_sets_who_may_ask_and_unblocks_someone(relay, browsers) -> None:
    """Issue 16: a browser host runs the room without the console: ask mode and unblock."""
    room = open_room(relay, title="Browser-run room")
    page = browsers.new_page(room.made["host_url"])
    join_from_browser(page, "Hana Host")
    view = page.locator("#view")

    view.get_by_label("Who may ask to speak:").select_option("invited")
    wait_until(lambda: room.live().ask_mode.value == "invited", what="ask mode invited")
    view.get_by_label("Who may ask to speak:").select_option("everyone")
    wait_until(lambda: room.live().ask_mode.value == "everyone", what="ask mode everyone")

    rowdy = room.join_bot("Rowdy Ray")
    page.get_by_role("button", name="Options for Rowdy Ray").click()
    page.get_by_role("dialog", name="Rowdy Ray").get_by_role(
        "button", name="Remove and block"
    ).click()
    page.get_by_role("dialog").get_by_role("button", name="Remove and block").last.click()
    wait_until(lambda: rowdy.user_id in room.live().blocked, what="blocked")
    blocked = view.get_by_role("list", name="Blocked")
    expect(blocked).to_contain_text("Rowdy Ray")
    blocked.get_by_role("button", name="Unblock Rowdy Ray").click()
    page.get_by_role("dialog", name="Unblock Rowdy Ray?").get_by_role(
        "button", name="Unblock"
    ).click()
    wait_until(lambda: rowdy.user_id not in room.live().blocked, what="unblocked")
    expect(view.get_by_role("list", name="Blocked")).to_have_count(0)
