"""Keyboard, labels, narrow screens and colour schemes."""

from __future__ import annotations

from playwright.sync_api import expect

from server.room import AcceptInvite, InviteKind, InviteToSpeak, PinLink, RequestToSpeak
from server.room.validation import REACTIONS
from tests.web.roomkit import join_from_browser, open_room, wait_until

UNLABELLED = """() => {
  const name = (el) => (el.getAttribute('aria-label') || el.textContent || '').trim();
  const out = [];
  for (const el of document.querySelectorAll('button, a[href], [role=button]')) {
    if (el.closest('[hidden]')) continue;
    if (!name(el)) out.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('input, textarea, select')) {
    if (el.closest('[hidden]') || el.type === 'radio') continue;
    if (!el.labels?.length && !el.getAttribute('aria-label')) out.push(el.outerHTML.slice(0, 80));
  }
  return out;
}"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
BODY_LUMINANCE = """() => {
  const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}"""


def test_joining_and_asking_to_speak_by_keyboard_alone(relay, browsers) -> None:
    room = open_room(relay, title="Keyboard")
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the room")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Your name")).to_be_focused()
    page.keyboard.type("Kim Keys")
    page.keyboard.press("Enter")
    page.wait_for_selector("body[data-phase=room]")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    me = page.evaluate("window.roomcast.you")

    ask = page.get_by_role("button", name="Request to speak")
    for _ in range(40):
        page.keyboard.press("Tab")
        if ask.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError("Request to speak is not reachable with Tab")
    page.keyboard.press("Space")
    wait_until(lambda: room.live().request_of(me) is not None, what="request by keyboard")
    expect(page.get_by_role("button", name="Withdraw my request")).to_be_focused()


def test_every_control_is_labelled_and_fits_320px_in_light_and_dark(relay, browsers) -> None:
    room = open_room(
        relay,
        title="A rather long room title that has to wrap on a small phone",
        description="Words " * 40,
        topics=["accessibility", "small screens", "colour schemes"],
    )
    speaker = room.join_bot("Bartholomew Featherstonehaugh-Smythe")
    room.host.send(InviteToSpeak(speaker.user_id))
    speaker.send(AcceptInvite(InviteKind.SPEAK))
    room.host.send(PinLink("https://example.org/a/very/long/path/that/does/not/break/nicely/" * 3))
    room.join_bot("Wanda").send(RequestToSpeak())
    for scheme in ("light", "dark"):
        page = browsers.new_page(
            room.url, viewport={"width": 320, "height": 640}, color_scheme=scheme
        )
        page.wait_for_selector("body[data-phase=card]")
        assert page.evaluate(OVERFLOW) <= 0, f"the card scrolls sideways at 320 px ({scheme})"
        assert page.evaluate(UNLABELLED) == []
        join_from_browser(page, f"Narrow {scheme}")
        expect(page.locator(".stage-list")).to_contain_text("Bartholomew")
        assert page.evaluate(OVERFLOW) <= 0, f"the room scrolls sideways at 320 px ({scheme})"
        assert page.evaluate(UNLABELLED) == []
        luminance = page.evaluate(BODY_LUMINANCE)
        assert (luminance < 0.2) if scheme == "dark" else (luminance > 0.8), (scheme, luminance)


def test_the_reaction_buttons_are_the_relays_set(relay, browsers) -> None:
    room = open_room(relay, title="Reaction set")
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    ours = page.evaluate(
        "async () => (await import('/static/reactions.js')).REACTIONS.map(([emoji]) => emoji)"
    )
    assert ours == list(REACTIONS)
