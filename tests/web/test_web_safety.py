"""Names, titles, topics, descriptions and links from other people are shown as text and
never run: the client builds every node with textContent, and links must be http(s)."""

from __future__ import annotations

from playwright.sync_api import expect

from server.room import PinLink, React
from tests.web.roomkit import join_from_browser, open_room, wait_until

TITLE = "<img src=x onerror=\"window.__pwned='title'\">"
DESCRIPTION = "<script>window.__pwned='description'</script><b>bold</b>"
TOPIC = "<i onmouseover=x>t</i>"
HOST = "<svg onload=\"window.__pwned='host'\">"
BOT = '"><script>window.__pwned=4</script>'
ME = "<img src=x onerror=window.__pwned=5>"
LINK_TITLE = '<a href="javascript:window.__pwned=6">x</a>'
LINK_URL = "https://example.org/?q=<script>"

INJECTED = "() => document.querySelectorAll('#view img, #view script, #view svg, #view iframe, #view b, #view i, .reaction-layer img, dialog img').length"


def test_markup_in_names_titles_and_links_is_shown_as_text(relay, browsers) -> None:
    room = open_room(relay, title=TITLE, description=DESCRIPTION, topics=[TOPIC], host_name=HOST)
    bot = room.join_bot(BOT)
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    view = page.locator("#view")
    expect(view.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(view.locator(".description")).to_have_text(DESCRIPTION)
    expect(view.locator(".topic")).to_have_text([TOPIC])
    expect(view.locator(".people dd").first).to_have_text(HOST)
    assert page.title() == f"{TITLE} · Roomcast"
    assert page.evaluate(INJECTED) == 0

    me = join_from_browser(page, ME)
    room.host.send(PinLink(LINK_URL, LINK_TITLE))
    bot.send(React("🔥"))
    link = view.get_by_role("link", name=LINK_TITLE)
    expect(link).to_have_attribute("href", "https://example.org/?q=%3Cscript%3E")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    expect(link).to_have_attribute("target", "_blank")
    expect(view.locator(f'li[data-user-id="{me}"] .name')).to_have_text(f"{ME} (you)")
    expect(view.locator(f'li[data-user-id="{bot.user_id}"] .name')).to_have_text(BOT)
    expect(view.locator(f'li[data-user-id="{room.host.user_id}"] .name')).to_have_text(HOST)
    expect(page.locator(".reaction-float .reaction-name")).to_have_text([BOT])
    page.get_by_role("button", name=f"Options for {BOT}").click()
    expect(page.get_by_role("dialog").get_by_role("heading")).to_have_text(BOT)
    page.keyboard.press("Escape")

    assert page.evaluate(INJECTED) == 0
    assert page.evaluate("typeof window.__pwned") == "undefined"
    wait_until(lambda: room.live().participants[me].display_name == ME, what="name kept as typed")


def test_only_http_links_are_ever_made(relay, browsers) -> None:
    room = open_room(relay, title="Links")
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    verdicts = page.evaluate(
        """async () => {
          const { safeHttpUrl, h } = await import('/static/dom.js');
          const urls = ['https://ok.example/a', 'http://ok.example', 'javascript:alert(1)',
                        'JaVaScRiPt:alert(1)', 'data:text/html,<b>', 'https://user:pw@x.example/',
                        'ftp://x.example', '//x.example/path', ' https://x.example'];
          const made = h('a', { href: 'javascript:alert(1)' }, 'x');
          return { urls: urls.map((u) => safeHttpUrl(u)), madeHref: made.getAttribute('href') };
        }"""
    )
    assert verdicts["urls"] == [
        "https://ok.example/a",
        "http://ok.example/",
        None,
        None,
        None,
        None,
        None,
        None,
        "https://x.example/",
    ]
    assert verdicts["madeHref"] is None


def test_a_name_that_passes_for_the_host_is_refused_at_the_door(relay, browsers) -> None:
    """Look-alike letters, fullwidth forms, invisible characters and role labels: the page says
    why under the name field, and a name of one's own gets in."""
    room = open_room(relay, title="Ask me anything", host_name="Hana Host")
    page = browsers.new_page(room.url)
    page.wait_for_selector("body[data-phase=card]")
    view = page.locator("#view")
    name = view.get_by_label("Your name")
    for disguise in ("Ｈａｎａ Ｈｏｓｔ", "Ηаna Ho\u200bst", "hana host."):
        name.fill(disguise)
        view.get_by_role("button", name="Join and listen").click()
        expect(view.get_by_text("That name looks like the host's (Hana Host)")).to_be_visible()
        expect(name).to_be_focused()
        expect(name).to_have_attribute("aria-invalid", "true")
        assert page.evaluate("document.body.dataset.phase") == "card"
    name.fill("Kim (Host)")
    view.get_by_role("button", name="Join and listen").click()
    expect(view.get_by_text("A name cannot carry a role like (Host)")).to_be_visible()
    me = join_from_browser(page, "Kim Listener")
    wait_until(lambda: me in room.live().participants, what="joined under a name of her own")
