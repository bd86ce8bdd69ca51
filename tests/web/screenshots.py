"""Screenshots of every state of the web client, for the README (run by hand):

    .venv/bin/python -m tests.web.screenshots [OUT_DIR]

Writes docs/screenshots/web-*.png at 390×844 (a phone), one at 320 px wide and one in dark
mode. Each scene is a real room on a real relay with real bots, as in the tests.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from console.tracks import WavTrack
from server.room import (
    AcceptInvite,
    ApproveRequest,
    EndRoom,
    InviteKind,
    InviteToSpeak,
    IssueTicket,
    PinLink,
    React,
    RemoveParticipant,
    Report,
    RequestToSpeak,
    StartRecording,
    StopRecording,
)
from tests.web.netcut import CuttableProxy
from tests.web.roomkit import (
    OPEN_BOTS,
    TestRoom,
    join_from_browser,
    open_room,
    speech_wav,
    wait_until,
)
from tests.web.test_web_audio import BLOCK_MIC
from tests.web.webrig import Browsers, RelayThread, launch_chromium

ROOT = Path(__file__).resolve().parents[2]

DESCRIPTION = (
    "How we build a calm live-audio app: codecs, moderation and recording with consent. "
    "Bring questions!"
)


def busy_room(relay: RelayThread, folder: Path, **fields: Any) -> TestRoom:
    """A live room with a talking host, a speaker, listeners and a pinned link."""
    fields.setdefault("description", DESCRIPTION)
    fields.setdefault("topics", ["audio", "open source", "webrtc"])
    room = open_room(relay, title="Building Roomcast in the open", **fields)
    room.host_speaks(WavTrack(speech_wav(folder)))
    speaker = room.join_bot("Sofia Okafor")
    room.host.send(InviteToSpeak(speaker.user_id))
    speaker.send(AcceptInvite(InviteKind.SPEAK))
    for name in ("Liam Chen", "Ana María Ruiz", "Noah Weber"):
        room.join_bot(name)
    room.host.send(PinLink("https://example.org/roomcast/agenda", "Tonight's agenda"))
    return room


def shoot(page: Any, out: Path, name: str, *, keep_reactions: bool = False) -> None:
    if not keep_reactions:  # earlier reactions would still be floating over this scene
        page.evaluate("document.querySelectorAll('.reaction-float').forEach((e) => e.remove())")
    page.wait_for_timeout(250)  # let transitions settle
    path = out / f"web-{name}.png"
    page.screenshot(path=str(path))
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def reactions(room: TestRoom) -> None:
    bots = [b for b in OPEN_BOTS if b is not room.host][:3]
    for bot, emoji in zip(bots, ["👋", "🔥", "💯"], strict=False):
        bot.send(React(emoji))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="roomcast-shots-"))
    relay = RelayThread(folder / "relay")
    with sync_playwright() as playwright:
        browsers = Browsers(launch_chromium(playwright))
        try:
            scenes(relay, browsers, out, folder)
        finally:
            for bot in list(OPEN_BOTS):
                with contextlib.suppress(Exception):  # already gone with its room
                    bot.close()
            OPEN_BOTS.clear()
            browsers.close()
            relay.close()


def scenes(relay: RelayThread, browsers: Browsers, out: Path, folder: Path) -> None:
    # -- before joining ---------------------------------------------------------------------
    room = busy_room(relay, folder)
    room.host.send(StartRecording())
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    page.get_by_label("Your name").fill("Maya Patel")
    shoot(page, out, "card-live")
    room.host.send(StopRecording())

    scheduled = open_room(
        relay,
        title="Friday listening party",
        description="New records, played together. Ask to speak and tell us what you hear.",
        topics=["music", "vinyl"],
        starts_at=time.time() + 26 * 3600 + 17 * 60,
    )
    page = browsers.new_page(scheduled.url)
    page.wait_for_selector("body[data-phase=card]")
    with page.expect_download():
        page.get_by_role("button", name="Remind me").click()
    shoot(page, out, "card-scheduled")

    ticketed = open_room(
        relay,
        title="Masterclass: mixing voices",
        description="Ninety minutes on levels, compression and loudness for spoken audio.",
        tickets={"price_cents": 900, "currency": "EUR", "quantity": 50},
    )
    ticketed.host.send(IssueTicket("GOLD-1234"))
    page = browsers.new_page(ticketed.url)
    page.wait_for_selector("body[data-phase=card]")
    page.get_by_label("Your name").fill("Maya Patel")
    page.get_by_label("Ticket code").fill("GOLD-0000")
    page.get_by_role("button", name="Join and listen").click()
    page.locator("#view").get_by_text("That ticket code is not valid").wait_for()
    shoot(page, out, "card-ticketed")

    # -- inside: listening, asking, invited ------------------------------------------------
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Maya Patel")
    page.locator('.stage-list li[data-speaking="true"]').first.wait_for(timeout=15_000)
    reactions(room)
    page.wait_for_timeout(700)
    shoot(page, out, "room-listening", keep_reactions=True)

    page.get_by_role("button", name="Request to speak").click()
    page.locator("#view").get_by_text("You asked to speak").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "room-asked")
    room.host.send(ApproveRequest(me))
    page.get_by_role("button", name="Turn microphone on").wait_for()
    page.get_by_role("button", name="Turn microphone on").click()
    page.get_by_role("button", name="Turn microphone off").wait_for()
    page.wait_for_timeout(800)
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "room-on-stage")

    page.get_by_role("button", name="Leave the stage").click()
    page.get_by_role("button", name="Request to speak").wait_for()
    room.host.send(StartRecording())
    room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "room-invited")
    page.get_by_role("button", name="Accept").click()
    page.get_by_role("dialog", name="This room is being recorded").wait_for()
    shoot(page, out, "consent")
    page.get_by_role("button", name="No, leave my voice out").click()
    page.locator("#view").get_by_text("Your voice is left out").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "room-recording-declined")

    # -- microphone blocked ---------------------------------------------------------------------
    mic_room = busy_room(relay, folder)
    page = browsers.new_page(mic_room.url, init_script=BLOCK_MIC)
    me = join_from_browser(page, "Maya Patel")
    mic_room.host.send(InviteToSpeak(me))
    page.get_by_role("button", name="Accept").click()
    page.locator("#view").get_by_role("alert").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "mic-blocked")

    # -- a co-host in the browser -----------------------------------------------------------
    mod_room = busy_room(relay, folder)
    link = relay.run(_cohost_link(relay.base_url, mod_room.room_id, mod_room.made["host_token"]))
    asker = mod_room.join_bot("Oliver Brooks")
    asker.send(RequestToSpeak())
    mod_room.join_bot("Priya Nair").send(RequestToSpeak())
    page = browsers.new_page(link)
    join_from_browser(page, "Cora Cohost")
    shoot(page, out, "room-cohost")
    page.get_by_role("button", name="Options for Sofia Okafor").click()
    shoot(page, out, "person-options")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Options for Liam Chen").click()
    page.get_by_role("button", name="Report Liam Chen").click()
    page.get_by_role("dialog", name="Report Liam Chen").wait_for()
    shoot(page, out, "report")
    page.keyboard.press("Escape")

    # -- connection trouble, removal, the end -------------------------------------------------------
    proxy = CuttableProxy(relay.config.port)
    port = relay.run(proxy.start())
    page = browsers.new_page(f"http://127.0.0.1:{port}/r/{room.room_id}")
    join_from_browser(page, "Nina Network")
    relay.run(proxy.cut())
    page.locator("#view").get_by_text("Connection lost. Reconnecting…").wait_for()
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, out, "reconnecting")
    relay.run(proxy.close())

    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Rex Rowdy")
    room.host.send(RemoveParticipant(me))
    page.get_by_role("heading", name="You were removed from this room").wait_for()
    shoot(page, out, "removed")

    narrow = browsers.new_page(room.url, viewport={"width": 320, "height": 640})
    join_from_browser(narrow, "Maya Patel")
    narrow.locator('.stage-list li[data-speaking="true"]').first.wait_for(timeout=15_000)
    shoot(narrow, out, "room-320px")
    dark = browsers.new_page(room.url, color_scheme="dark")
    join_from_browser(dark, "Maya Patel")
    dark.locator('.stage-list li[data-speaking="true"]').first.wait_for(timeout=15_000)
    reactions(room)
    dark.wait_for_timeout(700)
    shoot(dark, out, "room-dark", keep_reactions=True)

    room.host.send(EndRoom())
    wait_until(lambda: dark.evaluate("document.body.dataset.final") == "ended")
    shoot(dark, out, "ended-dark")
    narrow.close()
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    shoot(page, out, "card-ended")

    # -- a host running the room from the browser ------------------------------------------------
    hosted = open_room(relay, title="Ask me anything: audio engineering")
    troll = hosted.join_bot("Troll Tom")
    rita = hosted.join_bot("Rita Reporter")
    hosted.join_bot("Liam Chen")
    page = browsers.new_page(hosted.made["host_url"])
    join_from_browser(page, "Hana Host")
    page.get_by_role("button", name="Share").click()
    share = page.get_by_role("dialog", name="Share this room")
    qr = share.get_by_role("img", name="QR code of the room link")
    wait_until(lambda: qr.evaluate("img => img.complete && img.naturalWidth > 100"), what="QR")
    shoot(page, out, "host-share")
    page.keyboard.press("Escape")
    rita.send(Report("Spam or scam: links in every message", troll.user_id))
    page.get_by_role("heading", name="Reports (1 new)").wait_for()
    page.locator(".reports").scroll_into_view_if_needed()
    shoot(page, out, "host-reports")
    inbox = page.get_by_role("list", name="Reports (1 new)")
    inbox.get_by_role("button", name="Remove Troll Tom").click()
    confirm = page.get_by_role("dialog", name="Remove from the room")
    confirm.get_by_role("button", name="Remove from the room").click()
    confirm.wait_for(state="hidden")
    page.get_by_role("heading", name="Moderation log").click()
    page.get_by_role("list", name="Moderation log").get_by_role("listitem").first.wait_for()
    page.locator(".mod-log").scroll_into_view_if_needed()
    shoot(page, out, "host-log")


async def _cohost_link(base_url: str, room_id: str, host_token: str) -> str:
    import aiohttp

    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base_url}/api/rooms/{room_id}/cohost-links",
            headers={"Authorization": f"Bearer {host_token}"},
        ) as response,
    ):
        body = await response.json()
        return str(body["url"])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")
