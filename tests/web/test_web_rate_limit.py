"""A person who toggles their request to speak too fast is told, in the page, when to try again
(issue 13: a refusal for rate is never silent)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.roomkit import join_from_browser, open_room, wait_until


def test_a_request_toggled_too_often_says_when_to_try_again(relay, browsers) -> None:
    room = open_room(relay, title="Toggles")
    page = browsers.new_page(room.url)
    me = join_from_browser(page, "Tess Toggles")

    # Three toggles go through (request, withdraw, request); the fourth is cooled down.
    for button, has_request in (
        ("Request to speak", True),
        ("Withdraw my request", False),
        ("Request to speak", True),
    ):
        page.get_by_role("button", name=button).click()
        wait_until(
            lambda want=has_request: (room.live().request_of(me) is not None) == want,
            what=button,
        )
    page.get_by_role("button", name="Withdraw my request").click()
    expect(page.locator("body")).to_contain_text(
        "You are asking to speak and withdrawing too often; try again in"
    )
    assert room.live().request_of(me) is not None  # the refused withdrawal changed nothing
